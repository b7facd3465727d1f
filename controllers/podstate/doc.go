// Package podstate answers the questions about a pod's state that the
// workload controllers (replicaset, job, daemonset) count by: is it still
// active, terminating, ready. The answers are upstream's
// controller.IsPodActive, IsPodTerminating and podutil.IsPodReady, so that
// the controllers count pods the same way as each other and as upstream.
package podstate
