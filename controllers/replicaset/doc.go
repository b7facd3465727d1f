// Package replicaset keeps the number of pods a ReplicaSet asks for, as
// upstream's replicaset controller does: it creates missing pods from the
// template (in slow-start batches), deletes surplus pods in upstream's
// ranking, adopts matching orphans and releases owned pods that no longer
// match, and reports replicas, fullyLabeledReplicas, readyReplicas,
// availableReplicas, terminatingReplicas and the ReplicaFailure condition.
//
// The controller works on ReplicaSets only; another kind that means the
// same (ReplicationController) plugs in through Kind, converting its objects
// to ReplicaSets on the way in and its status back on the way out.
package replicaset
