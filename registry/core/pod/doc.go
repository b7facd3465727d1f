// Package pod stores core/v1 Pods: a new pod is Pending with its QoS class,
// deletion is graceful (the node agent confirms it), and the binding
// subresource is how a scheduler assigns a node.
package pod
