// Package node is what the node.k8s.io API group means beyond its k8s.io/api
// types: upstream's validation of its kinds (RuntimeClass), with upstream's
// field paths and messages, for the registry to call.
package node
