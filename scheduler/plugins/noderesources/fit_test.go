package noderesources

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/scheduler/framework"
)

// list parses "cpu=1,memory=2Gi" style pairs.
func list(pairs ...string) corev1.ResourceList {
	l := corev1.ResourceList{}
	for i := 0; i+1 < len(pairs); i += 2 {
		l[corev1.ResourceName(pairs[i])] = resource.MustParse(pairs[i+1])
	}
	return l
}

func container(requests corev1.ResourceList) corev1.Container {
	return corev1.Container{Name: "c", Resources: corev1.ResourceRequirements{Requests: requests}}
}

func podOf(uid string, containers ...corev1.Container) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{UID: types.UID(uid), Name: uid}, Spec: corev1.PodSpec{NodeName: "n", Containers: containers}}
}

func node(allocatable corev1.ResourceList) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n"}, Status: corev1.NodeStatus{Allocatable: allocatable}}
}

func TestFilter(t *testing.T) {
	alloc := list("cpu", "4", "memory", "4Gi", "ephemeral-storage", "10Gi", "pods", "3", "example.com/gpu", "2")
	existing := []*corev1.Pod{podOf("e1", container(list("cpu", "2", "memory", "1Gi", "example.com/gpu", "1")))}
	tests := []struct {
		name     string
		pod      *corev1.Pod
		existing []*corev1.Pod
		alloc    corev1.ResourceList
		want     *framework.Status
	}{
		{name: "fits", pod: podOf("p", container(list("cpu", "2", "memory", "3Gi")))},
		{name: "best effort fits", pod: podOf("p", container(nil))},
		{name: "insufficient cpu", pod: podOf("p", container(list("cpu", "2500m"))), want: framework.NewStatus(framework.Unschedulable, "Insufficient cpu")},
		{
			name: "more cpu than the node has at all is unresolvable",
			pod:  podOf("p", container(list("cpu", "5"))),
			want: framework.NewStatus(framework.UnschedulableAndUnresolvable, "Insufficient cpu"),
		},
		{
			name: "insufficient cpu and memory, in order",
			pod:  podOf("p", container(list("memory", "3500Mi", "cpu", "3"))),
			want: framework.NewStatus(framework.Unschedulable, "Insufficient cpu", "Insufficient memory"),
		},
		{name: "insufficient ephemeral storage", pod: podOf("p", container(list("ephemeral-storage", "11Gi"))), want: framework.NewStatus(framework.UnschedulableAndUnresolvable, "Insufficient ephemeral-storage")},
		{name: "extended resource", pod: podOf("p", container(list("example.com/gpu", "2"))), want: framework.NewStatus(framework.Unschedulable, "Insufficient example.com/gpu")},
		{name: "extended resource the node lacks", pod: podOf("p", container(list("example.com/fpga", "1"))), want: framework.NewStatus(framework.UnschedulableAndUnresolvable, "Insufficient example.com/fpga")},
		{
			name:     "too many pods, even for a best-effort pod",
			pod:      podOf("p", container(nil)),
			existing: []*corev1.Pod{podOf("a", container(nil)), podOf("b", container(nil)), podOf("c", container(nil))},
			want:     framework.NewStatus(framework.Unschedulable, "Too many pods"),
		},
		{
			name: "a large init container counts",
			pod: func() *corev1.Pod {
				p := podOf("p", container(list("cpu", "1")))
				p.Spec.InitContainers = []corev1.Container{container(list("cpu", "3"))}
				return p
			}(),
			want: framework.NewStatus(framework.Unschedulable, "Insufficient cpu"),
		},
		{
			name: "a sidecar adds to the containers",
			pod: func() *corev1.Pod {
				p := podOf("p", container(list("cpu", "1500m")))
				sidecar := container(list("cpu", "1"))
				sidecar.RestartPolicy = ptr.To(corev1.ContainerRestartPolicyAlways)
				p.Spec.InitContainers = []corev1.Container{sidecar}
				return p
			}(),
			want: framework.NewStatus(framework.Unschedulable, "Insufficient cpu"),
		},
		{
			name: "overhead adds",
			pod: func() *corev1.Pod {
				p := podOf("p", container(list("cpu", "1500m")))
				p.Spec.Overhead = list("cpu", "1")
				return p
			}(),
			want: framework.NewStatus(framework.Unschedulable, "Insufficient cpu"),
		},
		{
			name: "pod-level requests replace the containers'",
			pod: func() *corev1.Pod {
				p := podOf("p", container(list("cpu", "1")))
				p.Spec.Resources = &corev1.ResourceRequirements{Requests: list("cpu", "3")}
				return p
			}(),
			want: framework.NewStatus(framework.Unschedulable, "Insufficient cpu"),
		},
		{
			name:  "a node without allocatable fits nothing",
			pod:   podOf("p", container(nil)),
			alloc: corev1.ResourceList{},
			want:  framework.NewStatus(framework.Unschedulable, "Too many pods"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			a := alloc
			if tt.alloc != nil {
				a = tt.alloc
			}
			pods := existing
			if tt.existing != nil {
				pods = tt.existing
			}
			pl := &Fit{}
			state := framework.NewCycleState()
			if _, s := pl.PreFilter(ctx, state, tt.pod, nil); !s.IsSuccess() {
				t.Fatal(s)
			}
			got := pl.Filter(ctx, state, tt.pod, framework.NewNodeInfo(node(a), pods...))
			if diff := cmp.Diff(tt.want.String(), got.String()); diff != "" {
				t.Errorf("Filter (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAssignedPodCountsResizedResources(t *testing.T) {
	// A pod resized in place holds the larger of spec and allocation.
	p := podOf("p", container(list("cpu", "1")))
	p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "c", AllocatedResources: list("cpu", "3")}}
	ni := framework.NewNodeInfo(node(list("cpu", "4", "pods", "10")), p)
	if got := ni.Requested.MilliCPU; got != 3000 {
		t.Errorf("requested cpu = %dm, want 3000m", got)
	}
}

func score(t *testing.T, pl framework.ScorePlugin, pre framework.PreScorePlugin, pod *corev1.Pod, ni *framework.NodeInfo) int64 {
	t.Helper()
	ctx := context.Background()
	state := framework.NewCycleState()
	if s := pre.PreScore(ctx, state, pod, nil); !s.IsSuccess() {
		t.Fatalf("PreScore: %v", s)
	}
	v, s := pl.Score(ctx, state, pod, ni)
	if !s.IsSuccess() {
		t.Fatalf("Score: %v", s)
	}
	return v
}

func TestLeastAllocated(t *testing.T) {
	tests := []struct {
		name     string
		pod      *corev1.Pod
		alloc    corev1.ResourceList
		existing []*corev1.Pod
		want     int64
	}{
		{
			name:     "cpu 50% free, memory 60% free",
			pod:      podOf("p", container(list("cpu", "1", "memory", "2000"))),
			alloc:    list("cpu", "4", "memory", "10000", "pods", "10"),
			existing: []*corev1.Pod{podOf("e", container(list("cpu", "1", "memory", "2000")))},
			want:     55,
		},
		{
			name:  "a best-effort pod counts 100m and 200Mi",
			pod:   podOf("p", container(nil)),
			alloc: list("cpu", "1", "memory", "1000Mi", "pods", "10"),
			want:  85,
		},
		{
			name:  "over capacity scores 0 for that resource",
			pod:   podOf("p", container(list("cpu", "2", "memory", "1"))),
			alloc: list("cpu", "1", "memory", "100", "pods", "10"),
			want:  49,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := score(t, &Fit{}, &Fit{}, tt.pod, framework.NewNodeInfo(node(tt.alloc), tt.existing...))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("score (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBalancedAllocation(t *testing.T) {
	alloc := list("cpu", "4", "memory", "10000", "pods", "10")
	tests := []struct {
		name     string
		pod      *corev1.Pod
		existing []*corev1.Pod
		want     int64
	}{
		{
			name:     "the pod evens the node out",
			pod:      podOf("p", container(list("cpu", "1"))),
			existing: []*corev1.Pod{podOf("e", container(list("cpu", "1", "memory", "5000")))},
			want:     81,
		},
		{
			name: "the pod unbalances an empty node",
			pod:  podOf("p", container(list("cpu", "1"))),
			want: 68,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := score(t, &BalancedAllocation{}, &BalancedAllocation{}, tt.pod, framework.NewNodeInfo(node(alloc), tt.existing...))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("score (-want +got):\n%s", diff)
			}
		})
	}
	if s := (&BalancedAllocation{}).PreScore(context.Background(), framework.NewCycleState(), podOf("p", container(nil)), nil); !s.IsSkip() {
		t.Errorf("PreScore of a best-effort pod = %v, want Skip", s)
	}
}

func TestQueueingHints(t *testing.T) {
	pod := podOf("p", container(list("cpu", "2")))
	small, big := node(list("cpu", "1", "pods", "10")), node(list("cpu", "4", "pods", "10"))
	relabelled := big.DeepCopy()
	relabelled.Labels = map[string]string{"a": "b"}
	tests := []struct {
		name     string
		old, new any
		hint     func(klog.Logger, *corev1.Pod, any, any) (framework.QueueingHint, error)
		want     framework.QueueingHint
	}{
		{name: "big node added", new: big, hint: isSchedulableAfterNodeChange, want: framework.Queue},
		{name: "small node added", new: small, hint: isSchedulableAfterNodeChange, want: framework.QueueSkip},
		{name: "node grew", old: small, new: big, hint: isSchedulableAfterNodeChange, want: framework.Queue},
		{name: "big node changed without growing", old: big, new: relabelled, hint: isSchedulableAfterNodeChange, want: framework.QueueSkip},
		{name: "assigned pod deleted", old: podOf("e", container(nil)), hint: isSchedulableAfterPodChange, want: framework.Queue},
		{name: "unassigned pod deleted", old: &corev1.Pod{}, hint: isSchedulableAfterPodChange, want: framework.QueueSkip},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.hint(klog.Background(), pod, tt.old, tt.new)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("hint (-want +got):\n%s", diff)
			}
		})
	}
}
