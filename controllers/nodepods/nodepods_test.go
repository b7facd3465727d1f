package nodepods

import (
	"context"
	"encoding/json"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
)

var (
	then = metav1.NewTime(time.Date(2026, 1, 1, 11, 0, 0, 0, time.UTC))
	now  = metav1.NewTime(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC))
)

func TestMark(t *testing.T) {
	target := corev1.PodCondition{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue, Reason: "R", Message: "M", LastTransitionTime: now}
	tests := []struct {
		name  string
		phase corev1.PodPhase
		have  []corev1.PodCondition
		cond  *corev1.PodCondition
		fail  bool
		// want is the status patch, nil for none.
		want *corev1.PodStatus
	}{{
		name:  "a new condition",
		phase: corev1.PodRunning,
		cond:  &target,
		want: &corev1.PodStatus{Conditions: []corev1.PodCondition{
			{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue, Reason: "R", Message: "M", LastTransitionTime: now, ObservedGeneration: 3}}},
	}, {
		name:  "a condition the pod has is not written again",
		phase: corev1.PodRunning,
		have:  []corev1.PodCondition{{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue, Reason: "R", Message: "M", LastTransitionTime: then}},
		cond:  &target,
	}, {
		name:  "a new reason with the same status keeps the transition time",
		phase: corev1.PodRunning,
		have:  []corev1.PodCondition{{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue, Reason: "Old", LastTransitionTime: then}},
		cond:  &target,
		want: &corev1.PodStatus{Conditions: []corev1.PodCondition{
			{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue, Reason: "R", Message: "M", LastTransitionTime: then, ObservedGeneration: 3}}},
	}, {
		name:  "failed, with the condition",
		phase: corev1.PodPending,
		cond:  &target,
		fail:  true,
		want: &corev1.PodStatus{Phase: corev1.PodFailed, ObservedGeneration: 3, Conditions: []corev1.PodCondition{
			{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue, Reason: "R", Message: "M", LastTransitionTime: now, ObservedGeneration: 3}}},
	}, {
		name:  "a finished pod keeps its phase",
		phase: corev1.PodSucceeded,
		fail:  true,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pod := &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns", UID: "uid", Generation: 3},
				Status:     corev1.PodStatus{Phase: tc.phase, Conditions: tc.have},
			}
			client := fake.NewClientset(pod)
			if err := Mark(context.Background(), client, pod, tc.cond, tc.fail); err != nil {
				t.Fatalf("Mark: %v", err)
			}
			var got *corev1.PodStatus
			for _, a := range client.Actions() {
				if p, ok := a.(clienttesting.PatchAction); ok {
					if p.GetSubresource() != "status" {
						t.Errorf("patched subresource %q", p.GetSubresource())
					}
					var patched corev1.Pod
					if err := json.Unmarshal(p.GetPatch(), &patched); err != nil {
						t.Fatal(err)
					}
					if patched.UID != "uid" {
						t.Errorf("patch uid %q, want the pod's", patched.UID)
					}
					got = &patched.Status
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("status patch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOnNode(t *testing.T) {
	client := fake.NewClientset()
	pods := informers.NewSharedInformerFactory(client, 0).Core().V1().Pods()
	indexer := Index(pods)
	if again := Index(pods); again != indexer {
		t.Error("a second Index returned another indexer")
	}
	for name, node := range map[string]string{"a": "n1", "b": "n1", "c": "n2", "unbound": ""} {
		if err := indexer.Add(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"}, Spec: corev1.PodSpec{NodeName: node}}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := OnNode(indexer, "n1")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range got {
		names = append(names, p.Name)
	}
	sort.Strings(names)
	if diff := cmp.Diff([]string{"a", "b"}, names); diff != "" {
		t.Errorf("pods on n1 (-want +got):\n%s", diff)
	}
}
