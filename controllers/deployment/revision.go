package deployment

import (
	"fmt"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"
)

// Annotations the controller keeps on Deployments and their ReplicaSets;
// kubectl rollout history and undo read them.
const (
	// RevisionAnnotation is the rollout sequence number of a ReplicaSet,
	// and the Deployment's current one.
	RevisionAnnotation = "deployment.kubernetes.io/revision"
	// RevisionHistoryAnnotation lists the earlier revisions a ReplicaSet
	// served (it was rolled back to).
	RevisionHistoryAnnotation = "deployment.kubernetes.io/revision-history"
	// DesiredReplicasAnnotation is the Deployment's spec.replicas when the
	// ReplicaSet was last sized; a different value now is a scaling event.
	DesiredReplicasAnnotation = "deployment.kubernetes.io/desired-replicas"
	// MaxReplicasAnnotation is spec.replicas plus maxSurge at that time, the
	// base of the ReplicaSet's share in proportional scaling.
	MaxReplicasAnnotation = "deployment.kubernetes.io/max-replicas"

	// maxRevisionHistoryLength bounds the revision-history annotation
	// (about a hundred revisions), as upstream.
	maxRevisionHistoryLength = 2000
)

// Annotations never copied between a Deployment and its ReplicaSets: the
// controller's own, and kubectl apply's.
var annotationsToSkip = map[string]bool{
	corev1.LastAppliedConfigAnnotation: true,
	RevisionAnnotation:                 true,
	RevisionHistoryAnnotation:          true,
	DesiredReplicasAnnotation:          true,
	MaxReplicasAnnotation:              true,
	appsv1.DeprecatedRollbackTo:        true,
}

// revision is the object's revision annotation, 0 when absent.
func revision(rs *appsv1.ReplicaSet) (int64, error) {
	v, ok := rs.Annotations[RevisionAnnotation]
	if !ok {
		return 0, nil
	}
	return strconv.ParseInt(v, 10, 64)
}

// maxRevision is the highest revision among rss; unparsable ones are
// skipped.
func maxRevision(logger klog.Logger, rss []*appsv1.ReplicaSet) int64 {
	var out int64
	for _, rs := range rss {
		v, err := revision(rs)
		if err != nil {
			logger.V(4).Info("Couldn't parse revision for replica set, deployment controller will skip it when reconciling revisions", "replicaSet", klog.KObj(rs), "err", err)
			continue
		}
		out = max(out, v)
	}
	return out
}

// setDeploymentRevision sets d's revision annotation, reporting a change.
func setDeploymentRevision(d *appsv1.Deployment, rev string) bool {
	if d.Annotations == nil {
		d.Annotations = map[string]string{}
	}
	if d.Annotations[RevisionAnnotation] == rev {
		return false
	}
	d.Annotations[RevisionAnnotation] = rev
	return true
}

// setNewReplicaSetAnnotations copies d's annotations (kubernetes.io/change-cause
// among them) to its new ReplicaSet and raises the ReplicaSet's revision to
// newRevision if it is lower, keeping the revision it had in the history (a
// rollback to it). A ReplicaSet about to be created also gets the replicas
// annotations. It reports whether rs changed.
func setNewReplicaSetAnnotations(logger klog.Logger, d *appsv1.Deployment, rs *appsv1.ReplicaSet, newRevision string, exists bool) bool {
	changed := copyDeploymentAnnotations(d, rs)
	if rs.Annotations == nil {
		rs.Annotations = map[string]string{}
	}
	oldRevision, had := rs.Annotations[RevisionAnnotation]
	oldRev, err := strconv.ParseInt(oldRevision, 10, 64)
	if err != nil {
		if oldRevision != "" {
			logger.Info("Updating replica set revision OldRevision not int", "replicaSet", klog.KObj(rs), "err", err)
			return false
		}
		oldRev = 0
	}
	newRev, err := strconv.ParseInt(newRevision, 10, 64)
	if err != nil {
		logger.Info("Updating replica set revision NewRevision not int", "replicaSet", klog.KObj(rs), "err", err)
		return false
	}
	// Old ReplicaSets deleted after this one got its revision can make
	// newRevision the lower: a revision never goes down.
	if oldRev < newRev {
		rs.Annotations[RevisionAnnotation] = newRevision
		changed = true
		if had {
			appendRevisionHistory(logger, rs, oldRevision)
		}
	}
	if !exists && setReplicasAnnotations(rs, *d.Spec.Replicas, *d.Spec.Replicas+maxSurge(d)) {
		changed = true
	}
	return changed
}

// appendRevisionHistory adds rev to rs's revision history, dropping the
// oldest entries to stay within maxRevisionHistoryLength.
func appendRevisionHistory(logger klog.Logger, rs *appsv1.ReplicaSet, rev string) {
	history := rs.Annotations[RevisionHistoryAnnotation]
	if history == "" {
		rs.Annotations[RevisionHistoryAnnotation] = rev
		return
	}
	old := strings.Split(history, ",")
	total := len(history) + len(rev) + 1
	start := 0
	for total > maxRevisionHistoryLength && start < len(old) {
		total -= len(old[start]) + 1
		start++
	}
	if total > maxRevisionHistoryLength {
		logger.Info("Not appending revision due to revision history length limit reached", "replicaSet", klog.KObj(rs), "revisionHistoryLimit", maxRevisionHistoryLength)
		return
	}
	rs.Annotations[RevisionHistoryAnnotation] = strings.Join(append(old[start:], rev), ",")
}

// copyDeploymentAnnotations copies d's annotations but the skipped ones to
// rs, reporting a change. It never removes one: kubectl rollout history
// shows what each ReplicaSet was rolled out with.
func copyDeploymentAnnotations(d *appsv1.Deployment, rs *appsv1.ReplicaSet) bool {
	changed := false
	if rs.Annotations == nil {
		rs.Annotations = map[string]string{}
	}
	for k, v := range d.Annotations {
		if cur, ok := rs.Annotations[k]; annotationsToSkip[k] || (ok && cur == v) {
			continue
		}
		rs.Annotations[k] = v
		changed = true
	}
	return changed
}

// setReplicasAnnotations records the Deployment's desired and maximum
// replicas on rs, reporting a change.
func setReplicasAnnotations(rs *appsv1.ReplicaSet, desired, maxReplicas int32) bool {
	if !replicasAnnotationsNeedUpdate(rs, desired, maxReplicas) {
		return false
	}
	if rs.Annotations == nil {
		rs.Annotations = map[string]string{}
	}
	rs.Annotations[DesiredReplicasAnnotation] = fmt.Sprint(desired)
	rs.Annotations[MaxReplicasAnnotation] = fmt.Sprint(maxReplicas)
	return true
}

func replicasAnnotationsNeedUpdate(rs *appsv1.ReplicaSet, desired, maxReplicas int32) bool {
	return rs.Annotations[DesiredReplicasAnnotation] != fmt.Sprint(desired) ||
		rs.Annotations[MaxReplicasAnnotation] != fmt.Sprint(maxReplicas)
}

// replicasAnnotation reads a non-negative int32 annotation of rs.
func replicasAnnotation(logger klog.Logger, rs *appsv1.ReplicaSet, key string) (int32, bool) {
	v, ok := rs.Annotations[key]
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(v, 10, 31)
	if err != nil {
		logger.V(2).Info("Could not convert the value with annotation key for the replica set", "annotationValue", v, "annotationKey", key, "replicaSet", klog.KObj(rs))
		return 0, false
	}
	return int32(n), true
}
