package nodelifecycle

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	coordinationv1 "k8s.io/api/coordination/v1"
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

var start = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// readyNode is a node that posted Ready and no pressure at heartbeat, in
// zone z ("" for none).
func readyNode(name, z string, heartbeat time.Time) *corev1.Node {
	hb := metav1.NewTime(heartbeat)
	n := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID(name + "-uid"), CreationTimestamp: metav1.NewTime(start.Add(-time.Hour))},
		Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{
			{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientMemory", LastHeartbeatTime: hb},
			{Type: corev1.NodeDiskPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasNoDiskPressure", LastHeartbeatTime: hb},
			{Type: corev1.NodePIDPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientPID", LastHeartbeatTime: hb},
			{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady", LastHeartbeatTime: hb},
		}},
	}
	if z != "" {
		n.Labels = map[string]string{corev1.LabelTopologyZone: z}
	}
	return n
}

func withReady(status corev1.ConditionStatus) func(*corev1.Node) {
	return func(n *corev1.Node) { readyCondition(&n.Status).Status = status }
}

func withTaints(taints ...corev1.Taint) func(*corev1.Node) {
	return func(n *corev1.Node) { n.Spec.Taints = taints }
}

func mutate(n *corev1.Node, fs ...func(*corev1.Node)) *corev1.Node {
	for _, f := range fs {
		f(n)
	}
	return n
}

func lease(name string, renewed time.Time) *coordinationv1.Lease {
	return &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: corev1.NamespaceNodeLease},
		Spec:       coordinationv1.LeaseSpec{HolderIdentity: ptr.To(name), LeaseDurationSeconds: ptr.To[int32](40), RenewTime: ptr.To(metav1.NewMicroTime(renewed))},
	}
}

func readyPod(name, nodeName string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: types.UID(name + "-uid"), Generation: 1},
		Spec:       corev1.PodSpec{NodeName: nodeName},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{
			{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(start.Add(-time.Hour))},
		}},
	}
}

type harness struct {
	c        *Controller
	client   *fake.Clientset
	factory  informers.SharedInformerFactory
	clock    *testclock.FakeClock
	recorder *record.FakeRecorder
}

func newHarness(t *testing.T, opts Options, objs ...runtime.Object) *harness {
	t.Helper()
	client := fake.NewClientset(objs...)
	factory := informers.NewSharedInformerFactory(client, 0)
	clk := testclock.NewFakeClock(start)
	recorder := record.NewFakeRecorder(1000)
	c := newController(client, factory.Core().V1().Nodes(), factory.Coordination().V1().Leases(), factory.Core().V1().Pods(), opts, clk, recorder)
	h := &harness{c: c, client: client, factory: factory, clock: clk, recorder: recorder}
	h.resync(t)
	return h
}

// resync makes the caches what the fake API holds, as the informers would.
func (h *harness) resync(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	nodes, err := h.client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var objs []any
	for i := range nodes.Items {
		objs = append(objs, &nodes.Items[i])
	}
	if err := h.factory.Core().V1().Nodes().Informer().GetIndexer().Replace(objs, ""); err != nil {
		t.Fatal(err)
	}
	leases, err := h.client.CoordinationV1().Leases(corev1.NamespaceNodeLease).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	objs = nil
	for i := range leases.Items {
		objs = append(objs, &leases.Items[i])
	}
	if err := h.factory.Coordination().V1().Leases().Informer().GetIndexer().Replace(objs, ""); err != nil {
		t.Fatal(err)
	}
	pods, err := h.client.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	objs = nil
	for i := range pods.Items {
		objs = append(objs, &pods.Items[i])
	}
	if err := h.factory.Core().V1().Pods().Informer().GetIndexer().Replace(objs, ""); err != nil {
		t.Fatal(err)
	}
}

// pass runs what the controller's loops would between two monitor
// periods: a monitor pass, then the NoSchedule sync of every node.
func (h *harness) pass(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	h.resync(t)
	if err := h.c.monitor(ctx); err != nil {
		t.Fatalf("monitor: %v", err)
	}
	h.resync(t)
	nodes, _ := h.client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	for _, n := range nodes.Items {
		if _, err := h.c.syncNode(ctx, n.Name); err != nil {
			t.Fatalf("sync node %s: %v", n.Name, err)
		}
	}
	h.resync(t)
}

// renew renews the node's Lease now.
func (h *harness) renew(t *testing.T, name string) {
	t.Helper()
	l := lease(name, h.clock.Now())
	if _, err := h.client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Update(context.Background(), l, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// post posts the node's status as its agent would: every condition with
// a fresh heartbeat, Ready as given.
func (h *harness) post(t *testing.T, name string, ready corev1.ConditionStatus) {
	t.Helper()
	ctx := context.Background()
	n, err := h.client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fresh := readyNode(name, "", h.clock.Now())
	for i := range fresh.Status.Conditions {
		c := &fresh.Status.Conditions[i]
		if c.Type == corev1.NodeReady {
			c.Status = ready
		}
		if old := condition(&n.Status, c.Type); old != nil && old.Status == c.Status {
			c.LastTransitionTime = old.LastTransitionTime
		} else {
			c.LastTransitionTime = metav1.NewTime(h.clock.Now())
		}
	}
	n.Status.Conditions = fresh.Status.Conditions
	if _, err := h.client.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// state is what a test checks of a node: "Type=Status/Reason" per
// condition and "key:Effect" per taint.
type state struct {
	Conditions []string
	Taints     []string
}

func (h *harness) state(t *testing.T, name string) state {
	t.Helper()
	n, err := h.client.CoreV1().Nodes().Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var s state
	for _, c := range n.Status.Conditions {
		s.Conditions = append(s.Conditions, fmt.Sprintf("%s=%s/%s", c.Type, c.Status, c.Reason))
		if c.Status == corev1.ConditionUnknown && c.Reason == reasonUnknown && c.Message != messageUnknown {
			t.Errorf("%s condition %s has message %q", name, c.Type, c.Message)
		}
	}
	for _, taint := range n.Spec.Taints {
		s.Taints = append(s.Taints, taint.Key+":"+string(taint.Effect))
		if taint.TimeAdded == nil && taint.Key != "example.com/user" {
			t.Errorf("%s taint %s:%s has no timeAdded", name, taint.Key, taint.Effect)
		}
	}
	sort.Strings(s.Taints)
	return s
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

var (
	readyConditions = []string{"MemoryPressure=False/KubeletHasSufficientMemory", "DiskPressure=False/KubeletHasNoDiskPressure",
		"PIDPressure=False/KubeletHasSufficientPID", "Ready=True/KubeletReady"}
	unknownConditions = []string{"MemoryPressure=Unknown/NodeStatusUnknown", "DiskPressure=Unknown/NodeStatusUnknown",
		"PIDPressure=Unknown/NodeStatusUnknown", "Ready=Unknown/NodeStatusUnknown"}
	neverConditions = []string{"Ready=Unknown/NodeStatusNeverUpdated", "MemoryPressure=Unknown/NodeStatusNeverUpdated",
		"DiskPressure=Unknown/NodeStatusNeverUpdated", "PIDPressure=Unknown/NodeStatusNeverUpdated"}
	unreachableTaints = []string{"node.kubernetes.io/unreachable:NoExecute", "node.kubernetes.io/unreachable:NoSchedule"}
	notReadyTaints    = []string{"node.kubernetes.io/not-ready:NoExecute", "node.kubernetes.io/not-ready:NoSchedule"}
)

// healthy is the node each health case has beside the one it checks, so
// that the cluster is not wholly disrupted; its agent keeps renewing.
const healthy = "healthy"

func TestHealth(t *testing.T) {
	tests := []struct {
		name string
		node *corev1.Node
		// lease is the checked node's Lease when the test starts, if any.
		lease *coordinationv1.Lease
		// each runs before each pass, the clock having moved on by step.
		each  func(t *testing.T, h *harness)
		step  time.Duration
		steps int
		want  state
	}{{
		name:  "a node that renews its Lease stays Ready",
		node:  readyNode("n", "", start),
		lease: lease("n", start),
		each:  func(t *testing.T, h *harness) { h.renew(t, "n") },
		step:  30 * time.Second, steps: 5,
		want: state{Conditions: readyConditions},
	}, {
		name: "a node that posts status without a Lease stays Ready",
		node: readyNode("n", "", start),
		each: func(t *testing.T, h *harness) { h.post(t, "n", corev1.ConditionTrue) },
		step: 30 * time.Second, steps: 5,
		want: state{Conditions: readyConditions},
	}, {
		name:  "a Lease within the grace period keeps the node Ready",
		node:  readyNode("n", "", start),
		lease: lease("n", start),
		step:  49 * time.Second, steps: 1,
		want: state{Conditions: readyConditions},
	}, {
		name:  "a Lease older than the grace period makes the node Unknown and unreachable",
		node:  readyNode("n", "", start),
		lease: lease("n", start),
		step:  51 * time.Second, steps: 1,
		want: state{Conditions: unknownConditions, Taints: unreachableTaints},
	}, {
		name:  "a node seen first with a dead Lease is Unknown at once",
		node:  readyNode("n", "", start.Add(-time.Hour)),
		lease: lease("n", start.Add(-time.Hour)),
		want:  state{Conditions: unknownConditions, Taints: unreachableTaints},
	}, {
		name:  "a node seen first with a fresh Lease and an old status gets a grace period",
		node:  readyNode("n", "", start.Add(-time.Hour)),
		lease: lease("n", start.Add(-10*time.Second)),
		want:  state{Conditions: readyConditions},
	}, {
		name: "a node that never posted status is given the startup grace period",
		node: &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n", UID: "n-uid", CreationTimestamp: metav1.NewTime(start)}},
		step: 55 * time.Second, steps: 1,
		want: state{},
	}, {
		name: "a node that never posted status is Unknown after the startup grace period",
		node: &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n", UID: "n-uid", CreationTimestamp: metav1.NewTime(start)}},
		step: 61 * time.Second, steps: 1,
		want: state{Conditions: neverConditions, Taints: unreachableTaints},
	}, {
		name:  "a NotReady node is tainted not-ready",
		node:  mutate(readyNode("n", "", start), withReady(corev1.ConditionFalse)),
		lease: lease("n", start),
		each:  func(t *testing.T, h *harness) { h.renew(t, "n") },
		step:  10 * time.Second, steps: 1,
		want: state{Conditions: []string{"MemoryPressure=False/KubeletHasSufficientMemory", "DiskPressure=False/KubeletHasNoDiskPressure",
			"PIDPressure=False/KubeletHasSufficientPID", "Ready=False/KubeletReady"}, Taints: notReadyTaints},
	}, {
		name: "a NotReady node that goes silent is swapped to unreachable",
		node: mutate(readyNode("n", "", start), withReady(corev1.ConditionFalse),
			withTaints(NotReadyNoExecute, corev1.Taint{Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectNoSchedule})),
		lease: lease("n", start),
		step:  51 * time.Second, steps: 1,
		want: state{Conditions: unknownConditions, Taints: unreachableTaints},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			objs := []runtime.Object{tc.node, readyNode(healthy, "", start), lease(healthy, start)}
			if tc.lease != nil {
				objs = append(objs, tc.lease)
			}
			h := newHarness(t, Options{}, objs...)
			h.pass(t)
			for i := 0; i < tc.steps; i++ {
				h.clock.Step(tc.step)
				h.renew(t, healthy)
				if tc.each != nil {
					tc.each(t, h)
				}
				h.pass(t)
			}
			if diff := cmp.Diff(tc.want, h.state(t, "n")); diff != "" {
				t.Errorf("node (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(state{Conditions: readyConditions}, h.state(t, healthy)); diff != "" {
				t.Errorf("healthy node (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRecovery(t *testing.T) {
	h := newHarness(t, Options{}, readyNode("n", "", start), lease("n", start), readyNode(healthy, "", start), lease(healthy, start))
	h.pass(t)
	h.clock.Step(time.Minute)
	h.renew(t, healthy)
	h.pass(t)
	if diff := cmp.Diff(state{Conditions: unknownConditions, Taints: unreachableTaints}, h.state(t, "n")); diff != "" {
		t.Fatalf("silent node (-want +got):\n%s", diff)
	}
	// The agent comes back: it renews its Lease and posts Ready.
	h.clock.Step(5 * time.Second)
	h.renew(t, healthy)
	h.renew(t, "n")
	h.post(t, "n", corev1.ConditionTrue)
	h.pass(t)
	if diff := cmp.Diff(state{Conditions: readyConditions}, h.state(t, "n")); diff != "" {
		t.Errorf("recovered node (-want +got):\n%s", diff)
	}
	want := []string{
		"Normal NodeNotReady Node n status is now: NodeNotReady",
		"Normal RegisteredNode Node healthy event: Registered Node healthy in Controller",
		"Normal RegisteredNode Node n event: Registered Node n in Controller",
	}
	got := h.events()
	sort.Strings(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// TestDisruption: NoExecute taints are rate-limited per zone, held back in
// a mostly disrupted small zone and everywhere when no node is Ready.
func TestDisruption(t *testing.T) {
	tests := []struct {
		name string
		// zones maps node names to zones; those in silent stop renewing.
		zones  map[string]string
		silent []string
		// tainted is, after each pass, which silent nodes have the
		// unreachable NoExecute taint.
		tainted [][]string
	}{{
		name:    "one node per zone per ten seconds",
		zones:   map[string]string{"a1": "a", "a2": "a", "a3": "a", "a4": "a", "a5": "a", "b1": "b", "b2": "b", "b3": "b"},
		silent:  []string{"a1", "a2", "b1"},
		tainted: [][]string{{"a1", "b1"}, {"a1", "b1"}, {"a1", "a2", "b1"}},
	}, {
		name:    "a small zone with most nodes down evicts nothing",
		zones:   map[string]string{"a1": "a", "a2": "a", "a3": "a", "a4": "a", "b1": "b"},
		silent:  []string{"a1", "a2", "a3"},
		tainted: [][]string{nil, nil, nil},
	}, {
		name:    "a wholly disrupted zone evicts while another is healthy",
		zones:   map[string]string{"a1": "a", "b1": "b"},
		silent:  []string{"a1"},
		tainted: [][]string{{"a1"}},
	}, {
		name:    "a node excluded from the disruption checks is still tainted",
		zones:   map[string]string{"a1": "a", "excluded": "x"},
		silent:  []string{"excluded"},
		tainted: [][]string{{"excluded"}},
	}, {
		name:    "no evictions when no node is Ready",
		zones:   map[string]string{"a1": "a", "b1": "b"},
		silent:  []string{"a1", "b1"},
		tainted: [][]string{nil, nil},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var objs []runtime.Object
			for n, z := range tc.zones {
				node := readyNode(n, z, start)
				if n == "excluded" {
					node.Labels[labelExcludeDisruption] = ""
				}
				objs = append(objs, node, lease(n, start))
			}
			silent := map[string]bool{}
			for _, n := range tc.silent {
				silent[n] = true
			}
			h := newHarness(t, Options{}, objs...)
			renew := func() {
				for n := range tc.zones {
					if !silent[n] {
						h.renew(t, n)
					}
				}
			}
			h.pass(t)
			h.clock.Step(51 * time.Second)
			for i, want := range tc.tainted {
				if i > 0 {
					h.clock.Step(5 * time.Second)
				}
				renew()
				h.pass(t)
				var got []string
				for _, n := range tc.silent {
					if hasTaint(h.c.nodesTaints(t, n), UnreachableNoExecute) {
						got = append(got, n)
					}
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("pass %d: tainted (-want +got):\n%s", i, diff)
				}
			}
		})
	}
}

// nodesTaints reads a node's taints from the fake API.
func (c *Controller) nodesTaints(t *testing.T, name string) []corev1.Taint {
	t.Helper()
	n, err := c.client.CoreV1().Nodes().Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return n.Spec.Taints
}

// TestDisruptionRemovesTaints: when every node goes silent at once, the
// eviction taints already added come off and none are added; once a node
// is Ready again, the silent ones are tainted.
func TestDisruptionRemovesTaints(t *testing.T) {
	h := newHarness(t, Options{},
		mutate(readyNode("a", "", start), withTaints(UnreachableNoExecute)), lease("a", start),
		readyNode("b", "", start), lease("b", start))
	h.pass(t)
	h.clock.Step(51 * time.Second)
	h.pass(t)
	for _, n := range []string{"a", "b"} {
		if diff := cmp.Diff(state{Conditions: unknownConditions, Taints: []string{"node.kubernetes.io/unreachable:NoSchedule"}}, h.state(t, n)); diff != "" {
			t.Errorf("node %s while all are silent (-want +got):\n%s", n, diff)
		}
	}
	h.clock.Step(5 * time.Second)
	h.renew(t, "b")
	h.post(t, "b", corev1.ConditionTrue)
	h.pass(t)
	if diff := cmp.Diff(state{Conditions: unknownConditions, Taints: unreachableTaints}, h.state(t, "a")); diff != "" {
		t.Errorf("node a once b is back (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(state{Conditions: readyConditions}, h.state(t, "b")); diff != "" {
		t.Errorf("node b once back (-want +got):\n%s", diff)
	}
}

func TestMarkPodsNotReady(t *testing.T) {
	notReadyAlready := readyPod("not-ready", "n")
	notReadyAlready.Status.Conditions[0].Status = corev1.ConditionFalse
	h := newHarness(t, Options{}, readyNode("n", "", start), lease("n", start), readyNode(healthy, "", start), lease(healthy, start),
		readyPod("on-n", "n"), notReadyAlready, readyPod("elsewhere", healthy))
	h.pass(t)
	h.client.ClearActions()
	h.clock.Step(time.Minute)
	h.renew(t, healthy)
	h.pass(t)
	var patched []string
	for _, a := range h.client.Actions() {
		if p, ok := a.(clienttesting.PatchAction); ok && a.GetResource().Resource == "pods" {
			patched = append(patched, p.GetName())
		}
	}
	if diff := cmp.Diff([]string{"on-n"}, patched); diff != "" {
		t.Errorf("patched pods (-want +got):\n%s", diff)
	}
	var ready []corev1.ConditionStatus
	for _, name := range []string{"on-n", "elsewhere"} {
		p, err := h.client.CoreV1().Pods("ns").Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ready = append(ready, p.Status.Conditions[0].Status)
	}
	if diff := cmp.Diff([]corev1.ConditionStatus{corev1.ConditionFalse, corev1.ConditionTrue}, ready); diff != "" {
		t.Errorf("Ready of on-n, elsewhere (-want +got):\n%s", diff)
	}
	var podEvents []string
	for _, e := range h.events() {
		if e == "Warning NodeNotReady Node is not ready" {
			podEvents = append(podEvents, e)
		}
	}
	if len(podEvents) != 1 {
		t.Errorf("pod NodeNotReady events = %d, want 1", len(podEvents))
	}

	// A pod bound to the node afterwards is marked at once.
	late := readyPod("late", "n")
	if _, err := h.client.CoreV1().Pods("ns").Create(context.Background(), late, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	h.resync(t)
	if _, err := h.c.syncPod(context.Background(), "ns/late"); err != nil {
		t.Fatalf("sync pod: %v", err)
	}
	p, err := h.client.CoreV1().Pods("ns").Get(context.Background(), "late", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s := p.Status.Conditions[0].Status; s != corev1.ConditionFalse {
		t.Errorf("late pod Ready = %s, want False", s)
	}
}

func TestSyncNode(t *testing.T) {
	user := corev1.Taint{Key: "example.com/user", Effect: corev1.TaintEffectNoSchedule}
	tests := []struct {
		name string
		node *corev1.Node
		want []string
	}{{
		name: "a Ready node keeps only its own taints",
		node: mutate(readyNode("n", "", start), withTaints(user, corev1.Taint{Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectNoSchedule, TimeAdded: ptr.To(metav1.NewTime(start))})),
		want: []string{"example.com/user:NoSchedule"},
	}, {
		name: "NotReady",
		node: mutate(readyNode("n", "", start), withReady(corev1.ConditionFalse)),
		want: []string{"node.kubernetes.io/not-ready:NoSchedule"},
	}, {
		name: "unreachable replaces not-ready",
		node: mutate(readyNode("n", "", start), withReady(corev1.ConditionUnknown),
			withTaints(corev1.Taint{Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectNoSchedule, TimeAdded: ptr.To(metav1.NewTime(start))})),
		want: []string{"node.kubernetes.io/unreachable:NoSchedule"},
	}, {
		name: "pressure conditions",
		node: mutate(readyNode("n", "", start), func(n *corev1.Node) {
			condition(&n.Status, corev1.NodeMemoryPressure).Status = corev1.ConditionTrue
			condition(&n.Status, corev1.NodeDiskPressure).Status = corev1.ConditionTrue
			condition(&n.Status, corev1.NodePIDPressure).Status = corev1.ConditionTrue
			n.Status.Conditions = append(n.Status.Conditions, corev1.NodeCondition{Type: corev1.NodeNetworkUnavailable, Status: corev1.ConditionTrue})
		}),
		want: []string{"node.kubernetes.io/disk-pressure:NoSchedule", "node.kubernetes.io/memory-pressure:NoSchedule",
			"node.kubernetes.io/network-unavailable:NoSchedule", "node.kubernetes.io/pid-pressure:NoSchedule"},
	}, {
		name: "spec.unschedulable",
		node: mutate(readyNode("n", "", start), func(n *corev1.Node) { n.Spec.Unschedulable = true }),
		want: []string{"node.kubernetes.io/unschedulable:NoSchedule"},
	}, {
		name: "a Ready node loses its eviction taints at once",
		node: mutate(readyNode("n", "", start), withTaints(NotReadyNoExecute, UnreachableNoExecute)),
	}, {
		name: "eviction taints are added by the monitor, not this sync",
		node: mutate(readyNode("n", "", start), withReady(corev1.ConditionFalse), withTaints(UnreachableNoExecute)),
		want: []string{"node.kubernetes.io/not-ready:NoSchedule", "node.kubernetes.io/unreachable:NoExecute"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{}, tc.node)
			if _, err := h.c.syncNode(context.Background(), "n"); err != nil {
				t.Fatalf("sync: %v", err)
			}
			var got []string
			for _, taint := range h.c.nodesTaints(t, "n") {
				got = append(got, taint.Key+":"+string(taint.Effect))
			}
			sort.Strings(got)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("taints (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSyncNodeBetaLabels(t *testing.T) {
	n := readyNode("n", "", start)
	n.Labels = map[string]string{corev1.LabelOSStable: "linux", corev1.LabelArchStable: "arm64", "beta.kubernetes.io/arch": "amd64"}
	h := newHarness(t, Options{}, n)
	if _, err := h.c.syncNode(context.Background(), "n"); err != nil {
		t.Fatalf("sync: %v", err)
	}
	got, err := h.client.CoreV1().Nodes().Get(context.Background(), "n", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{corev1.LabelOSStable: "linux", corev1.LabelArchStable: "arm64", "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": "arm64"}
	if diff := cmp.Diff(want, got.Labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
}
