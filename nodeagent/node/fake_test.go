package node

import (
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/record"
	testingclock "k8s.io/utils/clock/testing"
)

// t0 is the fake clock's start.
var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// fakeHost is a machine with 4 CPUs, 8Gi of memory of which 6Gi are free,
// one 1Gi huge page, a 100Gi data filesystem half free and 200 of 1000
// tasks running.
type fakeHost struct {
	machine    MachineInfo
	machineErr error
	memory     MemoryStats
	fs         map[string]FSStats
	tasks      TaskStats
}

func newFakeHost() *fakeHost {
	return &fakeHost{
		machine: MachineInfo{
			MachineID:     "machine-1",
			SystemUUID:    "uuid-1",
			BootID:        "boot-1",
			KernelVersion: "6.1.0-test",
			OSImage:       "Debian GNU/Linux 12 (bookworm)",
			NumCPU:        4,
			MemoryBytes:   8 << 30,
			HugePages: []HugePages{
				{PageSizeBytes: 2 << 20, TotalBytes: 0},
				{PageSizeBytes: 1 << 30, TotalBytes: 1 << 30},
			},
		},
		memory: MemoryStats{TotalBytes: 8 << 30, AvailableBytes: 6 << 30},
		fs: map[string]FSStats{
			"/data":   {CapacityBytes: 100 << 30, AvailableBytes: 50 << 30, Inodes: 1000, InodesFree: 500},
			"/images": {CapacityBytes: 100 << 30, AvailableBytes: 50 << 30, Inodes: 1000, InodesFree: 500},
		},
		tasks: TaskStats{Max: 1000, Running: 200},
	}
}

func (h *fakeHost) Machine() (MachineInfo, error) { return h.machine, h.machineErr }
func (h *fakeHost) Memory() (MemoryStats, error)  { return h.memory, nil }
func (h *fakeHost) Tasks() (TaskStats, error)     { return h.tasks, nil }
func (h *fakeHost) Filesystem(path string) (FSStats, error) {
	fs, ok := h.fs[path]
	if !ok {
		return FSStats{}, fmt.Errorf("statfs %s: no such file", path)
	}
	return fs, nil
}

// readiness is a Ready func whose answer a test sets.
type readiness struct{ err error }

func (r *readiness) Ready() error { return r.err }

type testAgent struct {
	*Agent
	clock    *testingclock.FakeClock
	recorder *record.FakeRecorder
	host     *fakeHost
	ready    *readiness
}

func newTestAgent(t *testing.T, client kubernetes.Interface, modify func(*Config)) *testAgent {
	t.Helper()
	ta := &testAgent{
		clock:    testingclock.NewFakeClock(t0),
		recorder: record.NewFakeRecorder(100),
		host:     newFakeHost(),
		ready:    &readiness{},
	}
	cfg := Config{
		Client:   client,
		NodeName: "n1",
		Addresses: []corev1.NodeAddress{
			{Type: corev1.NodeInternalIP, Address: "192.0.2.10"},
			{Type: corev1.NodeHostName, Address: "host-1"},
		},
		KubeletPort:    10250,
		RuntimeVersion: "containerd://1.6.20",
		KubeletVersion: "v1.37.2+kubeshim.test",
		DataDir:        "/data",
		ImageFSDir:     "/images",
		Ready:          ta.ready.Ready,
		Recorder:       ta.recorder,
		Host:           ta.host,
		Clock:          ta.clock,
	}
	if modify != nil {
		modify(&cfg)
	}
	a, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ta.Agent = a
	return ta
}

// events drains the recorded events.
func (ta *testAgent) events() []string {
	var got []string
	for {
		select {
		case e := <-ta.recorder.Events:
			got = append(got, e)
		default:
			return got
		}
	}
}
