// Package core is what the core ("") API group means beyond its k8s.io/api
// types: upstream's defaults for the v1 kinds, their validation, and the
// fields a field selector may name.
package core
