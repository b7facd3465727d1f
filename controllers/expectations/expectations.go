package expectations

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/utils/clock"
)

// Timeout bounds how long an owner waits for the informer to show its own
// creates and deletes: a lost watch event must not stall it forever.
// Upstream's value.
const Timeout = 5 * time.Minute

// Counting counts, per owner key, the creates and deletes not yet observed.
type Counting struct {
	clock clock.PassiveClock
	mu    sync.Mutex
	m     map[string]*record
}

type record struct {
	add, del int
	// deleting holds the namespace/name keys of the pods being deleted;
	// only Tracking sets it.
	deleting  sets.Set[string]
	timestamp time.Time
}

// NewCounting returns empty expectations that age on c.
func NewCounting(c clock.PassiveClock) *Counting {
	return &Counting{clock: c, m: map[string]*record{}}
}

// Satisfied reports whether key may be managed: nothing is outstanding, or
// what is has waited longer than Timeout to be trusted.
func (e *Counting) Satisfied(key string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	x, ok := e.m[key]
	if !ok {
		return true
	}
	return (x.add <= 0 && x.del <= 0) || e.clock.Since(x.timestamp) > Timeout
}

// Expect replaces key's expectations with add creates and del deletes.
func (e *Counting) Expect(key string, add, del int) {
	e.set(key, &record{add: add, del: del})
}

func (e *Counting) set(key string, x *record) {
	e.mu.Lock()
	defer e.mu.Unlock()
	x.timestamp = e.clock.Now()
	e.m[key] = x
}

// Lower takes back creates or deletes that were observed, or that were
// never issued or failed: no event will come for those.
func (e *Counting) Lower(key string, add, del int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if x, ok := e.m[key]; ok {
		x.add -= add
		x.del -= del
	}
}

// CreationObserved lowers key's expected creates by one.
func (e *Counting) CreationObserved(key string) { e.Lower(key, 1, 0) }

// DeletionObserved lowers key's expected deletes by one, whichever pod it was.
func (e *Counting) DeletionObserved(key string) { e.Lower(key, 0, 1) }

// Pending returns the creates and deletes key still expects, and whether it
// expects anything at all; it lets tests and logs see what a sync waits for.
func (e *Counting) Pending(key string) (add, del int, ok bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	x, ok := e.m[key]
	if !ok {
		return 0, 0, false
	}
	return x.add, x.del, true
}

// Forget drops key's expectations: the owner is gone, or another object
// took its name.
func (e *Counting) Forget(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.m, key)
}

// Tracking is Counting that knows which pods it deletes: a delete counts
// once, and only for a pod that ExpectDeletions named.
type Tracking struct {
	c Counting
}

// NewTracking returns empty expectations that age on c.
func NewTracking(c clock.PassiveClock) *Tracking {
	return &Tracking{c: Counting{clock: c, m: map[string]*record{}}}
}

// Satisfied is Counting.Satisfied.
func (e *Tracking) Satisfied(key string) bool { return e.c.Satisfied(key) }

// ExpectCreations replaces key's expectations with n creates.
func (e *Tracking) ExpectCreations(key string, n int) {
	e.c.set(key, &record{add: n})
}

// ExpectDeletions replaces key's expectations with the deletes of the pods
// with namespace/name keys podKeys.
func (e *Tracking) ExpectDeletions(key string, podKeys []string) {
	e.c.set(key, &record{del: len(podKeys), deleting: sets.New(podKeys...)})
}

// CreationObserved lowers key's expected creates by one.
func (e *Tracking) CreationObserved(key string) { e.c.CreationObserved(key) }

// DeletionObserved lowers key's expected deletes by one if podKey is a pod
// it still expects deleted, and no longer expects it.
func (e *Tracking) DeletionObserved(key, podKey string) {
	e.c.mu.Lock()
	defer e.c.mu.Unlock()
	if x, ok := e.c.m[key]; ok && x.deleting.Has(podKey) {
		x.deleting.Delete(podKey)
		x.del--
	}
}

// Pending is Counting.Pending.
func (e *Tracking) Pending(key string) (add, del int, ok bool) { return e.c.Pending(key) }

// Forget is Counting.Forget.
func (e *Tracking) Forget(key string) { e.c.Forget(key) }
