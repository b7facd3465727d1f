// Package coordination is what the coordination.k8s.io API group means beyond its k8s.io/api
// types: upstream's validation of its kinds (Lease), with upstream's
// field paths and messages, for the registry to call.
package coordination
