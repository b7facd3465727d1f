package stats

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	statsv1alpha1 "k8s.io/kubelet/pkg/apis/stats/v1alpha1"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// layout writes files (path → content) under a new temporary directory laid out like
// a host's /sys/fs/cgroup and /proc, and returns a Reader over it.
func layout(t *testing.T, files map[string]string) *Reader {
	t.Helper()
	root := t.TempDir()
	for path, content := range files {
		p := filepath.Join(root, path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r, err := New(Config{CgroupRoot: filepath.Join(root, "cgroup"), ProcRoot: filepath.Join(root, "proc"), Clock: clocktesting.NewFakePassiveClock(now)})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return r
}

const pod = "/kubeshim/pod1234"

// v1 is a cgroup v1 host as this project's CI host: one hierarchy per controller, the
// pod's cgroup under /kubeshim.
var v1 = map[string]string{
	"cgroup/cpuacct/cpuacct.usage":                      "42769428034953\n",
	"cgroup/memory/memory.usage_in_bytes":               "13048184832\n",
	"cgroup/memory/memory.stat":                         "cache 12079104\nrss 9375744\ninactive_file 282624\ntotal_rss 1560850432\ntotal_inactive_file 6451740672\ntotal_pgfault 10\ntotal_pgmajfault 1\n",
	"cgroup/memory/memory.limit_in_bytes":               "9223372036854771712\n",
	"cgroup/cpuacct" + pod + "/cpuacct.usage":           "2500000000\n",
	"cgroup/memory" + pod + "/memory.usage_in_bytes":    "10485760\n",
	"cgroup/memory" + pod + "/memory.stat":              "cache 0\ninactive_file 7\ntotal_inactive_file 2097152\ntotal_rss 4194304\ntotal_pgfault 300\ntotal_pgmajfault 2\n",
	"cgroup/memory" + pod + "/memory.limit_in_bytes":    "9223372036854771712\n",
	"cgroup/memory" + pod + "/c1/memory.usage_in_bytes": "3000\n",
	"cgroup/memory" + pod + "/c1/memory.stat":           "total_inactive_file 5000\n",
	"cgroup/memory" + pod + "/c1/memory.limit_in_bytes": "8000\n",
	"cgroup/cpuacct" + pod + "/c1/cpuacct.usage":        "7\n",
	"proc/meminfo": "MemTotal:       24683620 kB\nMemFree:        11038876 kB\nMemAvailable:   22434024 kB\nInactive(file):  6300576 kB\nAnonPages:  100 kB\n",
	"proc/stat":    "cpu  100 20 30 5000 40 5 6 7 8 9\ncpu0 50 10 15 2500 20 2 3 3 4 4\nbtime 1700000000\n",
}

// v2 is a unified hierarchy.
var v2 = map[string]string{
	"cgroup/cgroup.controllers":           "cpuset cpu io memory pids\n",
	"cgroup/cpu.stat":                     "usage_usec 9000000\nuser_usec 6000000\nsystem_usec 3000000\n",
	"cgroup" + pod + "/cpu.stat":          "usage_usec 1500000\nuser_usec 1000000\nsystem_usec 500000\nnr_periods 0\n",
	"cgroup" + pod + "/memory.current":    "10485760\n",
	"cgroup" + pod + "/memory.stat":       "anon 4194304\nfile 6291456\ninactive_file 2097152\nactive_file 4194304\npgfault 300\npgmajfault 2\n",
	"cgroup" + pod + "/memory.max":        "max\n",
	"cgroup" + pod + "/c1/cpu.stat":       "usage_usec 1\n",
	"cgroup" + pod + "/c1/memory.current": "4096\n",
	"cgroup" + pod + "/c1/memory.stat":    "anon 4096\ninactive_file 0\n",
	"cgroup" + pod + "/c1/memory.max":     "1048576\n",
	"proc/meminfo":                        "MemTotal:       1000 kB\nMemFree:         200 kB\nInactive(file):  300 kB\nAnonPages:  100 kB\n",
	"proc/stat":                           "cpu  100 20 30 5000 40 5 6 7 8 9\nbtime 1700000000\n",
}

func with(base map[string]string, changes map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range changes {
		if v == "" {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

func memory(usage, ws uint64, rss, faults, major, avail *uint64) *statsv1alpha1.MemoryStats {
	return &statsv1alpha1.MemoryStats{Time: metav1.NewTime(now), UsageBytes: &usage, WorkingSetBytes: &ws,
		RSSBytes: rss, PageFaults: faults, MajorPageFaults: major, AvailableBytes: avail}
}

func cpu(ns uint64) *statsv1alpha1.CPUStats {
	return &statsv1alpha1.CPUStats{Time: metav1.NewTime(now), UsageCoreNanoSeconds: &ns}
}

func TestCgroup(t *testing.T) {
	for _, tc := range []struct {
		name    string
		files   map[string]string
		path    string
		wantCPU *statsv1alpha1.CPUStats
		wantMem *statsv1alpha1.MemoryStats
	}{{
		name:    "v1 pod: working set is usage less the subtree's inactive file pages, no limit",
		files:   v1,
		path:    pod,
		wantCPU: cpu(2_500_000_000),
		wantMem: memory(10485760, 10485760-2097152, ptr.To[uint64](4194304), ptr.To[uint64](300), ptr.To[uint64](2), nil),
	}, {
		name:    "v1 container: more inactive than usage clamps to zero; a limit gives available",
		files:   v1,
		path:    pod + "/c1",
		wantCPU: cpu(7),
		wantMem: memory(3000, 0, nil, nil, nil, ptr.To[uint64](8000)),
	}, {
		name: "v1 with cpu and cpuacct co-mounted",
		files: with(v1, map[string]string{
			"cgroup/cpuacct/cpuacct.usage":                "",
			"cgroup/cpuacct" + pod + "/cpuacct.usage":     "",
			"cgroup/cpuacct" + pod + "/c1/cpuacct.usage":  "",
			"cgroup/cpu,cpuacct/cpuacct.usage":            "1\n",
			"cgroup/cpu,cpuacct" + pod + "/cpuacct.usage": "99\n",
		}),
		path:    pod,
		wantCPU: cpu(99),
		wantMem: memory(10485760, 10485760-2097152, ptr.To[uint64](4194304), ptr.To[uint64](300), ptr.To[uint64](2), nil),
	}, {
		name:    "v2 pod: usage_usec in nanoseconds, inactive_file without prefix, max is no limit",
		files:   v2,
		path:    pod,
		wantCPU: cpu(1_500_000_000),
		wantMem: memory(10485760, 10485760-2097152, ptr.To[uint64](4194304), ptr.To[uint64](300), ptr.To[uint64](2), nil),
	}, {
		name:    "v2 container with a limit",
		files:   v2,
		path:    pod + "/c1",
		wantCPU: cpu(1000),
		wantMem: memory(4096, 4096, ptr.To[uint64](4096), nil, nil, ptr.To[uint64](1048576-4096)),
	}} {
		t.Run(tc.name, func(t *testing.T) {
			r := layout(t, tc.files)
			gotCPU, gotMem, err := r.Cgroup(tc.path)
			if err != nil {
				t.Fatalf("Cgroup(%s): %v", tc.path, err)
			}
			if diff := cmp.Diff(tc.wantCPU, gotCPU); diff != "" {
				t.Errorf("CPU (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantMem, gotMem); diff != "" {
				t.Errorf("memory (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCgroupErrors(t *testing.T) {
	for _, tc := range []struct {
		name     string
		files    map[string]string
		path     string
		notExist bool
		cpu, mem bool // which are still returned
	}{
		{name: "v1 gone", files: v1, path: "/kubeshim/podgone", notExist: true},
		{name: "v2 gone", files: v2, path: "/kubeshim/podgone", notExist: true},
		{name: "v1 memory unreadable, CPU still returned", files: with(v1, map[string]string{"cgroup/memory" + pod + "/memory.stat": "total_inactive_file x\n"}), path: pod, cpu: true},
		{name: "v2 cpu.stat without usage_usec, memory still returned", files: with(v2, map[string]string{"cgroup" + pod + "/cpu.stat": "user_usec 1\n"}), path: pod, mem: true},
		{name: "v1 garbage usage", files: with(v1, map[string]string{"cgroup/cpuacct" + pod + "/cpuacct.usage": "lots\n"}), path: pod, mem: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := layout(t, tc.files)
			cpu, mem, err := r.Cgroup(tc.path)
			if err == nil {
				t.Fatalf("Cgroup(%s) succeeded, want an error", tc.path)
			}
			if got := errors.Is(err, fs.ErrNotExist); got != tc.notExist {
				t.Errorf("errors.Is(%v, fs.ErrNotExist) = %v, want %v", err, got, tc.notExist)
			}
			if (cpu != nil) != tc.cpu || (mem != nil) != tc.mem {
				t.Errorf("got CPU %v and memory %v, want CPU %v memory %v", cpu != nil, mem != nil, tc.cpu, tc.mem)
			}
		})
	}
}

func TestNode(t *testing.T) {
	const (
		kB       = 1024
		memTotal = 24683620 * kB
	)
	// user+nice+system+irq+softirq+steal of /proc/stat's cpu line, in USER_HZ.
	procCPU := uint64(100+20+30+5+6+7) * uint64(10*time.Millisecond)
	for _, tc := range []struct {
		name    string
		files   map[string]string
		wantCPU *statsv1alpha1.CPUStats
		wantMem *statsv1alpha1.MemoryStats
	}{{
		name:    "v1: the root cgroups",
		files:   v1,
		wantCPU: cpu(42769428034953),
		wantMem: memory(13048184832, 13048184832-6451740672, ptr.To[uint64](1560850432), ptr.To[uint64](10), ptr.To[uint64](1),
			ptr.To[uint64](memTotal-(13048184832-6451740672))),
	}, {
		name:    "v2 with a root cpu.stat; memory from meminfo",
		files:   v2,
		wantCPU: cpu(9_000_000_000),
		wantMem: memory(800*kB, 500*kB, ptr.To[uint64](100*kB), nil, nil, ptr.To[uint64](500*kB)),
	}, {
		name:    "v2 without a root cpu.stat: /proc/stat",
		files:   with(v2, map[string]string{"cgroup/cpu.stat": ""}),
		wantCPU: cpu(procCPU),
		wantMem: memory(800*kB, 500*kB, ptr.To[uint64](100*kB), nil, nil, ptr.To[uint64](500*kB)),
	}, {
		name: "v1 without cpuacct: /proc/stat",
		files: with(v1, map[string]string{
			"cgroup/cpuacct/cpuacct.usage":               "",
			"cgroup/cpuacct" + pod + "/cpuacct.usage":    "",
			"cgroup/cpuacct" + pod + "/c1/cpuacct.usage": "",
		}),
		wantCPU: cpu(procCPU),
		wantMem: memory(13048184832, 13048184832-6451740672, ptr.To[uint64](1560850432), ptr.To[uint64](10), ptr.To[uint64](1),
			ptr.To[uint64](memTotal-(13048184832-6451740672))),
	}} {
		t.Run(tc.name, func(t *testing.T) {
			r := layout(t, tc.files)
			gotCPU, gotMem, err := r.Node()
			if err != nil {
				t.Fatalf("Node: %v", err)
			}
			if diff := cmp.Diff(tc.wantCPU, gotCPU); diff != "" {
				t.Errorf("CPU (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantMem, gotMem); diff != "" {
				t.Errorf("memory (-want +got):\n%s", diff)
			}
			boot, err := r.BootTime()
			if err != nil || !boot.Equal(time.Unix(1700000000, 0)) {
				t.Errorf("BootTime = %v, %v; want %v", boot, err, time.Unix(1700000000, 0))
			}
		})
	}
}

func TestNew(t *testing.T) {
	if _, err := New(Config{CgroupRoot: t.TempDir()}); err == nil {
		t.Error("New on an empty directory succeeded, want an error")
	}
	// A hybrid host (v1 controllers, the unified tree under unified/) is v1.
	r := layout(t, with(v1, map[string]string{"cgroup/unified/cgroup.controllers": "\n"}))
	if r.V2() {
		t.Error("hybrid layout read as v2")
	}
	if r := layout(t, v2); !r.V2() {
		t.Error("unified layout read as v1")
	}
}

// TestHost reads this host's own cgroups, as the agent does; it only checks that what a
// real kernel writes parses.
func TestHost(t *testing.T) {
	r, err := New(Config{})
	if err != nil {
		t.Skipf("no cgroups on this host: %v", err)
	}
	cpu, mem, err := r.Node()
	if err != nil {
		t.Fatalf("Node: %v", err)
	}
	if *cpu.UsageCoreNanoSeconds == 0 || *mem.WorkingSetBytes == 0 || *mem.WorkingSetBytes > *mem.UsageBytes {
		t.Errorf("implausible node usage: cpu %d ns, working set %d of %d bytes", *cpu.UsageCoreNanoSeconds, *mem.WorkingSetBytes, *mem.UsageBytes)
	}
}
