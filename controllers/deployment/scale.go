package deployment

import (
	"context"
	"fmt"
	"math"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
)

// syncStatusOnly reports status and changes nothing else: d is being
// deleted.
func (c *Controller) syncStatusOnly(ctx context.Context, d *appsv1.Deployment, rsList []*appsv1.ReplicaSet) error {
	newRS, oldRSs, err := c.replicaSetsAndSyncRevision(ctx, d, rsList, false)
	if err != nil {
		return err
	}
	return c.syncDeploymentStatus(ctx, append(oldRSs, newRS), newRS, d)
}

// syncScale handles a paused Deployment or a change of spec.replicas: the
// ReplicaSets are resized in proportion, no rollout step is taken and no
// progress estimated.
func (c *Controller) syncScale(ctx context.Context, d *appsv1.Deployment, rsList []*appsv1.ReplicaSet) error {
	newRS, oldRSs, err := c.replicaSetsAndSyncRevision(ctx, d, rsList, false)
	if err != nil {
		return err
	}
	if err := c.scale(ctx, d, newRS, oldRSs); err != nil {
		return err
	}
	// A rolling update cleans up when it completes; a paused Deployment
	// never completes one, so it cleans up here.
	if d.Spec.Paused {
		if err := c.cleanupDeployment(ctx, oldRSs, d); err != nil {
			return err
		}
	}
	return c.syncDeploymentStatus(ctx, append(oldRSs, newRS), newRS, d)
}

// isScalingEvent reports whether spec.replicas differs from what an active
// ReplicaSet was last sized for.
func (c *Controller) isScalingEvent(ctx context.Context, d *appsv1.Deployment, rsList []*appsv1.ReplicaSet) (bool, error) {
	newRS, oldRSs, err := c.replicaSetsAndSyncRevision(ctx, d, rsList, false)
	if err != nil {
		return false, err
	}
	logger := klog.FromContext(ctx)
	for _, rs := range activeReplicaSets(append(oldRSs, newRS)) {
		if desired, ok := replicasAnnotation(logger, rs, DesiredReplicasAnnotation); ok && desired != *d.Spec.Replicas {
			return true, nil
		}
	}
	return false, nil
}

// activeOrLatest returns the one active ReplicaSet, or the newest when none
// is active; nil when several are active and must share proportionally.
func activeOrLatest(newRS *appsv1.ReplicaSet, oldRSs []*appsv1.ReplicaSet) *appsv1.ReplicaSet {
	if newRS == nil && len(oldRSs) == 0 {
		return nil
	}
	sorted := append([]*appsv1.ReplicaSet(nil), oldRSs...)
	sort.Sort(sort.Reverse(byCreationTimestamp(sorted)))
	active := activeReplicaSets(append(sorted, newRS))
	switch len(active) {
	case 0:
		if newRS != nil {
			return newRS
		}
		return sorted[0]
	case 1:
		return active[0]
	}
	return nil
}

// scale resizes the ReplicaSets for spec.replicas. With one active
// ReplicaSet it takes the whole count; with a saturated new one the old
// ones go to zero; otherwise, in a rolling update, the difference from
// spec.replicas + maxSurge is shared out in proportion to each ReplicaSet's
// size, so that scaling in the middle of a rollout neither hastens nor
// slows it.
func (c *Controller) scale(ctx context.Context, d *appsv1.Deployment, newRS *appsv1.ReplicaSet, oldRSs []*appsv1.ReplicaSet) error {
	if rs := activeOrLatest(newRS, oldRSs); rs != nil {
		if *rs.Spec.Replicas == *d.Spec.Replicas {
			return nil
		}
		_, _, err := c.scaleReplicaSet(ctx, rs, *d.Spec.Replicas, d, false)
		return err
	}
	if isSaturated(d, newRS) {
		for _, old := range activeReplicaSets(oldRSs) {
			if _, _, err := c.scaleReplicaSet(ctx, old, 0, d, false); err != nil {
				return err
			}
		}
		return nil
	}
	if !isRollingUpdate(d) {
		return nil
	}
	sizes := proportionalSizes(klog.FromContext(ctx), d, activeReplicaSets(append(oldRSs, newRS)))
	for _, s := range sizes {
		if _, _, err := c.scaleReplicaSet(ctx, s.rs, s.size, d, true); err != nil {
			// The rest follows on the retry.
			return err
		}
	}
	return nil
}

type sized struct {
	rs   *appsv1.ReplicaSet
	size int32
}

// proportionalSizes shares the difference between spec.replicas + maxSurge
// (zero for zero replicas) and the active ReplicaSets' total among them:
// largest first, newer first among equals when adding and older first when
// removing, with what rounding leaves over going to the first.
func proportionalSizes(logger klog.Logger, d *appsv1.Deployment, active []*appsv1.ReplicaSet) []sized {
	active = append([]*appsv1.ReplicaSet(nil), active...)
	var allowed int32
	if *d.Spec.Replicas > 0 {
		allowed = *d.Spec.Replicas + maxSurge(d)
	}
	toAdd := allowed - replicaCount(active)
	switch {
	case toAdd > 0:
		sort.Sort(bySizeNewer(active))
	case toAdd < 0:
		sort.Sort(bySizeOlder(active))
	}
	out := make([]sized, len(active))
	var added int32
	for i, rs := range active {
		out[i] = sized{rs: rs, size: *rs.Spec.Replicas}
		if toAdd != 0 {
			p := replicaSetProportion(logger, rs, d, toAdd, added)
			out[i].size += p
			added += p
		}
	}
	if len(out) > 0 && toAdd != 0 {
		out[0].size = max(out[0].size+toAdd-added, 0)
	}
	return out
}

// scaleReplicaSet sets rs's replicas to size and its replicas annotations
// to the Deployment's current values. Unless force is set it does nothing
// when the size is already right. It reports whether the size changed.
func (c *Controller) scaleReplicaSet(ctx context.Context, rs *appsv1.ReplicaSet, size int32, d *appsv1.Deployment, force bool) (bool, *appsv1.ReplicaSet, error) {
	from := *rs.Spec.Replicas
	if !force && from == size {
		return false, rs, nil
	}
	maxReplicas := *d.Spec.Replicas + maxSurge(d)
	if from == size && !replicasAnnotationsNeedUpdate(rs, *d.Spec.Replicas, maxReplicas) {
		return false, rs, nil
	}
	rsCopy := rs.DeepCopy()
	*rsCopy.Spec.Replicas = size
	setReplicasAnnotations(rsCopy, *d.Spec.Replicas, maxReplicas)
	updated, err := c.client.AppsV1().ReplicaSets(rsCopy.Namespace).Update(ctx, rsCopy, metav1.UpdateOptions{})
	if err != nil {
		return false, rs, fmt.Errorf("scale replica set %s from %d to %d: %w", rs.Name, from, size, err)
	}
	if from == size {
		return false, updated, nil
	}
	direction := "up"
	if size < from {
		direction = "down"
	}
	c.recorder.Eventf(d, corev1.EventTypeNormal, "ScalingReplicaSet", "Scaled %s replica set %s from %d to %d", direction, updated.Name, from, size)
	klog.FromContext(ctx).V(2).Info("Scaled replica set", "replicaSet", klog.KObj(updated), "deployment", klog.KObj(d), "from", from, "to", size)
	return true, updated, nil
}

// cleanupDeployment deletes the oldest old ReplicaSets beyond
// spec.revisionHistoryLimit. Only ReplicaSets with nothing left to do go:
// zero replicas asked and running, status observed for the current spec,
// not already being deleted.
func (c *Controller) cleanupDeployment(ctx context.Context, oldRSs []*appsv1.ReplicaSet, d *appsv1.Deployment) error {
	if !hasRevisionHistoryLimit(d) {
		return nil
	}
	var alive []*appsv1.ReplicaSet
	for _, rs := range oldRSs {
		if rs != nil && rs.DeletionTimestamp == nil {
			alive = append(alive, rs)
		}
	}
	diff := int32(len(alive)) - *d.Spec.RevisionHistoryLimit
	if diff <= 0 {
		return nil
	}
	sort.Sort(byRevision(alive))
	logger := klog.FromContext(ctx)
	for _, rs := range alive[:diff] {
		if rs.Status.Replicas != 0 || *rs.Spec.Replicas != 0 || rs.Generation > rs.Status.ObservedGeneration {
			continue
		}
		logger.V(4).Info("Trying to cleanup replica set for deployment", "replicaSet", klog.KObj(rs), "deployment", klog.KObj(d))
		// One failure stops the pass rather than hammer the server; the
		// next sync carries on.
		err := c.client.AppsV1().ReplicaSets(rs.Namespace).Delete(ctx, rs.Name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete old replica set %s: %w", rs.Name, err)
		}
	}
	return nil
}

// hasRevisionHistoryLimit is false for no limit or MaxInt32 (keep all).
func hasRevisionHistoryLimit(d *appsv1.Deployment) bool {
	return d.Spec.RevisionHistoryLimit != nil && *d.Spec.RevisionHistoryLimit != math.MaxInt32
}
