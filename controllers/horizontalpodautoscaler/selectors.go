package horizontalpodautoscaler

import (
	"sort"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// selectors holds, per namespace, the pod selector of each HPA's target as
// of its last reconcile, so that two HPAs scaling the same pods are caught:
// they would fight, each undoing the other's scale. An HPA not reconciled
// yet holds labels.Nothing().
type selectors struct {
	mu sync.RWMutex
	ns map[string]map[string]labels.Selector // namespace → HPA name → selector
}

func newSelectors() *selectors {
	return &selectors{ns: map[string]map[string]labels.Selector{}}
}

// add registers an HPA with no selector unless it is registered; it
// reports whether it was new.
func (s *selectors) add(namespace, name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.ns[namespace]
	if m == nil {
		m = map[string]labels.Selector{}
		s.ns[namespace] = m
	}
	if _, ok := m[name]; ok {
		return false
	}
	m[name] = labels.Nothing()
	return true
}

// update sets a registered HPA's selector; false means it was deleted
// meanwhile.
func (s *selectors) update(namespace, name string, sel labels.Selector) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.ns[namespace][name]; !ok {
		return false
	}
	s.ns[namespace][name] = sel
	return true
}

func (s *selectors) remove(namespace, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.ns[namespace], name)
	if len(s.ns[namespace]) == 0 {
		delete(s.ns, namespace)
	}
}

// matching returns up to limit "namespace/name"s of the HPAs whose
// selector picks one of pods, sorted.
func (s *selectors) matching(namespace string, pods []*corev1.Pod, limit int) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	found := map[string]bool{}
	seen := map[string]bool{}
	for _, p := range pods {
		set := labels.Set(p.Labels)
		if seen[set.String()] {
			continue
		}
		seen[set.String()] = true
		for name, sel := range s.ns[namespace] {
			if !found[name] && sel.Matches(set) {
				found[name] = true
				if len(found) >= limit {
					break
				}
			}
		}
		if len(found) >= limit {
			break
		}
	}
	out := make([]string, 0, len(found))
	for name := range found {
		out = append(out, namespace+"/"+name)
	}
	sort.Strings(out)
	return out
}
