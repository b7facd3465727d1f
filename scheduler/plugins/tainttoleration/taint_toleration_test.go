package tainttoleration

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/scheduler/framework"
)

func taint(key, value string, effect corev1.TaintEffect) corev1.Taint {
	return corev1.Taint{Key: key, Value: value, Effect: effect}
}

func TestFilter(t *testing.T) {
	untolerated := framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonUntolerated)
	tests := []struct {
		name        string
		taints      []corev1.Taint
		tolerations []corev1.Toleration
		want        *framework.Status
	}{
		{name: "no taints"},
		{name: "NoSchedule taint, no toleration", taints: []corev1.Taint{taint("dedicated", "gpu", corev1.TaintEffectNoSchedule)}, want: untolerated},
		{name: "NoExecute taint, no toleration", taints: []corev1.Taint{taint("dedicated", "gpu", corev1.TaintEffectNoExecute)}, want: untolerated},
		{name: "PreferNoSchedule taint is not filtered", taints: []corev1.Taint{taint("dedicated", "gpu", corev1.TaintEffectPreferNoSchedule)}},
		{
			name:        "Equal toleration with the value",
			taints:      []corev1.Taint{taint("dedicated", "gpu", corev1.TaintEffectNoSchedule)},
			tolerations: []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "gpu", Effect: corev1.TaintEffectNoSchedule}},
		},
		{
			name:        "empty operator means Equal",
			taints:      []corev1.Taint{taint("dedicated", "gpu", corev1.TaintEffectNoSchedule)},
			tolerations: []corev1.Toleration{{Key: "dedicated", Value: "gpu"}},
		},
		{
			name:        "Equal toleration with another value",
			taints:      []corev1.Taint{taint("dedicated", "gpu", corev1.TaintEffectNoSchedule)},
			tolerations: []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "cpu"}},
			want:        untolerated,
		},
		{
			name:        "Exists toleration of the key",
			taints:      []corev1.Taint{taint("dedicated", "gpu", corev1.TaintEffectNoExecute)},
			tolerations: []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpExists}},
		},
		{
			name:        "toleration of another effect",
			taints:      []corev1.Taint{taint("dedicated", "gpu", corev1.TaintEffectNoExecute)},
			tolerations: []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}},
			want:        untolerated,
		},
		{
			name:        "one of two taints tolerated",
			taints:      []corev1.Taint{taint("a", "", corev1.TaintEffectNoSchedule), taint("b", "", corev1.TaintEffectNoSchedule)},
			tolerations: []corev1.Toleration{{Key: "a", Operator: corev1.TolerationOpExists}},
			want:        untolerated,
		},
		{
			name:        "Gt is alpha and off: tolerates nothing",
			taints:      []corev1.Taint{taint("level", "5", corev1.TaintEffectNoSchedule)},
			tolerations: []corev1.Toleration{{Key: "level", Operator: corev1.TolerationOpGt, Value: "1"}},
			want:        untolerated,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			node := &corev1.Node{Spec: corev1.NodeSpec{Taints: tt.taints}}
			pod := &corev1.Pod{Spec: corev1.PodSpec{Tolerations: tt.tolerations}}
			got := (&TaintToleration{}).Filter(context.Background(), framework.NewCycleState(), pod, framework.NewNodeInfo(node))
			if diff := cmp.Diff(tt.want.String(), got.String()); diff != "" {
				t.Errorf("Filter (-want +got):\n%s", diff)
			}
		})
	}
}

func TestScore(t *testing.T) {
	prefer := func(key string) corev1.Taint { return taint(key, "", corev1.TaintEffectPreferNoSchedule) }
	tests := []struct {
		name        string
		tolerations []corev1.Toleration
		nodes       map[string][]corev1.Taint
		want        []framework.NodeScore
	}{
		{
			name:  "no taints anywhere: all best",
			nodes: map[string][]corev1.Taint{"a": nil, "b": nil},
			want:  []framework.NodeScore{{Name: "a", Score: 100}, {Name: "b", Score: 100}},
		},
		{
			name:  "fewer intolerable PreferNoSchedule taints score higher",
			nodes: map[string][]corev1.Taint{"a": nil, "b": {prefer("x")}, "c": {prefer("x"), prefer("y")}},
			want:  []framework.NodeScore{{Name: "a", Score: 100}, {Name: "b", Score: 50}, {Name: "c", Score: 0}},
		},
		{
			name:        "tolerated taints do not count, NoSchedule tolerations do not tolerate PreferNoSchedule",
			tolerations: []corev1.Toleration{{Key: "x", Operator: corev1.TolerationOpExists}, {Key: "y", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}},
			nodes:       map[string][]corev1.Taint{"a": {prefer("x")}, "b": {prefer("y")}},
			want:        []framework.NodeScore{{Name: "a", Score: 100}, {Name: "b", Score: 0}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			pl := &TaintToleration{}
			pod := &corev1.Pod{Spec: corev1.PodSpec{Tolerations: tt.tolerations}}
			state := framework.NewCycleState()
			if s := pl.PreScore(ctx, state, pod, nil); !s.IsSuccess() {
				t.Fatal(s)
			}
			var got []framework.NodeScore
			for _, name := range []string{"a", "b", "c"} {
				taints, ok := tt.nodes[name]
				if !ok {
					continue
				}
				ni := framework.NewNodeInfo(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.NodeSpec{Taints: taints}})
				v, s := pl.Score(ctx, state, pod, ni)
				if !s.IsSuccess() {
					t.Fatal(s)
				}
				got = append(got, framework.NodeScore{Name: name, Score: v})
			}
			pl.NormalizeScore(ctx, state, pod, got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("scores (-want +got):\n%s", diff)
			}
		})
	}
}

func TestQueueingHint(t *testing.T) {
	tainted := &corev1.Node{Spec: corev1.NodeSpec{Taints: []corev1.Taint{taint("a", "", corev1.TaintEffectNoSchedule)}}}
	clean := &corev1.Node{}
	tests := []struct {
		name     string
		old, new *corev1.Node
		want     framework.QueueingHint
	}{
		{name: "untainted node added", new: clean, want: framework.Queue},
		{name: "tainted node added", new: tainted, want: framework.QueueSkip},
		{name: "taint removed", old: tainted, new: clean, want: framework.Queue},
		{name: "taint added", old: clean, new: tainted, want: framework.QueueSkip},
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
