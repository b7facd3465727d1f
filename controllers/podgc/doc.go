// Package podgc deletes pods nobody else will, as upstream's pod garbage
// collector (pod-garbage-collector) does, every Options.Period (20 s):
//
//   - terminated pods (phase Succeeded or Failed) beyond
//     Options.TerminatedPodThreshold (--terminated-pod-gc-threshold, 12500),
//     evicted ones first, then the oldest;
//   - orphaned pods, bound to a node that no longer exists: once the node
//     has been missing from the cache for Options.Quarantine (40 s) and a
//     read from the API confirms it is gone, they are marked with the
//     DisruptionTarget condition (reason DeletionByPodGC);
//   - terminating pods that were never scheduled, which no agent will ever
//     finish;
//   - terminating pods on a node that is not Ready and carries the
//     node.kubernetes.io/out-of-service taint (non-graceful node shutdown).
//
// A pod that has not finished is moved to phase Failed first, so that its
// owner counts it as failed rather than lost, and every pod is deleted with
// a grace period of 0: there is no agent to stop its containers.
package podgc
