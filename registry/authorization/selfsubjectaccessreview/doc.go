// Package selfsubjectaccessreview serves authorization.k8s.io/v1
// SelfSubjectAccessReviews: may I make this request? (`kubectl auth can-i`.)
// The subject is the user the review's own request was authenticated as.
package selfsubjectaccessreview
