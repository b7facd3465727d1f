package node

import (
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Thresholds are hard eviction thresholds (upstream's evictionHard): a
// signal below its threshold puts the node under the matching pressure.
// Fractions are of the signal's capacity; a zero threshold is never met.
type Thresholds struct {
	// MemoryAvailableBytes is memory.available.
	MemoryAvailableBytes int64
	// NodeFSAvailable and NodeFSInodesFree are nodefs.available and
	// nodefs.inodesFree, of DataDir's filesystem.
	NodeFSAvailable  float64
	NodeFSInodesFree float64
	// ImageFSAvailable and ImageFSInodesFree are imagefs.available and
	// imagefs.inodesFree, of ImageFSDir's filesystem.
	ImageFSAvailable  float64
	ImageFSInodesFree float64
	// PIDAvailable is pid.available, of the task limit.
	PIDAvailable float64
}

// DefaultThresholds returns upstream's Linux evictionHard defaults
// (memory.available<100Mi, nodefs.available<10%, nodefs.inodesFree<5%,
// imagefs.available<15%, imagefs.inodesFree<5%) and pid.available<5%.
// Upstream has no default pid.available threshold, so its PIDPressure is
// never True unless configured; kubeshim reports it when fewer than 5% of
// the task limit is left, where fork(2) starts failing on a busy node.
func DefaultThresholds() Thresholds {
	return Thresholds{
		MemoryAvailableBytes: 100 << 20,
		NodeFSAvailable:      0.10,
		NodeFSInodesFree:     0.05,
		ImageFSAvailable:     0.15,
		ImageFSInodesFree:    0.05,
		PIDAvailable:         0.05,
	}
}

// signals are one observation of the host. A nil signal could not be read
// and crosses no threshold, as upstream when the summary API has no value.
type signals struct {
	memory  *MemoryStats
	nodeFS  *FSStats
	imageFS *FSStats
	tasks   *TaskStats
}

// below reports whether available is under fraction of capacity.
func below(available, capacity int64, fraction float64) bool {
	return fraction > 0 && capacity > 0 && float64(available) < float64(capacity)*fraction
}

// met returns which pressures the signals show right now.
func (t Thresholds) met(s signals) map[corev1.NodeConditionType]bool {
	m := map[corev1.NodeConditionType]bool{}
	if s.memory != nil && t.MemoryAvailableBytes > 0 && s.memory.AvailableBytes < t.MemoryAvailableBytes {
		m[corev1.NodeMemoryPressure] = true
	}
	for _, fs := range []struct {
		stats             *FSStats
		available, inodes float64
	}{
		{s.nodeFS, t.NodeFSAvailable, t.NodeFSInodesFree},
		{s.imageFS, t.ImageFSAvailable, t.ImageFSInodesFree},
	} {
		if fs.stats == nil {
			continue
		}
		if below(fs.stats.AvailableBytes, fs.stats.CapacityBytes, fs.available) ||
			below(fs.stats.InodesFree, fs.stats.Inodes, fs.inodes) {
			m[corev1.NodeDiskPressure] = true
		}
	}
	if s.tasks != nil && below(s.tasks.Max-s.tasks.Running, s.tasks.Max, t.PIDAvailable) {
		m[corev1.NodePIDPressure] = true
	}
	return m
}

// pressureTracker keeps a pressure condition True for the transition period
// after its threshold was last met, as upstream's eviction manager does, so
// that a signal hovering around its threshold does not flap the condition.
type pressureTracker struct {
	period       time.Duration
	lastObserved map[corev1.NodeConditionType]time.Time
}

func newPressureTracker(period time.Duration) *pressureTracker {
	return &pressureTracker{period: period, lastObserved: map[corev1.NodeConditionType]time.Time{}}
}

// observe records the pressures met at now and returns the ones to report.
func (p *pressureTracker) observe(now time.Time, met map[corev1.NodeConditionType]bool) map[corev1.NodeConditionType]bool {
	for c, ok := range met {
		if ok {
			p.lastObserved[c] = now
		}
	}
	report := map[corev1.NodeConditionType]bool{}
	for c, t := range p.lastObserved {
		if now.Sub(t) < p.period {
			report[c] = true
		}
	}
	return report
}
