// Package subjectaccessreview serves authorization.k8s.io/v1
// SubjectAccessReviews: may the user in the spec make the request the spec
// describes? Nothing is stored; the answer is the authorizer's.
package subjectaccessreview
