package deployment

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
)

// rolloutRecreate scales every old ReplicaSet to zero, waits until none of
// their pods is left running, and only then creates and scales up the new
// one: old and new pods never run together.
func (c *Controller) rolloutRecreate(ctx context.Context, d *appsv1.Deployment, rsList []*appsv1.ReplicaSet) (time.Duration, error) {
	// Not created yet: creating it scaled would start new pods early.
	newRS, oldRSs, err := c.replicaSetsAndSyncRevision(ctx, d, rsList, false)
	if err != nil {
		return 0, err
	}
	allRSs := append(append([]*appsv1.ReplicaSet(nil), oldRSs...), newRS)

	scaledDown := false
	for _, rs := range activeReplicaSets(oldRSs) {
		scaled, _, err := c.scaleReplicaSet(ctx, rs, 0, d, false)
		if err != nil {
			return 0, err
		}
		scaledDown = scaledDown || scaled
	}
	if scaledDown {
		return c.syncRolloutStatus(ctx, allRSs, newRS, d)
	}
	running, err := c.oldPodsRunning(d.Namespace, newRS, oldRSs, rsList)
	if err != nil {
		return 0, err
	}
	if running {
		// A pod deletion brings the Deployment back (podDeleted).
		return c.syncRolloutStatus(ctx, allRSs, newRS, d)
	}
	if newRS == nil {
		if newRS, oldRSs, err = c.replicaSetsAndSyncRevision(ctx, d, rsList, true); err != nil {
			return 0, err
		}
		allRSs = append(append([]*appsv1.ReplicaSet(nil), oldRSs...), newRS)
	}
	if _, _, err := c.scaleReplicaSet(ctx, newRS, *d.Spec.Replicas, d, false); err != nil {
		return 0, err
	}
	if deploymentComplete(d, &d.Status) {
		if err := c.cleanupDeployment(ctx, oldRSs, d); err != nil {
			return 0, err
		}
	}
	return c.syncRolloutStatus(ctx, allRSs, newRS, d)
}

// oldPodsRunning reports whether an old ReplicaSet still counts pods, or
// still controls a pod not in a terminal phase (one being deleted
// included: it may still run until its grace period ends).
func (c *Controller) oldPodsRunning(namespace string, newRS *appsv1.ReplicaSet, oldRSs, rsList []*appsv1.ReplicaSet) (bool, error) {
	if countStatus(oldRSs).replicas > 0 {
		return true, nil
	}
	if len(rsList) == 0 {
		return false, nil
	}
	old := map[types.UID]bool{}
	for _, rs := range rsList {
		if newRS == nil || rs.UID != newRS.UID {
			old[rs.UID] = true
		}
	}
	pods, err := c.pods.Pods(namespace).List(labels.Everything())
	if err != nil {
		return false, fmt.Errorf("list pods: %w", err)
	}
	for _, p := range pods {
		ref := metav1.GetControllerOfNoCopy(p)
		if ref == nil || !old[ref.UID] {
			continue
		}
		if p.Status.Phase != corev1.PodFailed && p.Status.Phase != corev1.PodSucceeded {
			return true, nil
		}
	}
	return false, nil
}
