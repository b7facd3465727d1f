package job

import (
	"sync"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/utils/clock"

	podexpectations "github.com/kubeshim/kubeshim/controllers/expectations"
)

// expectations remembers, per job key, the writes a sync made that the pod
// informer has not shown yet. Until it shows them the pod cache is behind
// the controller, and counting pods again would create or delete twice, or
// count a finished pod twice (upstream's ControllerExpectations and
// uidTrackingExpectations). The pod creates and deletes are the shared
// expectations.Tracking; the finalizer removals are the job's own.
type expectations struct {
	*podexpectations.Tracking

	mu sync.Mutex
	// finalizers holds, per job, the UIDs of pods whose tracking finalizer
	// was removed but which the cache still shows with it: they are counted
	// already and must not be counted again.
	finalizers map[string]sets.Set[types.UID]
}

func newExpectations(c clock.PassiveClock) *expectations {
	return &expectations{Tracking: podexpectations.NewTracking(c), finalizers: map[string]sets.Set[types.UID]{}}
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

// Forget drops everything expected of key, pods and finalizers: the job is
// gone, or another object took its name.
func (e *expectations) Forget(key string) {
	e.Tracking.Forget(key)
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.finalizers, key)
}
