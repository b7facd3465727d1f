package daemonset

import (
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// expectationsTimeout bounds how long a DaemonSet waits for the informer to
// show its own creates and deletes; a lost watch event must not stall it
// forever. Upstream's value.
const expectationsTimeout = 5 * time.Minute

// expectations counts, per DaemonSet key, the pod creates and deletes a sync
// issued that the informer has not shown yet (upstream's
// ControllerExpectations). Until they are seen the pod cache is behind the
// controller's own writes, and managing pods from it again would create a
// second pod on a node or delete one twice.
type expectations struct {
	clock clock.PassiveClock
	mu    sync.Mutex
	m     map[string]*expectation
}

type expectation struct {
	add, del  int
	timestamp time.Time
}

func newExpectations(c clock.PassiveClock) *expectations {
	return &expectations{clock: c, m: map[string]*expectation{}}
}

// satisfied reports whether key's pods may be managed: nothing is
// outstanding, or what is has waited too long to be trusted.
func (e *expectations) satisfied(key string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	x, ok := e.m[key]
	if !ok {
		return true
	}
	return (x.add <= 0 && x.del <= 0) || e.clock.Since(x.timestamp) > expectationsTimeout
}

// expect replaces key's expectations with add creates and del deletes.
func (e *expectations) expect(key string, add, del int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.m[key] = &expectation{add: add, del: del, timestamp: e.clock.Now()}
}

// lower takes back creates or deletes that were never issued or failed:
// no event will come for them.
func (e *expectations) lower(key string, add, del int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if x, ok := e.m[key]; ok {
		x.add -= add
		x.del -= del
	}
}

func (e *expectations) creationObserved(key string) { e.lower(key, 1, 0) }

func (e *expectations) deletionObserved(key string) { e.lower(key, 0, 1) }

func (e *expectations) forget(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.m, key)
}
