package framework_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8stypes "k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/kubeshim/kubeshim/scheduler/framework"
	"github.com/kubeshim/kubeshim/scheduler/plugins"
)

func newFramework(t testing.TB, registry framework.Registry, refs []framework.PluginRef) *framework.Framework {
	t.Helper()
	if registry == nil {
		registry = plugins.NewRegistry()
	}
	if refs == nil {
		refs = plugins.DefaultPlugins()
	}
	f, err := framework.New(context.Background(), registry, framework.Profile{SchedulerName: "default-scheduler", Plugins: refs}, nil)
	if err != nil {
		t.Fatalf("new framework: %v", err)
	}
	return f
}

type nodeOpt func(*corev1.Node)

func makeNode(name, cpu string, opts ...nodeOpt) *corev1.Node {
	n := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{corev1.LabelHostname: name}},
		Status: corev1.NodeStatus{Allocatable: corev1.ResourceList{
			corev1.ResourceCPU:    resource.MustParse(cpu),
			corev1.ResourceMemory: resource.MustParse("8Gi"),
			corev1.ResourcePods:   resource.MustParse("110"),
		}},
	}
	for _, o := range opts {
		o(n)
	}
	return n
}

func tainted(key, value string) nodeOpt {
	return func(n *corev1.Node) {
		n.Spec.Taints = append(n.Spec.Taints, corev1.Taint{Key: key, Value: value, Effect: corev1.TaintEffectNoSchedule})
	}
}

func makePod(name, cpu string) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, UID: k8stypes.UID("uid-" + name)},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c"}}},
	}
	if cpu != "" {
		p.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu)}
	}
	return p
}

func TestScheduleFitError(t *testing.T) {
	affinityTo := func(names ...string) *corev1.Affinity {
		return &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
			NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchFields: []corev1.NodeSelectorRequirement{{Key: "metadata.name", Operator: corev1.NodeSelectorOpIn, Values: names}}}},
		}}}
	}
	tests := []struct {
		name        string
		nodes       []*corev1.Node
		existing    []*corev1.Pod
		pod         *corev1.Pod
		wantMsg     string
		wantPlugins []string
	}{
		{
			name:        "upstream's example: cpu and taints",
			nodes:       []*corev1.Node{makeNode("a", "1"), makeNode("b", "4", tainted("k", "v")), makeNode("c", "4", tainted("k", "w"))},
			pod:         makePod("p", "2"),
			wantMsg:     "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint(s). preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
			wantPlugins: []string{"NodeResourcesFit", "TaintToleration"},
		},
		{
			name:  "several reasons of one node count once each",
			nodes: []*corev1.Node{makeNode("a", "1"), makeNode("b", "1", func(n *corev1.Node) { n.Spec.Unschedulable = true })},
			pod: func() *corev1.Pod {
				p := makePod("p", "2")
				p.Spec.Containers[0].Resources.Requests[corev1.ResourceMemory] = resource.MustParse("9Gi")
				return p
			}(),
			wantMsg:     "0/2 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, 1 node(s) were unschedulable. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.",
			wantPlugins: []string{"NodeResourcesFit", "NodeUnschedulable"},
		},
		{
			name:  "node selector",
			nodes: []*corev1.Node{makeNode("a", "1"), makeNode("b", "1")},
			pod: func() *corev1.Pod {
				p := makePod("p", "")
				p.Spec.NodeSelector = map[string]string{"disk": "ssd"}
				return p
			}(),
			wantMsg:     "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.",
			wantPlugins: []string{"NodeAffinity"},
		},
		{
			name:  "PreFilter narrows to nodes that do not exist",
			nodes: []*corev1.Node{makeNode("a", "1"), makeNode("b", "1")},
			pod: func() *corev1.Pod {
				p := makePod("p", "")
				p.Spec.Affinity = affinityTo("x")
				return p
			}(),
			wantMsg:     "0/2 nodes are available: 2 node(s) didn't satisfy plugin(s) [NodeAffinity]. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.",
			wantPlugins: []string{"NodeAffinity"},
		},
		{
			name:  "PreFilter narrows to one node that does not fit",
			nodes: []*corev1.Node{makeNode("a", "1"), makeNode("b", "1")},
			pod: func() *corev1.Pod {
				p := makePod("p", "2")
				p.Spec.Affinity = affinityTo("a")
				return p
			}(),
			wantMsg:     "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) didn't satisfy plugin(s) [NodeAffinity]. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.",
			wantPlugins: []string{"NodeAffinity", "NodeResourcesFit"},
		},
		{
			name:  "host port taken",
			nodes: []*corev1.Node{makeNode("a", "1")},
			existing: func() []*corev1.Pod {
				e := makePod("e", "")
				e.Spec.NodeName = "a"
				e.Spec.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 8080, HostPort: 80}}
				return []*corev1.Pod{e}
			}(),
			pod: func() *corev1.Pod {
				p := makePod("p", "")
				p.Spec.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 80, HostPort: 80}}
				return p
			}(),
			wantMsg:     "0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod ports. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.",
			wantPlugins: []string{"NodePorts"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFramework(t, nil, nil)
			_, err := f.Schedule(context.Background(), tt.pod, framework.NewSnapshot(tt.nodes, tt.existing))
			var fitErr *framework.FitError
			if !errors.As(err, &fitErr) {
				t.Fatalf("err = %v, want a FitError", err)
			}
			if diff := cmp.Diff(tt.wantMsg, err.Error()); diff != "" {
				t.Errorf("message (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantPlugins, sets.List(fitErr.Diagnosis.UnschedulablePlugins)); diff != "" {
				t.Errorf("unschedulable plugins (-want +got):\n%s", diff)
			}
		})
	}
}

func TestScheduleNoNodes(t *testing.T) {
	_, err := newFramework(t, nil, nil).Schedule(context.Background(), makePod("p", ""), framework.NewSnapshot(nil, nil))
	if !errors.Is(err, framework.ErrNoNodesAvailable) {
		t.Errorf("err = %v, want ErrNoNodesAvailable", err)
	}
}

func TestSchedulePicksBestNode(t *testing.T) {
	busy := makePod("busy", "3")
	busy.Spec.NodeName = "busy"
	nodes := []*corev1.Node{makeNode("busy", "4"), makeNode("idle", "4"), makeNode("small", "1")}
	f := newFramework(t, nil, nil)
	for i := 0; i < 5; i++ {
		res, err := f.Schedule(context.Background(), makePod("p", "500m"), framework.NewSnapshot(nodes, []*corev1.Pod{busy}))
		if err != nil {
			t.Fatal(err)
		}
		if res.Node != "idle" {
			t.Fatalf("pass %d chose %q, want the least allocated node, idle", i, res.Node)
		}
	}
}

func TestSchedulePrefersUntaintedAndAffine(t *testing.T) {
	prefer := func(n *corev1.Node) {
		n.Spec.Taints = []corev1.Taint{{Key: "spot", Effect: corev1.TaintEffectPreferNoSchedule}}
	}
	ssd := func(n *corev1.Node) { n.Labels["disk"] = "ssd" }
	pod := makePod("p", "")
	pod.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []corev1.PreferredSchedulingTerm{{
		Weight: 10, Preference: corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "disk", Operator: corev1.NodeSelectorOpIn, Values: []string{"ssd"}}}},
	}}}}
	tests := []struct {
		name  string
		nodes []*corev1.Node
		want  string
	}{
		{name: "preferred affinity", nodes: []*corev1.Node{makeNode("plain", "4"), makeNode("ssd", "4", ssd)}, want: "ssd"},
		// TaintToleration weighs 3, NodeAffinity 2.
		{name: "an intolerable PreferNoSchedule taint outweighs affinity", nodes: []*corev1.Node{makeNode("plain", "4"), makeNode("ssd", "4", ssd, prefer)}, want: "plain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := newFramework(t, nil, nil).Schedule(context.Background(), pod, framework.NewSnapshot(tt.nodes, nil))
			if err != nil {
				t.Fatal(err)
			}
			if res.Node != tt.want {
				t.Errorf("chose %q, want %q", res.Node, tt.want)
			}
		})
	}
}

func TestScheduleEvaluatesAFractionRoundRobin(t *testing.T) {
	var nodes []*corev1.Node
	for i := 0; i < 1000; i++ {
		nodes = append(nodes, makeNode(fmt.Sprintf("n%04d", i), "4"))
	}
	snap := framework.NewSnapshot(nodes, nil)
	f := newFramework(t, nil, []framework.PluginRef{{Name: "NodeResourcesFit", Weight: 1}})
	var got []int
	for i := 0; i < 3; i++ {
		res, err := f.Schedule(context.Background(), makePod("p", "1"), snap)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, res.Evaluated)
	}
	// 50% - 1000/125 = 42% of 1000 nodes, as kube-scheduler.
	if diff := cmp.Diff([]int{420, 420, 420}, got); diff != "" {
		t.Errorf("nodes evaluated per pass (-want +got):\n%s", diff)
	}
}

func TestScheduleNominatedNodeFirst(t *testing.T) {
	nodes := []*corev1.Node{makeNode("a", "4"), makeNode("b", "4"), makeNode("c", "4")}
	pod := makePod("p", "1")
	pod.Status.NominatedNodeName = "c"
	res, err := newFramework(t, nil, nil).Schedule(context.Background(), pod, framework.NewSnapshot(nodes, nil))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(framework.ScheduleResult{Node: "c", Evaluated: 1, Feasible: 1}, res); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
}

// failing is a filter that errs, to check errors are not taken for a misfit.
type failing struct{}

func (failing) Name() string { return "Failing" }
func (failing) Filter(context.Context, *framework.CycleState, *corev1.Pod, *framework.NodeInfo) *framework.Status {
	return framework.AsStatus(errors.New("boom"))
}

func TestScheduleFilterError(t *testing.T) {
	registry := framework.Registry{"Failing": func(framework.Handle) (framework.Plugin, error) { return failing{}, nil }}
	f := newFramework(t, registry, []framework.PluginRef{{Name: "Failing"}})
	_, err := f.Schedule(context.Background(), makePod("p", ""), framework.NewSnapshot([]*corev1.Node{makeNode("a", "1")}, nil))
	var fitErr *framework.FitError
	if err == nil || errors.As(err, &fitErr) {
		t.Fatalf("err = %v, want a plain error", err)
	}
	if diff := cmp.Diff(`run Filter plugin "Failing": boom`, err.Error()); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
}

func TestNewRejectsUnknownPlugin(t *testing.T) {
	_, err := framework.New(context.Background(), plugins.NewRegistry(), framework.Profile{Plugins: []framework.PluginRef{{Name: "Nope"}}}, nil)
	if err == nil {
		t.Error("an unknown plugin was accepted")
	}
}

func TestReasonHistogram(t *testing.T) {
	m := framework.NewNodeToStatus()
	m.Nodes["a"] = framework.NewStatus(framework.Unschedulable, "Insufficient memory", "Insufficient cpu")
	m.Nodes["b"] = framework.NewStatus(framework.Unschedulable, "Insufficient cpu")
	m.Absent = framework.NewStatus(framework.UnschedulableAndUnresolvable, "Preemption is not helpful for scheduling")
	got := framework.ReasonHistogram(5, m)
	want := "1 Insufficient memory, 2 Insufficient cpu, 3 Preemption is not helpful for scheduling"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("histogram (-want +got):\n%s", diff)
	}
}
