package podtopologyspread

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/scheduler/framework"
)

const zoneKey = corev1.LabelTopologyZone

func node(name, zone string, opts ...func(*corev1.Node)) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{corev1.LabelHostname: name}}}
	if zone != "" {
		n.Labels[zoneKey] = zone
	}
	for _, o := range opts {
		o(n)
	}
	return n
}

func tainted(n *corev1.Node) {
	n.Spec.Taints = []corev1.Taint{{Key: "k", Effect: corev1.TaintEffectNoSchedule}}
}

type podOpt func(*corev1.Pod)

func pod(name, nodeName string, opts ...podOpt) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, UID: types.UID(name), Labels: map[string]string{}},
		Spec:       corev1.PodSpec{NodeName: nodeName},
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

func labeled(kv ...string) podOpt {
	return func(p *corev1.Pod) {
		for i := 0; i+1 < len(kv); i += 2 {
			p.Labels[kv[i]] = kv[i+1]
		}
	}
}

// pods places n pods labelled app=s on node.
func pods(nodeName string, n int, opts ...podOpt) []*corev1.Pod {
	var out []*corev1.Pod
	for i := 0; i < n; i++ {
		out = append(out, pod(nodeName+"-"+string(rune('0'+i)), nodeName, append([]podOpt{labeled("app", "s")}, opts...)...))
	}
	return out
}

func join(lists ...[]*corev1.Pod) []*corev1.Pod {
	var out []*corev1.Pod
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

func spread(key string, maxSkew int32, action corev1.UnsatisfiableConstraintAction, mutate ...func(*corev1.TopologySpreadConstraint)) podOpt {
	return func(p *corev1.Pod) {
		c := corev1.TopologySpreadConstraint{
			MaxSkew: maxSkew, TopologyKey: key, WhenUnsatisfiable: action,
			LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "s"}},
		}
		for _, m := range mutate {
			m(&c)
		}
		p.Spec.TopologySpreadConstraints = append(p.Spec.TopologySpreadConstraints, c)
	}
}

type testHandle struct {
	factory informers.SharedInformerFactory
}

func (h testHandle) SharedInformerFactory() informers.SharedInformerFactory { return h.factory }

// newPlugin builds the plugin with listers holding objs.
func newPlugin(t *testing.T, objs ...runtime.Object) *PodTopologySpread {
	t.Helper()
	factory := informers.NewSharedInformerFactory(fake.NewClientset(), 0)
	pl, err := New(testHandle{factory})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		var err error
		switch o := o.(type) {
		case *corev1.Service:
			err = factory.Core().V1().Services().Informer().GetStore().Add(o)
		case *corev1.ReplicationController:
			err = factory.Core().V1().ReplicationControllers().Informer().GetStore().Add(o)
		case *appsv1.ReplicaSet:
			err = factory.Apps().V1().ReplicaSets().Informer().GetStore().Add(o)
		case *appsv1.StatefulSet:
			err = factory.Apps().V1().StatefulSets().Informer().GetStore().Add(o)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return pl.(*PodTopologySpread)
}

const (
	ok        = "Success"
	skewed    = "Unschedulable: " + ErrReasonConstraintsNotMatch
	noLabel   = "UnschedulableAndUnresolvable: " + ErrReasonNodeLabelNotMatch
	skipFirst = "skip"
)

func filterAll(t *testing.T, pl *PodTopologySpread, p *corev1.Pod, snap *framework.Snapshot) map[string]string {
	t.Helper()
	ctx := context.Background()
	cs := framework.NewCycleState()
	cs.SetSnapshot(snap)
	_, s := pl.PreFilter(ctx, cs, p, snap.Nodes())
	if s.IsSkip() {
		return map[string]string{"": skipFirst}
	}
	if !s.IsSuccess() {
		t.Fatalf("PreFilter: %v", s)
	}
	got := map[string]string{}
	for _, ni := range snap.Nodes() {
		got[ni.Node().Name] = pl.Filter(ctx, cs, p, ni).String()
	}
	return got
}

func TestFilter(t *testing.T) {
	nodes := []*corev1.Node{node("a", "z1"), node("b", "z1"), node("c", "z2")}
	tests := []struct {
		name  string
		nodes []*corev1.Node
		pod   *corev1.Pod
		pods  []*corev1.Pod
		want  map[string]string
	}{
		{
			name: "no constraints",
			pod:  pod("p", "", labeled("app", "s")),
			pods: pods("a", 2),
			want: map[string]string{"": skipFirst},
		},
		{
			name: "only ScheduleAnyway constraints",
			pod:  pod("p", "", labeled("app", "s"), spread(zoneKey, 1, corev1.ScheduleAnyway)),
			want: map[string]string{"": skipFirst},
		},
		{
			name: "hostname, maxSkew 1",
			pod:  pod("p", "", labeled("app", "s"), spread(corev1.LabelHostname, 1, corev1.DoNotSchedule)),
			pods: join(pods("a", 1), pods("b", 1)),
			want: map[string]string{"a": skewed, "b": skewed, "c": ok},
		},
		{
			name: "hostname, maxSkew 2",
			pod:  pod("p", "", labeled("app", "s"), spread(corev1.LabelHostname, 2, corev1.DoNotSchedule)),
			pods: join(pods("a", 2), pods("b", 1)),
			want: map[string]string{"a": skewed, "b": ok, "c": ok},
		},
		{
			name: "zone",
			pod:  pod("p", "", labeled("app", "s"), spread(zoneKey, 1, corev1.DoNotSchedule)),
			pods: join(pods("a", 1)),
			want: map[string]string{"a": skewed, "b": skewed, "c": ok},
		},
		{
			name: "the pod does not match its own selector",
			pod:  pod("p", "", spread(zoneKey, 1, corev1.DoNotSchedule)),
			pods: join(pods("a", 1)),
			want: map[string]string{"a": ok, "b": ok, "c": ok},
		},
		{
			name:  "a node without the topology key",
			nodes: []*corev1.Node{node("a", "z1"), node("nozone", "")},
			pod:   pod("p", "", labeled("app", "s"), spread(zoneKey, 1, corev1.DoNotSchedule)),
			want:  map[string]string{"a": ok, "nozone": noLabel},
		},
		{
			name: "minDomains above the domains: the global minimum is 0",
			pod: pod("p", "", labeled("app", "s"), spread(zoneKey, 1, corev1.DoNotSchedule, func(c *corev1.TopologySpreadConstraint) {
				c.MinDomains = ptr.To[int32](3)
			})),
			pods: join(pods("a", 1), pods("c", 1)),
			want: map[string]string{"a": skewed, "b": skewed, "c": skewed},
		},
		{
			name: "minDomains met",
			pod: pod("p", "", labeled("app", "s"), spread(zoneKey, 1, corev1.DoNotSchedule, func(c *corev1.TopologySpreadConstraint) {
				c.MinDomains = ptr.To[int32](2)
			})),
			pods: join(pods("a", 1), pods("c", 1)),
			want: map[string]string{"a": ok, "b": ok, "c": ok},
		},
		{
			name: "nodeAffinityPolicy Honor: domains outside the pod's node selector do not count",
			pod: pod("p", "", labeled("app", "s"), spread(zoneKey, 1, corev1.DoNotSchedule), func(p *corev1.Pod) {
				p.Spec.NodeSelector = map[string]string{zoneKey: "z1"}
			}),
			pods: join(pods("a", 1)),
			want: map[string]string{"a": ok, "b": ok, "c": ok},
		},
		{
			name: "nodeAffinityPolicy Ignore",
			pod: pod("p", "", labeled("app", "s"), spread(zoneKey, 1, corev1.DoNotSchedule, func(c *corev1.TopologySpreadConstraint) {
				c.NodeAffinityPolicy = ptr.To(corev1.NodeInclusionPolicyIgnore)
			}), func(p *corev1.Pod) {
				p.Spec.NodeSelector = map[string]string{zoneKey: "z1"}
			}),
			pods: join(pods("a", 1)),
			want: map[string]string{"a": skewed, "b": skewed, "c": ok},
		},
		{
			name:  "nodeTaintsPolicy Honor: a tainted node's domain does not count",
			nodes: []*corev1.Node{node("a", "z1"), node("b", "z1"), node("c", "z2", tainted)},
			pod: pod("p", "", labeled("app", "s"), spread(corev1.LabelHostname, 1, corev1.DoNotSchedule, func(c *corev1.TopologySpreadConstraint) {
				c.NodeTaintsPolicy = ptr.To(corev1.NodeInclusionPolicyHonor)
			})),
			pods: join(pods("a", 1), pods("b", 1)),
			want: map[string]string{"a": ok, "b": ok, "c": ok},
		},
		{
			name:  "nodeTaintsPolicy Ignore (the default)",
			nodes: []*corev1.Node{node("a", "z1"), node("b", "z1"), node("c", "z2", tainted)},
			pod:   pod("p", "", labeled("app", "s"), spread(corev1.LabelHostname, 1, corev1.DoNotSchedule)),
			pods:  join(pods("a", 1), pods("b", 1)),
			want:  map[string]string{"a": skewed, "b": skewed, "c": ok},
		},
		{
			name: "matchLabelKeys: only pods of the pod's version count",
			pod: pod("p", "", labeled("app", "s", "version", "2"), spread(corev1.LabelHostname, 1, corev1.DoNotSchedule, func(c *corev1.TopologySpreadConstraint) {
				c.MatchLabelKeys = []string{"version"}
			})),
			pods: join(pods("a", 2, labeled("version", "1")), pods("b", 1, labeled("version", "2"))),
			want: map[string]string{"a": ok, "b": skewed, "c": ok},
		},
		{
			name: "pods of other namespaces and terminating pods do not count",
			pod:  pod("p", "", labeled("app", "s"), spread(corev1.LabelHostname, 1, corev1.DoNotSchedule)),
			pods: join(
				pods("a", 2, func(p *corev1.Pod) { p.Namespace = "other" }),
				pods("b", 2, func(p *corev1.Pod) { p.DeletionTimestamp = &metav1.Time{Time: time.Unix(1, 0)} }),
			),
			want: map[string]string{"a": ok, "b": ok, "c": ok},
		},
		{
			name: "two constraints, both must hold",
			pod: pod("p", "", labeled("app", "s"),
				spread(zoneKey, 1, corev1.DoNotSchedule),
				spread(corev1.LabelHostname, 1, corev1.DoNotSchedule)),
			pods: join(pods("c", 1)),
			want: map[string]string{"a": ok, "b": ok, "c": skewed},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := tt.nodes
			if ns == nil {
				ns = nodes
			}
			snap := framework.NewSnapshot(ns, tt.pods)
			if diff := cmp.Diff(tt.want, filterAll(t, newPlugin(t), tt.pod, snap)); diff != "" {
				t.Errorf("statuses (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFilterChangedNode: a copy of a node with a pod evicted (preemption)
// or added (nominated) moves its domain's count and the minimum.
func TestFilterChangedNode(t *testing.T) {
	ctx := context.Background()
	pl := newPlugin(t)
	p := pod("p", "", labeled("app", "s"), spread(corev1.LabelHostname, 1, corev1.DoNotSchedule))
	snap := framework.NewSnapshot([]*corev1.Node{node("a", "z1"), node("b", "z1"), node("c", "z2")}, join(pods("a", 2), pods("b", 1), pods("c", 1)))
	cs := framework.NewCycleState()
	cs.SetSnapshot(snap)
	if _, s := pl.PreFilter(ctx, cs, p, snap.Nodes()); !s.IsSuccess() {
		t.Fatalf("PreFilter: %v", s)
	}
	status := func(ni *framework.NodeInfo) string { return pl.Filter(ctx, cs, p, ni).String() }

	a := snap.Get("a").Clone()
	if err := a.RemovePod("a-0"); err != nil {
		t.Fatal(err)
	}
	// b took a pod: the minimum (1) is unchanged, b's domain now holds 2.
	b := snap.Get("b").Clone()
	b.AddPodInfo(framework.NewPodInfo(pod("new", "b", labeled("app", "s"))))
	// c lost its pod: the minimum drops to 0 for c itself.
	c := snap.Get("c").Clone()
	if err := c.RemovePod("c-0"); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{
		"a":         status(snap.Get("a")),
		"a evicted": status(a),
		"b":         status(snap.Get("b")),
		"b added":   status(b),
		"c evicted": status(c),
	}
	want := map[string]string{"a": skewed, "a evicted": ok, "b": ok, "b added": skewed, "c evicted": ok}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
}

func scoreAll(t *testing.T, pl *PodTopologySpread, p *corev1.Pod, snap *framework.Snapshot, feasible []*framework.NodeInfo) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	cs := framework.NewCycleState()
	cs.SetSnapshot(snap)
	if s := pl.PreScore(ctx, cs, p, feasible); s.IsSkip() {
		return nil
	} else if !s.IsSuccess() {
		t.Fatalf("PreScore: %v", s)
	}
	var scores []framework.NodeScore
	for _, ni := range feasible {
		v, s := pl.Score(ctx, cs, p, ni)
		if !s.IsSuccess() {
			t.Fatalf("Score: %v", s)
		}
		scores = append(scores, framework.NodeScore{Name: ni.Node().Name, Score: v})
	}
	if s := pl.NormalizeScore(ctx, cs, p, scores); !s.IsSuccess() {
		t.Fatalf("NormalizeScore: %v", s)
	}
	got := map[string]int64{}
	for _, s := range scores {
		got[s.Name] = s.Score
	}
	return got
}

func TestScore(t *testing.T) {
	nodes := []*corev1.Node{node("a", "z1"), node("b", "z1"), node("c", "z2"), node("nozone", "")}
	owned := func(kind, apiVersion string) podOpt {
		return func(p *corev1.Pod) {
			p.OwnerReferences = []metav1.OwnerReference{{APIVersion: apiVersion, Kind: kind, Name: "owner", Controller: ptr.To(true)}}
		}
	}
	selector := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "s"}}
	meta := metav1.ObjectMeta{Namespace: "ns", Name: "owner"}
	tests := []struct {
		name string
		objs []runtime.Object
		pod  *corev1.Pod
		pods []*corev1.Pod
		want map[string]int64 // nil: skipped
	}{
		{
			name: "no constraints, no service, no controller",
			pod:  pod("p", "", labeled("app", "s")),
			pods: pods("a", 2),
		},
		{
			name: "only DoNotSchedule constraints: no defaults either",
			objs: []runtime.Object{&corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "s"}}}},
			pod:  pod("p", "", labeled("app", "s"), spread(zoneKey, 1, corev1.DoNotSchedule)),
			pods: pods("a", 2),
		},
		{
			// Explicit constraints need all their keys on a node: here
			// only hostname, which every node has.
			name: "hostname",
			pod:  pod("p", "", labeled("app", "s"), spread(corev1.LabelHostname, 1, corev1.ScheduleAnyway)),
			pods: join(pods("a", 2), pods("b", 1)),
			// weight log(4+2)=1.79: a 3.58->4, b 1.79->2, c 0, nozone 0.
			want: map[string]int64{"a": 0, "b": 50, "c": 100, "nozone": 100},
		},
		{
			// Weight log(2+2)=1.39: z1 holds 3 (4.16->4), z2 0; the
			// node without a zone label is ignored.
			name: "zone",
			pod:  pod("p", "", labeled("app", "s"), spread(zoneKey, 1, corev1.ScheduleAnyway)),
			pods: join(pods("a", 2), pods("b", 1)),
			want: map[string]int64{"a": 0, "b": 0, "c": 100, "nozone": 0},
		},
		{
			// System defaults: hostname maxSkew 3 (weight log(6)=1.79),
			// zone maxSkew 5 (weight log(3+2)=1.61: z1, z2 and the
			// empty value of the node without a zone). a: 2*1.79+2 +
			// 2*1.61+4 = 12.8 -> 13; b: 2 + 7.22 -> 9; c: 2+4 = 6;
			// nozone: 2 (no zone label: no zone term).
			name: "system defaults from a Service",
			objs: []runtime.Object{&corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "s"}}}},
			pod:  pod("p", "", labeled("app", "s")),
			pods: pods("a", 2),
			want: map[string]int64{"a": 15, "b": 46, "c": 69, "nozone": 100},
		},
		{
			name: "system defaults from a ReplicaSet",
			objs: []runtime.Object{&appsv1.ReplicaSet{ObjectMeta: meta, Spec: appsv1.ReplicaSetSpec{Selector: selector}}},
			pod:  pod("p", "", labeled("app", "s"), owned("ReplicaSet", "apps/v1")),
			pods: pods("a", 2),
			want: map[string]int64{"a": 15, "b": 46, "c": 69, "nozone": 100},
		},
		{
			name: "system defaults from a StatefulSet",
			objs: []runtime.Object{&appsv1.StatefulSet{ObjectMeta: meta, Spec: appsv1.StatefulSetSpec{Selector: selector}}},
			pod:  pod("p", "", labeled("app", "s"), owned("StatefulSet", "apps/v1")),
			pods: pods("a", 2),
			want: map[string]int64{"a": 15, "b": 46, "c": 69, "nozone": 100},
		},
		{
			name: "system defaults from a ReplicationController",
			objs: []runtime.Object{&corev1.ReplicationController{ObjectMeta: meta, Spec: corev1.ReplicationControllerSpec{Selector: map[string]string{"app": "s"}}}},
			pod:  pod("p", "", labeled("app", "s"), owned("ReplicationController", "v1")),
			pods: pods("a", 2),
			want: map[string]int64{"a": 15, "b": 46, "c": 69, "nozone": 100},
		},
		{
			name: "a Service that does not select the pod",
			objs: []runtime.Object{&corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "other"}}}},
			pod:  pod("p", "", labeled("app", "s")),
			pods: pods("a", 2),
		},
		{
			name: "a controller kind without defaults",
			objs: []runtime.Object{&appsv1.ReplicaSet{ObjectMeta: meta, Spec: appsv1.ReplicaSetSpec{Selector: selector}}},
			pod:  pod("p", "", labeled("app", "s"), owned("Job", "batch/v1")),
			pods: pods("a", 2),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := framework.NewSnapshot(nodes, tt.pods)
			got := scoreAll(t, newPlugin(t, tt.objs...), tt.pod, snap, snap.Nodes())
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("scores (-want +got):\n%s", diff)
			}
		})
	}
}

// TestScoreCountsEveryNode: pods on nodes that are not feasible count for
// the zones of the feasible ones.
func TestScoreCountsEveryNode(t *testing.T) {
	pl := newPlugin(t)
	snap := framework.NewSnapshot([]*corev1.Node{node("a", "z1"), node("b", "z1"), node("c", "z2")}, pods("a", 3))
	p := pod("p", "", labeled("app", "s"), spread(zoneKey, 1, corev1.ScheduleAnyway))
	got := scoreAll(t, pl, p, snap, []*framework.NodeInfo{snap.Get("b"), snap.Get("c")})
	if diff := cmp.Diff(map[string]int64{"b": 0, "c": 100}, got); diff != "" {
		t.Errorf("scores (-want +got):\n%s", diff)
	}
}

func TestQueueingHints(t *testing.T) {
	logger := klog.Background()
	pl := newPlugin(t)
	target := pod("p", "", labeled("app", "s"), spread(zoneKey, 1, corev1.DoNotSchedule))
	bound := func(name string, opts ...podOpt) *corev1.Pod { return pod(name, "a", opts...) }
	podTests := []struct {
		name     string
		old, new *corev1.Pod
		want     framework.QueueingHint
	}{
		{"matching pod added", nil, bound("x", labeled("app", "s")), framework.Queue},
		{"other pod added", nil, bound("x", labeled("app", "t")), framework.QueueSkip},
		{"matching pod in another namespace", nil, bound("x", labeled("app", "s"), func(p *corev1.Pod) { p.Namespace = "other" }), framework.QueueSkip},
		{"matching pod deleted", bound("x", labeled("app", "s")), nil, framework.Queue},
		{"relabelled out of the selector", bound("x", labeled("app", "s")), bound("x", labeled("app", "t")), framework.Queue},
		{"relabelled, selector unaffected", bound("x", labeled("app", "s")), bound("x", labeled("app", "s", "v", "2")), framework.QueueSkip},
	}
	for _, tt := range podTests {
		t.Run(tt.name, func(t *testing.T) {
			var oldObj, newObj any
			if tt.old != nil {
				oldObj = tt.old
			}
			if tt.new != nil {
				newObj = tt.new
			}
			got, err := pl.isSchedulableAfterAssignedPodChange(logger, target, oldObj, newObj)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("hint = %v, want %v", got, tt.want)
			}
		})
	}
	nodeTests := []struct {
		name     string
		old, new *corev1.Node
		want     framework.QueueingHint
	}{
		{"node with the key added", nil, node("n", "z3"), framework.Queue},
		{"node without the key added", nil, node("n", ""), framework.QueueSkip},
		{"node with the key deleted", node("n", "z3"), nil, framework.Queue},
		{"key added", node("n", ""), node("n", "z1"), framework.Queue},
		{"zone changed", node("n", "z1"), node("n", "z2"), framework.Queue},
		{"tainted", node("n", "z1"), node("n", "z1", tainted), framework.Queue},
		{"unrelated label", node("n", "z1"), node("n", "z1", func(n *corev1.Node) { n.Labels["x"] = "y" }), framework.QueueSkip},
	}
	for _, tt := range nodeTests {
		t.Run(tt.name, func(t *testing.T) {
			var oldObj, newObj any
			if tt.old != nil {
				oldObj = tt.old
			}
			if tt.new != nil {
				newObj = tt.new
			}
			got, err := pl.isSchedulableAfterNodeChange(logger, target, oldObj, newObj)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("hint = %v, want %v", got, tt.want)
			}
		})
	}
}
