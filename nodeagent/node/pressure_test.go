package node

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
)

func TestThresholdsMet(t *testing.T) {
	healthyFS := &FSStats{CapacityBytes: 1000, AvailableBytes: 500, Inodes: 1000, InodesFree: 500}
	fs := func(avail, inodesFree int64) *FSStats {
		return &FSStats{CapacityBytes: 1000, AvailableBytes: avail, Inodes: 1000, InodesFree: inodesFree}
	}
	healthy := signals{
		memory:  &MemoryStats{TotalBytes: 8 << 30, AvailableBytes: 1 << 30},
		nodeFS:  healthyFS,
		imageFS: healthyFS,
		tasks:   &TaskStats{Max: 1000, Running: 100},
	}
	tests := []struct {
		name   string
		change func(*signals)
		want   []corev1.NodeConditionType
	}{
		{"healthy", func(*signals) {}, nil},
		{"nothing readable", func(s *signals) { *s = signals{} }, nil},
		{"memory at 100Mi", func(s *signals) { s.memory.AvailableBytes = 100 << 20 }, nil},
		{"memory under 100Mi", func(s *signals) { s.memory.AvailableBytes = 100<<20 - 1 }, []corev1.NodeConditionType{"MemoryPressure"}},
		{"nodefs at 10%", func(s *signals) { s.nodeFS = fs(100, 500) }, nil},
		{"nodefs under 10%", func(s *signals) { s.nodeFS = fs(99, 500) }, []corev1.NodeConditionType{"DiskPressure"}},
		{"nodefs inodes under 5%", func(s *signals) { s.nodeFS = fs(500, 49) }, []corev1.NodeConditionType{"DiskPressure"}},
		{"imagefs at 15%", func(s *signals) { s.imageFS = fs(150, 500) }, nil},
		{"imagefs under 15%", func(s *signals) { s.imageFS = fs(149, 500) }, []corev1.NodeConditionType{"DiskPressure"}},
		{"imagefs inodes under 5%", func(s *signals) { s.imageFS = fs(500, 49) }, []corev1.NodeConditionType{"DiskPressure"}},
		{"no imagefs", func(s *signals) { s.imageFS = nil }, nil},
		{"tasks at 95%", func(s *signals) { s.tasks.Running = 950 }, nil},
		{"tasks over 95%", func(s *signals) { s.tasks.Running = 951 }, []corev1.NodeConditionType{"PIDPressure"}},
		{"everything", func(s *signals) {
			s.memory.AvailableBytes, s.nodeFS, s.tasks.Running = 0, fs(0, 0), 1000
		}, []corev1.NodeConditionType{"DiskPressure", "MemoryPressure", "PIDPressure"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := healthy
			m, tk := *healthy.memory, *healthy.tasks
			s.memory, s.tasks = &m, &tk
			tt.change(&s)
			var got []corev1.NodeConditionType
			for _, c := range []corev1.NodeConditionType{"DiskPressure", "MemoryPressure", "PIDPressure"} {
				if DefaultThresholds().met(s)[c] {
					got = append(got, c)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("pressures (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPressureTracker(t *testing.T) {
	p := newPressureTracker(5 * time.Minute)
	mem := map[corev1.NodeConditionType]bool{corev1.NodeMemoryPressure: true}
	none := map[corev1.NodeConditionType]bool{}
	steps := []struct {
		at   time.Duration
		met  map[corev1.NodeConditionType]bool
		want bool
	}{
		{0, none, false},
		{10 * time.Second, mem, true},
		{20 * time.Second, none, true},
		{5*time.Minute + 9*time.Second, none, true},
		{5*time.Minute + 10*time.Second, none, false},
		{6 * time.Minute, mem, true},
	}
	for _, s := range steps {
		if got := p.observe(t0.Add(s.at), s.met)[corev1.NodeMemoryPressure]; got != s.want {
			t.Errorf("at %s: memory pressure %v, want %v", s.at, got, s.want)
		}
	}
}
