package scheduler

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/scheduler"
)

// TestFilters: for each filter, a pod lands on the one node that passes it.
func TestFilters(t *testing.T) {
	taint := func(n *corev1.Node) {
		n.Spec.Taints = []corev1.Taint{{Key: "dedicated", Value: "db", Effect: corev1.TaintEffectNoSchedule}}
	}
	tests := []struct {
		name string
		// good is the node the pod must land on; bad the others.
		good, bad func(*corev1.Node)
		pod       func(*corev1.Pod)
		// existing is placed on the bad node first.
		existing func(*corev1.Pod)
	}{
		{
			name: "NodeResourcesFit",
			bad:  func(n *corev1.Node) { n.Status.Allocatable = resources("cpu", "1", "memory", "8Gi", "pods", "110") },
			pod:  requests("cpu", "2"),
		},
		{
			name: "NodeResourcesFit extended resource",
			good: func(n *corev1.Node) { n.Status.Allocatable["example.com/gpu"] = resources("x", "2")["x"] },
			pod: func(p *corev1.Pod) {
				// Extended resources cannot be overcommitted: limit = request.
				p.Spec.Containers[0].Resources.Requests = resources("example.com/gpu", "1")
				p.Spec.Containers[0].Resources.Limits = resources("example.com/gpu", "1")
			},
		},
		{
			name: "NodeResourcesFit pod count",
			bad:  func(n *corev1.Node) { n.Status.Allocatable = resources("cpu", "4", "memory", "8Gi", "pods", "1") },
			existing: func(p *corev1.Pod) {
				p.Spec.Containers[0].Resources.Requests = nil
			},
		},
		{
			name: "NodeUnschedulable",
			bad:  func(n *corev1.Node) { n.Spec.Unschedulable = true },
		},
		{
			name: "TaintToleration",
			bad:  taint,
		},
		{
			name: "TaintToleration tolerated",
			good: taint,
			bad: func(n *corev1.Node) {
				n.Spec.Taints = []corev1.Taint{{Key: "other", Effect: corev1.TaintEffectNoExecute}}
			},
			pod: func(p *corev1.Pod) {
				p.Spec.Tolerations = []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "db", Effect: corev1.TaintEffectNoSchedule}}
			},
		},
		{
			name: "NodeAffinity nodeSelector",
			good: func(n *corev1.Node) { n.Labels["disk"] = "ssd" },
			pod:  func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"disk": "ssd"} },
		},
		{
			name: "NodeAffinity required",
			good: func(n *corev1.Node) { n.Labels["zone"] = "b" },
			bad:  func(n *corev1.Node) { n.Labels["zone"] = "a" },
			pod: func(p *corev1.Pod) {
				p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
					NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "zone", Operator: corev1.NodeSelectorOpNotIn, Values: []string{"a"}}}}},
				}}}
			},
		},
		{
			name: "NodePorts",
			pod: func(p *corev1.Pod) {
				p.Spec.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 80, HostPort: 8080}}
			},
			existing: func(p *corev1.Pod) {
				p.Spec.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 81, HostPort: 8080}}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			good := []func(*corev1.Node){}
			if tt.good != nil {
				good = append(good, tt.good)
			}
			bad := []func(*corev1.Node){}
			if tt.bad != nil {
				bad = append(bad, tt.bad)
			}
			e.createNode("good", good...)
			// Two bad nodes, so that landing on the good one by chance is
			// unlikely even if a filter failed to filter.
			e.createNode("bad1", bad...)
			e.createNode("bad2", bad...)
			if tt.existing != nil {
				for _, n := range []string{"bad1", "bad2"} {
					// Placed directly: the scheduler under test must see
					// them as it would pods another scheduler bound.
					e.createPod("existing-"+n, func(p *corev1.Pod) {
						p.Spec.NodeName = e.node(n)
						tt.existing(p)
					})
				}
			}
			e.startScheduler(nil, nil)
			pod := []func(*corev1.Pod){}
			if tt.pod != nil {
				pod = append(pod, tt.pod)
			}
			e.createPod("p", pod...)
			if got := e.waitBound("p"); got != e.node("good") {
				t.Errorf("pod bound to %s, want %s", got, e.node("good"))
			}
		})
	}
}

// TestFailedScheduling: upstream's example message, on the pod's condition
// and in a FailedScheduling event; then a node that fits is added, the pod
// is retried at once and a Scheduled event says where it went.
func TestFailedScheduling(t *testing.T) {
	e := newEnv(t)
	// The default name: the events' reportingController is the
	// scheduler's name, which upstream's is.
	e.schedulerName = corev1.DefaultSchedulerName
	small := func(n *corev1.Node) { n.Status.Allocatable = resources("cpu", "1", "memory", "8Gi", "pods", "110") }
	taint := func(n *corev1.Node) {
		n.Spec.Taints = []corev1.Taint{{Key: "dedicated", Value: "db", Effect: corev1.TaintEffectNoSchedule}}
	}
	e.createNode("small", small)
	e.createNode("tainted1", taint)
	e.createNode("tainted2", taint)
	e.startScheduler(nil, nil)
	e.createPod("p", requests("cpu", "2"))

	want := "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint(s). preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
	if diff := cmp.Diff(want, e.waitUnschedulable("p")); diff != "" {
		t.Errorf("PodScheduled message (-want +got):\n%s", diff)
	}
	e.waitEvent("p", "FailedScheduling", corev1.EventTypeWarning, want)

	// Requeued by the node's arrival: waitBound gives up after 30 s, long
	// before the 5-minute flush of unschedulable pods would retry it.
	e.createNode("big")
	if got := e.waitBound("p"); got != e.node("big") {
		t.Fatalf("pod bound to %s, want %s", got, e.node("big"))
	}
	e.waitEvent("p", "Scheduled", corev1.EventTypeNormal, fmt.Sprintf("Successfully assigned %s/p to %s", e.ns, e.node("big")))
}

// waitEvent waits for an events.k8s.io event about the pod.
func (e *env) waitEvent(pod, reason, typ, note string) {
	e.t.Helper()
	var seen []string
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		list, err := e.client.EventsV1().Events(e.ns).List(ctx, metav1.ListOptions{FieldSelector: "regarding.name=" + pod})
		if err != nil {
			return false, err
		}
		seen = seen[:0]
		for _, ev := range list.Items {
			seen = append(seen, fmt.Sprintf("%s %s %s %s: %s", ev.Type, ev.Reason, ev.ReportingController, ev.Action, ev.Note))
			if ev.Reason == reason && ev.Type == typ && ev.Note == note && ev.ReportingController == e.schedulerName {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		e.t.Fatalf("no %s event %q from %s: %v; events: %q", reason, note, e.schedulerName, err, seen)
	}
}

// TestRequeueOnNodeUpdate: a pod that fits nowhere is retried when a node
// changes so that it fits: relabelled, untainted, uncordoned, grown.
func TestRequeueOnNodeUpdate(t *testing.T) {
	tests := []struct {
		name   string
		node   func(*corev1.Node)
		pod    func(*corev1.Pod)
		update func(*corev1.Node)
	}{
		{
			name:   "label added",
			pod:    func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"disk": "ssd"} },
			update: func(n *corev1.Node) { n.Labels["disk"] = "ssd" },
		},
		{
			name:   "taint removed",
			node:   func(n *corev1.Node) { n.Spec.Taints = []corev1.Taint{{Key: "k", Effect: corev1.TaintEffectNoSchedule}} },
			update: func(n *corev1.Node) { n.Spec.Taints = nil },
		},
		{
			name:   "uncordoned",
			node:   func(n *corev1.Node) { n.Spec.Unschedulable = true },
			update: func(n *corev1.Node) { n.Spec.Unschedulable = false },
		},
		{
			name:   "allocatable grown",
			pod:    requests("cpu", "8"),
			update: func(n *corev1.Node) { n.Status.Allocatable = resources("cpu", "16", "memory", "8Gi", "pods", "110") },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			var mutate []func(*corev1.Node)
			if tt.node != nil {
				mutate = append(mutate, tt.node)
			}
			name := e.createNode("n", mutate...)
			e.startScheduler(nil, nil)
			var pm []func(*corev1.Pod)
			if tt.pod != nil {
				pm = append(pm, tt.pod)
			}
			e.createPod("p", pm...)
			e.waitUnschedulable("p")
			// Past the first backoff, so that only the event can bring
			// it back soon.
			time.Sleep(1500 * time.Millisecond)
			ctx := context.Background()
			// Spec and labels go through the main resource, allocatable
			// through status: apply the change to both. The node
			// lifecycle controller writes the node too (the
			// unschedulable taint), so each write retries on conflict.
			for _, update := range []func(*corev1.Node) (*corev1.Node, error){
				func(n *corev1.Node) (*corev1.Node, error) {
					return e.client.CoreV1().Nodes().Update(ctx, n, metav1.UpdateOptions{})
				},
				func(n *corev1.Node) (*corev1.Node, error) {
					return e.client.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{})
				},
			} {
				err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
					n, err := e.client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
					if err != nil {
						return err
					}
					tt.update(n)
					_, err = update(n)
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			// waitBound's 30 s are far below the 5-minute flush: binding
			// in time means the update requeued the pod.
			if got := e.waitBound("p"); got != name {
				t.Fatalf("bound to %s, want %s", got, name)
			}
		})
	}
}

// TestRequeueOnPodDelete: a pod waiting for room gets it when the pod that
// held it is deleted.
func TestRequeueOnPodDelete(t *testing.T) {
	e := newEnv(t)
	node := e.createNode("n", func(n *corev1.Node) { n.Status.Allocatable = resources("cpu", "1", "memory", "8Gi", "pods", "110") })
	e.startScheduler(nil, nil)
	e.createPod("first", requests("cpu", "1"))
	e.waitBound("first")
	e.createPod("second", requests("cpu", "1"))
	e.waitUnschedulable("second")
	if err := e.client.CoreV1().Pods(e.ns).Delete(context.Background(), "first", metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}); err != nil {
		t.Fatal(err)
	}
	if got := e.waitBound("second"); got != node {
		t.Errorf("bound to %s, want %s", got, node)
	}
}

// TestBurstDoesNotOvercommit: pods created faster than the informer shows
// bindings still fit, because chosen pods are assumed on their node.
func TestBurstDoesNotOvercommit(t *testing.T) {
	e := newEnv(t)
	a := e.createNode("a")
	b := e.createNode("b")
	e.startScheduler(nil, nil)
	for i := 0; i < 12; i++ {
		e.createPod(fmt.Sprintf("p%02d", i), requests("cpu", "1"))
	}
	perNode := map[string]int{}
	var bound int
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		list, err := e.client.CoreV1().Pods(e.ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		perNode, bound = map[string]int{}, 0
		unschedulable := 0
		for _, p := range list.Items {
			if p.Spec.NodeName != "" {
				perNode[p.Spec.NodeName]++
				bound++
			}
			for _, c := range p.Status.Conditions {
				if c.Type == corev1.PodScheduled && c.Reason == corev1.PodReasonUnschedulable {
					unschedulable++
				}
			}
		}
		return bound == 8 && unschedulable == 4, nil
	})
	if err != nil {
		t.Fatalf("want 8 pods bound and 4 unschedulable: %v; bound per node: %v", err, perNode)
	}
	if diff := cmp.Diff(map[string]int{a: 4, b: 4}, perNode); diff != "" {
		t.Errorf("pods per node (-want +got):\n%s", diff)
	}
}

// TestOtherSchedulersPods: pods for another scheduler name are left alone.
func TestOtherSchedulersPods(t *testing.T) {
	e := newEnv(t)
	e.createNode("n")
	e.startScheduler(nil, nil)
	e.createPod("theirs", func(p *corev1.Pod) { p.Spec.SchedulerName = "someone-else" })
	e.createPod("ours")
	e.waitBound("ours")
	e.stillPending("theirs", time.Second)
}

// TestSchedulingGates: a gated pod waits until its gates are removed.
func TestSchedulingGates(t *testing.T) {
	e := newEnv(t)
	e.createNode("n")
	e.startScheduler(nil, nil)
	e.createPod("gated", func(p *corev1.Pod) {
		p.Spec.SchedulingGates = []corev1.PodSchedulingGate{{Name: "example.com/wait"}}
	})
	e.stillPending("gated", 2*time.Second)
	ctx := context.Background()
	p, err := e.client.CoreV1().Pods(e.ns).Get(ctx, "gated", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p.Spec.SchedulingGates = nil
	if _, err := e.client.CoreV1().Pods(e.ns).Update(ctx, p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	e.waitBound("gated")
}

// TestLeaderElection: of two schedulers, only the one holding the Lease
// binds; when it stops, the other takes over.
func TestLeaderElection(t *testing.T) {
	e := newEnv(t)
	e.createNode("n")
	withLease := func(o *scheduler.Options) {
		o.LeaderElection.LeaderElect = true
		o.LeaderElection.ResourceName = e.schedulerName
		o.LeaderElection.LeaseDuration.Duration = 4 * time.Second
		o.LeaderElection.RenewDeadline.Duration = 3 * time.Second
		o.LeaderElection.RetryPeriod.Duration = 500 * time.Millisecond
	}
	var bindsA, bindsB atomic.Int32
	a, stopA := e.startScheduler(withLease, &bindsA)
	b, stopB := e.startScheduler(withLease, &bindsB)

	var leader *scheduler.Scheduler
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, timeout, true, func(context.Context) (bool, error) {
		switch {
		case a.Leading() && b.Leading():
			return false, fmt.Errorf("both schedulers lead")
		case a.Leading():
			leader = a
		case b.Leading():
			leader = b
		}
		return leader != nil, nil
	})
	if err != nil {
		t.Fatalf("no leader: %v", err)
	}
	for i := 0; i < 5; i++ {
		e.createPod(fmt.Sprintf("first%d", i))
	}
	for i := 0; i < 5; i++ {
		e.waitBound(fmt.Sprintf("first%d", i))
	}
	leaderBinds, followerBinds, stopLeader, follower := &bindsA, &bindsB, stopA, b
	if leader == b {
		leaderBinds, followerBinds, stopLeader, follower = &bindsB, &bindsA, stopB, a
	}
	if got := leaderBinds.Load(); got != 5 {
		t.Errorf("leader posted %d bindings, want 5", got)
	}
	if got := followerBinds.Load(); got != 0 {
		t.Errorf("follower posted %d bindings, want 0", got)
	}

	stopLeader()
	for i := 0; i < 5; i++ {
		e.createPod(fmt.Sprintf("second%d", i))
	}
	for i := 0; i < 5; i++ {
		e.waitBound(fmt.Sprintf("second%d", i))
	}
	if !follower.Leading() {
		t.Error("the follower bound pods without leading")
	}
	if got := followerBinds.Load(); got != 5 {
		t.Errorf("new leader posted %d bindings, want 5", got)
	}
	lease, err := e.client.CoordinationV1().Leases(metav1.NamespaceSystem).Get(context.Background(), e.schedulerName, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get lease: %v", err)
	}
	if lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity == "" {
		t.Errorf("lease %s has no holder", lease.Name)
	}
}

// TestPreemption: a pod of higher priority that fits nowhere evicts a pod
// of lower priority: the victim is marked DisruptionTarget and deleted, the
// preemptor nominated to the node, and bound there once the victim is gone.
func TestPreemption(t *testing.T) {
	e := newEnv(t)
	node := e.createNode("n", func(n *corev1.Node) { n.Status.Allocatable = resources("cpu", "2", "memory", "8Gi", "pods", "110") })
	e.startScheduler(nil, nil)
	// Priorities come from PriorityClasses, as the Priority admission
	// plugin requires: a pod may not set spec.priority itself.
	for _, pc := range []schedulingv1.PriorityClass{
		{ObjectMeta: metav1.ObjectMeta{Name: e.ns + "-high"}, Value: 100},
		{ObjectMeta: metav1.ObjectMeta{Name: e.ns + "-high-never"}, Value: 100, PreemptionPolicy: ptr.To(corev1.PreemptNever)},
	} {
		if _, err := e.client.SchedulingV1().PriorityClasses().Create(context.Background(), &pc, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			e.client.SchedulingV1().PriorityClasses().Delete(context.Background(), pc.Name, metav1.DeleteOptions{})
		})
	}
	e.createPod("low", requests("cpu", "2"))
	e.waitBound("low")
	e.createPod("never", requests("cpu", "2"), func(p *corev1.Pod) {
		p.Spec.PriorityClassName = e.ns + "-high-never"
	})
	if diff := cmp.Diff("0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.", e.waitUnschedulable("never")); diff != "" {
		t.Errorf("message for a pod that may not preempt (-want +got):\n%s", diff)
	}
	ctx := context.Background()
	if err := e.client.CoreV1().Pods(e.ns).Delete(ctx, "never", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}

	preemptor := e.createPod("high", requests("cpu", "2"), func(p *corev1.Pod) { p.Spec.PriorityClassName = e.ns + "-high" })
	// The victim is marked and deleted; with no kubelet to finish its
	// graceful deletion, the test does that.
	err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		p, err := e.client.CoreV1().Pods(e.ns).Get(ctx, "low", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		if err != nil || p.DeletionTimestamp == nil {
			return false, err
		}
		marked := false
		for _, c := range p.Status.Conditions {
			marked = marked || c.Type == corev1.DisruptionTarget && c.Status == corev1.ConditionTrue && c.Reason == corev1.PodReasonPreemptionByScheduler
		}
		if !marked {
			return false, fmt.Errorf("victim deleted without a DisruptionTarget condition: %+v", p.Status.Conditions)
		}
		return true, e.client.CoreV1().Pods(e.ns).Delete(ctx, "low", metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)})
	})
	if err != nil {
		t.Fatalf("victim not preempted: %v", err)
	}
	e.waitEvent("low", "Preempted", corev1.EventTypeNormal, fmt.Sprintf("Preempted by pod %v on node %v", preemptor.UID, node))
	high, err := e.client.CoreV1().Pods(e.ns).Get(ctx, "high", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if high.Spec.NodeName == "" && high.Status.NominatedNodeName != node {
		t.Errorf("preemptor: nominatedNodeName %q, want %q", high.Status.NominatedNodeName, node)
	}
	if got := e.waitBound("high"); got != node {
		t.Errorf("preemptor bound to %s, want %s", got, node)
	}
}
