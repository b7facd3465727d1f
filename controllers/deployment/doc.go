// Package deployment rolls Deployments out through ReplicaSets, as
// upstream's deployment controller does, so that kubectl rollout (status,
// history, undo, pause, resume, restart) works unchanged.
//
// Each pod template gets a ReplicaSet named <deployment>-<pod-template-hash>,
// the hash computed as upstream computes it, so names match a real
// cluster's; the hash is also a label of the ReplicaSet, its selector and
// its template. A rollout scales the new ReplicaSet up and the old ones down
// within maxSurge and maxUnavailable (RollingUpdate), or all old ones to zero
// before the new one starts (Recreate). A change of spec.replicas during a
// rollout, or of a paused Deployment, is shared among the ReplicaSets in
// proportion to their sizes, as recorded in the desired-replicas and
// max-replicas annotations.
//
// Revisions: the new ReplicaSet gets the next deployment.kubernetes.io/revision
// and the Deployment the same; a template that matches an old ReplicaSet
// (kubectl rollout undo patches the Deployment with one) makes that
// ReplicaSet the new one, its old revision kept in revision-history. The
// Deployment's annotations, kubernetes.io/change-cause among them, are copied
// to its new ReplicaSet. Old ReplicaSets scaled to zero beyond
// revisionHistoryLimit are deleted.
//
// Status: replicas, updatedReplicas, readyReplicas, availableReplicas,
// unavailableReplicas and terminatingReplicas summed from the ReplicaSets
// (whose controller counts pods, minReadySeconds included), observedGeneration,
// collisionCount, and the Available, Progressing (with progressDeadlineSeconds)
// and ReplicaFailure conditions with upstream's reasons.
//
// ReplicaSets are adopted and released by selector and controllerRef as the
// ReplicaSet controller does with pods; deleting a Deployment is the garbage
// collector's business.
package deployment
