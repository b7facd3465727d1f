// Package batch is what the batch API group means beyond its k8s.io/api types:
// upstream's defaults for its kinds, their validation, and the fields a field
// selector may name.
package batch
