package node

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func TestSetStatusNewNode(t *testing.T) {
	ta := newTestAgent(t, fake.NewClientset(), func(c *Config) {
		c.Images = func(context.Context) ([]corev1.ContainerImage, error) {
			return []corev1.ContainerImage{
				{Names: []string{"small:1"}, SizeBytes: 10},
				{Names: []string{"a", "b", "c", "d", "e", "f"}, SizeBytes: 30},
				{Names: []string{"mid:1"}, SizeBytes: 20},
			}, nil
		}
	})
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}}
	ta.record(ta.setStatus(node, ta.observe(context.Background())))

	now := metav1.NewTime(t0)
	q := resource.MustParse
	want := corev1.NodeStatus{
		Capacity: corev1.ResourceList{
			"cpu": q("4"), "memory": q("8Gi"), "pods": q("110"), "ephemeral-storage": q("100Gi"),
			"hugepages-2Mi": q("0"), "hugepages-1Gi": q("1Gi"),
		},
		Allocatable: corev1.ResourceList{
			"cpu": q("4"), "memory": q("7Gi"), "pods": q("110"), "ephemeral-storage": q("100Gi"),
			"hugepages-2Mi": q("0"), "hugepages-1Gi": q("1Gi"),
		},
		Conditions: []corev1.NodeCondition{
			{Type: "MemoryPressure", Status: "False", Reason: "KubeletHasSufficientMemory", Message: "kubelet has sufficient memory available", LastHeartbeatTime: now, LastTransitionTime: now},
			{Type: "DiskPressure", Status: "False", Reason: "KubeletHasNoDiskPressure", Message: "kubelet has no disk pressure", LastHeartbeatTime: now, LastTransitionTime: now},
			{Type: "PIDPressure", Status: "False", Reason: "KubeletHasSufficientPID", Message: "kubelet has sufficient PID available", LastHeartbeatTime: now, LastTransitionTime: now},
			{Type: "Ready", Status: "True", Reason: "KubeletReady", Message: "kubelet is posting ready status", LastHeartbeatTime: now, LastTransitionTime: now},
		},
		Addresses:       []corev1.NodeAddress{{Type: "InternalIP", Address: "192.0.2.10"}, {Type: "Hostname", Address: "host-1"}},
		DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: 10250}},
		NodeInfo: corev1.NodeSystemInfo{
			MachineID: "machine-1", SystemUUID: "uuid-1", BootID: "boot-1",
			KernelVersion: "6.1.0-test", OSImage: "Debian GNU/Linux 12 (bookworm)",
			ContainerRuntimeVersion: "containerd://1.6.20", KubeletVersion: "v1.37.2+kubeshim.test",
			OperatingSystem: "linux", Architecture: runtime.GOARCH,
		},
		Images: []corev1.ContainerImage{
			{Names: []string{"a", "b", "c", "d", "e"}, SizeBytes: 30},
			{Names: []string{"mid:1"}, SizeBytes: 20},
			{Names: []string{"small:1"}, SizeBytes: 10},
		},
	}
	if diff := cmp.Diff(want, node.Status); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
	wantEvents := []string{
		"Normal NodeHasSufficientMemory Node n1 status is now: NodeHasSufficientMemory",
		"Normal NodeHasNoDiskPressure Node n1 status is now: NodeHasNoDiskPressure",
		"Normal NodeHasSufficientPID Node n1 status is now: NodeHasSufficientPID",
	}
	if diff := cmp.Diff(wantEvents, ta.events()); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

func TestSetStatusMachineError(t *testing.T) {
	ta := newTestAgent(t, fake.NewClientset(), nil)
	ta.host.machineErr = errors.New("no meminfo")
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}}
	ta.setStatus(node, ta.observe(context.Background()))
	q := resource.MustParse
	want := corev1.ResourceList{"cpu": q("0"), "memory": q("0"), "pods": q("110")}
	if diff := cmp.Diff(want, node.Status.Capacity); diff != "" {
		t.Errorf("capacity (-want +got):\n%s", diff)
	}
}

// cond is what the transition test checks of a condition: times are
// offsets from t0.
type cond struct {
	Type, Status, Reason, Message string
	Transition, Heartbeat         time.Duration
}

func conds(cs []corev1.NodeCondition) []cond {
	var out []cond
	for _, c := range cs {
		out = append(out, cond{string(c.Type), string(c.Status), c.Reason, c.Message,
			c.LastTransitionTime.Sub(t0), c.LastHeartbeatTime.Sub(t0)})
	}
	return out
}

func TestConditionTransitions(t *testing.T) {
	const (
		memOK, memLow   = "KubeletHasSufficientMemory", "KubeletHasInsufficientMemory"
		diskOK, diskLow = "KubeletHasNoDiskPressure", "KubeletHasDiskPressure"
		pidOK, pidLow   = "KubeletHasSufficientPID", "KubeletHasInsufficientPID"
		memOKMsg        = "kubelet has sufficient memory available"
		memLowMsg       = "kubelet has insufficient memory available"
		diskOKMsg       = "kubelet has no disk pressure"
		diskLowMsg      = "kubelet has disk pressure"
		pidOKMsg        = "kubelet has sufficient PID available"
		pidLowMsg       = "kubelet has insufficient PID available"
		readyMsg        = "kubelet is posting ready status"
		notReadyMsg     = "container runtime network not ready: cni config uninitialized"
	)
	s := time.Second
	steps := []struct {
		name    string
		advance time.Duration
		change  func(*fakeHost, *readiness)
		want    []cond
		events  []string
	}{
		{
			name: "new node",
			want: []cond{
				{"MemoryPressure", "False", memOK, memOKMsg, 0, 0},
				{"DiskPressure", "False", diskOK, diskOKMsg, 0, 0},
				{"PIDPressure", "False", pidOK, pidOKMsg, 0, 0},
				{"Ready", "True", "KubeletReady", readyMsg, 0, 0},
			},
			events: []string{
				"Normal NodeHasSufficientMemory Node n1 status is now: NodeHasSufficientMemory",
				"Normal NodeHasNoDiskPressure Node n1 status is now: NodeHasNoDiskPressure",
				"Normal NodeHasSufficientPID Node n1 status is now: NodeHasSufficientPID",
			},
		},
		{
			name:    "heartbeat only",
			advance: 10 * s,
			want: []cond{
				{"MemoryPressure", "False", memOK, memOKMsg, 0, 10 * s},
				{"DiskPressure", "False", diskOK, diskOKMsg, 0, 10 * s},
				{"PIDPressure", "False", pidOK, pidOKMsg, 0, 10 * s},
				{"Ready", "True", "KubeletReady", readyMsg, 0, 10 * s},
			},
		},
		{
			name:    "memory under 100Mi",
			advance: 10 * s,
			change:  func(h *fakeHost, _ *readiness) { h.memory.AvailableBytes = 99 << 20 },
			want: []cond{
				{"MemoryPressure", "True", memLow, memLowMsg, 20 * s, 20 * s},
				{"DiskPressure", "False", diskOK, diskOKMsg, 0, 20 * s},
				{"PIDPressure", "False", pidOK, pidOKMsg, 0, 20 * s},
				{"Ready", "True", "KubeletReady", readyMsg, 0, 20 * s},
			},
			events: []string{"Normal NodeHasInsufficientMemory Node n1 status is now: NodeHasInsufficientMemory"},
		},
		{
			name:    "memory back but within the transition period",
			advance: 10 * s,
			change:  func(h *fakeHost, _ *readiness) { h.memory.AvailableBytes = 6 << 30 },
			want: []cond{
				{"MemoryPressure", "True", memLow, memLowMsg, 20 * s, 30 * s},
				{"DiskPressure", "False", diskOK, diskOKMsg, 0, 30 * s},
				{"PIDPressure", "False", pidOK, pidOKMsg, 0, 30 * s},
				{"Ready", "True", "KubeletReady", readyMsg, 0, 30 * s},
			},
		},
		{
			name:    "transition period over",
			advance: 5 * time.Minute,
			want: []cond{
				{"MemoryPressure", "False", memOK, memOKMsg, 330 * s, 330 * s},
				{"DiskPressure", "False", diskOK, diskOKMsg, 0, 330 * s},
				{"PIDPressure", "False", pidOK, pidOKMsg, 0, 330 * s},
				{"Ready", "True", "KubeletReady", readyMsg, 0, 330 * s},
			},
			events: []string{"Normal NodeHasSufficientMemory Node n1 status is now: NodeHasSufficientMemory"},
		},
		{
			name:    "network not ready",
			advance: 10 * s,
			change:  func(_ *fakeHost, r *readiness) { r.err = errors.New(notReadyMsg) },
			want: []cond{
				{"MemoryPressure", "False", memOK, memOKMsg, 330 * s, 340 * s},
				{"DiskPressure", "False", diskOK, diskOKMsg, 0, 340 * s},
				{"PIDPressure", "False", pidOK, pidOKMsg, 0, 340 * s},
				{"Ready", "False", "KubeletNotReady", notReadyMsg, 340 * s, 340 * s},
			},
			events: []string{"Normal NodeNotReady Node n1 status is now: NodeNotReady"},
		},
		{
			name:    "still not ready",
			advance: 10 * s,
			want: []cond{
				{"MemoryPressure", "False", memOK, memOKMsg, 330 * s, 350 * s},
				{"DiskPressure", "False", diskOK, diskOKMsg, 0, 350 * s},
				{"PIDPressure", "False", pidOK, pidOKMsg, 0, 350 * s},
				{"Ready", "False", "KubeletNotReady", notReadyMsg, 340 * s, 350 * s},
			},
		},
		{
			name:    "ready again, nodefs under 10% and tasks over 95%",
			advance: 10 * s,
			change: func(h *fakeHost, r *readiness) {
				r.err = nil
				fs := h.fs["/data"]
				fs.AvailableBytes = 9 << 30
				h.fs["/data"] = fs
				h.tasks.Running = 951
			},
			want: []cond{
				{"MemoryPressure", "False", memOK, memOKMsg, 330 * s, 360 * s},
				{"DiskPressure", "True", diskLow, diskLowMsg, 360 * s, 360 * s},
				{"PIDPressure", "True", pidLow, pidLowMsg, 360 * s, 360 * s},
				{"Ready", "True", "KubeletReady", readyMsg, 360 * s, 360 * s},
			},
			events: []string{
				"Normal NodeHasDiskPressure Node n1 status is now: NodeHasDiskPressure",
				"Normal NodeHasInsufficientPID Node n1 status is now: NodeHasInsufficientPID",
				"Normal NodeReady Node n1 status is now: NodeReady",
			},
		},
	}
	ta := newTestAgent(t, fake.NewClientset(), nil)
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			ta.clock.Step(step.advance)
			if step.change != nil {
				step.change(ta.host, ta.ready)
			}
			ta.record(ta.setStatus(node, ta.observe(context.Background())))
			if diff := cmp.Diff(step.want, conds(node.Status.Conditions)); diff != "" {
				t.Errorf("conditions (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(step.events, ta.events()); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRebootEvent(t *testing.T) {
	ta := newTestAgent(t, fake.NewClientset(), nil)
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}}
	node.Status.NodeInfo.BootID = "boot-0"
	ta.record(ta.setStatus(node, ta.observe(context.Background())))
	ta.record(ta.setStatus(node, ta.observe(context.Background())))
	var reboots []string
	for _, e := range ta.events() {
		if strings.HasPrefix(e, "Warning Rebooted ") {
			reboots = append(reboots, e)
		}
	}
	want := []string{"Warning Rebooted Node n1 has been rebooted, boot id: boot-1"}
	if diff := cmp.Diff(want, reboots); diff != "" {
		t.Errorf("reboot events (-want +got):\n%s", diff)
	}
}

func TestStatusChanged(t *testing.T) {
	t1, t2 := metav1.NewTime(t0), metav1.NewTime(t0.Add(time.Minute))
	base := func() corev1.NodeStatus {
		return corev1.NodeStatus{
			Capacity: corev1.ResourceList{"cpu": resource.MustParse("4")},
			Conditions: []corev1.NodeCondition{
				{Type: "MemoryPressure", Status: "False", LastHeartbeatTime: t1, LastTransitionTime: t1},
				{Type: "Ready", Status: "True", LastHeartbeatTime: t1, LastTransitionTime: t1},
			},
		}
	}
	tests := []struct {
		name   string
		change func(*corev1.NodeStatus)
		want   bool
	}{
		{"same", func(*corev1.NodeStatus) {}, false},
		{"heartbeat only", func(s *corev1.NodeStatus) {
			s.Conditions[0].LastHeartbeatTime = t2
			s.Conditions[1].LastHeartbeatTime = t2
		}, false},
		{"conditions reordered", func(s *corev1.NodeStatus) {
			s.Conditions[0], s.Conditions[1] = s.Conditions[1], s.Conditions[0]
		}, false},
		{"same quantity, other form", func(s *corev1.NodeStatus) { s.Capacity["cpu"] = resource.MustParse("4000m") }, false},
		{"nil and empty images", func(s *corev1.NodeStatus) { s.Images = []corev1.ContainerImage{} }, false},
		{"transition", func(s *corev1.NodeStatus) {
			s.Conditions[1].Status, s.Conditions[1].LastTransitionTime = "False", t2
		}, true},
		{"message", func(s *corev1.NodeStatus) { s.Conditions[1].Message = "x" }, true},
		{"condition added", func(s *corev1.NodeStatus) {
			s.Conditions = append(s.Conditions, corev1.NodeCondition{Type: "DiskPressure"})
		}, true},
		{"capacity", func(s *corev1.NodeStatus) { s.Capacity["cpu"] = resource.MustParse("8") }, true},
		{"address", func(s *corev1.NodeStatus) {
			s.Addresses = []corev1.NodeAddress{{Type: "InternalIP", Address: "192.0.2.1"}}
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old, cur := base(), base()
			tt.change(&cur)
			if got := statusChanged(&old, &cur); got != tt.want {
				t.Errorf("statusChanged = %v, want %v", got, tt.want)
			}
		})
	}
}
