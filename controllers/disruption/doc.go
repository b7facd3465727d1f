// Package disruption keeps PodDisruptionBudget status current, as upstream's
// disruption controller (pkg/controller/disruption) does, so that the
// pods/eviction subresource can decide whether an eviction is allowed.
//
// For each budget it lists the pods its selector picks in its namespace (a
// nil selector picks none, an empty one every pod), counts the healthy ones
// (Ready, not terminating, not recently evicted), and works out how many must
// stay healthy. minAvailable as a number needs no controller; a percentage,
// and maxUnavailable, are scaled against the replicas of the pods'
// controllers: ReplicationController, ReplicaSet, Deployment (through its
// ReplicaSet) and StatefulSet. Controllers that only offer a scale
// subresource are not looked up: a budget over their pods reports SyncFailed.
//
// status.disruptedPods holds the pods the eviction subresource has let go
// but that are not yet deleted; they do not count as healthy, and an entry
// older than two minutes is dropped, the pod being presumed not deleted
// after all.
package disruption
