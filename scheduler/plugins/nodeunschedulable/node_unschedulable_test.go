package nodeunschedulable

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/scheduler/framework"
)

func TestFilter(t *testing.T) {
	tests := []struct {
		name          string
		unschedulable bool
		tolerations   []corev1.Toleration
		want          *framework.Status
	}{
		{name: "schedulable node"},
		{name: "cordoned node", unschedulable: true, want: framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonUnschedulable)},
		{
			name: "cordoned node, pod tolerates it", unschedulable: true,
			tolerations: []corev1.Toleration{{Key: corev1.TaintNodeUnschedulable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}},
		},
		{
			name: "cordoned node, pod tolerates everything", unschedulable: true,
			tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
		},
		{
			name: "cordoned node, pod tolerates only NoExecute", unschedulable: true,
			tolerations: []corev1.Toleration{{Key: corev1.TaintNodeUnschedulable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute}},
			want:        framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonUnschedulable),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			node := &corev1.Node{Spec: corev1.NodeSpec{Unschedulable: tt.unschedulable}}
			pod := &corev1.Pod{Spec: corev1.PodSpec{Tolerations: tt.tolerations}}
			got := (&NodeUnschedulable{}).Filter(context.Background(), framework.NewCycleState(), pod, framework.NewNodeInfo(node))
			if diff := cmp.Diff(tt.want.String(), got.String()); diff != "" {
				t.Errorf("Filter (-want +got):\n%s", diff)
			}
		})
	}
}

func TestQueueingHint(t *testing.T) {
	cordoned := &corev1.Node{Spec: corev1.NodeSpec{Unschedulable: true}}
	open := &corev1.Node{}
	tests := []struct {
		name     string
		old, new *corev1.Node
		want     framework.QueueingHint
	}{
		{name: "schedulable node added", new: open, want: framework.Queue},
		{name: "cordoned node added", new: cordoned, want: framework.QueueSkip},
		{name: "node uncordoned", old: cordoned, new: open, want: framework.Queue},
		{name: "node cordoned", old: open, new: cordoned, want: framework.QueueSkip},
		{name: "open node changed", old: open, new: open, want: framework.QueueSkip},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var old any
			if tt.old != nil {
				old = tt.old
			}
			got, err := isSchedulableAfterNodeChange(klog.Background(), &corev1.Pod{}, old, tt.new)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("hint (-want +got):\n%s", diff)
			}
		})
	}
}
