package job

import (
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/utils/ptr"
)

// Upstream's pod failure back-off: a pod that replaces a failed one waits
// podFailureBackoff after the failure, doubled for each further failure
// since the last success, at most maxPodFailureBackoff.
const (
	podFailureBackoff    = 10 * time.Second
	maxPodFailureBackoff = 10 * time.Minute
)

// backoffRecord is what a job's recreation back-off depends on.
type backoffRecord struct {
	failuresAfterLastSuccess int32
	lastFailureTime          *time.Time
}

// backoffStore keeps each job's back-off record between syncs. It lives in
// memory only, as upstream's: a restarted controller starts the back-off
// over, which at worst recreates a pod early.
type backoffStore struct {
	mu sync.Mutex
	m  map[string]backoffRecord
}

func newBackoffStore() *backoffStore { return &backoffStore{m: map[string]backoffRecord{}} }

func (s *backoffStore) get(key string) backoffRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[key]
}

func (s *backoffStore) set(key string, r backoffRecord) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[key] = r
}

func (s *backoffStore) remove(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
}

// next is the record after the pods that finished since the last sync: a
// success resets the count, and only failures after the latest success
// count.
func (r backoffRecord) next(newSucceeded, newFailed []*corev1.Pod) backoffRecord {
	if len(newFailed) == 0 && len(newSucceeded) == 0 {
		return r
	}
	failed := sortedFinishTimes(newFailed)
	if len(newSucceeded) == 0 {
		last := failed[len(failed)-1]
		return backoffRecord{failuresAfterLastSuccess: r.failuresAfterLastSuccess + int32(len(failed)), lastFailureTime: &last}
	}
	succeeded := sortedFinishTimes(newSucceeded)
	lastSuccess := succeeded[len(succeeded)-1]
	out := backoffRecord{}
	for i := len(failed) - 1; i >= 0 && failed[i].After(lastSuccess); i-- {
		if out.lastFailureTime == nil {
			out.lastFailureTime = &failed[i]
		}
		out.failuresAfterLastSuccess++
	}
	return out
}

func sortedFinishTimes(pods []*corev1.Pod) []time.Time {
	out := make([]time.Time, len(pods))
	for i, p := range pods {
		out[i] = finishTime(p)
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return out
}

// remaining is how long a replacement pod must still wait at now.
func (r backoffRecord) remaining(now time.Time) time.Duration {
	if r.lastFailureTime == nil {
		return 0
	}
	return backoffRemaining(now, r.failuresAfterLastSuccess, *r.lastFailureTime)
}

// backoffRemaining is the wait left at now after failures failures, the
// last at last.
func backoffRemaining(now time.Time, failures int32, last time.Time) time.Duration {
	if failures == 0 {
		return 0
	}
	d := podFailureBackoff
	for i := int32(1); i < failures && d < maxPodFailureBackoff; i++ {
		d *= 2
	}
	d = min(d, maxPodFailureBackoff)
	if elapsed := now.Sub(last); elapsed < d {
		return d - elapsed
	}
	return 0
}

// finishTime is when a pod finished, as well as its status tells: the
// latest container termination (with restartable init containers, the
// sidecars too), else when it stopped being ready, else when its deletion
// began, else its creation.
func finishTime(p *corev1.Pod) time.Time {
	if t := containersFinishTime(p); t != nil {
		return *t
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady && c.Status == corev1.ConditionFalse && !c.LastTransitionTime.IsZero() {
			return c.LastTransitionTime.Time
		}
	}
	if p.DeletionTimestamp != nil {
		return p.DeletionTimestamp.Add(-time.Duration(ptr.Deref(p.DeletionGracePeriodSeconds, 0)) * time.Second)
	}
	return p.CreationTimestamp.Time
}

// containersFinishTime is the latest finish of the pod's containers and
// sidecars, or nil when one of them has not terminated (or says no time).
func containersFinishTime(p *corev1.Pod) *time.Time {
	sidecars := sets.New[string]()
	for _, c := range p.Spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			sidecars.Insert(c.Name)
		}
	}
	var latest *time.Time
	consider := func(statuses []corev1.ContainerStatus, only sets.Set[string]) bool {
		for _, s := range statuses {
			if only != nil && !only.Has(s.Name) {
				continue
			}
			if s.State.Terminated == nil || s.State.Terminated.FinishedAt.IsZero() {
				return false
			}
			if t := s.State.Terminated.FinishedAt.Time; latest == nil || t.After(*latest) {
				latest = &t
			}
		}
		return true
	}
	if !consider(p.Status.ContainerStatuses, nil) || !consider(p.Status.InitContainerStatuses, sidecars) {
		return nil
	}
	return latest
}
