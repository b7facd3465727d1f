package replicaset

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	utilrand "k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
	testclock "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/controllers/expectations"
)

var now = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func newRS(name string, replicas int32, mutate ...func(*appsv1.ReplicaSet)) *appsv1.ReplicaSet {
	rs := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: types.UID(name + "-uid"), Generation: 1},
		Spec: appsv1.ReplicaSetSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name, "tier": "web"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "img"}}},
			},
		},
	}
	for _, m := range mutate {
		m(rs)
	}
	return rs
}

// pod returns a pod of rs (owned when owner is set) created age ago.
func pod(name string, owner *appsv1.ReplicaSet, lbls map[string]string, mutate ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: types.UID(name + "-uid"), Labels: lbls,
			CreationTimestamp: metav1.NewTime(now.Add(-time.Hour)), ResourceVersion: "1"},
		Status: corev1.PodStatus{Phase: corev1.PodPending},
	}
	if owner != nil {
		p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: owner.Name,
			UID: owner.UID, Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true)}}
	}
	for _, m := range mutate {
		m(p)
	}
	return p
}

func ready(since time.Time) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		p.Spec.NodeName = "node"
		p.Status.Phase = corev1.PodRunning
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(since)}}
	}
}

type harness struct {
	c      *Controller
	client *fake.Clientset
	clock  *testclock.FakeClock
}

// newHarness builds a controller whose caches hold objs, without running
// informers: each test drives sync directly.
func newHarness(t *testing.T, objs ...runtime.Object) *harness {
	t.Helper()
	client := fake.NewClientset(objs...)
	// The fake tracker does not implement generateName.
	client.PrependReactor("create", "pods", func(a clienttesting.Action) (bool, runtime.Object, error) {
		p := a.(clienttesting.CreateAction).GetObject().(*corev1.Pod)
		if p.Name == "" {
			p.Name = p.GenerateName + utilrand.String(5)
		}
		return false, nil, nil
	})
	factory := informers.NewSharedInformerFactory(client, 0)
	clk := testclock.NewFakeClock(now)
	c := newController(client, ReplicaSets(client, factory.Apps().V1().ReplicaSets()), factory.Core().V1().Pods(), clk)
	for _, o := range objs {
		var err error
		switch o := o.(type) {
		case *appsv1.ReplicaSet:
			err = factory.Apps().V1().ReplicaSets().Informer().GetIndexer().Add(o)
		case *corev1.Pod:
			err = factory.Core().V1().Pods().Informer().GetIndexer().Add(o)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return &harness{c: c, client: client, clock: clk}
}

// writes summarises the client's writes as "verb resource[/subresource] name".
func (h *harness) writes() []string {
	var out []string
	for _, a := range h.client.Actions() {
		if a.GetVerb() == "get" || a.GetVerb() == "list" || a.GetVerb() == "watch" {
			continue
		}
		res := a.GetResource().Resource
		if a.GetSubresource() != "" {
			res += "/" + a.GetSubresource()
		}
		name := ""
		switch a.GetVerb() {
		case "create":
			name = a.(clienttesting.CreateAction).GetObject().(metav1.Object).GetGenerateName() + "*"
		case "update":
			name = a.(clienttesting.UpdateAction).GetObject().(metav1.Object).GetName()
		case "delete":
			name = a.(clienttesting.DeleteAction).GetName()
		case "patch":
			name = a.(clienttesting.PatchAction).GetName()
		}
		out = append(out, a.GetVerb()+" "+res+" "+name)
	}
	sort.Strings(out)
	return out
}

func (h *harness) status(t *testing.T, name string) appsv1.ReplicaSetStatus {
	t.Helper()
	rs, err := h.client.AppsV1().ReplicaSets("ns").Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return rs.Status
}

func TestSync(t *testing.T) {
	rs := newRS("rs", 3)
	lbl := map[string]string{"app": "rs", "tier": "web"}
	other := map[string]string{"app": "other"}
	deleting := newRS("rs", 1, func(rs *appsv1.ReplicaSet) { rs.DeletionTimestamp = ptr.To(metav1.NewTime(now)) })
	tests := []struct {
		name       string
		rs         *appsv1.ReplicaSet
		pods       []*corev1.Pod
		wantWrites []string
		wantStatus appsv1.ReplicaSetStatus
		// wantController maps pod names to the name of their controller
		// after the sync ("" for none).
		wantController map[string]string
	}{{
		name: "creates missing pods",
		rs:   rs,
		pods: []*corev1.Pod{pod("a", rs, lbl)},
		wantWrites: []string{"create pods rs-*", "create pods rs-*",
			"update replicasets/status rs"},
		wantStatus: appsv1.ReplicaSetStatus{Replicas: 1, FullyLabeledReplicas: 1, ObservedGeneration: 1, TerminatingReplicas: ptr.To[int32](0)},
	}, {
		name: "deletes surplus: unassigned, then pending, then not ready",
		rs:   newRS("rs", 1),
		pods: []*corev1.Pod{
			pod("running-ready", rs, lbl, ready(now.Add(-time.Hour))),
			pod("assigned-pending", rs, lbl, func(p *corev1.Pod) { p.Spec.NodeName = "node" }),
			pod("unassigned", rs, lbl),
		},
		wantWrites: []string{"delete pods assigned-pending", "delete pods unassigned", "update replicasets/status rs"},
		wantStatus: appsv1.ReplicaSetStatus{Replicas: 3, FullyLabeledReplicas: 3, ReadyReplicas: 1, AvailableReplicas: 1, ObservedGeneration: 1, TerminatingReplicas: ptr.To[int32](0)},
	}, {
		name: "adopts matching orphans, leaves others and other owners' pods",
		rs:   rs,
		pods: []*corev1.Pod{
			pod("orphan", nil, lbl),
			pod("orphan-other-labels", nil, other),
			pod("owned-elsewhere", newRS("x", 1), lbl),
			pod("orphan-terminating", nil, lbl, func(p *corev1.Pod) { p.DeletionTimestamp = ptr.To(metav1.NewTime(now)) }),
		},
		wantWrites:     []string{"create pods rs-*", "create pods rs-*", "patch pods orphan", "update replicasets/status rs"},
		wantStatus:     appsv1.ReplicaSetStatus{Replicas: 1, FullyLabeledReplicas: 1, ObservedGeneration: 1, TerminatingReplicas: ptr.To[int32](0)},
		wantController: map[string]string{"orphan": "rs", "orphan-other-labels": "", "owned-elsewhere": "x", "orphan-terminating": ""},
	}, {
		name:           "releases owned pods that no longer match and replaces them",
		rs:             newRS("rs", 1),
		pods:           []*corev1.Pod{pod("relabelled", rs, other)},
		wantWrites:     []string{"create pods rs-*", "patch pods relabelled", "update replicasets/status rs"},
		wantStatus:     appsv1.ReplicaSetStatus{ObservedGeneration: 1, TerminatingReplicas: ptr.To[int32](0)},
		wantController: map[string]string{"relabelled": ""},
	}, {
		name:           "an owner being deleted neither adopts, releases nor creates",
		rs:             deleting,
		pods:           []*corev1.Pod{pod("orphan", nil, lbl), pod("relabelled", rs, other)},
		wantWrites:     []string{"update replicasets/status rs"},
		wantStatus:     appsv1.ReplicaSetStatus{ObservedGeneration: 1, TerminatingReplicas: ptr.To[int32](0)},
		wantController: map[string]string{"orphan": "", "relabelled": "rs"},
	}, {
		name: "counts terminating pods apart and replaces them",
		rs:   newRS("rs", 1),
		pods: []*corev1.Pod{
			pod("terminating", rs, lbl, func(p *corev1.Pod) { p.DeletionTimestamp = ptr.To(metav1.NewTime(now)) }),
			pod("succeeded", rs, lbl, func(p *corev1.Pod) { p.Status.Phase = corev1.PodSucceeded }),
		},
		wantWrites: []string{"create pods rs-*", "update replicasets/status rs"},
		wantStatus: appsv1.ReplicaSetStatus{ObservedGeneration: 1, TerminatingReplicas: ptr.To[int32](1)},
	}, {
		name: "status only, written once",
		rs: newRS("rs", 1, func(rs *appsv1.ReplicaSet) {
			rs.Status = appsv1.ReplicaSetStatus{Replicas: 1, FullyLabeledReplicas: 1, ObservedGeneration: 1, TerminatingReplicas: ptr.To[int32](0)}
		}),
		pods:       []*corev1.Pod{pod("a", rs, map[string]string{"app": "rs"})},
		wantWrites: []string{"update replicasets/status rs"},
		// The pod lacks the template's tier label.
		wantStatus: appsv1.ReplicaSetStatus{Replicas: 1, FullyLabeledReplicas: 0, ObservedGeneration: 1, TerminatingReplicas: ptr.To[int32](0)},
	}, {
		name: "unchanged status is not written",
		rs: newRS("rs", 1, func(rs *appsv1.ReplicaSet) {
			rs.Status = appsv1.ReplicaSetStatus{Replicas: 1, FullyLabeledReplicas: 1, ObservedGeneration: 1, TerminatingReplicas: ptr.To[int32](0)}
		}),
		pods:       []*corev1.Pod{pod("a", rs, lbl)},
		wantWrites: nil,
		wantStatus: appsv1.ReplicaSetStatus{Replicas: 1, FullyLabeledReplicas: 1, ObservedGeneration: 1, TerminatingReplicas: ptr.To[int32](0)},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			objs := []runtime.Object{tc.rs}
			for _, p := range tc.pods {
				objs = append(objs, p)
			}
			h := newHarness(t, objs...)
			if _, err := h.c.sync(context.Background(), "ns/rs"); err != nil {
				t.Fatalf("sync: %v", err)
			}
			if diff := cmp.Diff(tc.wantWrites, h.writes()); diff != "" {
				t.Errorf("writes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantStatus, h.status(t, "rs")); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
			if tc.wantController != nil {
				got := map[string]string{}
				for name := range tc.wantController {
					p, err := h.client.CoreV1().Pods("ns").Get(context.Background(), name, metav1.GetOptions{})
					if err != nil {
						t.Fatal(err)
					}
					got[name] = ""
					if ref := metav1.GetControllerOf(p); ref != nil {
						got[name] = ref.Name
					}
				}
				if diff := cmp.Diff(tc.wantController, got); diff != "" {
					t.Errorf("controllers (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestCreatedPod(t *testing.T) {
	rs := newRS("rs", 1, func(rs *appsv1.ReplicaSet) {
		rs.Spec.Template.Annotations = map[string]string{"a": "b"}
	})
	h := newHarness(t, rs)
	if _, err := h.c.sync(context.Background(), "ns/rs"); err != nil {
		t.Fatal(err)
	}
	pods, err := h.client.CoreV1().Pods("ns").List(context.Background(), metav1.ListOptions{})
	if err != nil || len(pods.Items) != 1 {
		t.Fatalf("pods: %v, %v", pods, err)
	}
	got := pods.Items[0]
	want := metav1.ObjectMeta{
		Name:         got.Name,
		Namespace:    "ns",
		GenerateName: "rs-",
		Labels:       map[string]string{"app": "rs", "tier": "web"},
		Annotations:  map[string]string{"a": "b"},
		OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "rs", UID: "rs-uid",
			Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true)}},
	}
	if diff := cmp.Diff(want, got.ObjectMeta, cmp.FilterPath(func(p cmp.Path) bool {
		return p.Last().String() == ".ResourceVersion" || p.Last().String() == ".Finalizers" || p.Last().String() == ".ManagedFields"
	}, cmp.Ignore())); diff != "" {
		t.Errorf("pod meta (-want +got):\n%s", diff)
	}
	if len(got.Name) != len("rs-")+5 {
		t.Errorf("pod name %q: want rs-<5 random>", got.Name)
	}
	if diff := cmp.Diff(rs.Spec.Template.Spec, got.Spec); diff != "" {
		t.Errorf("pod spec (-want +got):\n%s", diff)
	}
}

// TestExpectations: a second sync before the informer shows the first
// sync's creates or deletes must not act again; observing them lets it.
func TestExpectations(t *testing.T) {
	rs := newRS("rs", 2)
	h := newHarness(t, rs)
	ctx := context.Background()
	if _, err := h.c.sync(ctx, "ns/rs"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.c.sync(ctx, "ns/rs"); err != nil {
		t.Fatal(err)
	}
	if n := count(h.writes(), "create pods rs-*"); n != 2 {
		t.Fatalf("creates after two syncs = %d, want 2", n)
	}
	// The informer shows one of the two pods: still waiting.
	created := pod("seen", rs, rs.Spec.Template.Labels)
	h.c.podAdded(created)
	if h.c.exp.Satisfied("ns/rs") {
		t.Fatal("satisfied after one of two creations observed")
	}
	h.c.podAdded(pod("seen2", rs, rs.Spec.Template.Labels))
	if !h.c.exp.Satisfied("ns/rs") {
		t.Fatal("not satisfied after both creations observed")
	}
	// Expectations left unobserved expire.
	h.c.exp.ExpectCreations("ns/rs", 1)
	h.clock.Step(expectations.Timeout + time.Second)
	if !h.c.exp.Satisfied("ns/rs") {
		t.Error("expectations did not expire")
	}
	// Deletes: only a delete of a pod the owner deleted counts.
	h.c.exp.ExpectDeletions("ns/rs", []string{"ns/a"})
	h.c.podDeleted(pod("b", rs, nil))
	if h.c.exp.Satisfied("ns/rs") {
		t.Error("satisfied by a delete of a pod not being deleted")
	}
	h.c.podDeleted(cacheTombstone(pod("a", rs, nil)))
	if !h.c.exp.Satisfied("ns/rs") {
		t.Error("not satisfied after the expected delete (as a tombstone)")
	}
}

func cacheTombstone(p *corev1.Pod) any {
	return cache.DeletedFinalStateUnknown{Key: p.Namespace + "/" + p.Name, Obj: p}
}

func count(ss []string, s string) int {
	n := 0
	for _, x := range ss {
		if x == s {
			n++
		}
	}
	return n
}

// TestCreateFailure: creates run in slow-start batches of 1, 2, 4, ...; the
// first failing batch stops them, the error is returned for a rate-limited
// retry and the ReplicaFailure condition is set, then cleared on success.
func TestCreateFailure(t *testing.T) {
	rs := newRS("rs", 10)
	h := newHarness(t, rs)
	var mu sync.Mutex
	attempts, fail := 0, true
	h.client.PrependReactor("create", "pods", func(clienttesting.Action) (bool, runtime.Object, error) {
		mu.Lock()
		defer mu.Unlock()
		attempts++
		// Batches 1, 2 succeed; the third (4 pods) fails from its 2nd call.
		if fail && attempts > 4 {
			return true, nil, apierrors.NewForbidden(corev1.Resource("pods"), "", errors.New("exceeded quota"))
		}
		return false, nil, nil
	})
	_, err := h.c.sync(context.Background(), "ns/rs")
	if !apierrors.IsForbidden(err) {
		t.Fatalf("sync error = %v, want forbidden", err)
	}
	if attempts != 7 {
		t.Errorf("create attempts = %d, want 7 (batches 1+2+4)", attempts)
	}
	st := h.status(t, "rs")
	if len(st.Conditions) != 1 || st.Conditions[0].Type != appsv1.ReplicaSetReplicaFailure || st.Conditions[0].Reason != "FailedCreate" ||
		st.Conditions[0].Status != corev1.ConditionTrue {
		t.Errorf("conditions = %+v, want ReplicaFailure/FailedCreate", st.Conditions)
	}
	// The 4 successful creates are expected; the 6 not made are not.
	if add, _, ok := h.c.exp.Pending("ns/rs"); !ok || add != 4 {
		t.Errorf("expected creations = %d (set: %t), want 4", add, ok)
	}

	// Once the cache shows the failure status and the expectations are
	// met, a successful sync clears the condition.
	fresh, _ := h.client.AppsV1().ReplicaSets("ns").Get(context.Background(), "rs", metav1.GetOptions{})
	fresh.Spec.Replicas = ptr.To[int32](0)
	if err := h.c.kind.Informer().GetIndexer().Update(fresh); err != nil {
		t.Fatal(err)
	}
	h.c.exp.Forget("ns/rs")
	if _, err := h.c.sync(context.Background(), "ns/rs"); err != nil {
		t.Fatal(err)
	}
	if st := h.status(t, "rs"); len(st.Conditions) != 0 {
		t.Errorf("conditions after success = %+v, want none", st.Conditions)
	}
}

func TestSlowStartBatch(t *testing.T) {
	for _, tc := range []struct {
		count, failFrom, wantOK, wantCalls int
	}{
		{count: 0, failFrom: 100, wantOK: 0, wantCalls: 0},
		{count: 10, failFrom: 100, wantOK: 10, wantCalls: 10},
		{count: 10, failFrom: 1, wantOK: 0, wantCalls: 1},
		{count: 10, failFrom: 2, wantOK: 1, wantCalls: 3},
	} {
		t.Run(fmt.Sprintf("%d-fail-from-%d", tc.count, tc.failFrom), func(t *testing.T) {
			var mu sync.Mutex
			calls := 0
			ok, err := slowStartBatch(tc.count, 1, func() error {
				mu.Lock()
				defer mu.Unlock()
				calls++
				if calls >= tc.failFrom {
					return errors.New("fail")
				}
				return nil
			})
			if (err != nil) != (tc.failFrom <= tc.count) {
				t.Errorf("err = %v", err)
			}
			if diff := cmp.Diff([2]int{tc.wantOK, tc.wantCalls}, [2]int{ok, calls}); diff != "" {
				t.Errorf("(successes, calls) (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAvailability(t *testing.T) {
	rs := newRS("rs", 2, func(rs *appsv1.ReplicaSet) { rs.Spec.MinReadySeconds = 60 })
	lbl := rs.Spec.Template.Labels
	h := newHarness(t, rs,
		pod("long-ready", rs, lbl, ready(now.Add(-2*time.Minute))),
		pod("just-ready", rs, lbl, ready(now.Add(-20*time.Second))))
	after, err := h.c.sync(context.Background(), "ns/rs")
	if err != nil {
		t.Fatal(err)
	}
	st := h.status(t, "rs")
	if diff := cmp.Diff([2]int32{2, 1}, [2]int32{st.ReadyReplicas, st.AvailableReplicas}); diff != "" {
		t.Errorf("(ready, available) (-want +got):\n%s", diff)
	}
	if after != 40*time.Second {
		t.Errorf("requeue after %v, want 40s (when just-ready becomes available)", after)
	}
}

func TestRanking(t *testing.T) {
	at := func(d time.Duration) time.Time { return now.Add(-d) }
	lbl := map[string]string{"app": "rs"}
	base := func(name string, m ...func(*corev1.Pod)) *corev1.Pod { return pod(name, nil, lbl, m...) }
	onNode := func(n string) func(*corev1.Pod) { return func(p *corev1.Pod) { p.Spec.NodeName = n } }
	phase := func(ph corev1.PodPhase) func(*corev1.Pod) { return func(p *corev1.Pod) { p.Status.Phase = ph } }
	cost := func(c string) func(*corev1.Pod) {
		return func(p *corev1.Pod) { p.Annotations = map[string]string{corev1.PodDeletionCost: c} }
	}
	restarts := func(n int32) func(*corev1.Pod) {
		return func(p *corev1.Pod) { p.Status.ContainerStatuses = []corev1.ContainerStatus{{RestartCount: n}} }
	}
	created := func(d time.Duration) func(*corev1.Pod) {
		return func(p *corev1.Pod) { p.CreationTimestamp = metav1.NewTime(at(d)) }
	}
	tests := []struct {
		name         string
		first, later *corev1.Pod
		rankFirst    int
		rankLater    int
	}{
		{name: "unassigned before assigned", first: base("a"), later: base("b", onNode("n"))},
		{name: "pending before unknown", first: base("a", onNode("n")), later: base("b", onNode("n"), phase(corev1.PodUnknown))},
		{name: "unknown before running", first: base("a", onNode("n"), phase(corev1.PodUnknown)), later: base("b", onNode("n"), phase(corev1.PodRunning))},
		{name: "not ready before ready", first: base("a", onNode("n"), phase(corev1.PodRunning)), later: base("b", ready(at(time.Hour)))},
		{name: "lower deletion cost first", first: base("a", ready(at(time.Hour)), cost("-5")), later: base("b", ready(at(time.Hour)), cost("10"))},
		{name: "invalid deletion cost is 0", first: base("a", ready(at(time.Hour)), cost("+5")), later: base("b", ready(at(time.Hour)), cost("1"))},
		{name: "doubled up first", first: base("a", ready(at(time.Hour))), later: base("b", ready(at(time.Hour))), rankFirst: 3, rankLater: 1},
		{name: "ready more recently first", first: base("a", ready(at(time.Minute))), later: base("b", ready(at(time.Hour)))},
		{name: "more restarts first", first: base("a", ready(at(time.Hour)), restarts(3)), later: base("b", ready(at(time.Hour)), restarts(1))},
		{name: "newer first", first: base("a", created(time.Minute)), later: base("b", created(time.Hour))},
		{name: "no creation time first", first: base("a", created(0), func(p *corev1.Pod) { p.CreationTimestamp = metav1.Time{} }), later: base("b")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, order := range [][2]int{{0, 1}, {1, 0}} {
				in := []*corev1.Pod{tc.first, tc.later}
				ranks := []int{tc.rankFirst, tc.rankLater}
				r := rankedPods{pods: []*corev1.Pod{in[order[0]], in[order[1]]}, rank: []int{ranks[order[0]], ranks[order[1]]}, now: now}
				sort.Sort(r)
				if diff := cmp.Diff([]string{tc.first.Name, tc.later.Name}, []string{r.pods[0].Name, r.pods[1].Name}); diff != "" {
					t.Errorf("order (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestRelatedPodsRank(t *testing.T) {
	// Two ReplicaSets of one Deployment: a pod of rs on a node crowded with
	// the sibling's pods goes before one alone on its node.
	dep := metav1.OwnerReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "d", UID: "d-uid", Controller: ptr.To(true)}
	rs := newRS("rs", 1, func(rs *appsv1.ReplicaSet) {
		rs.OwnerReferences = []metav1.OwnerReference{dep}
		rs.Spec.Selector.MatchLabels = map[string]string{"app": "d"}
		rs.Spec.Template.Labels = map[string]string{"app": "d"}
	})
	sib := newRS("sib", 2, func(s *appsv1.ReplicaSet) {
		s.OwnerReferences = []metav1.OwnerReference{dep}
		s.Spec.Selector.MatchLabels = map[string]string{"app": "d"}
	})
	lbl := map[string]string{"app": "d"}
	h := newHarness(t, rs, sib,
		pod("alone", rs, lbl, ready(now.Add(-time.Hour)), func(p *corev1.Pod) { p.Spec.NodeName = "n1" }),
		pod("crowded", rs, lbl, ready(now.Add(-time.Hour)), func(p *corev1.Pod) { p.Spec.NodeName = "n2" }),
		pod("sib-1", sib, lbl, ready(now.Add(-time.Hour)), func(p *corev1.Pod) { p.Spec.NodeName = "n2" }),
		pod("sib-2", sib, lbl, ready(now.Add(-time.Hour)), func(p *corev1.Pod) { p.Spec.NodeName = "n2" }),
	)
	if _, err := h.c.sync(context.Background(), "ns/rs"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"delete pods crowded", "update replicasets/status rs"}, h.writes()); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
}
