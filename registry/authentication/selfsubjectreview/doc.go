// Package selfsubjectreview serves authentication.k8s.io/v1
// SelfSubjectReviews: who am I? (`kubectl auth whoami`.) The answer is the
// user the review's own request was authenticated as.
package selfsubjectreview
