package nodeaffinity

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/scheduler/framework"
)

func expr(key string, op corev1.NodeSelectorOperator, values ...string) corev1.NodeSelectorRequirement {
	return corev1.NodeSelectorRequirement{Key: key, Operator: op, Values: values}
}

func required(terms ...corev1.NodeSelectorTerm) *corev1.Affinity {
	return &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
		RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: terms},
	}}
}

func TestFilter(t *testing.T) {
	labels := map[string]string{"zone": "a", "disk": "ssd", "cores": "8"}
	mismatch := framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonPod)
	tests := []struct {
		name         string
		nodeSelector map[string]string
		affinity     *corev1.Affinity
		want         *framework.Status
	}{
		{name: "nothing required"},
		{name: "nodeSelector matches", nodeSelector: map[string]string{"zone": "a"}},
		{name: "nodeSelector mismatches", nodeSelector: map[string]string{"zone": "b"}, want: mismatch},
		{name: "nodeSelector needs every label", nodeSelector: map[string]string{"zone": "a", "gpu": "yes"}, want: mismatch},
		{name: "In", affinity: required(corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{expr("zone", corev1.NodeSelectorOpIn, "a", "b")}})},
		{name: "NotIn", affinity: required(corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{expr("zone", corev1.NodeSelectorOpNotIn, "a")}}), want: mismatch},
		{name: "Exists", affinity: required(corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{expr("disk", corev1.NodeSelectorOpExists)}})},
		{name: "DoesNotExist", affinity: required(corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{expr("disk", corev1.NodeSelectorOpDoesNotExist)}}), want: mismatch},
		{name: "Gt", affinity: required(corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{expr("cores", corev1.NodeSelectorOpGt, "4")}})},
		{name: "Lt", affinity: required(corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{expr("cores", corev1.NodeSelectorOpLt, "4")}}), want: mismatch},
		{name: "Gt with a non-number matches nothing", affinity: required(corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{expr("cores", corev1.NodeSelectorOpGt, "x")}}), want: mismatch},
		{
			name: "expressions of a term are ANDed",
			affinity: required(corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{
				expr("zone", corev1.NodeSelectorOpIn, "a"), expr("disk", corev1.NodeSelectorOpIn, "hdd"),
			}}),
			want: mismatch,
		},
		{
			name: "terms are ORed",
			affinity: required(
				corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{expr("zone", corev1.NodeSelectorOpIn, "b")}},
				corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{expr("disk", corev1.NodeSelectorOpIn, "ssd")}},
			),
		},
		{name: "only empty terms match nothing", affinity: required(corev1.NodeSelectorTerm{}), want: mismatch},
		{name: "no terms match nothing", affinity: required(), want: mismatch},
		{
			name:         "nodeSelector and affinity must both match",
			nodeSelector: map[string]string{"zone": "b"},
			affinity:     required(corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{expr("disk", corev1.NodeSelectorOpIn, "ssd")}}),
			want:         mismatch,
		},
		{name: "matchFields metadata.name In", affinity: required(corev1.NodeSelectorTerm{MatchFields: []corev1.NodeSelectorRequirement{expr("metadata.name", corev1.NodeSelectorOpIn, "n1")}})},
		{name: "matchFields metadata.name NotIn", affinity: required(corev1.NodeSelectorTerm{MatchFields: []corev1.NodeSelectorRequirement{expr("metadata.name", corev1.NodeSelectorOpNotIn, "n1")}}), want: mismatch},
	}
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1", Labels: labels}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			pod := &corev1.Pod{Spec: corev1.PodSpec{NodeSelector: tt.nodeSelector, Affinity: tt.affinity}}
			pl := &NodeAffinity{}
			state := framework.NewCycleState()
			_, s := pl.PreFilter(ctx, state, pod, nil)
			var got *framework.Status
			switch {
			case s.IsSkip():
			case !s.IsSuccess():
				got = s
			default:
				got = pl.Filter(ctx, state, pod, framework.NewNodeInfo(node))
			}
			if diff := cmp.Diff(tt.want.String(), got.String()); diff != "" {
				t.Errorf("Filter (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPreFilterNodeNames(t *testing.T) {
	names := func(values ...string) corev1.NodeSelectorTerm {
		return corev1.NodeSelectorTerm{MatchFields: []corev1.NodeSelectorRequirement{expr("metadata.name", corev1.NodeSelectorOpIn, values...)}}
	}
	tests := []struct {
		name     string
		affinity *corev1.Affinity
		want     sets.Set[string]
		status   *framework.Status
	}{
		{name: "label terms restrict nothing", affinity: required(corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{expr("zone", corev1.NodeSelectorOpIn, "a")}})},
		{name: "one named node", affinity: required(names("n1")), want: sets.New("n1")},
		{name: "terms union", affinity: required(names("n1"), names("n2")), want: sets.New("n1", "n2")},
		{
			name:     "a term without names leaves all nodes",
			affinity: required(names("n1"), corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{expr("zone", corev1.NodeSelectorOpIn, "a")}}),
		},
		{
			name: "requirements of a term intersect",
			affinity: required(corev1.NodeSelectorTerm{MatchFields: []corev1.NodeSelectorRequirement{
				expr("metadata.name", corev1.NodeSelectorOpIn, "n1"), expr("metadata.name", corev1.NodeSelectorOpIn, "n2"),
			}}),
			status: framework.NewStatus(framework.UnschedulableAndUnresolvable, "pod affinity terms conflict"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := &corev1.Pod{Spec: corev1.PodSpec{Affinity: tt.affinity}}
			res, s := (&NodeAffinity{}).PreFilter(context.Background(), framework.NewCycleState(), pod, nil)
			if diff := cmp.Diff(tt.status.String(), s.String()); diff != "" {
				t.Fatalf("status (-want +got):\n%s", diff)
			}
			var got sets.Set[string]
			if res != nil {
				got = res.NodeNames
			}
			if diff := cmp.Diff(sets.List(tt.want), sets.List(got)); diff != "" {
				t.Errorf("node names (-want +got):\n%s", diff)
			}
		})
	}
}

func TestScore(t *testing.T) {
	preferred := &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []corev1.PreferredSchedulingTerm{
		{Weight: 2, Preference: corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{expr("zone", corev1.NodeSelectorOpIn, "a")}}},
		{Weight: 8, Preference: corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{expr("disk", corev1.NodeSelectorOpIn, "ssd")}}},
		{Weight: 0, Preference: corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{expr("zone", corev1.NodeSelectorOpExists)}}},
	}}}
	nodes := []*corev1.Node{
		{ObjectMeta: metav1.ObjectMeta{Name: "both", Labels: map[string]string{"zone": "a", "disk": "ssd"}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "ssd", Labels: map[string]string{"disk": "ssd"}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "zone", Labels: map[string]string{"zone": "a"}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "none"}},
	}
	ctx := context.Background()
	pl := &NodeAffinity{}
	pod := &corev1.Pod{Spec: corev1.PodSpec{Affinity: preferred}}
	state := framework.NewCycleState()
	if s := pl.PreScore(ctx, state, pod, nil); !s.IsSuccess() {
		t.Fatal(s)
	}
	var got []framework.NodeScore
	for _, n := range nodes {
		v, s := pl.Score(ctx, state, pod, framework.NewNodeInfo(n))
		if !s.IsSuccess() {
			t.Fatal(s)
		}
		got = append(got, framework.NodeScore{Name: n.Name, Score: v})
	}
	pl.NormalizeScore(ctx, state, pod, got)
	want := []framework.NodeScore{{Name: "both", Score: 100}, {Name: "ssd", Score: 80}, {Name: "zone", Score: 20}, {Name: "none", Score: 0}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("scores (-want +got):\n%s", diff)
	}
	if s := pl.PreScore(ctx, framework.NewCycleState(), &corev1.Pod{}, nil); !s.IsSkip() {
		t.Errorf("PreScore without preferences = %v, want Skip", s)
	}
}

func TestQueueingHint(t *testing.T) {
	pod := &corev1.Pod{Spec: corev1.PodSpec{NodeSelector: map[string]string{"zone": "a"}}}
	match := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"zone": "a"}}}
	other := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"zone": "b"}}}
	tests := []struct {
		name     string
		old, new *corev1.Node
		want     framework.QueueingHint
	}{
		{name: "matching node added", new: match, want: framework.Queue},
		{name: "other node added", new: other, want: framework.QueueSkip},
		{name: "node relabelled to match", old: other, new: match, want: framework.Queue},
		{name: "matching node changed", old: match, new: match, want: framework.QueueSkip},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var old any
			if tt.old != nil {
				old = tt.old
			}
			got, err := isSchedulableAfterNodeChange(klog.Background(), pod, old, tt.new)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("hint (-want +got):\n%s", diff)
			}
		})
	}
}
