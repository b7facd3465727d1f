package replicaset

import (
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// expectationsTimeout bounds how long a controller waits for the informer
// to show its own creates and deletes; a lost watch event must not stall
// an owner forever. Upstream's value.
const expectationsTimeout = 5 * time.Minute

// expectations remembers, per owner key, the pod creates and deletes a sync
// issued and the informer has not shown yet. Until they are seen, the
// pod cache is behind the controller's own writes and counting it again
// would create or delete twice (upstream's UIDTrackingControllerExpectations).
type expectations struct {
	clock clock.PassiveClock
	mu    sync.Mutex
	m     map[string]*expectation
}

type expectation struct {
	add, del int
	// deleting holds the namespace/name keys of pods being deleted, so that
	// a delete event counts once and only for a pod this owner deleted.
	deleting  map[string]bool
	timestamp time.Time
}

func newExpectations(c clock.PassiveClock) *expectations {
	return &expectations{clock: c, m: map[string]*expectation{}}
}

// satisfied reports whether key may be synced: nothing is outstanding, or
// the expectations are too old to trust.
func (e *expectations) satisfied(key string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	x, ok := e.m[key]
	if !ok {
		return true
	}
	return (x.add <= 0 && x.del <= 0) || e.clock.Since(x.timestamp) > expectationsTimeout
}

func (e *expectations) expectCreations(key string, n int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.m[key] = &expectation{add: n, timestamp: e.clock.Now()}
}

func (e *expectations) expectDeletions(key string, podKeys []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	x := &expectation{del: len(podKeys), deleting: map[string]bool{}, timestamp: e.clock.Now()}
	for _, k := range podKeys {
		x.deleting[k] = true
	}
	e.m[key] = x
}

func (e *expectations) creationObserved(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if x, ok := e.m[key]; ok {
		x.add--
	}
}

func (e *expectations) deletionObserved(key, podKey string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if x, ok := e.m[key]; ok && x.deleting[podKey] {
		delete(x.deleting, podKey)
		x.del--
	}
}

func (e *expectations) forget(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.m, key)
}
