package defaultpreemption_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/scheduler/framework"
	"github.com/kubeshim/kubeshim/scheduler/plugins"
)

func node(name, cpu string) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.NodeStatus{Allocatable: corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse("8Gi"), corev1.ResourcePods: resource.MustParse("110"),
	}}}
}

type podOpt func(*corev1.Pod)

func pod(name, cpu string, prio int32, opts ...podOpt) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, UID: types.UID(name), Labels: map[string]string{"app": name}},
		Spec: corev1.PodSpec{Priority: ptr.To(prio), Containers: []corev1.Container{{Name: "c", Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu)},
		}}}},
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

func on(node string) podOpt { return func(p *corev1.Pod) { p.Spec.NodeName = node } }

func started(ago time.Duration) podOpt {
	return func(p *corev1.Pod) { p.Status.StartTime = &metav1.Time{Time: time.Now().Add(-ago)} }
}

// handle serves PodDisruptionBudgets from a fake clientset's informers.
type handle struct {
	f informers.SharedInformerFactory
}

func (h handle) SharedInformerFactory() informers.SharedInformerFactory { return h.f }

func TestPreemption(t *testing.T) {
	tests := []struct {
		name     string
		nodes    []*corev1.Node
		existing []*corev1.Pod
		pdbs     []*policyv1.PodDisruptionBudget
		pod      *corev1.Pod
		wantNode string
		// wantVictims by name; nil with wantNode "" means no result.
		wantVictims []string
		wantMsg     string
	}{
		{
			name:        "evicts the lower-priority pod",
			nodes:       []*corev1.Node{node("n1", "2")},
			existing:    []*corev1.Pod{pod("low", "2", 0, on("n1"))},
			pod:         pod("high", "2", 10),
			wantNode:    "n1",
			wantVictims: []string{"low"},
			wantMsg:     "0/1 nodes are available: 1 Insufficient cpu. preemption: found a potential placement for pod on node n1, preempting 1 victims",
		},
		{
			name:     "no lower-priority pods",
			nodes:    []*corev1.Node{node("n1", "2")},
			existing: []*corev1.Pod{pod("peer", "2", 10, on("n1"))},
			pod:      pod("high", "2", 10),
			wantMsg:  "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.",
		},
		{
			name:     "preemptionPolicy Never",
			nodes:    []*corev1.Node{node("n1", "2")},
			existing: []*corev1.Pod{pod("low", "2", 0, on("n1"))},
			pod:      pod("high", "2", 10, func(p *corev1.Pod) { p.Spec.PreemptionPolicy = ptr.To(corev1.PreemptNever) }),
			wantMsg:  "0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.",
		},
		{
			name:     "evicting cannot help a pod larger than the node",
			nodes:    []*corev1.Node{node("n1", "2")},
			existing: []*corev1.Pod{pod("low", "2", 0, on("n1"))},
			pod:      pod("high", "3", 10),
			wantMsg:  "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.",
		},
		{
			name:  "evicts as few as needed, the least important",
			nodes: []*corev1.Node{node("n1", "3")},
			existing: []*corev1.Pod{
				pod("a", "1", 3, on("n1")), pod("b", "1", 1, on("n1")), pod("c", "1", 2, on("n1")),
			},
			pod:         pod("high", "1", 10),
			wantNode:    "n1",
			wantVictims: []string{"b"},
			wantMsg:     "0/1 nodes are available: 1 Insufficient cpu. preemption: found a potential placement for pod on node n1, preempting 1 victims",
		},
		{
			name:  "prefers the node whose most important victim is least important",
			nodes: []*corev1.Node{node("n1", "2"), node("n2", "2")},
			existing: []*corev1.Pod{
				pod("mid", "2", 5, on("n1")),
				pod("low1", "1", 1, on("n2")), pod("low2", "1", 1, on("n2")),
			},
			pod:         pod("high", "2", 10),
			wantNode:    "n2",
			wantVictims: []string{"low1", "low2"},
			wantMsg:     "0/2 nodes are available: 2 Insufficient cpu. preemption: found a potential placement for pod on node n2, preempting 2 victims",
		},
		{
			name:  "then fewer victims",
			nodes: []*corev1.Node{node("n1", "2"), node("n2", "2")},
			existing: []*corev1.Pod{
				pod("one", "2", 1, on("n1")),
				pod("half1", "1", 1, on("n2")), pod("half2", "1", 1, on("n2")),
			},
			pod:         pod("high", "2", 10),
			wantNode:    "n1",
			wantVictims: []string{"one"},
			wantMsg:     "0/2 nodes are available: 2 Insufficient cpu. preemption: found a potential placement for pod on node n1, preempting 1 victims",
		},
		{
			name:  "then the victims that started last",
			nodes: []*corev1.Node{node("n1", "2"), node("n2", "2")},
			existing: []*corev1.Pod{
				pod("old", "2", 1, on("n1"), started(time.Hour)),
				pod("new", "2", 1, on("n2"), started(time.Minute)),
			},
			pod:         pod("high", "2", 10),
			wantNode:    "n2",
			wantVictims: []string{"new"},
			wantMsg:     "0/2 nodes are available: 2 Insufficient cpu. preemption: found a potential placement for pod on node n2, preempting 1 victims",
		},
		{
			name:  "avoids breaking a PodDisruptionBudget",
			nodes: []*corev1.Node{node("n1", "2"), node("n2", "2")},
			existing: []*corev1.Pod{
				pod("guarded", "2", 0, on("n1")),
				pod("free", "2", 1, on("n2")),
			},
			pdbs: []*policyv1.PodDisruptionBudget{{
				ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "guard"},
				Spec:       policyv1.PodDisruptionBudgetSpec{MinAvailable: ptr.To(intstr.FromInt32(1)), Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "guarded"}}},
				Status:     policyv1.PodDisruptionBudgetStatus{DisruptionsAllowed: 0},
			}},
			pod:         pod("high", "2", 10),
			wantNode:    "n2",
			wantVictims: []string{"free"},
			wantMsg:     "0/2 nodes are available: 2 Insufficient cpu. preemption: found a potential placement for pod on node n2, preempting 1 victims",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			client := fake.NewSimpleClientset()
			for _, pdb := range tt.pdbs {
				if _, err := client.PolicyV1().PodDisruptionBudgets(pdb.Namespace).Create(ctx, pdb, metav1.CreateOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			factory := informers.NewSharedInformerFactory(client, 0)
			fw, err := framework.New(ctx, plugins.NewRegistry(), framework.Profile{Plugins: plugins.DefaultPlugins()}, handle{factory})
			if err != nil {
				t.Fatal(err)
			}
			factory.Start(ctx.Done())
			factory.WaitForCacheSync(ctx.Done())

			_, err = fw.Schedule(ctx, tt.pod, framework.NewSnapshot(tt.nodes, tt.existing))
			var fitErr *framework.FitError
			if !errors.As(err, &fitErr) {
				t.Fatalf("err = %v, want a FitError", err)
			}
			if diff := cmp.Diff(tt.wantMsg, err.Error()); diff != "" {
				t.Errorf("message (-want +got):\n%s", diff)
			}
			var gotNode string
			var gotVictims []string
			if r := fitErr.PostFilterResult; r != nil {
				gotNode = r.NominatedNode
				for _, v := range r.Victims {
					gotVictims = append(gotVictims, v.Name)
				}
			}
			if diff := cmp.Diff(tt.wantNode, gotNode); diff != "" {
				t.Errorf("nominated node (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantVictims, gotVictims); diff != "" {
				t.Errorf("victims (-want +got):\n%s", diff)
			}
		})
	}
}
