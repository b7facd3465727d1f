package statefulset

import (
	"fmt"
	"sync"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/resourceversion"
	"k8s.io/client-go/tools/cache"
)

// The resources whose writes the tracker follows.
const (
	resourcePods      = "pods"
	resourceClaims    = "persistentvolumeclaims"
	resourceSets      = "statefulsets"
	resourceRevisions = "controllerrevisions"
)

// writeTracker remembers, per set, the newest resource version of each
// resource the controller wrote for it, and tells whether the informers'
// stores have caught up with them (upstream's consistency store). Resource
// versions come from one etcd revision counter, so a store that has synced
// to a version at least as new as a write has seen that write.
type writeTracker struct {
	stores map[string]cache.Store

	mu     sync.Mutex
	owners map[string]*ownerWrites
}

type ownerWrites struct {
	uid      types.UID
	versions map[string]string
}

func newWriteTracker(stores map[string]cache.Store) *writeTracker {
	return &writeTracker{stores: stores, owners: map[string]*ownerWrites{}}
}

// wrote records a write of resource at rv for the set key with uid. A write
// for another uid (the set was recreated) starts over.
func (w *writeTracker) wrote(key string, uid types.UID, resource, rv string) {
	if rv == "" {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	o := w.owners[key]
	if o == nil || o.uid != uid {
		o = &ownerWrites{uid: uid, versions: map[string]string{}}
		w.owners[key] = o
	}
	if cur, ok := o.versions[resource]; ok {
		if c, err := resourceversion.CompareResourceVersion(cur, rv); err == nil && c >= 0 {
			return
		}
	}
	o.versions[resource] = rv
}

// caughtUp returns nil when every store has synced past the key's writes,
// and forgets them then; otherwise it says which store lags. A store that
// cannot tell its version (client-go's AtomicFIFO off) or a version that
// does not parse never holds a set back.
func (w *writeTracker) caughtUp(key string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	o := w.owners[key]
	if o == nil {
		return nil
	}
	for resource, wrote := range o.versions {
		store := w.stores[resource]
		if store == nil {
			continue
		}
		read := store.LastStoreSyncResourceVersion()
		if read == "" {
			continue
		}
		if c, err := resourceversion.CompareResourceVersion(wrote, read); err == nil && c > 0 {
			return fmt.Errorf("%s cache at resource version %s, older than this controller's write at %s", resource, read, wrote)
		}
	}
	delete(w.owners, key)
	return nil
}

// forget drops the key's writes; an empty uid matches any.
func (w *writeTracker) forget(key string, uid types.UID) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if o := w.owners[key]; o != nil && (uid == "" || o.uid == uid) {
		delete(w.owners, key)
	}
}
