package scheduler

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func podLabels(kv ...string) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		if p.Labels == nil {
			p.Labels = map[string]string{}
		}
		for i := 0; i+1 < len(kv); i += 2 {
			p.Labels[kv[i]] = kv[i+1]
		}
	}
}

func nodeLabels(kv ...string) func(*corev1.Node) {
	return func(n *corev1.Node) {
		for i := 0; i+1 < len(kv); i += 2 {
			n.Labels[kv[i]] = kv[i+1]
		}
	}
}

func affinityTerm(key string, kv ...string) corev1.PodAffinityTerm {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return corev1.PodAffinityTerm{LabelSelector: &metav1.LabelSelector{MatchLabels: m}, TopologyKey: key}
}

func requiredAffinity(t corev1.PodAffinityTerm) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		p.Spec.Affinity = &corev1.Affinity{PodAffinity: &corev1.PodAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{t}}}
	}
}

func requiredAntiAffinity(t corev1.PodAffinityTerm) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		p.Spec.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{t}}}
	}
}

func spreadConstraint(key string, maxSkew int32, kv ...string) func(*corev1.Pod) {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(p *corev1.Pod) {
		p.Spec.TopologySpreadConstraints = append(p.Spec.TopologySpreadConstraints, corev1.TopologySpreadConstraint{
			MaxSkew: maxSkew, TopologyKey: key, WhenUnsatisfiable: corev1.DoNotSchedule,
			LabelSelector: &metav1.LabelSelector{MatchLabels: m},
		})
	}
}

// placed creates a pod already bound to node (as another scheduler would
// have bound it), for the scheduler under test to see.
func (e *env) placed(name, node string, mutate ...func(*corev1.Pod)) {
	e.t.Helper()
	e.createPod(name, append([]func(*corev1.Pod){func(p *corev1.Pod) { p.Spec.NodeName = e.node(node) }}, mutate...)...)
}

// TestPodAffinityFilters: for InterPodAffinity's and PodTopologySpread's
// filters, a pod lands on the one node of three that passes, given the
// pods already placed on the nodes.
func TestPodAffinityFilters(t *testing.T) {
	tests := []struct {
		name string
		// nodes mutate the nodes good, bad1 and bad2.
		nodes map[string]func(*corev1.Node)
		// existing are pods placed on the named node first.
		existing map[string][]func(*corev1.Pod)
		pod      []func(*corev1.Pod)
	}{
		{
			name:     "InterPodAffinity required affinity",
			existing: map[string][]func(*corev1.Pod){"good": {podLabels("app", "db")}, "bad1": {podLabels("app", "web")}},
			pod:      []func(*corev1.Pod){requiredAffinity(affinityTerm(corev1.LabelHostname, "app", "db"))},
		},
		{
			name: "InterPodAffinity required affinity by zone",
			nodes: map[string]func(*corev1.Node){
				"good": nodeLabels(corev1.LabelTopologyZone, "z1"),
				"bad1": nodeLabels(corev1.LabelTopologyZone, "z2"),
				"bad2": nodeLabels(corev1.LabelTopologyZone, "z2"),
			},
			existing: map[string][]func(*corev1.Pod){"good": {podLabels("app", "db")}},
			pod:      []func(*corev1.Pod){requiredAffinity(affinityTerm(corev1.LabelTopologyZone, "app", "db"))},
		},
		{
			name:     "InterPodAffinity required anti-affinity",
			existing: map[string][]func(*corev1.Pod){"bad1": {podLabels("app", "web")}, "bad2": {podLabels("app", "web")}},
			pod:      []func(*corev1.Pod){requiredAntiAffinity(affinityTerm(corev1.LabelHostname, "app", "web"))},
		},
		{
			name: "InterPodAffinity existing pods anti-affinity",
			existing: map[string][]func(*corev1.Pod){
				"bad1": {requiredAntiAffinity(affinityTerm(corev1.LabelHostname, "app", "web"))},
				"bad2": {requiredAntiAffinity(affinityTerm(corev1.LabelHostname, "app", "web"))},
			},
			pod: []func(*corev1.Pod){podLabels("app", "web")},
		},
		{
			name:     "PodTopologySpread maxSkew",
			existing: map[string][]func(*corev1.Pod){"bad1": {podLabels("app", "s")}, "bad2": {podLabels("app", "s")}},
			pod:      []func(*corev1.Pod){podLabels("app", "s"), spreadConstraint(corev1.LabelHostname, 1, "app", "s")},
		},
		{
			name:  "PodTopologySpread missing topology key",
			nodes: map[string]func(*corev1.Node){"good": nodeLabels("rack", "r1")},
			pod:   []func(*corev1.Pod){podLabels("app", "s"), spreadConstraint("rack", 1, "app", "s")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			for _, n := range []string{"good", "bad1", "bad2"} {
				var mutate []func(*corev1.Node)
				if m := tt.nodes[n]; m != nil {
					mutate = append(mutate, m)
				}
				e.createNode(n, mutate...)
			}
			for _, n := range []string{"good", "bad1", "bad2"} {
				for i, m := range tt.existing[n] {
					e.placed("existing-"+n+"-"+string(rune('0'+i)), n, m)
				}
			}
			e.startScheduler(nil, nil)
			e.createPod("p", tt.pod...)
			if got := e.waitBound("p"); got != e.node("good") {
				t.Errorf("pod bound to %s, want %s", got, e.node("good"))
			}
		})
	}
}

// TestPodAffinityFailedScheduling: a pod that fits nowhere because of
// these plugins gets upstream's message on its PodScheduled condition and
// in a FailedScheduling event.
func TestPodAffinityFailedScheduling(t *testing.T) {
	tests := []struct {
		name     string
		nodes    []func(*corev1.Node)
		existing map[string][]func(*corev1.Pod)
		pod      []func(*corev1.Pod)
		want     string
	}{
		{
			name: "affinity to no pod",
			pod:  []func(*corev1.Pod){requiredAffinity(affinityTerm(corev1.LabelHostname, "app", "db"))},
			want: "0/2 nodes are available: 2 node(s) didn't match pod affinity rules. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.",
		},
		{
			name:     "anti-affinity everywhere",
			existing: map[string][]func(*corev1.Pod){"n1": {podLabels("app", "web")}, "n2": {podLabels("app", "web")}},
			pod:      []func(*corev1.Pod){requiredAntiAffinity(affinityTerm(corev1.LabelHostname, "app", "web"))},
			want:     "0/2 nodes are available: 2 node(s) didn't match pod anti-affinity rules. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.",
		},
		{
			name: "existing pods anti-affinity everywhere",
			existing: map[string][]func(*corev1.Pod){
				"n1": {requiredAntiAffinity(affinityTerm(corev1.LabelHostname, "app", "web"))},
				"n2": {requiredAntiAffinity(affinityTerm(corev1.LabelHostname, "app", "web"))},
			},
			pod:  []func(*corev1.Pod){podLabels("app", "web")},
			want: "0/2 nodes are available: 2 node(s) didn't satisfy existing pods anti-affinity rules. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.",
		},
		{
			name: "spread over a key no node has",
			pod:  []func(*corev1.Pod){podLabels("app", "s"), spreadConstraint("rack", 1, "app", "s")},
			want: "0/2 nodes are available: 2 node(s) didn't match pod topology spread constraints (missing required label). preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.",
		},
		{
			// Two zones: z1 (n1) holds two matching pods, z2 (n2, tainted)
			// none. The taint keeps the pod off n2; n1 would make the skew
			// 3.
			name: "spread skew with the least loaded zone tainted",
			nodes: []func(*corev1.Node){nodeLabels(corev1.LabelTopologyZone, "z1"), func(n *corev1.Node) {
				n.Labels[corev1.LabelTopologyZone] = "z2"
				n.Spec.Taints = []corev1.Taint{{Key: "dedicated", Effect: corev1.TaintEffectNoSchedule}}
			}},
			existing: map[string][]func(*corev1.Pod){
				"n1": {podLabels("app", "s"), podLabels("app", "s")},
			},
			pod:  []func(*corev1.Pod){podLabels("app", "s"), spreadConstraint(corev1.LabelTopologyZone, 1, "app", "s")},
			want: "0/2 nodes are available: 1 node(s) didn't match pod topology spread constraints, 1 node(s) had untolerated taint(s). preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			for i, n := range []string{"n1", "n2"} {
				var mutate []func(*corev1.Node)
				if i < len(tt.nodes) {
					mutate = append(mutate, tt.nodes[i])
				}
				e.createNode(n, mutate...)
			}
			for _, n := range []string{"n1", "n2"} {
				for i, m := range tt.existing[n] {
					e.placed("existing-"+n+"-"+string(rune('0'+i)), n, m)
				}
			}
			e.startScheduler(nil, nil)
			e.createPod("p", tt.pod...)
			if diff := cmp.Diff(tt.want, e.waitUnschedulable("p")); diff != "" {
				t.Errorf("PodScheduled message (-want +got):\n%s", diff)
			}
			e.waitEvent("p", "FailedScheduling", corev1.EventTypeWarning, tt.want)
		})
	}
}

// TestRequeueOnPodAdd: a pod pending for affinity to a pod that does not
// exist yet is scheduled, next to it, when that pod appears; a pod pending
// for a spread is scheduled when a pod that evens it out appears.
func TestRequeueOnPodAdd(t *testing.T) {
	t.Run("affinity", func(t *testing.T) {
		e := newEnv(t)
		e.createNode("a")
		e.createNode("b")
		e.startScheduler(nil, nil)
		e.createPod("p", requiredAffinity(affinityTerm(corev1.LabelHostname, "app", "db")))
		e.waitUnschedulable("p")
		// Past the first backoff, so that only the event can bring it
		// back soon.
		time.Sleep(1500 * time.Millisecond)
		e.placed("db", "b", podLabels("app", "db"))
		// waitBound's 30 s are far below the 5-minute flush: binding in
		// time means the pod's arrival requeued it.
		if got := e.waitBound("p"); got != e.node("b") {
			t.Errorf("pod bound to %s, want %s", got, e.node("b"))
		}
	})
	t.Run("spread", func(t *testing.T) {
		e := newEnv(t)
		e.createNode("a", nodeLabels("rack", "r1"))
		e.createNode("b", nodeLabels("rack", "r2"), func(n *corev1.Node) {
			n.Status.Allocatable = resources("cpu", "1", "memory", "8Gi", "pods", "110")
		})
		e.placed("s1", "a", podLabels("app", "s"))
		e.startScheduler(nil, nil)
		// Only a has room (b is too small for it): a would skew the
		// spread to 2.
		e.createPod("p", podLabels("app", "s"), spreadConstraint("rack", 1, "app", "s"), requests("cpu", "3"))
		e.waitUnschedulable("p")
		time.Sleep(1500 * time.Millisecond)
		e.placed("s2", "b", podLabels("app", "s"))
		if got := e.waitBound("p"); got != e.node("a") {
			t.Errorf("pod bound to %s, want %s", got, e.node("a"))
		}
	})
}

// TestImageLocality: with nothing else between them, pods go to the node
// that has their image.
func TestImageLocality(t *testing.T) {
	e := newEnv(t)
	image := "registry.example/big:1"
	e.createNode("good", func(n *corev1.Node) {
		n.Status.Images = []corev1.ContainerImage{{Names: []string{image}, SizeBytes: 1000 * 1024 * 1024}}
	})
	e.createNode("bad1")
	e.createNode("bad2")
	e.startScheduler(nil, nil)
	// Three pods one after the other: without the image's pull, each
	// next pod would go to a node with fewer pods.
	for _, name := range []string{"p1", "p2", "p3"} {
		e.createPod(name, func(p *corev1.Pod) { p.Spec.Containers[0].Image = image })
		if got := e.waitBound(name); got != e.node("good") {
			t.Errorf("%s bound to %s, want %s", name, got, e.node("good"))
		}
	}
}
