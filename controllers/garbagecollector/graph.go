package garbagecollector

import (
	"sort"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// identity locates an observed object for live reads and writes.
type identity struct {
	resource  schema.GroupVersionResource
	namespace string
	name      string
	uid       types.UID
}

// node is an object in the owner graph. A node is virtual (not observed)
// when some object names it as owner but no informer has shown it: it exists
// only to hold its dependents until they are checked against the server.
type node struct {
	identity
	observed bool
	owners   []metav1.OwnerReference
	// dependents are the nodes whose ownerReferences name this node.
	dependents map[types.UID]*node
	// beingDeleted: deletionTimestamp is set.
	beingDeleted bool
	// deletingDependents: being deleted with the foregroundDeletion finalizer.
	deletingDependents bool
	// orphaning: being deleted with the orphan finalizer.
	orphaning bool
}

// work is what a graph change asks the workers to look at.
type work struct {
	delete []types.UID
	orphan []types.UID
}

func (w *work) addDelete(uid types.UID) { w.delete = append(w.delete, uid) }

// graph is the owner graph. Event handlers change it, workers read it; both
// hold mu.
type graph struct {
	mu    sync.Mutex
	nodes map[types.UID]*node
}

func newGraph() *graph { return &graph{nodes: map[types.UID]*node{}} }

// object is what the graph needs from an informer's object.
type object struct {
	identity
	owners     []metav1.OwnerReference
	deleted    bool // deletionTimestamp set
	finalizers []string
}

func hasFinalizer(finalizers []string, f string) bool {
	for _, x := range finalizers {
		if x == f {
			return true
		}
	}
	return false
}

// upsert records an added or updated object and returns the work it causes:
//   - a dependent naming an owner the graph has not observed, or one being
//     deleted in the foreground, is checked (the owner may be absent);
//   - an owner in foreground deletion is checked, and on entering that state
//     so are all its dependents;
//   - an owner losing a dependent while deleting dependents is checked (it
//     may be unblocked);
//   - an owner being deleted with the orphan finalizer is orphaned.
func (g *graph) upsert(o object) work {
	g.mu.Lock()
	defer g.mu.Unlock()
	var w work
	n := g.nodes[o.uid]
	if n == nil {
		n = &node{dependents: map[types.UID]*node{}}
		g.nodes[o.uid] = n
	}
	n.identity = o.identity
	n.observed = true

	added, removed, unblocked := referenceDiffs(n.owners, o.owners)
	n.owners = o.owners
	for _, ref := range removed {
		g.dropDependent(ref.UID, n, &w)
	}
	for _, ref := range unblocked {
		if owner := g.nodes[ref.UID]; owner != nil && owner.deletingDependents {
			w.addDelete(owner.uid)
		}
	}
	check := false
	for _, ref := range added {
		owner := g.nodes[ref.UID]
		if owner == nil {
			owner = &node{identity: identity{uid: ref.UID}, dependents: map[types.UID]*node{}}
			g.nodes[ref.UID] = owner
		}
		owner.dependents[n.uid] = n
		if !owner.observed || owner.deletingDependents || owner.namespace != "" && owner.namespace != n.namespace {
			check = true
		}
	}
	if check {
		w.addDelete(n.uid)
	}

	wasDeletingDependents := n.deletingDependents
	n.beingDeleted = o.deleted
	n.deletingDependents = o.deleted && hasFinalizer(o.finalizers, metav1.FinalizerDeleteDependents)
	n.orphaning = o.deleted && hasFinalizer(o.finalizers, metav1.FinalizerOrphanDependents)
	if n.deletingDependents {
		w.addDelete(n.uid)
		if !wasDeletingDependents {
			for _, uid := range sortedUIDs(n.dependents) {
				w.addDelete(uid)
			}
		}
	}
	if n.orphaning {
		w.orphan = append(w.orphan, n.uid)
	}
	return w
}

// remove records a deleted object: its dependents are checked (their owner
// is gone), and its owners that wait for their dependents are checked.
// A removed node with dependents stays as a virtual node holding them.
func (g *graph) remove(uid types.UID) work {
	g.mu.Lock()
	defer g.mu.Unlock()
	var w work
	n := g.nodes[uid]
	if n == nil || !n.observed {
		return w
	}
	for _, ref := range n.owners {
		g.dropDependent(ref.UID, n, &w)
	}
	for _, dep := range sortedUIDs(n.dependents) {
		w.addDelete(dep)
	}
	if len(n.dependents) == 0 {
		delete(g.nodes, uid)
		return w
	}
	*n = node{identity: identity{uid: uid}, dependents: n.dependents}
	return w
}

// dropDependent removes dep from the owner's dependents; a virtual owner
// left without dependents leaves the graph.
func (g *graph) dropDependent(owner types.UID, dep *node, w *work) {
	o := g.nodes[owner]
	if o == nil {
		return
	}
	delete(o.dependents, dep.uid)
	if o.deletingDependents {
		w.addDelete(o.uid)
	}
	if !o.observed && len(o.dependents) == 0 {
		delete(g.nodes, owner)
	}
}

// snapshot is a copy of a node for a worker, taken under the lock.
type snapshot struct {
	identity
	observed           bool
	beingDeleted       bool
	deletingDependents bool
	dependents         []dependent
}

type dependent struct {
	identity
	// blocking: its reference to the owner has blockOwnerDeletion=true.
	blocking           bool
	deletingDependents bool
}

func (g *graph) get(uid types.UID) (snapshot, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := g.nodes[uid]
	if n == nil {
		return snapshot{}, false
	}
	s := snapshot{identity: n.identity, observed: n.observed, beingDeleted: n.beingDeleted, deletingDependents: n.deletingDependents}
	for _, uid := range sortedUIDs(n.dependents) {
		d := n.dependents[uid]
		blocking := false
		for _, ref := range d.owners {
			if ref.UID == n.uid && ref.BlockOwnerDeletion != nil && *ref.BlockOwnerDeletion {
				blocking = true
			}
		}
		s.dependents = append(s.dependents, dependent{identity: d.identity, blocking: blocking, deletingDependents: d.deletingDependents})
	}
	return s, true
}

// referenceDiffs compares owner references by UID. unblocked are the
// references present in both whose blockOwnerDeletion went from true to
// false: the owner they name may now be free to go.
func referenceDiffs(old, new []metav1.OwnerReference) (added, removed, unblocked []metav1.OwnerReference) {
	oldByUID := map[types.UID]metav1.OwnerReference{}
	for _, r := range old {
		oldByUID[r.UID] = r
	}
	newUIDs := map[types.UID]bool{}
	for _, r := range new {
		newUIDs[r.UID] = true
		o, ok := oldByUID[r.UID]
		switch {
		case !ok:
			added = append(added, r)
		case blocks(o) && !blocks(r):
			unblocked = append(unblocked, r)
		}
	}
	for _, r := range old {
		if !newUIDs[r.UID] {
			removed = append(removed, r)
		}
	}
	return added, removed, unblocked
}

func blocks(r metav1.OwnerReference) bool {
	return r.BlockOwnerDeletion != nil && *r.BlockOwnerDeletion
}

// sortedUIDs keeps the order of queued work stable, for tests and logs.
func sortedUIDs(m map[types.UID]*node) []types.UID {
	out := make([]types.UID, 0, len(m))
	for uid := range m {
		out = append(out, uid)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
