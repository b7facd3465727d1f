package replicaset

import (
	"context"
	"reflect"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/controllers/podstate"
)

// calculateStatus is rs's status given the pods it owns and the outcome of
// this sync's creates or deletes.
func (c *Controller) calculateStatus(rs *appsv1.ReplicaSet, active, terminating []*corev1.Pod, manageErr error, now time.Time) appsv1.ReplicaSetStatus {
	status := *rs.Status.DeepCopy()
	templateLabels := labels.Set(rs.Spec.Template.Labels).AsSelectorPreValidated()
	var fully, ready, available int32
	for _, p := range active {
		if templateLabels.Matches(labels.Set(p.Labels)) {
			fully++
		}
		if podstate.Ready(p) {
			ready++
			if isPodAvailable(p, rs.Spec.MinReadySeconds, now) {
				available++
			}
		}
	}
	failure := condition(status, appsv1.ReplicaSetReplicaFailure)
	switch {
	case manageErr != nil && failure == nil:
		reason := ""
		if diff := len(active) - int(ptr.Deref(rs.Spec.Replicas, 1)); diff < 0 {
			reason = "FailedCreate"
		} else if diff > 0 {
			reason = "FailedDelete"
		}
		status.Conditions = append(status.Conditions, appsv1.ReplicaSetCondition{
			Type:               appsv1.ReplicaSetReplicaFailure,
			Status:             corev1.ConditionTrue,
			LastTransitionTime: metav1.NewTime(now),
			Reason:             reason,
			Message:            manageErr.Error(),
		})
	case manageErr == nil && failure != nil:
		var kept []appsv1.ReplicaSetCondition
		for _, cond := range status.Conditions {
			if cond.Type != appsv1.ReplicaSetReplicaFailure {
				kept = append(kept, cond)
			}
		}
		status.Conditions = kept
	}
	status.Replicas = int32(len(active))
	status.FullyLabeledReplicas = fully
	status.ReadyReplicas = ready
	status.AvailableReplicas = available
	status.TerminatingReplicas = nil
	if c.kind.TerminatingReplicas() {
		status.TerminatingReplicas = ptr.To(int32(len(terminating)))
	}
	return status
}

func condition(s appsv1.ReplicaSetStatus, t appsv1.ReplicaSetConditionType) *appsv1.ReplicaSetCondition {
	for i := range s.Conditions {
		if s.Conditions[i].Type == t {
			return &s.Conditions[i]
		}
	}
	return nil
}

// updateStatus writes status unless rs already has it for its generation.
// A conflict is retried once on a fresh read, as upstream: the next sync
// recomputes anyway.
func (c *Controller) updateStatus(ctx context.Context, rs *appsv1.ReplicaSet, status appsv1.ReplicaSetStatus) (*appsv1.ReplicaSet, error) {
	cur := rs.Status
	if cur.Replicas == status.Replicas &&
		cur.FullyLabeledReplicas == status.FullyLabeledReplicas &&
		cur.ReadyReplicas == status.ReadyReplicas &&
		cur.AvailableReplicas == status.AvailableReplicas &&
		ptr.Equal(cur.TerminatingReplicas, status.TerminatingReplicas) &&
		rs.Generation == cur.ObservedGeneration &&
		reflect.DeepEqual(cur.Conditions, status.Conditions) {
		return rs, nil
	}
	status.ObservedGeneration = rs.Generation
	obj := rs.DeepCopy()
	for attempt := 0; ; attempt++ {
		obj.Status = status
		updated, err := c.kind.UpdateStatus(ctx, obj)
		if err == nil {
			klog.FromContext(ctx).V(4).Info("Updated status", "owner", klog.KObj(rs), "replicas", status.Replicas,
				"readyReplicas", status.ReadyReplicas, "availableReplicas", status.AvailableReplicas, "observedGeneration", status.ObservedGeneration)
			return updated, nil
		}
		if attempt >= 1 {
			return nil, err
		}
		if obj, err = c.kind.GetLive(ctx, rs.Namespace, rs.Name); err != nil {
			return nil, err
		}
	}
}
