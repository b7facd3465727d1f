// Package daemonset runs one pod of each DaemonSet on every eligible node, as
// upstream's daemon set controller does, so that kubectl rollout (status,
// history, undo) and the upstream conformance tests work unchanged.
//
// Eligibility is upstream's: the template's spec.nodeName if set, its
// nodeSelector and required node affinity, and the node's NoSchedule and
// NoExecute taints against the template's tolerations plus the ones every
// daemon pod gets (not-ready and unreachable NoExecute; disk-, memory- and
// pid-pressure and unschedulable NoSchedule; network-unavailable for
// hostNetwork pods). A node that stops being eligible loses its pod, unless
// only a NoSchedule taint came: a running pod stays until a NoExecute taint
// it does not tolerate. Pods are not placed by the controller: each gets a
// required node affinity on metadata.name (matchFields), so that the
// scheduler binds it to its node, as upstream.
//
// Failed daemon pods are deleted (a FailedDaemonPod event) and replaced, with
// a back-off per DaemonSet, generation and node so that a kubelet that
// rejects the pod is not fought in a hot loop.
//
// Every template the DaemonSet has had is a ControllerRevision named
// <daemonset>-<hash> (the hash is upstream's, so names match a real
// cluster's) holding a strategic merge patch that restores the template;
// `kubectl rollout undo` applies it, which makes that revision current again
// with the next revision number. Pods carry the controller-revision-hash of
// their revision; revisions beyond revisionHistoryLimit that no pod uses are
// deleted. RollingUpdate replaces out-of-date pods within maxUnavailable, or
// starts new pods beside old ones within maxSurge; OnDelete waits for the
// user to delete them.
//
// Status: desiredNumberScheduled, currentNumberScheduled, numberMisscheduled,
// numberReady, numberAvailable (minReadySeconds), numberUnavailable,
// updatedNumberScheduled, observedGeneration and collisionCount, which
// `kubectl rollout status` reads. Pods and ControllerRevisions are adopted and
// released by selector and controllerRef; deleting a DaemonSet is the garbage
// collector's business.
package daemonset
