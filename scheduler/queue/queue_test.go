package queue

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/klog/v2"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/scheduler/framework"
)

var logger = klog.Background()

func pod(name string, prio int32) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, UID: types.UID("uid-" + name)}, Spec: corev1.PodSpec{Priority: ptr.To(prio)}}
}

func newQueue(clock *clocktesting.FakeClock) *Queue {
	return New(Options{
		Clock: clock,
		PreEnqueue: func(_ context.Context, p *corev1.Pod) *framework.Status {
			if len(p.Spec.SchedulingGates) > 0 {
				return framework.NewStatus(framework.UnschedulableAndUnresolvable, "gated").WithPlugin("SchedulingGates")
			}
			return nil
		},
		// The rejecting plugin "NodeAffinity" is helped only by node
		// events; "Fit" by everything.
		IsSchedulableAfter: func(_ klog.Logger, _ *corev1.Pod, rejectors sets.Set[string], event framework.ClusterEvent, _, _ any) bool {
			return !rejectors.Has("NodeAffinity") || event.Resource == framework.Node || event.Resource == framework.WildCard
		},
	})
}

func popNames(t *testing.T, q *Queue, n int) []string {
	t.Helper()
	var names []string
	for i := 0; i < n; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		p, err := q.Pop(ctx)
		cancel()
		if err != nil {
			t.Fatalf("pop %d: %v", i, err)
		}
		names = append(names, p.Pod.Name)
	}
	return names
}

func TestActiveOrder(t *testing.T) {
	clock := clocktesting.NewFakeClock(time.Now())
	q := newQueue(clock)
	for _, p := range []*corev1.Pod{pod("low-old", 0), pod("high", 10), pod("low-new", 0), pod("mid", 5)} {
		q.Add(logger, p)
		clock.Step(time.Millisecond)
	}
	got := popNames(t, q, 4)
	want := []string{"high", "mid", "low-old", "low-new"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pop order (-want +got):\n%s", diff)
	}
}

func TestBackoffDuration(t *testing.T) {
	q := newQueue(clocktesting.NewFakeClock(time.Now()))
	var got []time.Duration
	for attempts := 1; attempts <= 6; attempts++ {
		got = append(got, q.backoffDuration(&QueuedPodInfo{Attempts: attempts}))
	}
	want := []time.Duration{1 * time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("backoff by attempt (-want +got):\n%s", diff)
	}
}

// fail pops the pod and sends it back as rejected by plugins (none: an
// error).
func fail(t *testing.T, q *Queue, plugins ...string) *QueuedPodInfo {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	p, err := q.Pop(ctx)
	if err != nil {
		t.Fatalf("pop: %v", err)
	}
	if len(plugins) > 0 {
		p.UnschedulablePlugins = sets.New(plugins...)
	}
	q.AddUnschedulableIfNotPresent(logger, p)
	q.Done(p.Pod)
	return p
}

func TestRequeue(t *testing.T) {
	nodeAdd := framework.ClusterEvent{Resource: framework.Node, ActionType: framework.Add}
	podDelete := framework.ClusterEvent{Resource: framework.AssignedPod, ActionType: framework.Delete}
	tests := []struct {
		name string
		// rejectors of the failed pass; none means an error.
		rejectors []string
		// eventDuringPass happens between Pop and the failure.
		eventDuringPass bool
		// wait passes before the event after the failure.
		wait  time.Duration
		event *framework.ClusterEvent
		want  Counts
	}{
		{name: "rejected: waits for an event", rejectors: []string{"Fit"}, want: Counts{Unschedulable: 1}},
		{name: "error: backs off", want: Counts{Backoff: 1}},
		{name: "event during the pass: backs off", rejectors: []string{"Fit"}, eventDuringPass: true, want: Counts{Backoff: 1}},
		{name: "helpful event while backing off: backoff", rejectors: []string{"Fit"}, event: &nodeAdd, want: Counts{Backoff: 1}},
		{name: "helpful event after the backoff: active", rejectors: []string{"Fit"}, wait: 2 * time.Second, event: &nodeAdd, want: Counts{Active: 1}},
		{name: "unhelpful event: stays", rejectors: []string{"NodeAffinity"}, wait: 2 * time.Second, event: &podDelete, want: Counts{Unschedulable: 1}},
		{name: "node event helps node affinity", rejectors: []string{"NodeAffinity"}, wait: 2 * time.Second, event: &nodeAdd, want: Counts{Active: 1}},
		{name: "left unschedulable 5 minutes: flushed", rejectors: []string{"NodeAffinity"}, wait: 5*time.Minute + time.Second, want: Counts{Active: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := clocktesting.NewFakeClock(time.Now())
			q := newQueue(clock)
			q.Add(logger, pod("p", 0))
			p, err := q.Pop(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if tt.eventDuringPass {
				q.MoveAllToActiveOrBackoff(logger, nodeAdd, nil, &corev1.Node{})
			}
			p.UnschedulablePlugins = sets.New(tt.rejectors...)
			q.AddUnschedulableIfNotPresent(logger, p)
			q.Done(p.Pod)
			clock.Step(tt.wait)
			if tt.event != nil {
				q.MoveAllToActiveOrBackoff(logger, *tt.event, nil, nil)
			}
			q.FlushUnschedulableLeftover(logger)
			if diff := cmp.Diff(tt.want, q.Counts()); diff != "" {
				t.Errorf("counts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBackoffFlush(t *testing.T) {
	clock := clocktesting.NewFakeClock(time.Now())
	q := newQueue(clock)
	q.Add(logger, pod("p", 0))
	fail(t, q) // attempt 1: 1s
	clock.Step(900 * time.Millisecond)
	q.FlushBackoffCompleted(logger)
	if diff := cmp.Diff(Counts{Backoff: 1}, q.Counts()); diff != "" {
		t.Fatalf("before 1s (-want +got):\n%s", diff)
	}
	clock.Step(200 * time.Millisecond)
	q.FlushBackoffCompleted(logger)
	if diff := cmp.Diff(Counts{Active: 1}, q.Counts()); diff != "" {
		t.Fatalf("after 1s (-want +got):\n%s", diff)
	}
	fail(t, q) // attempt 2: 2s
	clock.Step(1500 * time.Millisecond)
	q.FlushBackoffCompleted(logger)
	if diff := cmp.Diff(Counts{Backoff: 1}, q.Counts()); diff != "" {
		t.Fatalf("second backoff, before 2s (-want +got):\n%s", diff)
	}
	clock.Step(600 * time.Millisecond)
	q.FlushBackoffCompleted(logger)
	if diff := cmp.Diff(Counts{Active: 1}, q.Counts()); diff != "" {
		t.Fatalf("second backoff, after 2s (-want +got):\n%s", diff)
	}
}

func TestUpdate(t *testing.T) {
	tests := []struct {
		name   string
		change func(p *corev1.Pod)
		want   Counts
	}{
		{name: "status-only update: stays", change: func(p *corev1.Pod) {
			p.ResourceVersion = "2"
			p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse}}
		}, want: Counts{Unschedulable: 1}},
		{name: "spec update: retried", change: func(p *corev1.Pod) {
			p.Spec.Tolerations = []corev1.Toleration{{Operator: corev1.TolerationOpExists}}
		}, want: Counts{Active: 1}},
		{name: "label update: retried", change: func(p *corev1.Pod) { p.Labels = map[string]string{"a": "b"} }, want: Counts{Active: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := clocktesting.NewFakeClock(time.Now())
			q := newQueue(clock)
			old := pod("p", 0)
			q.Add(logger, old)
			fail(t, q, "NodeAffinity")
			clock.Step(2 * time.Second)
			updated := old.DeepCopy()
			tt.change(updated)
			q.Update(logger, old, updated)
			if diff := cmp.Diff(tt.want, q.Counts()); diff != "" {
				t.Errorf("counts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUpdateWhileInFlight(t *testing.T) {
	q := newQueue(clocktesting.NewFakeClock(time.Now()))
	old := pod("p", 0)
	q.Add(logger, old)
	p, err := q.Pop(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	updated := old.DeepCopy()
	updated.Labels = map[string]string{"a": "b"}
	q.Update(logger, old, updated)
	if diff := cmp.Diff(Counts{InFlight: 1}, q.Counts()); diff != "" {
		t.Fatalf("an update does not queue a pod in flight twice (-want +got):\n%s", diff)
	}
	p.Pod = updated
	p.UnschedulablePlugins = sets.New("NodeAffinity")
	q.AddUnschedulableIfNotPresent(logger, p)
	q.Done(p.Pod)
	if diff := cmp.Diff(Counts{Backoff: 1}, q.Counts()); diff != "" {
		t.Errorf("updated during its pass: backs off instead of waiting (-want +got):\n%s", diff)
	}
}

func TestGated(t *testing.T) {
	q := newQueue(clocktesting.NewFakeClock(time.Now()))
	gated := pod("p", 0)
	gated.Spec.SchedulingGates = []corev1.PodSchedulingGate{{Name: "example.com/wait"}}
	q.Add(logger, gated)
	if diff := cmp.Diff(Counts{Gated: 1}, q.Counts()); diff != "" {
		t.Fatalf("gated pod (-want +got):\n%s", diff)
	}
	q.MoveAllToActiveOrBackoff(logger, framework.ClusterEvent{Resource: framework.Node, ActionType: framework.Add}, nil, nil)
	if diff := cmp.Diff(Counts{Gated: 1}, q.Counts()); diff != "" {
		t.Fatalf("cluster events do not open gates (-want +got):\n%s", diff)
	}
	open := gated.DeepCopy()
	open.Spec.SchedulingGates = nil
	q.Update(logger, gated, open)
	if diff := cmp.Diff([]string{"p"}, popNames(t, q, 1)); diff != "" {
		t.Errorf("pod after its gates are removed (-want +got):\n%s", diff)
	}
}

func TestDelete(t *testing.T) {
	q := newQueue(clocktesting.NewFakeClock(time.Now()))
	a, b := pod("a", 0), pod("b", 0)
	q.Add(logger, a)
	q.Add(logger, b)
	fail(t, q, "Fit")
	q.Delete(a)
	q.Delete(b)
	if diff := cmp.Diff(Counts{}, q.Counts()); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
}

func TestPopWaits(t *testing.T) {
	q := newQueue(clocktesting.NewFakeClock(time.Now()))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := q.Pop(ctx); err != context.DeadlineExceeded {
		t.Fatalf("pop on an empty queue: err = %v, want deadline exceeded", err)
	}
	got := make(chan string, 1)
	go func() {
		p, err := q.Pop(context.Background())
		if err != nil {
			got <- err.Error()
			return
		}
		got <- p.Pod.Name
	}()
	time.Sleep(20 * time.Millisecond)
	q.Add(logger, pod("late", 0))
	select {
	case name := <-got:
		if name != "late" {
			t.Errorf("pop = %q, want late", name)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("pop did not wake up on add")
	}
	q.Close()
	if _, err := q.Pop(context.Background()); err != ErrClosed {
		t.Errorf("pop after close: err = %v, want ErrClosed", err)
	}
}
