package tainteviction

import (
	"context"
	"encoding/json"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/record"
	testclock "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
)

var now = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

var (
	unreachable = corev1.Taint{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoExecute}
	custom      = corev1.Taint{Key: "example.com/evict", Value: "yes", Effect: corev1.TaintEffectNoExecute}
	noSchedule  = corev1.Taint{Key: "example.com/busy", Effect: corev1.TaintEffectNoSchedule}
)

func node(name string, taints ...corev1.Taint) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.NodeSpec{Taints: taints}}
}

func pod(name, nodeName string, tolerations ...corev1.Toleration) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: types.UID(name + "-uid"), Generation: 1},
		Spec:       corev1.PodSpec{NodeName: nodeName, Tolerations: tolerations},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning},
	}
}

// tolerate tolerates taint for seconds (nil: forever).
func tolerate(taint corev1.Taint, seconds *int64) corev1.Toleration {
	return corev1.Toleration{Key: taint.Key, Operator: corev1.TolerationOpExists, Effect: taint.Effect, TolerationSeconds: seconds}
}

type harness struct {
	c        *Controller
	client   *fake.Clientset
	clock    *testclock.FakeClock
	recorder *record.FakeRecorder
	factory  informers.SharedInformerFactory
}

// newHarness builds a controller whose caches hold objs, without running
// informers: tests drive sync directly.
func newHarness(t *testing.T, objs ...runtime.Object) *harness {
	t.Helper()
	client := fake.NewClientset(objs...)
	factory := informers.NewSharedInformerFactory(client, 0)
	clk := testclock.NewFakeClock(now)
	recorder := record.NewFakeRecorder(100)
	c := newController(client, factory.Core().V1().Pods(), factory.Core().V1().Nodes(), clk, recorder)
	h := &harness{c: c, client: client, clock: clk, recorder: recorder, factory: factory}
	for _, o := range objs {
		h.cache(t, o)
	}
	return h
}

// cache puts o in the informers' caches, as an event would.
func (h *harness) cache(t *testing.T, o runtime.Object) {
	t.Helper()
	var err error
	switch o := o.(type) {
	case *corev1.Pod:
		err = h.factory.Core().V1().Pods().Informer().GetIndexer().Update(o)
	case *corev1.Node:
		err = h.factory.Core().V1().Nodes().Informer().GetIndexer().Update(o)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func (h *harness) uncache(t *testing.T, o runtime.Object) {
	t.Helper()
	var err error
	switch o := o.(type) {
	case *corev1.Pod:
		err = h.factory.Core().V1().Pods().Informer().GetIndexer().Delete(o)
	case *corev1.Node:
		err = h.factory.Core().V1().Nodes().Informer().GetIndexer().Delete(o)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// writes summarises the client's writes since the last call as
// "verb resource[/subresource] name".
func (h *harness) writes() []string {
	var out []string
	for _, a := range h.client.Actions() {
		res := a.GetResource().Resource
		if a.GetSubresource() != "" {
			res += "/" + a.GetSubresource()
		}
		switch a := a.(type) {
		case clienttesting.PatchAction:
			out = append(out, "patch "+res+" "+a.GetName())
		case clienttesting.DeleteAction:
			out = append(out, "delete "+res+" "+a.GetName())
		case clienttesting.CreateAction, clienttesting.UpdateAction:
			out = append(out, a.GetVerb()+" "+res)
		}
	}
	h.client.ClearActions()
	sort.Strings(out)
	return out
}

func (h *harness) events() []string {
	var out []string
	for {
		select {
		case e := <-h.recorder.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}

// step is one sync of the pod "p" after the clock has moved on by after.
type step struct {
	after       time.Duration
	wantRequeue time.Duration
	wantWrites  []string
	wantEvents  []string
}

var (
	evicted       = []string{"delete pods p", "patch pods/status p"}
	markedEvent   = []string{"Normal TaintManagerEviction Marking for deletion Pod ns/p"}
	cancelEvent   = []string{"Normal TaintManagerEviction Cancelling deletion of Pod ns/p"}
	evictedAtOnce = []step{{wantWrites: evicted, wantEvents: markedEvent}}
	leftAlone     = []step{{}, {after: time.Hour}}
)

func TestSync(t *testing.T) {
	tests := []struct {
		name  string
		node  *corev1.Node
		pod   *corev1.Pod
		steps []step
	}{{
		name:  "a pod that does not tolerate a NoExecute taint goes at once",
		node:  node("n", unreachable),
		pod:   pod("p", "n"),
		steps: evictedAtOnce,
	}, {
		name:  "a pod that tolerates one taint but not another goes at once",
		node:  node("n", unreachable, custom),
		pod:   pod("p", "n", tolerate(unreachable, nil)),
		steps: evictedAtOnce,
	}, {
		name:  "tolerationSeconds 0 tolerates nothing",
		node:  node("n", unreachable),
		pod:   pod("p", "n", tolerate(unreachable, ptr.To[int64](0))),
		steps: evictedAtOnce,
	}, {
		name: "a pod that tolerates for a while goes when its toleration runs out",
		node: node("n", unreachable),
		pod:  pod("p", "n", tolerate(unreachable, ptr.To[int64](300))),
		steps: []step{
			{wantRequeue: 300 * time.Second},
			// An early sync (another event) keeps the first deadline.
			{after: 100 * time.Second, wantRequeue: 200 * time.Second},
			{after: 200 * time.Second, wantWrites: evicted, wantEvents: markedEvent},
		},
	}, {
		name: "the shortest toleration of the taints counts",
		node: node("n", unreachable, custom),
		pod:  pod("p", "n", tolerate(unreachable, ptr.To[int64](300)), tolerate(custom, ptr.To[int64](30)), tolerate(custom, nil)),
		steps: []step{
			{wantRequeue: 30 * time.Second},
			{after: 30 * time.Second, wantWrites: evicted, wantEvents: markedEvent},
		},
	}, {
		name:  "a pod that tolerates forever stays",
		node:  node("n", unreachable, custom),
		pod:   pod("p", "n", tolerate(unreachable, nil), corev1.Toleration{Operator: corev1.TolerationOpExists}),
		steps: leftAlone,
	}, {
		name:  "NoSchedule taints evict nothing",
		node:  node("n", noSchedule),
		pod:   pod("p", "n"),
		steps: leftAlone,
	}, {
		name:  "a pod on an untainted node stays",
		node:  node("n"),
		pod:   pod("p", "n"),
		steps: leftAlone,
	}, {
		name: "a terminating pod is not deleted again",
		node: node("n", unreachable),
		pod: func() *corev1.Pod {
			p := pod("p", "n")
			p.DeletionTimestamp = ptr.To(metav1.NewTime(now))
			return p
		}(),
		steps: leftAlone,
	}, {
		name:  "a pod of another node stays",
		node:  node("n", unreachable),
		pod:   pod("p", "other"),
		steps: leftAlone,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.node, tc.pod)
			for i, s := range tc.steps {
				h.clock.Step(s.after)
				requeue, err := h.c.sync(context.Background(), "ns/p")
				if err != nil {
					t.Fatalf("step %d: sync: %v", i, err)
				}
				if requeue != s.wantRequeue {
					t.Errorf("step %d: requeue after %v, want %v", i, requeue, s.wantRequeue)
				}
				if diff := cmp.Diff(s.wantWrites, h.writes()); diff != "" {
					t.Errorf("step %d: writes (-want +got):\n%s", i, diff)
				}
				if diff := cmp.Diff(s.wantEvents, h.events()); diff != "" {
					t.Errorf("step %d: events (-want +got):\n%s", i, diff)
				}
			}
		})
	}
}

func TestEvictionMarksDisruptionTarget(t *testing.T) {
	p := pod("p", "n")
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
	h := newHarness(t, node("n", custom), p)
	if _, err := h.c.sync(context.Background(), "ns/p"); err != nil {
		t.Fatalf("sync: %v", err)
	}
	var patched *corev1.Pod
	for _, a := range h.client.Actions() {
		if pa, ok := a.(clienttesting.PatchAction); ok && pa.GetSubresource() == "status" {
			patched = &corev1.Pod{}
			if err := json.Unmarshal(pa.GetPatch(), patched); err != nil {
				t.Fatalf("decode patch: %v", err)
			}
		}
	}
	if patched == nil {
		t.Fatal("no status patch")
	}
	if patched.UID != p.UID {
		t.Errorf("patch precondition uid %q, want %q", patched.UID, p.UID)
	}
	want := []corev1.PodCondition{{
		Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue, ObservedGeneration: 1,
		Reason: "DeletionByTaintManager", Message: "Taint manager: deleting due to NoExecute taint",
		LastTransitionTime: metav1.NewTime(now),
	}}
	if diff := cmp.Diff(want, patched.Status.Conditions); diff != "" {
		t.Errorf("patched conditions (-want +got):\n%s", diff)
	}
}

func TestCancel(t *testing.T) {
	tainted := node("n", unreachable)
	tolerating := pod("p", "n", tolerate(unreachable, ptr.To[int64](60)))
	tests := []struct {
		name string
		// change is what happens while the eviction waits.
		change func(t *testing.T, h *harness)
	}{{
		name:   "the taint goes away",
		change: func(t *testing.T, h *harness) { h.cache(t, node("n")) },
	}, {
		name: "the taint is replaced by a NoSchedule one",
		change: func(t *testing.T, h *harness) {
			h.cache(t, node("n", corev1.Taint{Key: unreachable.Key, Effect: corev1.TaintEffectNoSchedule}))
		},
	}, {
		name:   "the pod comes to tolerate it forever",
		change: func(t *testing.T, h *harness) { h.cache(t, pod("p", "n", tolerate(unreachable, nil))) },
	}, {
		name:   "the pod is deleted",
		change: func(t *testing.T, h *harness) { h.uncache(t, tolerating) },
	}, {
		name:   "the node is deleted",
		change: func(t *testing.T, h *harness) { h.uncache(t, tainted) },
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tainted, tolerating)
			ctx := context.Background()
			if requeue, err := h.c.sync(ctx, "ns/p"); err != nil || requeue != time.Minute {
				t.Fatalf("sync = %v, %v; want a requeue after 1m", requeue, err)
			}
			h.clock.Step(30 * time.Second)
			tc.change(t, h)
			if requeue, err := h.c.sync(ctx, "ns/p"); err != nil || requeue != 0 {
				t.Fatalf("sync after the change = %v, %v; want no requeue", requeue, err)
			}
			if diff := cmp.Diff(cancelEvent, h.events()); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			// When the deadline passes, nothing happens: the queue's
			// delayed key finds nothing to do.
			h.clock.Step(time.Minute)
			if _, err := h.c.sync(ctx, "ns/p"); err != nil {
				t.Fatalf("sync after the deadline: %v", err)
			}
			if diff := cmp.Diff([]string(nil), h.writes()); diff != "" {
				t.Errorf("writes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string(nil), h.events()); diff != "" {
				t.Errorf("events after the deadline (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTaintReturns: an eviction cancelled because the taint went away
// starts from scratch when the taint comes back, as upstream.
func TestTaintReturns(t *testing.T) {
	h := newHarness(t, node("n", unreachable), pod("p", "n", tolerate(unreachable, ptr.To[int64](60))))
	ctx := context.Background()
	if requeue, _ := h.c.sync(ctx, "ns/p"); requeue != time.Minute {
		t.Fatalf("first requeue %v, want 1m", requeue)
	}
	h.clock.Step(50 * time.Second)
	h.cache(t, node("n"))
	if _, err := h.c.sync(ctx, "ns/p"); err != nil {
		t.Fatal(err)
	}
	h.clock.Step(50 * time.Second)
	h.cache(t, node("n", unreachable))
	if requeue, _ := h.c.sync(ctx, "ns/p"); requeue != time.Minute {
		t.Errorf("requeue after the taint returned %v, want 1m", requeue)
	}
	if diff := cmp.Diff([]string(nil), h.writes()); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
}
