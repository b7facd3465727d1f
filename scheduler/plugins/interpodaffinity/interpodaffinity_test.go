package interpodaffinity

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/scheduler/framework"
	"github.com/kubeshim/kubeshim/scheduler/plugins/defaultpreemption"
)

const zoneKey = corev1.LabelTopologyZone

func node(name, zone string) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{corev1.LabelHostname: name}}}
	if zone != "" {
		n.Labels[zoneKey] = zone
	}
	return n
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

func inNamespace(ns string) podOpt { return func(p *corev1.Pod) { p.Namespace = ns } }

func term(key string, kv ...string) corev1.PodAffinityTerm {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return corev1.PodAffinityTerm{LabelSelector: &metav1.LabelSelector{MatchLabels: m}, TopologyKey: key}
}

func affinity(terms ...corev1.PodAffinityTerm) podOpt {
	return func(p *corev1.Pod) {
		if p.Spec.Affinity == nil {
			p.Spec.Affinity = &corev1.Affinity{}
		}
		p.Spec.Affinity.PodAffinity = &corev1.PodAffinity{RequiredDuringSchedulingIgnoredDuringExecution: terms}
	}
}

func antiAffinity(terms ...corev1.PodAffinityTerm) podOpt {
	return func(p *corev1.Pod) {
		if p.Spec.Affinity == nil {
			p.Spec.Affinity = &corev1.Affinity{}
		}
		p.Spec.Affinity.PodAntiAffinity = &corev1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: terms}
	}
}

func preferred(weight int32, t corev1.PodAffinityTerm, anti bool) podOpt {
	return func(p *corev1.Pod) {
		if p.Spec.Affinity == nil {
			p.Spec.Affinity = &corev1.Affinity{}
		}
		w := corev1.WeightedPodAffinityTerm{Weight: weight, PodAffinityTerm: t}
		if anti {
			if p.Spec.Affinity.PodAntiAffinity == nil {
				p.Spec.Affinity.PodAntiAffinity = &corev1.PodAntiAffinity{}
			}
			a := p.Spec.Affinity.PodAntiAffinity
			a.PreferredDuringSchedulingIgnoredDuringExecution = append(a.PreferredDuringSchedulingIgnoredDuringExecution, w)
			return
		}
		if p.Spec.Affinity.PodAffinity == nil {
			p.Spec.Affinity.PodAffinity = &corev1.PodAffinity{}
		}
		a := p.Spec.Affinity.PodAffinity
		a.PreferredDuringSchedulingIgnoredDuringExecution = append(a.PreferredDuringSchedulingIgnoredDuringExecution, w)
	}
}

// testHandle serves namespaces from an informer filled by hand.
type testHandle struct {
	factory informers.SharedInformerFactory
}

func (h testHandle) SharedInformerFactory() informers.SharedInformerFactory { return h.factory }

func newPlugin(t *testing.T, namespaces ...*corev1.Namespace) *InterPodAffinity {
	t.Helper()
	factory := informers.NewSharedInformerFactory(fake.NewClientset(), 0)
	pl, err := New(testHandle{factory})
	if err != nil {
		t.Fatal(err)
	}
	store := factory.Core().V1().Namespaces().Informer().GetStore()
	for _, ns := range namespaces {
		if err := store.Add(ns); err != nil {
			t.Fatal(err)
		}
	}
	return pl.(*InterPodAffinity)
}

func namespace(name string, kv ...string) *corev1.Namespace {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{}}}
	for i := 0; i+1 < len(kv); i += 2 {
		ns.Labels[kv[i]] = kv[i+1]
	}
	return ns
}

// filterAll runs PreFilter and Filter over the snapshot's nodes and
// returns each node's status as "Code: message"; "skip" when PreFilter
// skips.
func filterAll(t *testing.T, pl *InterPodAffinity, p *corev1.Pod, snap *framework.Snapshot) map[string]string {
	t.Helper()
	ctx := context.Background()
	cs := framework.NewCycleState()
	cs.SetSnapshot(snap)
	_, s := pl.PreFilter(ctx, cs, p, snap.Nodes())
	if s.IsSkip() {
		return map[string]string{"": "skip"}
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

const (
	ok       = "Success"
	noAff    = "UnschedulableAndUnresolvable: " + ErrReasonAffinityRulesNotMatch
	noAnti   = "Unschedulable: " + ErrReasonAntiAffinityRulesNotMatch
	existing = "Unschedulable: " + ErrReasonExistingAntiAffinityRulesNotMatch
)

func TestFilter(t *testing.T) {
	nodes := []*corev1.Node{node("a", "z1"), node("b", "z1"), node("c", "z2"), node("nozone", "")}
	tests := []struct {
		name       string
		pod        *corev1.Pod
		pods       []*corev1.Pod
		namespaces []*corev1.Namespace
		want       map[string]string
	}{
		{
			name: "no terms anywhere: skip",
			pod:  pod("p", ""),
			pods: []*corev1.Pod{pod("x", "a", labeled("app", "db"))},
			want: map[string]string{"": "skip"},
		},
		{
			name: "affinity by hostname",
			pod:  pod("p", "", affinity(term(corev1.LabelHostname, "app", "db"))),
			pods: []*corev1.Pod{pod("db", "a", labeled("app", "db")), pod("web", "b", labeled("app", "web"))},
			want: map[string]string{"a": ok, "b": noAff, "c": noAff, "nozone": noAff},
		},
		{
			name: "affinity by zone: every node of the zone, none without the key",
			pod:  pod("p", "", affinity(term(zoneKey, "app", "db"))),
			pods: []*corev1.Pod{pod("db", "a", labeled("app", "db"))},
			want: map[string]string{"a": ok, "b": ok, "c": noAff, "nozone": noAff},
		},
		{
			name: "affinity needs one pod matching all terms",
			pod:  pod("p", "", affinity(term(zoneKey, "app", "db"), term(corev1.LabelHostname, "tier", "1"))),
			pods: []*corev1.Pod{pod("db", "a", labeled("app", "db")), pod("t", "a", labeled("tier", "1"))},
			want: map[string]string{"a": noAff, "b": noAff, "c": noAff, "nozone": noAff},
		},
		{
			name: "first pod of a group that selects itself: any node with the keys",
			pod:  pod("p", "", labeled("app", "web"), affinity(term(zoneKey, "app", "web"))),
			pods: []*corev1.Pod{pod("db", "a", labeled("app", "db"))},
			want: map[string]string{"a": ok, "b": ok, "c": ok, "nozone": noAff},
		},
		{
			name: "not the first of its group: only where the group is",
			pod:  pod("p", "", labeled("app", "web"), affinity(term(zoneKey, "app", "web"))),
			pods: []*corev1.Pod{pod("web", "c", labeled("app", "web"))},
			want: map[string]string{"a": noAff, "b": noAff, "c": ok, "nozone": noAff},
		},
		{
			name: "no matching pod and the pod does not select itself",
			pod:  pod("p", "", affinity(term(zoneKey, "app", "web"))),
			want: map[string]string{"a": noAff, "b": noAff, "c": noAff, "nozone": noAff},
		},
		{
			name: "anti-affinity by hostname",
			pod:  pod("p", "", antiAffinity(term(corev1.LabelHostname, "app", "web"))),
			pods: []*corev1.Pod{pod("web", "a", labeled("app", "web"))},
			want: map[string]string{"a": noAnti, "b": ok, "c": ok, "nozone": ok},
		},
		{
			name: "anti-affinity by zone; a node without the key takes the pod",
			pod:  pod("p", "", antiAffinity(term(zoneKey, "app", "web"))),
			pods: []*corev1.Pod{pod("web", "a", labeled("app", "web"))},
			want: map[string]string{"a": noAnti, "b": noAnti, "c": ok, "nozone": ok},
		},
		{
			name: "an existing pod's anti-affinity by zone",
			pod:  pod("p", "", labeled("app", "web")),
			pods: []*corev1.Pod{pod("x", "c", antiAffinity(term(zoneKey, "app", "web")))},
			want: map[string]string{"a": ok, "b": ok, "c": existing, "nozone": ok},
		},
		{
			name: "an existing pod's anti-affinity selecting another namespace",
			pod:  pod("p", "", labeled("app", "web")),
			pods: []*corev1.Pod{pod("x", "c", inNamespace("other"), antiAffinity(term(zoneKey, "app", "web")))},
			want: map[string]string{"": "skip"},
		},
		{
			name: "an existing pod's anti-affinity by namespaceSelector, matched against the pod's namespace labels",
			pod:  pod("p", "", labeled("app", "web")),
			pods: []*corev1.Pod{pod("x", "a", inNamespace("other"), antiAffinity(func() corev1.PodAffinityTerm {
				t := term(corev1.LabelHostname, "app", "web")
				t.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"team": "a"}}
				return t
			}()))},
			namespaces: []*corev1.Namespace{namespace("ns", "team", "a")},
			want:       map[string]string{"a": existing, "b": ok, "c": ok, "nozone": ok},
		},
		{
			name: "affinity to pods of named namespaces",
			pod: pod("p", "", affinity(func() corev1.PodAffinityTerm {
				t := term(corev1.LabelHostname, "app", "db")
				t.Namespaces = []string{"other"}
				return t
			}())),
			pods: []*corev1.Pod{pod("db", "a", labeled("app", "db")), pod("db2", "b", inNamespace("other"), labeled("app", "db"))},
			want: map[string]string{"a": noAff, "b": ok, "c": noAff, "nozone": noAff},
		},
		{
			name: "affinity by namespaceSelector",
			pod: pod("p", "", affinity(func() corev1.PodAffinityTerm {
				t := term(corev1.LabelHostname, "app", "db")
				t.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"team": "a"}}
				return t
			}())),
			pods:       []*corev1.Pod{pod("db", "a", inNamespace("x"), labeled("app", "db")), pod("db2", "b", inNamespace("y"), labeled("app", "db"))},
			namespaces: []*corev1.Namespace{namespace("x", "team", "a"), namespace("y", "team", "b")},
			want:       map[string]string{"a": ok, "b": noAff, "c": noAff, "nozone": noAff},
		},
		{
			name: "affinity with matchLabelKeys takes the pod's value",
			pod: pod("p", "", labeled("tier", "2"), affinity(func() corev1.PodAffinityTerm {
				t := term(corev1.LabelHostname, "app", "db")
				t.MatchLabelKeys = []string{"tier"}
				return t
			}())),
			pods: []*corev1.Pod{pod("db1", "a", labeled("app", "db", "tier", "1")), pod("db2", "b", labeled("app", "db", "tier", "2"))},
			want: map[string]string{"a": noAff, "b": ok, "c": noAff, "nozone": noAff},
		},
		{
			name: "anti-affinity with mismatchLabelKeys avoids only other values",
			pod: pod("p", "", labeled("tenant", "t1"), antiAffinity(func() corev1.PodAffinityTerm {
				t := corev1.PodAffinityTerm{LabelSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "tenant", Operator: metav1.LabelSelectorOpExists}}}, TopologyKey: zoneKey}
				t.MismatchLabelKeys = []string{"tenant"}
				return t
			}())),
			pods: []*corev1.Pod{pod("x", "a", labeled("tenant", "t1")), pod("y", "c", labeled("tenant", "t2"))},
			want: map[string]string{"a": ok, "b": ok, "c": noAnti, "nozone": ok},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pl := newPlugin(t, tt.namespaces...)
			snap := framework.NewSnapshot(nodes, tt.pods)
			if diff := cmp.Diff(tt.want, filterAll(t, pl, tt.pod, snap)); diff != "" {
				t.Errorf("statuses (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFilterChangedNode: preemption and nominated pods filter copies of a
// node with pods removed or added; the counts follow the copy.
func TestFilterChangedNode(t *testing.T) {
	ctx := context.Background()
	nodes := []*corev1.Node{node("a", "z1"), node("b", "z1"), node("c", "z2")}
	tests := []struct {
		name   string
		pod    *corev1.Pod
		pods   []*corev1.Pod
		node   string
		change func(ni *framework.NodeInfo)
		before string
		after  string
	}{
		{
			name:   "the pod the anti-affinity avoids evicted",
			pod:    pod("p", "", antiAffinity(term(zoneKey, "app", "web"))),
			pods:   []*corev1.Pod{pod("web", "a", labeled("app", "web"))},
			node:   "a",
			change: func(ni *framework.NodeInfo) { mustRemove(t, ni, "web") },
			before: noAnti, after: ok,
		},
		{
			name:   "an existing pod with anti-affinity evicted",
			pod:    pod("p", "", labeled("app", "web")),
			pods:   []*corev1.Pod{pod("x", "a", antiAffinity(term(corev1.LabelHostname, "app", "web")))},
			node:   "a",
			change: func(ni *framework.NodeInfo) { mustRemove(t, ni, "x") },
			before: existing, after: ok,
		},
		{
			name: "a pod the affinity needs added",
			pod:  pod("p", "", affinity(term(corev1.LabelHostname, "app", "db"))),
			pods: []*corev1.Pod{pod("db", "c", labeled("app", "db"))},
			node: "b",
			change: func(ni *framework.NodeInfo) {
				ni.AddPodInfo(framework.NewPodInfo(pod("db2", "b", labeled("app", "db"))))
			},
			before: noAff, after: ok,
		},
		{
			name: "the only pod the affinity matched evicted: the first-pod rule applies again",
			pod:  pod("p", "", labeled("app", "web"), affinity(term(zoneKey, "app", "web"))),
			pods: []*corev1.Pod{pod("web", "c", labeled("app", "web"))},
			node: "c",
			change: func(ni *framework.NodeInfo) {
				mustRemove(t, ni, "web")
			},
			before: ok, after: ok,
		},
		{
			name: "a pod with anti-affinity to the pod nominated",
			pod:  pod("p", "", labeled("app", "web"), affinity(term(zoneKey, "app", "web"))),
			pods: []*corev1.Pod{pod("web", "a", labeled("app", "web"))},
			node: "b",
			change: func(ni *framework.NodeInfo) {
				ni.AddPodInfo(framework.NewPodInfo(pod("x", "b", antiAffinity(term(zoneKey, "app", "web")))))
			},
			before: ok, after: existing,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pl := newPlugin(t)
			snap := framework.NewSnapshot(nodes, tt.pods)
			cs := framework.NewCycleState()
			cs.SetSnapshot(snap)
			if _, s := pl.PreFilter(ctx, cs, tt.pod, snap.Nodes()); !s.IsSuccess() {
				t.Fatalf("PreFilter: %v", s)
			}
			orig := snap.Get(tt.node)
			copied := orig.Clone()
			tt.change(copied)
			got := []string{pl.Filter(ctx, cs, tt.pod, orig).String(), pl.Filter(ctx, cs, tt.pod, copied).String()}
			if diff := cmp.Diff([]string{tt.before, tt.after}, got); diff != "" {
				t.Errorf("snapshot node, changed copy (-want +got):\n%s", diff)
			}
			// The copy's corrections do not leak into the snapshot's
			// node.
			if got := pl.Filter(ctx, cs, tt.pod, orig).String(); got != tt.before {
				t.Errorf("snapshot node after the copy: %s, want %s", got, tt.before)
			}
		})
	}
}

func mustRemove(t *testing.T, ni *framework.NodeInfo, uid string) {
	t.Helper()
	if err := ni.RemovePod(types.UID(uid)); err != nil {
		t.Fatal(err)
	}
}

type fakeNominator map[string][]*framework.PodInfo

func (f fakeNominator) NominatedPodsForNode(node string) []*framework.PodInfo { return f[node] }

// TestNominatedPodDoesNotSatisfyAffinity: a pod nominated to a node counts
// against anti-affinity, but does not satisfy affinity before it is bound
// (it may never be).
func TestNominatedPodDoesNotSatisfyAffinity(t *testing.T) {
	ctx := context.Background()
	reg := framework.Registry{Name: New}
	fw, err := framework.New(ctx, reg, framework.Profile{Plugins: []framework.PluginRef{{Name: Name}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	nominated := pod("db", "", labeled("app", "db"), func(p *corev1.Pod) { p.Spec.Priority = ptr.To[int32](10) })
	fw.SetNominator(fakeNominator{"b": {framework.NewPodInfo(nominated)}})
	snap := framework.NewSnapshot([]*corev1.Node{node("a", "z1"), node("b", "z2")}, nil)

	_, err = fw.Schedule(ctx, pod("p", "", affinity(term(corev1.LabelHostname, "app", "db"))), snap)
	if diff := cmp.Diff("0/2 nodes are available: 2 node(s) didn't match pod affinity rules.", errString(err)); diff != "" {
		t.Errorf("affinity to a nominated pod (-want +got):\n%s", diff)
	}
	res, err := fw.Schedule(ctx, pod("q", "", antiAffinity(term(corev1.LabelHostname, "app", "db"))), snap)
	if err != nil || res.Node != "a" {
		t.Errorf("anti-affinity to a nominated pod: node %q, err %v; want a", res.Node, err)
	}
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

func TestScore(t *testing.T) {
	nodes := []*corev1.Node{node("a", "z1"), node("b", "z1"), node("c", "z2")}
	tests := []struct {
		name string
		pod  *corev1.Pod
		pods []*corev1.Pod
		want map[string]int64 // nil: PreScore skips
	}{
		{
			name: "nothing to score by",
			pod:  pod("p", "", labeled("app", "web")),
			pods: []*corev1.Pod{pod("x", "a", labeled("app", "db"))},
		},
		{
			name: "preferred affinity by zone",
			pod:  pod("p", "", preferred(5, term(zoneKey, "app", "db"), false)),
			pods: []*corev1.Pod{pod("db", "a", labeled("app", "db"))},
			want: map[string]int64{"a": 100, "b": 100, "c": 0},
		},
		{
			name: "preferred anti-affinity by hostname",
			pod:  pod("p", "", preferred(5, term(corev1.LabelHostname, "app", "db"), true)),
			pods: []*corev1.Pod{pod("db", "a", labeled("app", "db"))},
			want: map[string]int64{"a": 0, "b": 100, "c": 100},
		},
		{
			name: "affinity and anti-affinity weighed against each other",
			pod: pod("p", "",
				preferred(10, term(zoneKey, "app", "db"), false),
				preferred(4, term(corev1.LabelHostname, "app", "db"), true)),
			pods: []*corev1.Pod{pod("db", "a", labeled("app", "db"))},
			// a: 10-4, b: 10, c: 0.
			want: map[string]int64{"a": 60, "b": 100, "c": 0},
		},
		{
			name: "an existing pod's required affinity to the pod counts hardPodAffinityWeight",
			pod:  pod("p", "", labeled("app", "web")),
			pods: []*corev1.Pod{pod("x", "c", affinity(term(zoneKey, "app", "web")))},
			want: map[string]int64{"a": 0, "b": 0, "c": 100},
		},
		{
			name: "an existing pod's preferred anti-affinity to the pod",
			pod:  pod("p", "", labeled("app", "web")),
			pods: []*corev1.Pod{pod("x", "a", preferred(3, term(zoneKey, "app", "web"), true))},
			want: map[string]int64{"a": 0, "b": 0, "c": 100},
		},
		{
			name: "existing pods' preferences cancelling out",
			pod:  pod("p", "", labeled("app", "web")),
			pods: []*corev1.Pod{
				pod("x", "a", preferred(3, term(zoneKey, "app", "web"), true)),
				pod("y", "b", preferred(3, term(zoneKey, "app", "web"), false)),
			},
			want: map[string]int64{"a": 0, "b": 0, "c": 0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			pl := newPlugin(t)
			snap := framework.NewSnapshot(nodes, tt.pods)
			cs := framework.NewCycleState()
			cs.SetSnapshot(snap)
			feasible := snap.Nodes()
			if s := pl.PreScore(ctx, cs, tt.pod, feasible); s.IsSkip() {
				if tt.want != nil {
					t.Fatalf("PreScore skipped")
				}
				return
			} else if !s.IsSuccess() {
				t.Fatalf("PreScore: %v", s)
			}
			var scores []framework.NodeScore
			for _, ni := range feasible {
				v, s := pl.Score(ctx, cs, tt.pod, ni)
				if !s.IsSuccess() {
					t.Fatalf("Score: %v", s)
				}
				scores = append(scores, framework.NodeScore{Name: ni.Node().Name, Score: v})
			}
			if s := pl.NormalizeScore(ctx, cs, tt.pod, scores); !s.IsSuccess() {
				t.Fatalf("NormalizeScore: %v", s)
			}
			got := map[string]int64{}
			for _, s := range scores {
				got[s.Name] = s.Score
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("scores (-want +got):\n%s", diff)
			}
		})
	}
}

// TestScoreCountsNodesNotFeasible: a matching pod on a node that is not
// feasible still scores the other nodes of its zone.
func TestScoreCountsNodesNotFeasible(t *testing.T) {
	ctx := context.Background()
	pl := newPlugin(t)
	p := pod("p", "", preferred(5, term(zoneKey, "app", "db"), false))
	snap := framework.NewSnapshot([]*corev1.Node{node("a", "z1"), node("b", "z1"), node("c", "z2")}, []*corev1.Pod{pod("db", "a", labeled("app", "db"))})
	cs := framework.NewCycleState()
	cs.SetSnapshot(snap)
	feasible := []*framework.NodeInfo{snap.Get("b"), snap.Get("c")}
	if s := pl.PreScore(ctx, cs, p, feasible); !s.IsSuccess() {
		t.Fatalf("PreScore: %v", s)
	}
	got := map[string]int64{}
	for _, ni := range feasible {
		v, _ := pl.Score(ctx, cs, p, ni)
		got[ni.Node().Name] = v
	}
	if diff := cmp.Diff(map[string]int64{"b": 5, "c": 0}, got); diff != "" {
		t.Errorf("raw scores (-want +got):\n%s", diff)
	}
}

func TestQueueingHints(t *testing.T) {
	logger := klog.Background()
	target := pod("p", "", labeled("app", "web"),
		affinity(term(zoneKey, "app", "db")),
		antiAffinity(term(corev1.LabelHostname, "app", "cache")))
	bound := func(name string, opts ...podOpt) *corev1.Pod { return pod(name, "a", opts...) }
	podTests := []struct {
		name     string
		old, new *corev1.Pod
		want     framework.QueueingHint
	}{
		{"added pod the affinity needs", nil, bound("db", labeled("app", "db")), framework.Queue},
		{"added pod of no interest", nil, bound("x", labeled("app", "x")), framework.QueueSkip},
		{"relabelled into the affinity", bound("db", labeled("app", "x")), bound("db", labeled("app", "db")), framework.Queue},
		{"relabelled out of the anti-affinity", bound("c", labeled("app", "cache")), bound("c", labeled("app", "x")), framework.Queue},
		{"relabelled, nothing the pod cares about", bound("c", labeled("app", "x")), bound("c", labeled("app", "y")), framework.QueueSkip},
		{"deleted pod the anti-affinity avoided", bound("c", labeled("app", "cache")), nil, framework.Queue},
		{"deleted pod whose anti-affinity rejected the pod", bound("x", antiAffinity(term(zoneKey, "app", "web"))), nil, framework.Queue},
		{"deleted pod of no interest", bound("x", labeled("app", "x")), nil, framework.QueueSkip},
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
			got, err := isSchedulableAfterAssignedPodChange(logger, target, oldObj, newObj)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("hint = %v, want %v", got, tt.want)
			}
		})
	}
	withLabels := func(l map[string]string) *corev1.Node {
		return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n", Labels: l}}
	}
	nodeTests := []struct {
		name     string
		pod      *corev1.Pod
		old, new *corev1.Node
		want     framework.QueueingHint
	}{
		{"node added with the affinity's key", pod("p", "", affinity(term(zoneKey, "app", "db"))), nil, withLabels(map[string]string{zoneKey: "z"}), framework.Queue},
		{"node added without it", pod("p", "", affinity(term(zoneKey, "app", "db"))), nil, withLabels(nil), framework.QueueSkip},
		{"node moved to another zone", pod("p", "", affinity(term(zoneKey, "app", "db"))), withLabels(map[string]string{zoneKey: "z1"}), withLabels(map[string]string{zoneKey: "z2"}), framework.Queue},
		{"node added, pod with anti-affinity", pod("p", "", antiAffinity(term(zoneKey, "app", "db"))), nil, withLabels(nil), framework.Queue},
		{"anti-affinity key removed", pod("p", "", antiAffinity(term(zoneKey, "app", "db"))), withLabels(map[string]string{zoneKey: "z1"}), withLabels(nil), framework.Queue},
		{"unrelated label", pod("p", "", antiAffinity(term(zoneKey, "app", "db"))), withLabels(map[string]string{zoneKey: "z1"}), withLabels(map[string]string{zoneKey: "z1", "x": "y"}), framework.QueueSkip},
	}
	for _, tt := range nodeTests {
		t.Run(tt.name, func(t *testing.T) {
			var oldObj any
			if tt.old != nil {
				oldObj = tt.old
			}
			got, err := isSchedulableAfterNodeChange(logger, tt.pod, oldObj, tt.new)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("hint = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestSkipCheap: without any affinity in the pod or the cluster the plugin
// skips both PreFilter and PreScore; a benchmark-sized cluster must not pay
// for it per node.
func TestSkipCheap(t *testing.T) {
	ctx := context.Background()
	pl := newPlugin(t)
	var nodes []*corev1.Node
	var pods []*corev1.Pod
	for i := 0; i < 50; i++ {
		n := node(string(rune('a'+i%26))+string(rune('a'+i/26)), "z")
		n.Status.Allocatable = corev1.ResourceList{corev1.ResourcePods: resource.MustParse("10")}
		nodes = append(nodes, n)
		pods = append(pods, pod("p"+n.Name, n.Name, labeled("app", "x")))
	}
	snap := framework.NewSnapshot(nodes, pods)
	cs := framework.NewCycleState()
	cs.SetSnapshot(snap)
	p := pod("new", "")
	if _, s := pl.PreFilter(ctx, cs, p, snap.Nodes()); !s.IsSkip() {
		t.Errorf("PreFilter: %v, want Skip", s)
	}
	if s := pl.PreScore(ctx, cs, p, snap.Nodes()); !s.IsSkip() {
		t.Errorf("PreScore: %v, want Skip", s)
	}
}

// TestPreemptionForAntiAffinity: a pod of higher priority whose
// anti-affinity every node violates preempts the pod in its way; the dry
// run filters node copies without that pod.
func TestPreemptionForAntiAffinity(t *testing.T) {
	ctx := context.Background()
	reg := framework.Registry{Name: New, defaultpreemption.Name: defaultpreemption.New}
	fw, err := framework.New(ctx, reg, framework.Profile{Plugins: []framework.PluginRef{{Name: Name}, {Name: defaultpreemption.Name}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	low := func(name, node string) *corev1.Pod {
		return pod(name, node, labeled("app", "web"), func(p *corev1.Pod) { p.Spec.Priority = ptr.To[int32](1) })
	}
	// b holds two web pods, a one: preempting on a takes fewer victims.
	snap := framework.NewSnapshot([]*corev1.Node{node("a", "z1"), node("b", "z2")}, []*corev1.Pod{low("w1", "a"), low("w2", "b"), low("w3", "b")})
	high := pod("p", "", antiAffinity(term(corev1.LabelHostname, "app", "web")), func(p *corev1.Pod) { p.Spec.Priority = ptr.To[int32](100) })
	_, err = fw.Schedule(ctx, high, snap)
	fe, ok := err.(*framework.FitError)
	if !ok {
		t.Fatalf("Schedule: %v, want a FitError", err)
	}
	if fe.PostFilterResult == nil || fe.PostFilterResult.NominatedNode != "a" || len(fe.PostFilterResult.Victims) != 1 || fe.PostFilterResult.Victims[0].Name != "w1" {
		t.Errorf("preemption result %+v, message %q; want node a with victim w1", fe.PostFilterResult, fe.Error())
	}
}
