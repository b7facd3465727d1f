// Package localsubjectaccessreview serves authorization.k8s.io/v1
// LocalSubjectAccessReviews: SubjectAccessReviews confined to one namespace,
// so that permission to check access can be granted per namespace.
package localsubjectaccessreview
