package deployment

import (
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

func at(d time.Duration) metav1.Time { return metav1.NewTime(now.Add(d)) }

func progressing(status corev1.ConditionStatus, reason string, transition, update time.Duration) appsv1.DeploymentCondition {
	return appsv1.DeploymentCondition{Type: appsv1.DeploymentProgressing, Status: status, Reason: reason,
		LastTransitionTime: at(transition), LastUpdateTime: at(update)}
}

// TestProgress covers the Progressing and ReplicaFailure conditions of a
// rollout of 3 (no unavailability allowed) whose new ReplicaSet had one pod
// available at the last status, and how long until the deadline check.
func TestProgress(t *testing.T) {
	const rsName = "new"
	unavailable := appsv1.DeploymentCondition{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionFalse, Reason: MinimumReplicasUnavailable,
		Message: "Deployment does not have minimum availability.", LastTransitionTime: at(-time.Hour), LastUpdateTime: at(-time.Hour)}
	failure := appsv1.ReplicaSetCondition{Type: appsv1.ReplicaSetReplicaFailure, Status: corev1.ConditionTrue, Reason: "FailedCreate",
		Message: "pods \"new-x\" is forbidden: exceeded quota", LastTransitionTime: at(-time.Minute)}
	tests := []struct {
		name string
		// deadline is progressDeadlineSeconds.
		deadline  int32
		cond      appsv1.DeploymentCondition
		available int32
		rsFailure bool
		dFailure  bool

		wantCond    *appsv1.DeploymentCondition
		wantFailure bool
		wantAfter   time.Duration
	}{{
		name: "progress: lastUpdateTime moves, lastTransitionTime stays", deadline: 600,
		cond: progressing(corev1.ConditionTrue, ReplicaSetUpdatedReason, -10*time.Minute, -5*time.Minute), available: 2,
		wantCond: &appsv1.DeploymentCondition{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, Reason: ReplicaSetUpdatedReason,
			Message: `ReplicaSet "new" is progressing.`, LastTransitionTime: at(-10 * time.Minute), LastUpdateTime: at(0)},
	}, {
		name: "complete", deadline: 600,
		cond: progressing(corev1.ConditionTrue, ReplicaSetUpdatedReason, -10*time.Minute, -5*time.Minute), available: 3,
		wantCond: &appsv1.DeploymentCondition{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, Reason: NewRSAvailableReason,
			Message: `ReplicaSet "new" has successfully progressed.`, LastTransitionTime: at(-10 * time.Minute), LastUpdateTime: at(0)},
	}, {
		name: "no progress within the deadline: look again when it would pass", deadline: 600,
		cond: progressing(corev1.ConditionTrue, ReplicaSetUpdatedReason, -10*time.Minute, -100*time.Second), available: 1,
		wantCond:  ptr.To(progressing(corev1.ConditionTrue, ReplicaSetUpdatedReason, -10*time.Minute, -100*time.Second)),
		wantAfter: 501 * time.Second,
	}, {
		name: "no progress past the deadline", deadline: 600,
		cond: progressing(corev1.ConditionTrue, ReplicaSetUpdatedReason, -10*time.Minute, -601*time.Second), available: 1,
		wantCond: &appsv1.DeploymentCondition{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionFalse, Reason: TimedOutReason,
			Message: `ReplicaSet "new" has timed out progressing.`, LastTransitionTime: at(0), LastUpdateTime: at(0)},
	}, {
		name: "timed out stays so without progress", deadline: 600,
		cond: progressing(corev1.ConditionFalse, TimedOutReason, -time.Hour, -time.Hour), available: 1,
		wantCond: ptr.To(progressing(corev1.ConditionFalse, TimedOutReason, -time.Hour, -time.Hour)),
	}, {
		name: "progress after timing out", deadline: 600,
		cond: progressing(corev1.ConditionFalse, TimedOutReason, -time.Hour, -time.Hour), available: 2,
		wantCond: &appsv1.DeploymentCondition{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, Reason: ReplicaSetUpdatedReason,
			Message: `ReplicaSet "new" is progressing.`, LastTransitionTime: at(0), LastUpdateTime: at(0)},
	}, {
		name: "no deadline: no Progressing condition", deadline: math.MaxInt32,
		cond: progressing(corev1.ConditionTrue, ReplicaSetUpdatedReason, -10*time.Minute, -5*time.Minute), available: 2,
	}, {
		name: "replica failure copied from the replica set", deadline: 600,
		cond: progressing(corev1.ConditionTrue, ReplicaSetUpdatedReason, -10*time.Minute, -100*time.Second), available: 1, rsFailure: true,
		wantCond:    ptr.To(progressing(corev1.ConditionTrue, ReplicaSetUpdatedReason, -10*time.Minute, -100*time.Second)),
		wantFailure: true,
	}, {
		name: "replica failure cleared with the replica set's", deadline: 600,
		cond: progressing(corev1.ConditionTrue, ReplicaSetUpdatedReason, -10*time.Minute, -100*time.Second), available: 1, dFailure: true,
		wantCond: ptr.To(progressing(corev1.ConditionTrue, ReplicaSetUpdatedReason, -10*time.Minute, -100*time.Second)),
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := newDeployment(3, "v1", surge(intstr.FromInt32(1), intstr.FromInt32(0)), func(d *appsv1.Deployment) {
				d.Annotations = map[string]string{RevisionAnnotation: "1"}
				d.Spec.ProgressDeadlineSeconds = ptr.To(tc.deadline)
				d.Status = appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: 3, UpdatedReplicas: 3, ReadyReplicas: 1, AvailableReplicas: 1,
					UnavailableReplicas: 2, TerminatingReplicas: ptr.To[int32](0), Conditions: []appsv1.DeploymentCondition{unavailable, tc.cond}}
				if tc.dFailure {
					d.Status.Conditions = append(d.Status.Conditions, appsv1.DeploymentCondition{Type: appsv1.DeploymentReplicaFailure, Status: corev1.ConditionTrue})
				}
			})
			rs := rsOf(d, "v1", time.Hour, "1", 3, tc.available, func(rs *appsv1.ReplicaSet) {
				rs.Name = rsName
				if tc.rsFailure {
					rs.Status.Conditions = []appsv1.ReplicaSetCondition{failure}
				}
			})
			h := newHarness(t, d, rs)
			after := h.sync(t)
			got := h.deployment(t)
			if diff := cmp.Diff(tc.wantCond, condition(got.Status, appsv1.DeploymentProgressing)); diff != "" {
				t.Errorf("Progressing (-want +got):\n%s", diff)
			}
			var wantFailure *appsv1.DeploymentCondition
			if tc.wantFailure {
				wantFailure = &appsv1.DeploymentCondition{Type: appsv1.DeploymentReplicaFailure, Status: corev1.ConditionTrue, Reason: failure.Reason,
					Message: failure.Message, LastTransitionTime: failure.LastTransitionTime, LastUpdateTime: failure.LastTransitionTime}
			}
			if diff := cmp.Diff(wantFailure, condition(got.Status, appsv1.DeploymentReplicaFailure)); diff != "" {
				t.Errorf("ReplicaFailure (-want +got):\n%s", diff)
			}
			if after != tc.wantAfter {
				t.Errorf("requeue after %v, want %v", after, tc.wantAfter)
			}
		})
	}
}

func TestCalculateStatus(t *testing.T) {
	tests := []struct {
		name string
		d    *appsv1.Deployment
		rss  func(d *appsv1.Deployment) []*appsv1.ReplicaSet
		want appsv1.DeploymentStatus
	}{{
		name: "mid rollout",
		d:    newDeployment(4, "v2"),
		rss: func(d *appsv1.Deployment) []*appsv1.ReplicaSet {
			return []*appsv1.ReplicaSet{
				rsOf(d, "v1", time.Hour, "1", 3, 3, func(rs *appsv1.ReplicaSet) { rs.Status.TerminatingReplicas = ptr.To[int32](1) }),
				rsOf(d, "v2", time.Minute, "2", 2, 1, func(rs *appsv1.ReplicaSet) { rs.Status.ReadyReplicas = 2 }),
			}
		},
		want: appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: 5, UpdatedReplicas: 2, ReadyReplicas: 5, AvailableReplicas: 4,
			UnavailableReplicas: 1, TerminatingReplicas: ptr.To[int32](1),
			Conditions: []appsv1.DeploymentCondition{{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue, Reason: MinimumReplicasAvailable,
				Message: "Deployment has minimum availability.", LastUpdateTime: at(0), LastTransitionTime: at(0)}}},
	}, {
		name: "more available than asked for: none unavailable",
		d:    newDeployment(2, "v1"),
		rss: func(d *appsv1.Deployment) []*appsv1.ReplicaSet {
			return []*appsv1.ReplicaSet{rsOf(d, "v1", time.Hour, "1", 2, 3)}
		},
		want: appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: 2, UpdatedReplicas: 2, ReadyReplicas: 3, AvailableReplicas: 3,
			TerminatingReplicas: ptr.To[int32](0),
			Conditions: []appsv1.DeploymentCondition{{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue, Reason: MinimumReplicasAvailable,
				Message: "Deployment has minimum availability.", LastUpdateTime: at(0), LastTransitionTime: at(0)}}},
	}, {
		name: "below minimum availability; an observed replica set without terminatingReplicas leaves it unknown",
		d:    newDeployment(4, "v1"),
		rss: func(d *appsv1.Deployment) []*appsv1.ReplicaSet {
			return []*appsv1.ReplicaSet{
				rsOf(d, "v1", time.Hour, "1", 4, 2, func(rs *appsv1.ReplicaSet) { rs.Status.TerminatingReplicas = nil }),
			}
		},
		want: appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: 4, UpdatedReplicas: 4, ReadyReplicas: 2, AvailableReplicas: 2,
			UnavailableReplicas: 2,
			Conditions: []appsv1.DeploymentCondition{{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionFalse, Reason: MinimumReplicasUnavailable,
				Message: "Deployment does not have minimum availability.", LastUpdateTime: at(0), LastTransitionTime: at(0)}}},
	}, {
		name: "a replica set never synced counts no terminating pods",
		d:    newDeployment(1, "v1"),
		rss: func(d *appsv1.Deployment) []*appsv1.ReplicaSet {
			return []*appsv1.ReplicaSet{rsOf(d, "v1", time.Hour, "1", 1, 0, func(rs *appsv1.ReplicaSet) { rs.Status = appsv1.ReplicaSetStatus{} })}
		},
		want: appsv1.DeploymentStatus{ObservedGeneration: 1, UnavailableReplicas: 1, TerminatingReplicas: ptr.To[int32](0),
			Conditions: []appsv1.DeploymentCondition{{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionFalse, Reason: MinimumReplicasUnavailable,
				Message: "Deployment does not have minimum availability.", LastUpdateTime: at(0), LastTransitionTime: at(0)}}},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			rss := tc.rss(tc.d)
			got := h.c.calculateStatus(rss, rss[len(rss)-1], tc.d)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
		})
	}
}
