package daemonset

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
)

func TestCalculateStatus(t *testing.T) {
	ds := newDS(nodeSelector("role", "worker"), func(ds *appsv1.DaemonSet) { ds.Spec.MinReadySeconds = 30 })
	worker := labelled("role", "worker")
	nodes := []*corev1.Node{
		node("ready-updated", worker),
		node("ready-old", worker),
		node("fresh", worker),
		node("unready", worker),
		node("empty", worker),
		node("other-role-with-pod"),
		node("other-role"),
		node("no-schedule-with-pod", worker, tainted("dedicated", corev1.TaintEffectNoSchedule)),
	}
	byNode := map[string][]*corev1.Pod{
		"ready-updated": {daemonPod("a", "ready-updated", ds, "cur")},
		"ready-old":     {daemonPod("b", "ready-old", ds, "old")},
		"fresh":         {daemonPod("c", "fresh", ds, "cur", readySince(10*time.Second))},
		// The oldest of a node's pods is the one that counts.
		"unready": {
			daemonPod("d2", "unready", ds, "cur"),
			daemonPod("d1", "unready", ds, "old", notReady, func(p *corev1.Pod) { p.CreationTimestamp = metav1.NewTime(now.Add(-3 * time.Hour)) }),
		},
		"other-role-with-pod":  {daemonPod("e", "other-role-with-pod", ds, "cur")},
		"no-schedule-with-pod": {daemonPod("f", "no-schedule-with-pod", ds, "cur")},
		// A node that no longer exists counts nowhere.
		"gone": {daemonPod("g", "gone", ds, "cur")},
	}
	got := calculateStatus(klog.Background(), ds, nodes, byNode, "cur", now)
	want := appsv1.DaemonSetStatus{
		DesiredNumberScheduled: 5,
		CurrentNumberScheduled: 4,
		NumberMisscheduled:     2,
		NumberReady:            3,
		NumberAvailable:        2,
		NumberUnavailable:      3,
		UpdatedNumberScheduled: 2,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
	// The fresh pod is ready for 10s of the 30 it needs.
	if diff := cmp.Diff(21*time.Second, nextAvailable(byNode, ds.Spec.MinReadySeconds, now)); diff != "" {
		t.Errorf("next availability check (-want +got):\n%s", diff)
	}
}

func TestIsPodUpdated(t *testing.T) {
	gen := int64(3)
	tests := []struct {
		name       string
		labels     map[string]string
		generation *int64
		want       bool
	}{
		{"hash matches", map[string]string{appsv1.DefaultDaemonSetUniqueLabelKey: "h"}, nil, true},
		{"hash differs", map[string]string{appsv1.DefaultDaemonSetUniqueLabelKey: "x"}, nil, false},
		{"no hash", nil, nil, false},
		{"template generation matches", map[string]string{templateGenerationLabel: "3", appsv1.DefaultDaemonSetUniqueLabelKey: "x"}, &gen, true},
		{"template generation differs", map[string]string{templateGenerationLabel: "2", appsv1.DefaultDaemonSetUniqueLabelKey: "x"}, &gen, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := isPodUpdated(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Labels: tc.labels}}, "h", tc.generation); got != tc.want {
				t.Errorf("isPodUpdated = %v, want %v", got, tc.want)
			}
		})
	}
}
