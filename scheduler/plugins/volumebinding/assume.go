package volumebinding

import (
	"fmt"
	"strconv"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// assumeCache lays the objects the scheduler assumed (a volume pre-bound to
// a claim, a claim with a selected node) over an informer's, so that the
// scheduling cycles after a Reserve see its choice before the API writes
// are made and come back. An assumed object is shown while the informer's
// copy is no newer than the one it was made from; once the informer has a
// newer version (the write came back, or someone else changed the object)
// the informer's is the truth again.
type assumeCache[T metav1.Object] struct {
	// get reads the informer's object by key.
	get func(key string) (T, error)

	mu      sync.Mutex
	assumed map[string]T
}

func newAssumeCache[T metav1.Object](get func(key string) (T, error)) *assumeCache[T] {
	return &assumeCache[T]{get: get, assumed: map[string]T{}}
}

// Get returns the assumed object if it still stands, else the informer's.
func (c *assumeCache[T]) Get(key string) (T, error) {
	obj, err := c.get(key)
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.assumed[key]
	if !ok {
		return obj, err
	}
	if err != nil || version(a) < version(obj) {
		delete(c.assumed, key)
		return obj, err
	}
	return a, nil
}

// overlay returns obj, or the assumed object in its place if it still
// stands; for lists.
func (c *assumeCache[T]) overlay(key string, obj T) T {
	c.mu.Lock()
	defer c.mu.Unlock()
	if a, ok := c.assumed[key]; ok && version(a) >= version(obj) {
		return a
	}
	return obj
}

// GetAPIObj returns the informer's object, ignoring what is assumed: what
// the API server (and so the PV controller) has.
func (c *assumeCache[T]) GetAPIObj(key string) (T, error) { return c.get(key) }

// Assume puts obj over the informer's object. It fails when the informer
// already has a newer version than obj was made from: the choice was made
// on stale data.
func (c *assumeCache[T]) Assume(key string, obj T) error {
	cur, err := c.get(key)
	if err != nil {
		return fmt.Errorf("assume %q: %w", key, err)
	}
	if v, cv := version(obj), version(cur); v < cv {
		return fmt.Errorf("%q is out of sync with the cache: version %d is older than %d", key, v, cv)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.assumed[key] = obj
	return nil
}

// Restore forgets what was assumed about key.
func (c *assumeCache[T]) Restore(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.assumed, key)
}

// version is the object's resourceVersion as a number (etcd's revision); 0
// when it does not parse, so that such an object never hides a real one.
func version(obj metav1.Object) uint64 {
	v, _ := strconv.ParseUint(obj.GetResourceVersion(), 10, 64)
	return v
}
