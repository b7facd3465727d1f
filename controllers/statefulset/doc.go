// Package statefulset runs StatefulSets as upstream's statefulset controller
// does, so that kubectl rollout status, history and undo, kubectl scale and
// the upstream conformance tests work unchanged.
//
// Identity: a StatefulSet's pods are <set>-<ordinal> for the ordinals
// spec.ordinals.start … start+replicas-1, with hostname the pod's name,
// subdomain spec.serviceName, and the labels statefulset.kubernetes.io/pod-name,
// apps.kubernetes.io/pod-index and controller-revision-hash. Each claim
// template gives every pod a PersistentVolumeClaim <template>-<set>-<ordinal>,
// created before the pod and labelled with the set's selector's matchLabels,
// and a volume that points at it. Pods with the right name but the wrong
// identity or volumes are fixed in place.
//
// Ordering: OrderedReady creates pods one at a time in ordinal order, each
// once the one before is Running, Ready and available for minReadySeconds,
// deletes surplus pods one at a time from the highest ordinal, and halts
// while any pod is unhealthy; Parallel creates and deletes without waiting.
// A pod that failed (or succeeded) is deleted and created again.
//
// Updates: every distinct pod template is recorded as a ControllerRevision
// <set>-<hash>, named, hashed and encoded exactly as upstream records it
// (kubectl rollout undo patches the set with a revision's data, and kubectl
// compares the bytes). A template equal to an older revision (a rollback)
// moves that revision to the next revision number instead of making a new
// one. RollingUpdate replaces pods at ordinals at or above the partition from
// the highest ordinal down, at most maxUnavailable unavailable at a time;
// OnDelete only gives pods deleted by the user the new template. Revisions
// that no pod and neither status revision uses are deleted beyond
// revisionHistoryLimit.
//
// Claims follow persistentVolumeClaimRetentionPolicy through ownerReferences,
// left to the garbage collector: whenDeleted=Delete makes the set an owner of
// its claims, whenScaled=Delete makes a pod the owner of its claims once the
// pod is scaled away.
//
// Status: replicas, readyReplicas, availableReplicas, currentReplicas,
// updatedReplicas, currentRevision, updateRevision, collisionCount and
// observedGeneration, what kubectl rollout status sts reads. Pods and
// revisions are adopted and released by selector and controllerRef; a pod is
// only adopted when its name makes it a member (<set>-<number>).
//
// The controller remembers the resource versions of its own writes and does
// not sync a set again until its informers have caught up with them (upstream's
// StaleControllerConsistencyStatefulSet): acting on a cache older than its own
// writes would create a pod twice or delete a pod that was already replaced.
package statefulset
