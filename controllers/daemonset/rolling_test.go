package daemonset

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

func TestSurgeAndUnavailable(t *testing.T) {
	type counts struct{ Surge, Unavailable int }
	onDelete := func(ds *appsv1.DaemonSet) {
		ds.Spec.UpdateStrategy = appsv1.DaemonSetUpdateStrategy{Type: appsv1.OnDeleteDaemonSetStrategyType}
	}
	tests := []struct {
		name    string
		ds      *appsv1.DaemonSet
		desired int
		want    counts
	}{
		{"default: one unavailable", newDS(), 5, counts{0, 1}},
		{"percent of unavailable rounds up", newDS(surge(intstr.FromInt32(0), intstr.FromString("25%"))), 10, counts{0, 3}},
		{"percent of surge rounds up", newDS(surge(intstr.FromString("10%"), intstr.FromInt32(0))), 11, counts{2, 0}},
		{"neither allowed: one unavailable", newDS(surge(intstr.FromInt32(0), intstr.FromInt32(0))), 3, counts{0, 1}},
		{"neither allowed, no nodes", newDS(surge(intstr.FromInt32(0), intstr.FromInt32(0))), 0, counts{0, 0}},
		{"on delete", newDS(onDelete), 3, counts{0, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, u, err := surgeAndUnavailable(tc.ds, tc.desired)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, counts{s, u}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if _, _, err := surgeAndUnavailable(newDS(surge(intstr.FromString("x%"), intstr.FromInt32(0))), 3); err == nil {
		t.Errorf("invalid maxSurge: no error")
	}
}

// nodePods describes a node's pods for a rollout: "old", "new", with
// "-unready" for not ready, "-deleting" for being deleted.
type nodePods map[string][]string

func (np nodePods) build(oldHash, newHash string) map[string][]*corev1.Pod {
	out := map[string][]*corev1.Pod{}
	for node, specs := range np {
		out[node] = []*corev1.Pod{}
		for _, s := range specs {
			hash, rest := oldHash, s
			if len(s) >= 3 && s[:3] == "new" {
				hash = newHash
			}
			p := daemonPod(node+"-"+s, node, nil, hash)
			switch rest[3:] {
			case "-unready":
				notReady(p)
			case "-deleting":
				p.DeletionTimestamp = ptr.To(metav1.NewTime(now))
			case "-fresh":
				readySince(time.Second)(p)
			}
			out[node] = append(out[node], p)
		}
	}
	return out
}

func TestRollingWithoutSurge(t *testing.T) {
	tests := []struct {
		name           string
		nodes          nodePods
		maxUnavailable int
		minReady       int32
		want           []string
	}{{
		name:           "all old and available: delete within the budget, in node order",
		nodes:          nodePods{"a": {"old"}, "b": {"old"}, "c": {"old"}, "d": {"old"}},
		maxUnavailable: 1,
		want:           []string{"a-old"},
	}, {
		name:           "a larger budget",
		nodes:          nodePods{"a": {"old"}, "b": {"old"}, "c": {"old"}, "d": {"old"}},
		maxUnavailable: 3,
		want:           []string{"a-old", "b-old", "c-old"},
	}, {
		name:           "a new pod not yet ready uses the budget",
		nodes:          nodePods{"a": {"new-unready"}, "b": {"old"}, "c": {"old"}},
		maxUnavailable: 1,
	}, {
		name:           "a new pod ready but not for minReadySeconds uses the budget",
		nodes:          nodePods{"a": {"new-fresh"}, "b": {"old"}, "c": {"old"}},
		maxUnavailable: 1, minReady: 10,
	}, {
		name:           "a node with no pod uses the budget",
		nodes:          nodePods{"a": {}, "b": {"old"}},
		maxUnavailable: 1,
	}, {
		name:           "unavailable old pods are replaced beyond the budget",
		nodes:          nodePods{"a": {"new-unready"}, "b": {"old-unready"}, "c": {"old-unready"}, "d": {"old"}},
		maxUnavailable: 1,
		want:           []string{"b-old-unready", "c-old-unready"},
	}, {
		name:           "a node with an old and a new pod is manage's to settle",
		nodes:          nodePods{"a": {"old", "new"}, "b": {"old"}},
		maxUnavailable: 2,
		want:           []string{"b-old"},
	}, {
		name:           "pods being deleted do not count",
		nodes:          nodePods{"a": {"old-deleting", "new"}, "b": {"old"}},
		maxUnavailable: 1,
		want:           []string{"b-old"},
	}, {
		name:           "all updated",
		nodes:          nodePods{"a": {"new"}, "b": {"new"}},
		maxUnavailable: 1,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ds := newDS(func(ds *appsv1.DaemonSet) { ds.Spec.MinReadySeconds = tc.minReady })
			r := rollout{ds: ds, hash: "new-hash", now: now, byNode: tc.nodes.build("old-hash", "new-hash")}
			if diff := cmp.Diff(tc.want, r.withoutSurge(tc.maxUnavailable)); diff != "" {
				t.Errorf("pods to delete (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRollingWithSurge(t *testing.T) {
	tests := []struct {
		name     string
		nodes    nodePods
		notRun   []string
		maxSurge int
		wantDel  []string
		wantNew  []string
	}{{
		name:     "all old and available: surge within the budget",
		nodes:    nodePods{"a": {"old"}, "b": {"old"}, "c": {"old"}},
		maxSurge: 2,
		wantNew:  []string{"a", "b"},
	}, {
		name:     "a new pod not yet available uses the budget",
		nodes:    nodePods{"a": {"old", "new-unready"}, "b": {"old"}, "c": {"old"}},
		maxSurge: 1,
	}, {
		name:     "an available new pod replaces the old one",
		nodes:    nodePods{"a": {"old", "new"}, "b": {"old"}},
		maxSurge: 1,
		wantDel:  []string{"a-old"},
		wantNew:  []string{"b"},
	}, {
		name:     "an unavailable old pod gets its new one beyond the budget",
		nodes:    nodePods{"a": {"old", "new-unready"}, "b": {"old-unready"}},
		maxSurge: 1,
		wantNew:  []string{"b"},
	}, {
		name:     "an unavailable old pod on a node that should not run one goes",
		nodes:    nodePods{"a": {"new"}, "b": {"old-unready"}},
		notRun:   []string{"b"},
		maxSurge: 1,
		wantDel:  []string{"b-old-unready"},
	}, {
		name:     "an available old pod on a node that should not run one waits for availability elsewhere",
		nodes:    nodePods{"a": {"new-unready"}, "b": {"old"}},
		notRun:   []string{"b"},
		maxSurge: 1,
	}, {
		name:     "and goes once enough pods are available",
		nodes:    nodePods{"a": {"new"}, "b": {"old"}},
		notRun:   []string{"b"},
		maxSurge: 1,
		wantDel:  []string{"b-old"},
	}, {
		name:     "two pods of a revision on a node: manage prunes first, counted as surging",
		nodes:    nodePods{"a": {"new", "new"}, "b": {"old"}},
		maxSurge: 1,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ds := newDS(surge(intstr.FromInt32(int32(tc.maxSurge)), intstr.FromInt32(0)))
			r := rollout{ds: ds, hash: "new-hash", now: now, byNode: tc.nodes.build("old-hash", "new-hash"), shouldRun: map[string]bool{}}
			notRun := map[string]bool{}
			for _, n := range tc.notRun {
				notRun[n] = true
			}
			for n := range tc.nodes {
				if !notRun[n] {
					r.shouldRun[n] = true
					r.desired++
				}
			}
			del, create := r.withSurge(tc.maxSurge)
			if diff := cmp.Diff(tc.wantDel, del); diff != "" {
				t.Errorf("pods to delete (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantNew, create); diff != "" {
				t.Errorf("nodes to create on (-want +got):\n%s", diff)
			}
		})
	}
}
