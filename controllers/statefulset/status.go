package statefulset

import (
	"context"
	"fmt"
	"reflect"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/controllers/queue"
)

// countReplicas sets status's pod counts from podLists: replicas counts
// created pods, readyReplicas the Running and Ready ones, availableReplicas
// those ready for minReadySeconds, currentReplicas and updatedReplicas the
// created pods not being deleted at either revision.
func countReplicas(status *appsv1.StatefulSetStatus, minReadySeconds int32, current, update *appsv1.ControllerRevision, now time.Time, podLists ...[]*corev1.Pod) {
	status.Replicas, status.ReadyReplicas, status.AvailableReplicas, status.CurrentReplicas, status.UpdatedReplicas = 0, 0, 0, 0, 0
	for _, pods := range podLists {
		for _, pod := range pods {
			if !isCreated(pod) {
				continue
			}
			status.Replicas++
			if isRunningAndReady(pod) {
				status.ReadyReplicas++
				if isAvailable(pod, minReadySeconds, now) {
					status.AvailableReplicas++
				}
			}
			if isTerminating(pod) {
				continue
			}
			if rev := podRevision(pod); rev == current.Name {
				status.CurrentReplicas++
			}
			if rev := podRevision(pod); rev == update.Name {
				status.UpdatedReplicas++
			}
		}
	}
}

// completeUpdate ends a rollout once every pod is at the update revision
// and ready: the update revision becomes the current one.
func completeUpdate(set *appsv1.StatefulSet, status *appsv1.StatefulSetStatus) {
	replicas := ptr.Deref(set.Spec.Replicas, 1)
	if status.UpdatedReplicas == replicas && status.ReadyReplicas == replicas && status.Replicas == replicas {
		status.CurrentReplicas = status.UpdatedReplicas
		status.CurrentRevision = status.UpdateRevision
	}
}

// statusChanged reports whether status says anything set's does not, as
// upstream compares them: collisionCount alone never causes a write (a new
// collision also renames the update revision).
func statusChanged(set *appsv1.StatefulSet, status *appsv1.StatefulSetStatus) bool {
	cur := &set.Status
	return status.ObservedGeneration > cur.ObservedGeneration ||
		status.Replicas != cur.Replicas ||
		status.CurrentReplicas != cur.CurrentReplicas ||
		status.ReadyReplicas != cur.ReadyReplicas ||
		status.UpdatedReplicas != cur.UpdatedReplicas ||
		status.CurrentRevision != cur.CurrentRevision ||
		status.AvailableReplicas != cur.AvailableReplicas ||
		status.UpdateRevision != cur.UpdateRevision ||
		!reflect.DeepEqual(cur.Conditions, status.Conditions)
}

// writeStatus completes a finished rollout in status and writes it unless
// set already has it, retrying conflicts on a fresh read.
func (c *Controller) writeStatus(ctx context.Context, set *appsv1.StatefulSet, status *appsv1.StatefulSetStatus) error {
	completeUpdate(set, status)
	if !statusChanged(set, status) {
		return nil
	}
	obj := set.DeepCopy()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		obj.Status = *status
		updated, err := c.client.AppsV1().StatefulSets(obj.Namespace).UpdateStatus(ctx, obj, metav1.UpdateOptions{})
		if err == nil {
			c.writes.wrote(queue.Key(set.Namespace, set.Name), set.UID, resourceSets, updated.ResourceVersion)
			return nil
		}
		if fresh, getErr := c.client.AppsV1().StatefulSets(obj.Namespace).Get(ctx, obj.Name, metav1.GetOptions{}); getErr == nil {
			obj = fresh
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("update status of statefulset %s/%s: %w", set.Namespace, set.Name, err)
	}
	klog.FromContext(ctx).V(4).Info("Updated status", "statefulSet", klog.KObj(set),
		"replicas", status.Replicas, "readyReplicas", status.ReadyReplicas, "currentReplicas", status.CurrentReplicas,
		"updatedReplicas", status.UpdatedReplicas, "currentRevision", status.CurrentRevision, "updateRevision", status.UpdateRevision)
	return nil
}
