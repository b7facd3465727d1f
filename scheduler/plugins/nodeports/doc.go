// Package nodeports is the NodePorts filter: a pod fits a node only if none
// of its host ports (protocol and host IP considered, 0.0.0.0 conflicting
// with every IP) is already bound there, as in kube-scheduler.
package nodeports
