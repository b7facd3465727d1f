package framework_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	k8stypes "k8s.io/apimachinery/pkg/types"

	"github.com/kubeshim/kubeshim/scheduler/framework"
)

func TestAffinityTermMatches(t *testing.T) {
	owner := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Labels: map[string]string{"app": "web", "tier": "a"}}}
	selector := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
	pod := func(ns string, l map[string]string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Labels: l}}
	}
	tests := []struct {
		name     string
		term     corev1.PodAffinityTerm
		pod      *corev1.Pod
		nsLabels labels.Set
		want     bool
	}{
		{"own namespace by default", corev1.PodAffinityTerm{LabelSelector: selector}, pod("ns", map[string]string{"app": "web"}), nil, true},
		{"other namespace not by default", corev1.PodAffinityTerm{LabelSelector: selector}, pod("other", map[string]string{"app": "web"}), nil, false},
		{"labels differ", corev1.PodAffinityTerm{LabelSelector: selector}, pod("ns", map[string]string{"app": "db"}), nil, false},
		{"nil labelSelector matches nothing", corev1.PodAffinityTerm{}, pod("ns", nil), nil, false},
		{"namespaces named", corev1.PodAffinityTerm{LabelSelector: selector, Namespaces: []string{"other"}}, pod("other", map[string]string{"app": "web"}), nil, true},
		{"namespaces named, own left out", corev1.PodAffinityTerm{LabelSelector: selector, Namespaces: []string{"other"}}, pod("ns", map[string]string{"app": "web"}), nil, false},
		{"empty namespaceSelector: all namespaces", corev1.PodAffinityTerm{LabelSelector: selector, NamespaceSelector: &metav1.LabelSelector{}}, pod("x", map[string]string{"app": "web"}), nil, true},
		{
			"namespaceSelector by namespace labels",
			corev1.PodAffinityTerm{LabelSelector: selector, NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "a"}}},
			pod("x", map[string]string{"app": "web"}), labels.Set{"team": "a"}, true,
		},
		{
			"namespaceSelector not matching",
			corev1.PodAffinityTerm{LabelSelector: selector, NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "a"}}},
			pod("x", map[string]string{"app": "web"}), labels.Set{"team": "b"}, false,
		},
		{
			"matchLabelKeys takes the owner's value",
			corev1.PodAffinityTerm{LabelSelector: selector, MatchLabelKeys: []string{"tier"}},
			pod("ns", map[string]string{"app": "web", "tier": "a"}), nil, true,
		},
		{
			"matchLabelKeys: other value",
			corev1.PodAffinityTerm{LabelSelector: selector, MatchLabelKeys: []string{"tier"}},
			pod("ns", map[string]string{"app": "web", "tier": "b"}), nil, false,
		},
		{
			"matchLabelKeys: a key the owner lacks is ignored",
			corev1.PodAffinityTerm{LabelSelector: selector, MatchLabelKeys: []string{"zone"}},
			pod("ns", map[string]string{"app": "web"}), nil, true,
		},
		{
			"mismatchLabelKeys excludes the owner's value",
			corev1.PodAffinityTerm{LabelSelector: selector, MismatchLabelKeys: []string{"tier"}},
			pod("ns", map[string]string{"app": "web", "tier": "a"}), nil, false,
		},
		{
			"mismatchLabelKeys: other value",
			corev1.PodAffinityTerm{LabelSelector: selector, MismatchLabelKeys: []string{"tier"}},
			pod("ns", map[string]string{"app": "web", "tier": "b"}), nil, true,
		},
		{
			"matchLabelKeys already merged by an API server",
			corev1.PodAffinityTerm{
				LabelSelector: &metav1.LabelSelector{
					MatchLabels:      map[string]string{"app": "web"},
					MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "tier", Operator: metav1.LabelSelectorOpIn, Values: []string{"b"}}},
				},
				MatchLabelKeys: []string{"tier"},
			},
			pod("ns", map[string]string{"app": "web", "tier": "b"}), nil, true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			terms, err := framework.NewAffinityTerms(owner, []corev1.PodAffinityTerm{tt.term})
			if err != nil {
				t.Fatal(err)
			}
			if got := terms[0].Matches(tt.pod, tt.nsLabels); got != tt.want {
				t.Errorf("Matches = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNodeInfoPodsWithAffinity(t *testing.T) {
	term := corev1.PodAffinityTerm{LabelSelector: &metav1.LabelSelector{}, TopologyKey: corev1.LabelHostname}
	mk := func(name string, a *corev1.Affinity) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, UID: k8stypes.UID(name)}, Spec: corev1.PodSpec{Affinity: a}}
	}
	plain := mk("plain", nil)
	preferred := mk("preferred", &corev1.Affinity{PodAffinity: &corev1.PodAffinity{
		PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{Weight: 5, PodAffinityTerm: term}},
	}})
	anti := mk("anti", &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
		RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{term},
	}})
	names := func(list []*framework.PodInfo) []string {
		var out []string
		for _, p := range list {
			out = append(out, p.Pod.Name)
		}
		return out
	}
	ni := framework.NewNodeInfo(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n"}}, plain, preferred, anti)
	if diff := cmp.Diff([]string{"preferred", "anti"}, names(ni.PodsWithAffinity)); diff != "" {
		t.Errorf("PodsWithAffinity (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"anti"}, names(ni.PodsWithRequiredAntiAffinity)); diff != "" {
		t.Errorf("PodsWithRequiredAntiAffinity (-want +got):\n%s", diff)
	}
	if got := ni.PodsWithAffinity[0].PreferredAffinityTerms; len(got) != 1 || got[0].Weight != 5 || got[0].TopologyKey != corev1.LabelHostname {
		t.Errorf("preferred terms not parsed: %+v", got)
	}

	clone := ni.Clone()
	if err := clone.RemovePod(anti.UID); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"preferred"}, names(clone.PodsWithAffinity)); diff != "" {
		t.Errorf("clone's PodsWithAffinity after remove (-want +got):\n%s", diff)
	}
	if got := names(clone.PodsWithRequiredAntiAffinity); len(got) != 0 {
		t.Errorf("clone's PodsWithRequiredAntiAffinity after remove: %v", got)
	}
	// The original is untouched.
	if diff := cmp.Diff([]string{"anti"}, names(ni.PodsWithRequiredAntiAffinity)); diff != "" {
		t.Errorf("original changed by the clone (-want +got):\n%s", diff)
	}
}

// TestSnapshotAggregates: the snapshot keeps the nodes with pods with
// affinity, its highest generation and a version of its node objects up
// to date through Replace.
func TestSnapshotAggregates(t *testing.T) {
	anti := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "anti", UID: "anti"},
		Spec: corev1.PodSpec{NodeName: "a", Affinity: &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{LabelSelector: &metav1.LabelSelector{}, TopologyKey: corev1.LabelHostname}},
		}}},
	}
	plain := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "plain", UID: "plain"}, Spec: corev1.PodSpec{NodeName: "b"}}
	a := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "a"}}
	b := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "b"}}
	snap := framework.NewSnapshot([]*corev1.Node{a, b}, []*corev1.Pod{anti, plain})
	names := func(list []*framework.NodeInfo) []string {
		var out []string
		for _, ni := range list {
			out = append(out, ni.Node().Name)
		}
		return out
	}
	if diff := cmp.Diff([]string{"a"}, names(snap.NodesWithRequiredAntiAffinity())); diff != "" {
		t.Errorf("with anti-affinity (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"a"}, names(snap.NodesWithPodAffinity())); diff != "" {
		t.Errorf("with affinity (-want +got):\n%s", diff)
	}
	version := snap.NodeObjectsVersion()

	// The pod leaves a; a pod is added to b: the lists follow, the node
	// objects are the same.
	na := snap.Get("a").Clone()
	if err := na.RemovePod("anti"); err != nil {
		t.Fatal(err)
	}
	snap.Replace(na)
	nb := snap.Get("b").Clone()
	nb.AddPodInfo(framework.NewPodInfo(anti))
	snap.Replace(nb)
	if diff := cmp.Diff([]string{"b"}, names(snap.NodesWithRequiredAntiAffinity())); diff != "" {
		t.Errorf("with anti-affinity after the move (-want +got):\n%s", diff)
	}
	if snap.Generation() != nb.Generation {
		t.Errorf("generation %d, want the latest node info's %d", snap.Generation(), nb.Generation)
	}
	if snap.NodeObjectsVersion() != version {
		t.Errorf("node objects version changed with pods only")
	}

	// A new node object changes the version.
	relabelled := framework.NewNodeInfo(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "a", Labels: map[string]string{"x": "y"}}})
	snap.Replace(relabelled)
	if snap.NodeObjectsVersion() == version {
		t.Errorf("node objects version unchanged after a node object changed")
	}
}
