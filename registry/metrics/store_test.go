package metrics

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/types"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"
)

func TestRate(t *testing.T) {
	for _, tc := range []struct {
		name       string
		last, prev point
		wantCPU    string
		wantMemory string
		wantWindow time.Duration
		wantErr    bool
	}{{
		name:       "half a core over 15s",
		prev:       point{time: t0, cpu: 10_000_000_000, memory: 1},
		last:       point{time: t0.Add(15 * time.Second), cpu: 17_500_000_000, memory: 64 << 20},
		wantCPU:    "500m",
		wantMemory: "64Mi",
		wantWindow: 15 * time.Second,
	}, {
		name:       "idle: nanocores",
		prev:       point{time: t0, cpu: 1000},
		last:       point{time: t0.Add(10 * time.Second), cpu: 1500, memory: 1000},
		wantCPU:    "50n",
		wantMemory: "1k", // 1000 bytes is no multiple of 1024: decimal
		wantWindow: 10 * time.Second,
	}, {
		name:       "two cores over an uneven window",
		prev:       point{time: t0, cpu: 0},
		last:       point{time: t0.Add(1500 * time.Millisecond), cpu: 3_000_000_000, memory: 1 << 30},
		wantCPU:    "2",
		wantMemory: "1Gi",
		wantWindow: 1500 * time.Millisecond,
	}, {
		name:    "the counter went back: a restart the start times did not show",
		prev:    point{time: t0, cpu: 2},
		last:    point{time: t0.Add(time.Second), cpu: 1},
		wantErr: true,
	}, {
		name:    "no window",
		prev:    point{time: t0, cpu: 1},
		last:    point{time: t0, cpu: 2},
		wantErr: true,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := rate(tc.last, tc.prev)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("rate = %+v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("rate: %v", err)
			}
			if got.cpu.String() != tc.wantCPU || got.memory.String() != tc.wantMemory || got.window != tc.wantWindow || !got.time.Equal(tc.last.time) {
				t.Errorf("rate = cpu %s memory %s window %s at %s, want cpu %s memory %s window %s at %s",
					got.cpu.String(), got.memory.String(), got.window, got.time, tc.wantCPU, tc.wantMemory, tc.wantWindow, tc.last.time)
			}
		})
	}
}

func TestQuantityBeyondInt64(t *testing.T) {
	// One digit of precision goes.
	if q := quantity(1<<63+15, resource.DecimalSI, 0); q.String() != "9223372036854775820" {
		t.Errorf("quantity(2^63+15) = %s, want 9223372036854775820", q.String())
	}
}

// nodeAt is a node's sample at t0+sec with cumulative CPU in seconds.
func nodeAt(sec, cpuSec float64) point {
	return point{time: t0.Add(time.Duration(sec * float64(time.Second))), cpu: uint64(cpuSec * 1e9), memory: 100 << 20}
}

func TestStoreNodes(t *testing.T) {
	type step struct {
		add     map[string]point
		want    map[string]string // node → CPU, "" absent
		comment string
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{{
		name: "two scrapes give a rate; the third moves the window",
		steps: []step{
			{add: map[string]point{"a": nodeAt(0, 10)}, want: map[string]string{"a": ""}, comment: "one sample is not enough"},
			{add: map[string]point{"a": nodeAt(15, 11.5)}, want: map[string]string{"a": "100m"}},
			{add: map[string]point{"a": nodeAt(30, 16)}, want: map[string]string{"a": "300m"}},
		},
	}, {
		name: "a repeated sample keeps the previous one",
		steps: []step{
			{add: map[string]point{"a": nodeAt(0, 10)}},
			{add: map[string]point{"a": nodeAt(10, 12)}, want: map[string]string{"a": "200m"}},
			{add: map[string]point{"a": nodeAt(10, 12)}, want: map[string]string{"a": "200m"}, comment: "the kubelet answered from its cache"},
		},
	}, {
		name: "a sample older than the previous one drops the history",
		steps: []step{
			{add: map[string]point{"a": nodeAt(10, 10)}},
			{add: map[string]point{"a": nodeAt(20, 11)}, want: map[string]string{"a": "100m"}},
			{add: map[string]point{"a": nodeAt(5, 1)}, want: map[string]string{"a": ""}},
		},
	}, {
		name: "a node missing from a scrape starts again",
		steps: []step{
			{add: map[string]point{"a": nodeAt(0, 10), "b": nodeAt(0, 1)}},
			{add: map[string]point{"b": nodeAt(10, 2)}, want: map[string]string{"a": "", "b": "100m"}},
			{add: map[string]point{"a": nodeAt(20, 12), "b": nodeAt(20, 3)}, want: map[string]string{"a": "", "b": "100m"}},
			{add: map[string]point{"a": nodeAt(30, 13), "b": nodeAt(30, 4)}, want: map[string]string{"a": "100m", "b": "100m"}},
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(15 * time.Second)
			for i, st := range tc.steps {
				b := newBatch()
				for n, p := range st.add {
					b.nodes[n] = p
				}
				s.add(b)
				for n, want := range st.want {
					u, ok := s.node(n)
					got := ""
					if ok {
						got = u.cpu.String()
					}
					if got != want {
						t.Errorf("step %d (%s): node %s CPU = %q, want %q", i, st.comment, n, got, want)
					}
				}
			}
		})
	}
}

func TestStorePods(t *testing.T) {
	ref := types.NamespacedName{Namespace: "default", Name: "web"}
	start := t0.Add(-time.Hour)
	c := func(sec, cpuSec float64, startAt time.Time) point {
		p := nodeAt(sec, cpuSec)
		p.start = startAt
		return p
	}
	usage := func(cpu, mem string) corev1.ResourceList {
		return corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(mem)}
	}
	type step struct {
		add        map[string]point
		want       []metricsv1beta1.ContainerMetrics // nil: absent
		wantTime   time.Time
		wantWindow time.Duration
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{{
		name: "every container needs two samples; the earliest gives time and window",
		steps: []step{
			{add: map[string]point{"app": c(0, 1, start), "log": c(0, 0.5, start)}},
			{
				add:        map[string]point{"app": c(15, 4, start), "log": c(14, 0.6, start)},
				want:       []metricsv1beta1.ContainerMetrics{{Name: "app", Usage: usage("200m", "100Mi")}, {Name: "log", Usage: usage("7142857n", "100Mi")}},
				wantTime:   t0.Add(14 * time.Second),
				wantWindow: 14 * time.Second,
			},
			{add: map[string]point{"app": c(30, 5, start), "log": c(30, 1, start), "new": c(30, 1, t0.Add(29*time.Second))}},
		},
	}, {
		name: "a restarted container starts again",
		steps: []step{
			{add: map[string]point{"app": c(0, 100, start)}},
			{add: map[string]point{"app": c(15, 101, start)}, want: []metricsv1beta1.ContainerMetrics{{Name: "app", Usage: usage("66666666n", "100Mi")}}, wantTime: t0.Add(15 * time.Second), wantWindow: 15 * time.Second},
			{add: map[string]point{"app": c(30, 1, t0.Add(25*time.Second))}},
		},
	}, {
		name: "a container younger than the resolution but older than 10s counts from its start",
		steps: []step{
			{
				add:        map[string]point{"app": c(12, 6, t0)},
				want:       []metricsv1beta1.ContainerMetrics{{Name: "app", Usage: usage("500m", "100Mi")}},
				wantTime:   t0.Add(12 * time.Second),
				wantWindow: 12 * time.Second,
			},
		},
	}, {
		name: "a container younger than 10s waits for a second sample",
		steps: []step{
			{add: map[string]point{"app": c(5, 1, t0)}},
			{add: map[string]point{"app": c(20, 2.5, t0)}, want: []metricsv1beta1.ContainerMetrics{{Name: "app", Usage: usage("100m", "100Mi")}}, wantTime: t0.Add(20 * time.Second), wantWindow: 15 * time.Second},
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(15 * time.Second)
			for i, st := range tc.steps {
				b := newBatch()
				b.pods[ref] = st.add
				s.add(b)
				got, u, ok := s.pod(ref)
				if !ok {
					got = nil
				}
				if diff := cmp.Diff(st.want, got); diff != "" {
					t.Errorf("step %d: containers (-want +got):\n%s", i, diff)
				}
				if st.want != nil && (!u.time.Equal(st.wantTime) || u.window != st.wantWindow) {
					t.Errorf("step %d: time %s window %s, want %s and %s", i, u.time, u.window, st.wantTime, st.wantWindow)
				}
			}
		})
	}
}
