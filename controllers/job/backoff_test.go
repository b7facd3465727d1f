package job

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestBackoffRecordNext(t *testing.T) {
	at := func(ago time.Duration) *time.Time { return ptr.To(now.Add(-ago)) }
	failed := func(ago time.Duration) *corev1.Pod { return newPod("f", corev1.PodFailed, exited(1, ago)) }
	succeeded := func(ago time.Duration) *corev1.Pod { return newPod("s", corev1.PodSucceeded, exited(0, ago)) }
	tests := []struct {
		name      string
		prev      backoffRecord
		succeeded []*corev1.Pod
		failed    []*corev1.Pod
		want      backoffRecord
	}{
		{name: "nothing new", prev: backoffRecord{failuresAfterLastSuccess: 2, lastFailureTime: at(time.Minute)}, want: backoffRecord{failuresAfterLastSuccess: 2, lastFailureTime: at(time.Minute)}},
		{
			name:   "failures add up; the latest is the last",
			prev:   backoffRecord{failuresAfterLastSuccess: 1, lastFailureTime: at(time.Hour)},
			failed: []*corev1.Pod{failed(time.Minute), failed(3 * time.Minute)},
			want:   backoffRecord{failuresAfterLastSuccess: 3, lastFailureTime: at(time.Minute)},
		},
		{
			name:      "a success resets",
			prev:      backoffRecord{failuresAfterLastSuccess: 4, lastFailureTime: at(time.Hour)},
			succeeded: []*corev1.Pod{succeeded(time.Minute)},
			want:      backoffRecord{},
		},
		{
			name:      "only failures after the latest success count",
			prev:      backoffRecord{failuresAfterLastSuccess: 4, lastFailureTime: at(time.Hour)},
			succeeded: []*corev1.Pod{succeeded(2 * time.Minute)},
			failed:    []*corev1.Pod{failed(3 * time.Minute), failed(time.Minute), failed(90 * time.Second)},
			want:      backoffRecord{failuresAfterLastSuccess: 2, lastFailureTime: at(time.Minute)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.prev.next(tt.succeeded, tt.failed)
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(backoffRecord{})); diff != "" {
				t.Errorf("next() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBackoffRemaining(t *testing.T) {
	tests := []struct {
		failures int32
		ago      time.Duration
		want     time.Duration
	}{
		{failures: 0, want: 0},
		{failures: 1, ago: 4 * time.Second, want: 6 * time.Second},
		{failures: 2, want: 20 * time.Second},
		{failures: 3, ago: 50 * time.Second, want: 0},
		{failures: 7, want: 10 * time.Minute},
		{failures: 1000, ago: time.Minute, want: 9 * time.Minute},
	}
	for _, tt := range tests {
		if got := backoffRemaining(now, tt.failures, now.Add(-tt.ago)); got != tt.want {
			t.Errorf("backoffRemaining(%d failures, last %v ago) = %v, want %v", tt.failures, tt.ago, got, tt.want)
		}
	}
}

func TestFinishTime(t *testing.T) {
	tests := []struct {
		name string
		pod  *corev1.Pod
		want time.Time
	}{
		{name: "latest container termination", pod: newPod("a", corev1.PodFailed, func(p *corev1.Pod) {
			p.Status.ContainerStatuses = []corev1.ContainerStatus{
				{Name: "a", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{FinishedAt: metav1.NewTime(now.Add(-2 * time.Minute))}}},
				{Name: "b", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{FinishedAt: metav1.NewTime(now.Add(-time.Minute))}}},
			}
		}), want: now.Add(-time.Minute)},
		{name: "not ready since", pod: newPod("a", corev1.PodFailed, func(p *corev1.Pod) {
			p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "a"}}
			p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse, LastTransitionTime: metav1.NewTime(now.Add(-3 * time.Minute))}}
		}), want: now.Add(-3 * time.Minute)},
		{name: "deletion start less the grace period", pod: newPod("a", corev1.PodRunning, func(p *corev1.Pod) {
			p.DeletionTimestamp = ptr.To(metav1.NewTime(now))
			p.DeletionGracePeriodSeconds = ptr.To[int64](30)
		}), want: now.Add(-30 * time.Second)},
		{name: "creation", pod: newPod("a", corev1.PodFailed), want: now.Add(-time.Hour)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := finishTime(tt.pod); !got.Equal(tt.want) {
				t.Errorf("finishTime() = %v, want %v", got, tt.want)
			}
		})
	}
}
