// Package review is the plumbing the create-only review APIs share
// (authorization.k8s.io's access and rules reviews, authentication.k8s.io's
// token and self-subject reviews): a storage that keeps nothing and answers
// each create from the object and the request, and the translation of an
// access review's spec into the authorizer attributes that a real request
// with the same verb, resource and selectors would be checked with.
//
// A review package (registry/<group>/<resource>) supplies only its kind's
// names, its validation and its answer, in a Definition.
package review
