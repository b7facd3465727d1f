// Package tainteviction deletes pods from nodes with NoExecute taints they
// do not tolerate, as upstream's taint-eviction-controller (the NoExecute
// taint manager) does.
//
// A pod that does not tolerate every NoExecute taint of its node is deleted
// at once. A pod that tolerates them all, some for a limited
// tolerationSeconds, is deleted when the shortest of those runs out,
// counted from when the controller saw the taints; if the taints go away,
// or the pod comes to tolerate them forever, first the eviction is
// cancelled. Before deleting, the controller adds the DisruptionTarget
// condition (reason DeletionByTaintManager) to the pod, so that its owner
// and the Job pod failure policy can tell why it went. Events of reason
// TaintManagerEviction say "Marking for deletion Pod <ns>/<name>" and
// "Cancelling deletion of Pod <ns>/<name>".
//
// Pods are the queue's keys: a change of a node's NoExecute taints queues
// every pod on it, and a pod whose eviction is due later comes back when it
// is due. The taints the node lifecycle controller puts on unreachable and
// not-ready nodes are evicted by this controller like any other; the 300 s
// every pod tolerates them for by default comes from the
// DefaultTolerationSeconds admission plugin.
package tainteviction
