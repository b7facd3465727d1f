package job

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/utils/clock"
)

// expectationsTimeout bounds how long a sync waits for the informer to show
// the pod creates and deletes of an earlier sync: a lost watch event must not
// stall a job forever. Upstream's value.
const expectationsTimeout = 5 * time.Minute

// expectations remembers, per job key, the writes a sync made that the pod
// informer has not shown yet. Until it shows them the pod cache is behind
// the controller, and counting pods again would create or delete twice, or
// count a finished pod twice (upstream's ControllerExpectations and
// uidTrackingExpectations).
type expectations struct {
	clock clock.PassiveClock
	mu    sync.Mutex
	pods  map[string]*podExpectation
	// finalizers holds, per job, the UIDs of pods whose tracking finalizer
	// was removed but which the cache still shows with it: they are counted
	// already and must not be counted again.
	finalizers map[string]sets.Set[types.UID]
}

type podExpectation struct {
	add, del int
	// deleting holds the namespace/name keys of the pods being deleted, so
	// that the update that sets a deletion timestamp and the final delete
	// count once, and only for pods this job deleted.
	deleting  sets.Set[string]
	timestamp time.Time
}

func newExpectations(c clock.PassiveClock) *expectations {
	return &expectations{clock: c, pods: map[string]*podExpectation{}, finalizers: map[string]sets.Set[types.UID]{}}
}

// satisfied reports whether the pod cache has caught up with the creates
// and deletes of key's last sync, or they are too old to wait for.
func (e *expectations) satisfied(key string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	x, ok := e.pods[key]
	if !ok {
		return true
	}
	return (x.add <= 0 && x.del <= 0) || e.clock.Since(x.timestamp) > expectationsTimeout
}

func (e *expectations) expectCreations(key string, n int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.pods[key] = &podExpectation{add: n, deleting: sets.New[string](), timestamp: e.clock.Now()}
}

func (e *expectations) expectDeletions(key string, podKeys []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.pods[key] = &podExpectation{del: len(podKeys), deleting: sets.New(podKeys...), timestamp: e.clock.Now()}
}

func (e *expectations) creationObserved(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if x, ok := e.pods[key]; ok {
		x.add--
	}
}

func (e *expectations) deletionObserved(key, podKey string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if x, ok := e.pods[key]; ok && x.deleting.Has(podKey) {
		x.deleting.Delete(podKey)
		x.del--
	}
}

func (e *expectations) expectFinalizersRemoved(key string, uids []types.UID) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, ok := e.finalizers[key]
	if !ok {
		s = sets.New[types.UID]()
		e.finalizers[key] = s
	}
	s.Insert(uids...)
}

func (e *expectations) finalizerRemovalObserved(key string, uid types.UID) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if s, ok := e.finalizers[key]; ok {
		s.Delete(uid)
	}
}

// finalizersBeingRemoved returns a copy of the UIDs of key's pods whose
// finalizer removal the cache does not show yet.
func (e *expectations) finalizersBeingRemoved(key string) sets.Set[types.UID] {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.finalizers[key].Clone()
}

// forget drops everything expected of key: the job is gone, or another
// object took its name.
func (e *expectations) forget(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.pods, key)
	delete(e.finalizers, key)
}
