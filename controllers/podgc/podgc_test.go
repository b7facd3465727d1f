package podgc

import (
	"context"
	"encoding/json"
	"fmt"
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
	testclock "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
)

var now = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

type podOpt func(*corev1.Pod)

func pod(name string, opts ...podOpt) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: types.UID(name + "-uid"), Generation: 1,
			CreationTimestamp: metav1.NewTime(now.Add(-time.Hour))},
		Spec:   corev1.PodSpec{NodeName: "node"},
		Status: corev1.PodStatus{Phase: corev1.PodRunning},
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

func phase(ph corev1.PodPhase) podOpt { return func(p *corev1.Pod) { p.Status.Phase = ph } }
func on(node string) podOpt           { return func(p *corev1.Pod) { p.Spec.NodeName = node } }
func age(d time.Duration) podOpt {
	return func(p *corev1.Pod) { p.CreationTimestamp = metav1.NewTime(now.Add(-d)) }
}
func terminating(p *corev1.Pod) { p.DeletionTimestamp = ptr.To(metav1.NewTime(now)) }
func evicted(p *corev1.Pod)     { p.Status.Phase, p.Status.Reason = corev1.PodFailed, "Evicted" }

func node(name string, ready corev1.ConditionStatus, taints ...corev1.Taint) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       corev1.NodeSpec{Taints: taints},
		Status:     corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: ready}}},
	}
}

type harness struct {
	c      *Controller
	client *fake.Clientset
	clock  *testclock.FakeClock
}

// newHarness builds a collector whose caches hold cached; the fake API
// holds cached and api (objects the cache has not seen yet).
func newHarness(t *testing.T, opts Options, cached []runtime.Object, api ...runtime.Object) *harness {
	t.Helper()
	client := fake.NewClientset(append(append([]runtime.Object(nil), cached...), api...)...)
	factory := informers.NewSharedInformerFactory(client, 0)
	clk := testclock.NewFakeClock(now)
	c := newController(client, factory.Core().V1().Pods(), factory.Core().V1().Nodes(), opts, clk)
	for _, o := range cached {
		var err error
		switch o := o.(type) {
		case *corev1.Pod:
			err = factory.Core().V1().Pods().Informer().GetIndexer().Add(o)
		case *corev1.Node:
			err = factory.Core().V1().Nodes().Informer().GetIndexer().Add(o)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return &harness{c: c, client: client, clock: clk}
}

// writes summarises the pod writes since the last call: "delete <name>
// grace=<n>" and "patch <name> <status patch>" without the uid and times.
func (h *harness) writes(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, a := range h.client.Actions() {
		switch a := a.(type) {
		case clienttesting.DeleteAction:
			grace := "default"
			if g := a.GetDeleteOptions().GracePeriodSeconds; g != nil {
				grace = fmt.Sprint(*g)
			}
			out = append(out, fmt.Sprintf("delete %s grace=%s", a.GetName(), grace))
		case clienttesting.PatchAction:
			var p corev1.Pod
			if err := json.Unmarshal(a.GetPatch(), &p); err != nil {
				t.Fatal(err)
			}
			s := fmt.Sprintf("patch %s phase=%s", a.GetName(), p.Status.Phase)
			for _, c := range p.Status.Conditions {
				s += fmt.Sprintf(" %s=%s/%s(%s)", c.Type, c.Status, c.Reason, c.Message)
			}
			out = append(out, s)
		}
	}
	h.client.ClearActions()
	sort.Strings(out)
	return out
}

func TestGC(t *testing.T) {
	ready := node("node", corev1.ConditionTrue)
	outOfService := corev1.Taint{Key: corev1.TaintNodeOutOfService, Value: "nodeshutdown", Effect: corev1.TaintEffectNoExecute}
	tests := []struct {
		name   string
		opts   Options
		cached []runtime.Object
		api    []runtime.Object
		want   []string
	}{{
		name: "terminated pods beyond the threshold: evicted first, then the oldest",
		opts: Options{TerminatedPodThreshold: 2},
		cached: []runtime.Object{ready,
			pod("succeeded-old", phase(corev1.PodSucceeded), age(3*time.Hour)),
			pod("failed-older", phase(corev1.PodFailed), age(4*time.Hour)),
			pod("evicted-new", evicted, age(time.Minute)),
			pod("succeeded-new", phase(corev1.PodSucceeded), age(2*time.Minute)),
			pod("running-oldest", age(24*time.Hour)),
		},
		want: []string{"delete evicted-new grace=0", "delete failed-older grace=0"},
	}, {
		name:   "terminated pods within the threshold stay",
		opts:   Options{TerminatedPodThreshold: 2},
		cached: []runtime.Object{ready, pod("a", phase(corev1.PodSucceeded)), pod("b", phase(corev1.PodFailed))},
	}, {
		name:   "a negative threshold collects no terminated pods",
		opts:   Options{TerminatedPodThreshold: -1},
		cached: []runtime.Object{ready, pod("a", phase(corev1.PodSucceeded)), pod("b", phase(corev1.PodFailed))},
	}, {
		name:   "unscheduled terminating pods are failed and force-deleted",
		cached: []runtime.Object{pod("unscheduled", on(""), terminating, phase(corev1.PodPending)), pod("unscheduled-live", on(""), phase(corev1.PodPending))},
		want:   []string{"delete unscheduled grace=0", "patch unscheduled phase=Failed"},
	}, {
		name: "terminating pods on a NotReady out-of-service node are force-deleted",
		cached: []runtime.Object{
			node("down", corev1.ConditionFalse, outOfService), node("up", corev1.ConditionTrue, outOfService), node("plain", corev1.ConditionFalse),
			pod("on-down", on("down"), terminating), pod("on-down-live", on("down")),
			pod("on-up", on("up"), terminating), pod("on-plain", on("plain"), terminating),
		},
		want: []string{"delete on-down grace=0", "patch on-down phase=Failed"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.opts, tc.cached, tc.api...)
			h.c.gc(context.Background())
			if diff := cmp.Diff(tc.want, h.writes(t)); diff != "" {
				t.Errorf("writes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOrphaned(t *testing.T) {
	tests := []struct {
		name string
		// late is a node the API has but the cache has not seen.
		late *corev1.Node
		want []string
	}{{
		name: "pods of a node gone for the quarantine period are failed and force-deleted",
		want: []string{
			"delete orphan grace=0",
			"delete orphan-succeeded grace=0",
			"patch orphan phase=Failed DisruptionTarget=True/DeletionByPodGC(PodGC: node no longer exists)",
		},
	}, {
		name: "a node the cache has not seen yet is not gone",
		late: node("gone", corev1.ConditionTrue),
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cached := []runtime.Object{
				node("node", corev1.ConditionTrue),
				pod("orphan", on("gone")),
				pod("orphan-succeeded", on("gone"), phase(corev1.PodSucceeded)),
				pod("kept", on("node")),
			}
			var api []runtime.Object
			if tc.late != nil {
				api = append(api, tc.late)
			}
			h := newHarness(t, Options{}, cached, api...)
			ctx := context.Background()
			h.c.gc(ctx)
			h.clock.Step(39 * time.Second)
			h.c.gc(ctx)
			if diff := cmp.Diff([]string(nil), h.writes(t)); diff != "" {
				t.Errorf("writes within the quarantine (-want +got):\n%s", diff)
			}
			h.clock.Step(time.Second)
			h.c.gc(ctx)
			if diff := cmp.Diff(tc.want, h.writes(t)); diff != "" {
				t.Errorf("writes after the quarantine (-want +got):\n%s", diff)
			}
		})
	}
}
