package metrics

import (
	"errors"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"
)

// freshContainerMinAge is how long a container must have run before its start is used
// as its first sample: metrics-server's bound, below which the rate is too noisy.
const freshContainerMinAge = 10 * time.Second

// point is one sample of a node or a container.
type point struct {
	// start is when the container started (zero for a node): its cumulative CPU was 0 then.
	start time.Time
	// time is when CPU was measured; memory is taken as of the same time.
	time time.Time
	// cpu is the cumulative CPU time in core-nanoseconds.
	cpu uint64
	// memory is the working set in bytes.
	memory uint64
}

// batch is one round of scrapes: every node's sample and every pod's containers'.
type batch struct {
	nodes map[string]point
	pods  map[types.NamespacedName]map[string]point
}

func newBatch() *batch {
	return &batch{nodes: map[string]point{}, pods: map[types.NamespacedName]map[string]point{}}
}

// usage is what the API serves of one node or container.
type usage struct {
	time   time.Time
	window time.Duration
	cpu    resource.Quantity
	memory resource.Quantity
}

// store keeps the last two samples of every node and container, as metrics-server's
// storage does: a sample replaces the last one only when it is newer, and the last one
// becomes the previous one only when the node or container has not restarted since.
// Everything not in the newest batch is forgotten.
type store struct {
	// resolution is the scrape period: a container younger than it (but at least
	// freshContainerMinAge old) gets its start as the previous sample, so that it shows
	// after one scrape rather than two.
	resolution time.Duration

	mu                   sync.RWMutex
	lastNodes, prevNodes map[string]point
	lastPods, prevPods   map[types.NamespacedName]map[string]point
}

func newStore(resolution time.Duration) *store {
	return &store{resolution: resolution}
}

// add stores a batch: the samples of the nodes and pods it holds become the last ones.
func (s *store) add(b *batch) {
	s.mu.Lock()
	defer s.mu.Unlock()
	lastNodes, prevNodes := make(map[string]point, len(b.nodes)), make(map[string]point, len(b.nodes))
	for name, p := range b.nodes {
		lastNodes[name] = p
		oldLast, hasLast := s.lastNodes[name]
		oldPrev, hasPrev := s.prevNodes[name]
		if prev, ok := s.previous(p, oldLast, oldPrev, hasLast, hasPrev); ok {
			prevNodes[name] = prev
		}
	}
	lastPods, prevPods := make(map[types.NamespacedName]map[string]point, len(b.pods)), make(map[types.NamespacedName]map[string]point, len(b.pods))
	for ref, containers := range b.pods {
		last, prev := make(map[string]point, len(containers)), map[string]point{}
		for name, p := range containers {
			last[name] = p
			if age := p.time.Sub(p.start); p.start.Before(p.time) && age < s.resolution && age >= freshContainerMinAge {
				prev[name] = point{start: p.start, time: p.start, memory: p.memory}
				continue
			}
			oldLast, hasLast := s.lastPods[ref][name]
			oldPrev, hasPrev := s.prevPods[ref][name]
			if pp, ok := s.previous(p, oldLast, oldPrev, hasLast, hasPrev); ok {
				prev[name] = pp
			}
		}
		lastPods[ref] = last
		if len(prev) > 0 {
			prevPods[ref] = prev
		}
	}
	s.lastNodes, s.prevNodes, s.lastPods, s.prevPods = lastNodes, prevNodes, lastPods, prevPods
}

// previous picks the sample to keep before p: the stored last one if p is newer, else
// the stored previous one if p is still newer than that. Neither, if the node or
// container restarted after the stored last sample (its counter started again).
func (s *store) previous(p, last, prev point, hasLast, hasPrev bool) (point, bool) {
	if !hasLast || !p.start.Before(last.time) {
		return point{}, false
	}
	if p.time.After(last.time) {
		return last, true
	}
	if hasPrev && prev.time.Before(p.time) {
		return prev, true
	}
	return point{}, false
}

// node returns a node's usage, if it has two samples.
func (s *store) node(name string) (usage, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	last, ok1 := s.lastNodes[name]
	prev, ok2 := s.prevNodes[name]
	if !ok1 || !ok2 {
		return usage{}, false
	}
	u, err := rate(last, prev)
	if err != nil {
		klog.Background().V(2).Info("Skipping node usage", "node", klog.KRef("", name), "err", err)
		return usage{}, false
	}
	return u, true
}

// pod returns the usage of a pod's containers, sorted by name, and the time and window
// of the earliest, if every container it reported last has two samples.
func (s *store) pod(ref types.NamespacedName) ([]metricsv1beta1.ContainerMetrics, usage, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	last, ok1 := s.lastPods[ref]
	prev, ok2 := s.prevPods[ref]
	if !ok1 || !ok2 {
		return nil, usage{}, false
	}
	var (
		containers []metricsv1beta1.ContainerMetrics
		earliest   usage
	)
	for name, l := range last {
		p, ok := prev[name]
		if !ok {
			return nil, usage{}, false
		}
		u, err := rate(l, p)
		if err != nil {
			klog.Background().V(2).Info("Skipping container usage", "pod", klog.KRef(ref.Namespace, ref.Name), "container", name, "err", err)
			continue
		}
		containers = append(containers, metricsv1beta1.ContainerMetrics{
			Name:  name,
			Usage: corev1.ResourceList{corev1.ResourceCPU: u.cpu, corev1.ResourceMemory: u.memory},
		})
		if earliest.time.IsZero() || u.time.Before(earliest.time) {
			earliest = u
		}
	}
	slices.SortFunc(containers, func(a, b metricsv1beta1.ContainerMetrics) int { return strings.Compare(a.Name, b.Name) })
	return containers, earliest, true
}

// rate is the CPU used between two samples, in cores over their window, and the last
// working set.
func rate(last, prev point) (usage, error) {
	if last.cpu < prev.cpu {
		return usage{}, errors.New("cumulative CPU usage decreased")
	}
	window := last.time.Sub(prev.time)
	if window <= 0 {
		return usage{}, errors.New("samples are not in time order")
	}
	nanoCores := float64(last.cpu-prev.cpu) / window.Seconds()
	return usage{
		time:   last.time,
		window: window,
		cpu:    quantity(uint64(nanoCores), resource.DecimalSI, resource.Nano),
		memory: quantity(last.memory, resource.BinarySI, 0),
	}, nil
}

// quantity makes a Quantity of an unsigned value, giving up a digit of precision for a
// value beyond int64.
func quantity(v uint64, format resource.Format, scale resource.Scale) resource.Quantity {
	var q *resource.Quantity
	if v > math.MaxInt64 {
		q = resource.NewScaledQuantity(int64(v/10), scale+1)
	} else {
		q = resource.NewScaledQuantity(int64(v), scale)
	}
	q.Format = format
	return *q
}
