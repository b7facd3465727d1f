package garbagecollector

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

var configmaps = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}

func obj(uid, namespace string, owners ...metav1.OwnerReference) object {
	return object{identity: identity{resource: configmaps, namespace: namespace, name: "n-" + uid, uid: types.UID(uid)}, owners: owners}
}

func ref(uid string, block bool) metav1.OwnerReference {
	r := metav1.OwnerReference{APIVersion: "v1", Kind: "ConfigMap", Name: "n-" + uid, UID: types.UID(uid)}
	if block {
		r.BlockOwnerDeletion = ptr.To(true)
	}
	return r
}

func deleting(o object, finalizers ...string) object {
	o.deleted = true
	o.finalizers = finalizers
	return o
}

// step is one informer event: an upsert of obj, or the removal of remove.
type step struct {
	obj    object
	remove types.UID
}

func TestGraph(t *testing.T) {
	tests := []struct {
		name  string
		steps []step
		// want is the work caused by the last step.
		want work
		// wantDependents are the dependents of each node afterwards; a
		// node missing from it must be missing from the graph.
		wantDependents map[types.UID][]types.UID
		wantObserved   map[types.UID]bool
	}{{
		name:           "dependent of an unseen owner is checked and the owner is virtual",
		steps:          []step{{obj: obj("b", "ns", ref("a", false))}},
		want:           work{delete: []types.UID{"b"}},
		wantDependents: map[types.UID][]types.UID{"a": {"b"}, "b": nil},
		wantObserved:   map[types.UID]bool{"a": false, "b": true},
	}, {
		name:           "dependent of an observed owner is not checked",
		steps:          []step{{obj: obj("a", "ns")}, {obj: obj("b", "ns", ref("a", false))}},
		wantDependents: map[types.UID][]types.UID{"a": {"b"}, "b": nil},
		wantObserved:   map[types.UID]bool{"a": true, "b": true},
	}, {
		name:           "owner observed in another namespace: dependent is checked",
		steps:          []step{{obj: obj("a", "other")}, {obj: obj("b", "ns", ref("a", false))}},
		want:           work{delete: []types.UID{"b"}},
		wantDependents: map[types.UID][]types.UID{"a": {"b"}, "b": nil},
		wantObserved:   map[types.UID]bool{"a": true, "b": true},
	}, {
		name:           "deleted owner: its dependents are checked, it stays as a virtual node",
		steps:          []step{{obj: obj("a", "ns")}, {obj: obj("b", "ns", ref("a", false))}, {obj: obj("c", "ns", ref("a", false))}, {remove: "a"}},
		want:           work{delete: []types.UID{"b", "c"}},
		wantDependents: map[types.UID][]types.UID{"a": {"b", "c"}, "b": nil, "c": nil},
		wantObserved:   map[types.UID]bool{"a": false, "b": true, "c": true},
	}, {
		name:           "virtual owner leaves with its last dependent",
		steps:          []step{{obj: obj("b", "ns", ref("a", false))}, {remove: "b"}},
		wantDependents: map[types.UID][]types.UID{},
		wantObserved:   map[types.UID]bool{},
	}, {
		name:           "reference removed from a dependent: the virtual owner leaves",
		steps:          []step{{obj: obj("b", "ns", ref("a", false))}, {obj: obj("b", "ns")}},
		wantDependents: map[types.UID][]types.UID{"b": nil},
		wantObserved:   map[types.UID]bool{"b": true},
	}, {
		name: "owner enters foreground deletion: it and all its dependents are checked",
		steps: []step{{obj: obj("a", "ns")}, {obj: obj("b", "ns", ref("a", true))}, {obj: obj("c", "ns", ref("a", false))},
			{obj: deleting(obj("a", "ns"), metav1.FinalizerDeleteDependents)}},
		want:           work{delete: []types.UID{"a", "b", "c"}},
		wantDependents: map[types.UID][]types.UID{"a": {"b", "c"}, "b": nil, "c": nil},
		wantObserved:   map[types.UID]bool{"a": true, "b": true, "c": true},
	}, {
		name: "blocking dependent of a foreground owner goes: the owner is checked",
		steps: []step{{obj: obj("a", "ns")}, {obj: obj("b", "ns", ref("a", true))},
			{obj: deleting(obj("a", "ns"), metav1.FinalizerDeleteDependents)}, {remove: "b"}},
		want:           work{delete: []types.UID{"a"}},
		wantDependents: map[types.UID][]types.UID{"a": nil},
		wantObserved:   map[types.UID]bool{"a": true},
	}, {
		name: "dependent stops blocking a foreground owner: the owner is checked",
		steps: []step{{obj: obj("a", "ns")}, {obj: obj("b", "ns", ref("a", true))},
			{obj: deleting(obj("a", "ns"), metav1.FinalizerDeleteDependents)}, {obj: obj("b", "ns", ref("a", false))}},
		want:           work{delete: []types.UID{"a"}},
		wantDependents: map[types.UID][]types.UID{"a": {"b"}, "b": nil},
		wantObserved:   map[types.UID]bool{"a": true, "b": true},
	}, {
		name:           "owner deleted with the orphan finalizer is orphaned",
		steps:          []step{{obj: obj("a", "ns")}, {obj: obj("b", "ns", ref("a", false))}, {obj: deleting(obj("a", "ns"), metav1.FinalizerOrphanDependents)}},
		want:           work{orphan: []types.UID{"a"}},
		wantDependents: map[types.UID][]types.UID{"a": {"b"}, "b": nil},
		wantObserved:   map[types.UID]bool{"a": true, "b": true},
	}, {
		name:           "background deletion of an owner causes no work until it is gone",
		steps:          []step{{obj: obj("a", "ns")}, {obj: obj("b", "ns", ref("a", false))}, {obj: deleting(obj("a", "ns"))}},
		wantDependents: map[types.UID][]types.UID{"a": {"b"}, "b": nil},
		wantObserved:   map[types.UID]bool{"a": true, "b": true},
	}, {
		name:           "dependent of a foreground owner that appears later is checked",
		steps:          []step{{obj: deleting(obj("a", "ns"), metav1.FinalizerDeleteDependents)}, {obj: obj("b", "ns", ref("a", true))}},
		want:           work{delete: []types.UID{"b"}},
		wantDependents: map[types.UID][]types.UID{"a": {"b"}, "b": nil},
		wantObserved:   map[types.UID]bool{"a": true, "b": true},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := newGraph()
			var got work
			for _, s := range tc.steps {
				if s.remove != "" {
					got = g.remove(s.remove)
				} else {
					got = g.upsert(s.obj)
				}
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(work{}), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("work (-want +got):\n%s", diff)
			}
			gotDependents := map[types.UID][]types.UID{}
			gotObserved := map[types.UID]bool{}
			for uid, n := range g.nodes {
				gotDependents[uid] = sortedUIDs(n.dependents)
				gotObserved[uid] = n.observed
			}
			if diff := cmp.Diff(tc.wantDependents, gotDependents, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("dependents (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantObserved, gotObserved); diff != "" {
				t.Errorf("observed (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSnapshotBlocking(t *testing.T) {
	g := newGraph()
	g.upsert(obj("a", "ns"))
	g.upsert(obj("b", "ns", ref("a", true)))
	g.upsert(obj("c", "ns", ref("a", false)))
	g.upsert(deleting(obj("d", "ns", ref("a", true)), metav1.FinalizerDeleteDependents))
	s, ok := g.get("a")
	if !ok {
		t.Fatal("node a missing")
	}
	type dep struct {
		UID                types.UID
		Blocking, Deleting bool
	}
	var got []dep
	for _, d := range s.dependents {
		got = append(got, dep{d.uid, d.blocking, d.deletingDependents})
	}
	want := []dep{{"b", true, false}, {"c", false, false}, {"d", true, true}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("dependents (-want +got):\n%s", diff)
	}
}
