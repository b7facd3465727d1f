package nodeipam

import (
	"context"
	"errors"
	"net"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/record"
)

func mustCIDR(t *testing.T, s string) *net.IPNet {
	t.Helper()
	_, n, err := net.ParseCIDR(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCIDRSet(t *testing.T) {
	tests := []struct {
		name     string
		cluster  string
		mask     int
		occupied []string
		// allocate is how many subnets to ask for; want the answers, ""
		// for "full".
		allocate int
		want     []string
	}{{
		name:    "the first /24s of 10.244.0.0/16 in order",
		cluster: "10.244.0.0/16", mask: 24, allocate: 3,
		want: []string{"10.244.0.0/24", "10.244.1.0/24", "10.244.2.0/24"},
	}, {
		name:    "occupied subnets are skipped",
		cluster: "10.244.0.0/16", mask: 24, occupied: []string{"10.244.0.0/24", "10.244.2.0/24"}, allocate: 2,
		want: []string{"10.244.1.0/24", "10.244.3.0/24"},
	}, {
		name:    "a full range says so",
		cluster: "10.0.0.0/23", mask: 24, allocate: 3,
		want: []string{"10.0.0.0/24", "10.0.1.0/24", ""},
	}, {
		name:    "IPv6 /64s",
		cluster: "fd00:10:244::/56", mask: 64, allocate: 2,
		want: []string{"fd00:10:244::/64", "fd00:10:244:1::/64"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := newCIDRSet(mustCIDR(t, tc.cluster), tc.mask)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range tc.occupied {
				if err := s.occupy(mustCIDR(t, c)); err != nil {
					t.Fatalf("occupy %s: %v", c, err)
				}
			}
			var got []string
			for i := 0; i < tc.allocate; i++ {
				n, err := s.allocateNext()
				switch {
				case errors.Is(err, errFull):
					got = append(got, "")
				case err != nil:
					t.Fatalf("allocate: %v", err)
				default:
					got = append(got, n.String())
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("allocated (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCIDRSetReuse: subnets are handed out round-robin, so a released
// one comes back only after the rest.
func TestCIDRSetReuse(t *testing.T) {
	s, err := newCIDRSet(mustCIDR(t, "10.0.0.0/22"), 24)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	next := func() {
		n, err := s.allocateNext()
		if err != nil {
			got = append(got, err.Error())
			return
		}
		got = append(got, n.String())
	}
	next()
	next()
	if err := s.release(mustCIDR(t, "10.0.0.0/24")); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		next()
	}
	want := []string{"10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24", "10.0.0.0/24", errFull.Error()}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("allocated (-want +got):\n%s", diff)
	}
}

func TestCIDRSetRefuses(t *testing.T) {
	if _, err := newCIDRSet(mustCIDR(t, "10.0.0.0/8"), 28); err == nil {
		t.Error("a /8 cut into /28s (2^20 subnets) was accepted")
	}
	if _, err := newCIDRSet(mustCIDR(t, "10.244.0.0/16"), 8); err == nil {
		t.Error("a node mask shorter than the cluster's was accepted")
	}
	s, err := newCIDRSet(mustCIDR(t, "10.244.0.0/16"), 24)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"192.168.0.0/24", "10.244.0.0/25", "fd00::/64"} {
		if err := s.occupy(mustCIDR(t, c)); err == nil {
			t.Errorf("occupy %s: accepted", c)
		}
	}
}

func node(name string, cidrs ...string) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID(name + "-uid")}}
	if len(cidrs) > 0 {
		n.Spec.PodCIDR, n.Spec.PodCIDRs = cidrs[0], cidrs
	}
	return n
}

type harness struct {
	c        *Controller
	client   *fake.Clientset
	factory  informers.SharedInformerFactory
	recorder *record.FakeRecorder
}

// newHarness starts the allocator as Run would, on caches holding objs.
func newHarness(t *testing.T, opts Options, objs ...runtime.Object) *harness {
	t.Helper()
	client := fake.NewClientset(objs...)
	factory := informers.NewSharedInformerFactory(client, 0)
	recorder := record.NewFakeRecorder(100)
	c, err := newController(client, factory.Core().V1().Nodes(), opts, recorder)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{c: c, client: client, factory: factory, recorder: recorder}
	for _, o := range objs {
		h.cache(t, o.(*corev1.Node))
	}
	c.occupyExisting(context.Background())
	return h
}

func (h *harness) cache(t *testing.T, n *corev1.Node) {
	t.Helper()
	if err := h.factory.Core().V1().Nodes().Informer().GetIndexer().Update(n); err != nil {
		t.Fatal(err)
	}
}

// add creates a node, as an agent or a user would, and syncs it.
func (h *harness) add(t *testing.T, n *corev1.Node) error {
	t.Helper()
	if _, err := h.client.CoreV1().Nodes().Create(context.Background(), n, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	h.cache(t, n)
	_, err := h.c.sync(context.Background(), n.Name)
	return err
}

// remove deletes a node and tells the allocator, as the informer would.
func (h *harness) remove(t *testing.T, name string) {
	t.Helper()
	n, err := h.client.CoreV1().Nodes().Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.client.CoreV1().Nodes().Delete(context.Background(), name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := h.factory.Core().V1().Nodes().Informer().GetIndexer().Delete(n); err != nil {
		t.Fatal(err)
	}
	h.c.nodeDeleted(n)
}

// cidrs returns each node's spec.podCIDRs in the API.
func (h *harness) cidrs(t *testing.T) map[string][]string {
	t.Helper()
	nodes, err := h.client.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, n := range nodes.Items {
		if n.Spec.PodCIDR != "" && (len(n.Spec.PodCIDRs) == 0 || n.Spec.PodCIDRs[0] != n.Spec.PodCIDR) {
			t.Errorf("node %s: podCIDR %s, podCIDRs %v", n.Name, n.Spec.PodCIDR, n.Spec.PodCIDRs)
		}
		out[n.Name] = n.Spec.PodCIDRs
	}
	return out
}

func TestAllocate(t *testing.T) {
	// The single node of `kubeshim up` gets the first /24, whose pod IPs
	// the tests rely on.
	h := newHarness(t, Options{})
	if err := h.add(t, node("first")); err != nil {
		t.Fatal(err)
	}
	if err := h.add(t, node("second")); err != nil {
		t.Fatal(err)
	}
	if err := h.add(t, node("agent-chose", "10.244.7.0/24")); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"first": {"10.244.0.0/24"}, "second": {"10.244.1.0/24"}, "agent-chose": {"10.244.7.0/24"}}
	if diff := cmp.Diff(want, h.cidrs(t)); diff != "" {
		t.Errorf("pod CIDRs (-want +got):\n%s", diff)
	}
}

// TestRebuild: at start the bitmap holds the existing nodes' subnets, so a
// node without one gets a free subnet whatever order the nodes come in.
func TestRebuild(t *testing.T) {
	h := newHarness(t, Options{}, node("new"), node("old-a", "10.244.0.0/24"), node("old-b", "10.244.1.0/24"), node("elsewhere", "192.168.9.0/24"))
	if _, err := h.c.sync(context.Background(), "new"); err != nil {
		t.Fatal(err)
	}
	if got := h.cidrs(t)["new"]; !cmp.Equal(got, []string{"10.244.2.0/24"}) {
		t.Errorf("new node got %v, want [10.244.2.0/24]", got)
	}
}

func TestFullAndRelease(t *testing.T) {
	h := newHarness(t, Options{ClusterCIDRs: []string{"10.0.0.0/23"}})
	for _, n := range []string{"a", "b"} {
		if err := h.add(t, node(n)); err != nil {
			t.Fatal(err)
		}
	}
	err := h.add(t, node("c"))
	if !errors.Is(err, errFull) {
		t.Fatalf("third node: err %v, want a full range", err)
	}
	if diff := cmp.Diff([]string{"Normal CIDRNotAvailable Node c status is now: CIDRNotAvailable"}, events(h.recorder)); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	// A deleted node's subnet is free again; the retry of c gets it.
	h.remove(t, "a")
	if _, err := h.c.sync(context.Background(), "c"); err != nil {
		t.Fatalf("retry: %v", err)
	}
	want := map[string][]string{"b": {"10.0.1.0/24"}, "c": {"10.0.0.0/24"}}
	if diff := cmp.Diff(want, h.cidrs(t)); diff != "" {
		t.Errorf("pod CIDRs (-want +got):\n%s", diff)
	}
}

// TestSharedSubnetNotReleased: two nodes with the same subnet (agents
// given the same --pod-cidr); deleting one keeps the subnet used.
func TestSharedSubnetNotReleased(t *testing.T) {
	h := newHarness(t, Options{ClusterCIDRs: []string{"10.0.0.0/23"}}, node("a", "10.0.0.0/24"), node("twin", "10.0.0.0/24"))
	h.remove(t, "a")
	if err := h.add(t, node("b")); err != nil {
		t.Fatal(err)
	}
	if got := h.cidrs(t)["b"]; !cmp.Equal(got, []string{"10.0.1.0/24"}) {
		t.Errorf("b got %v, want [10.0.1.0/24]", got)
	}
}

func TestDualStack(t *testing.T) {
	h := newHarness(t, Options{ClusterCIDRs: []string{"10.244.0.0/16", "fd00:10:244::/56"}})
	if err := h.add(t, node("n")); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string][]string{"n": {"10.244.0.0/24", "fd00:10:244::/64"}}, h.cidrs(t)); diff != "" {
		t.Errorf("pod CIDRs (-want +got):\n%s", diff)
	}
}

func TestOptionsRefused(t *testing.T) {
	for _, cidrs := range [][]string{{"10.0.0.0/16", "10.1.0.0/16"}, {"nonsense"}, {"10.0.0.0/7"}} {
		if _, err := cidrSets(Options{ClusterCIDRs: cidrs}); err == nil {
			t.Errorf("cluster CIDRs %v accepted", cidrs)
		}
	}
}

func events(r *record.FakeRecorder) []string {
	var out []string
	for {
		select {
		case e := <-r.Events:
			out = append(out, e)
		default:
			sort.Strings(out)
			return out
		}
	}
}
