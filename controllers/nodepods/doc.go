// Package nodepods is what the controllers that act on whole nodes
// (nodelifecycle, tainteviction, podgc) share about the pods on a node: an
// index of the shared pod informer by spec.nodeName, and the status patch
// that marks a pod before such a controller disrupts it (a condition, and
// the Failed phase when the pod will never run again), as upstream's
// PatchPodStatus does.
package nodepods
