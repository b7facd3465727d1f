package servicelb

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/klog/v2/ktesting"
)

func node(name string, ready bool, labels map[string]string, addrs ...string) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: status}}
	for i, a := range addrs {
		typ := corev1.NodeInternalIP
		if i == len(addrs)-1 && len(addrs) > 1 {
			typ = corev1.NodeExternalIP
		}
		n.Status.Addresses = append(n.Status.Addresses, corev1.NodeAddress{Type: typ, Address: a})
	}
	return n
}

func ips(ing []corev1.LoadBalancerIngress) []string {
	var out []string
	for _, i := range ing {
		if i.IPMode == nil || *i.IPMode != corev1.LoadBalancerIPModeVIP {
			out = append(out, i.IP+" (not VIP)")
			continue
		}
		out = append(out, i.IP)
	}
	return out
}

func TestIngress(t *testing.T) {
	for _, tc := range []struct {
		name  string
		nodes []*corev1.Node
		want  []string
	}{
		{"no nodes", nil, nil},
		{"ready nodes' InternalIPs, sorted, without ExternalIPs", []*corev1.Node{
			node("b", true, nil, "192.168.0.10", "203.0.113.1"),
			node("a", true, nil, "192.168.0.9"),
		}, []string{"192.168.0.9", "192.168.0.10"}},
		{"loopback and link-local addresses are left out", []*corev1.Node{
			node("a", true, nil, "127.0.0.1"),
			node("b", true, nil, "169.254.0.5"),
			node("c", true, nil, "fd00::5"),
		}, []string{"fd00::5"}},
		{"not ready and excluded nodes are left out", []*corev1.Node{
			node("a", true, nil, "192.168.0.9"),
			node("b", false, nil, "192.168.0.10"),
			node("c", true, map[string]string{labelExclude: ""}, "192.168.0.11"),
		}, []string{"192.168.0.9"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, ips(Ingress(tc.nodes))); diff != "" {
				t.Errorf("ingress (-want +got):\n%s", diff)
			}
		})
	}
}

func lbService(name string, mutate ...func(*corev1.Service)) *corev1.Service {
	s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name}, Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, ClusterIP: "10.96.0.10"}}
	for _, m := range mutate {
		m(s)
	}
	return s
}

// TestController runs the controller (without leader election) on a fake
// API and waits for the statuses it writes.
func TestController(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	class := "example.com/other"
	objects := []runtime.Object{
		node("a", true, nil, "192.168.0.9"),
		lbService("lb"),
		lbService("other-class", func(s *corev1.Service) { s.Spec.LoadBalancerClass = &class }),
		lbService("was-lb", func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeClusterIP
			s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "192.168.0.9"}}
		}),
	}
	client := fake.NewClientset(objects...)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := New(Config{Client: client, Identity: "a"}).Run(ctx); err != nil {
			t.Error(err)
		}
	}()
	defer func() { cancel(); <-done }()

	status := func(name string) []string {
		s, err := client.CoreV1().Services("ns").Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return ips(s.Status.LoadBalancer.Ingress)
	}
	waitStatus := func(name string, want []string) {
		t.Helper()
		var got []string
		if err := wait.PollUntilContextTimeout(ctx, 10*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
			got = status(name)
			return cmp.Equal(want, got), nil
		}); err != nil {
			t.Fatalf("status of %s: got %v, want %v", name, got, want)
		}
	}
	waitStatus("lb", []string{"192.168.0.9"})
	waitStatus("was-lb", nil)
	if got := status("other-class"); got != nil {
		t.Errorf("another class's service got %v", got)
	}

	// A node joins: every load balancer gets its address.
	if _, err := client.CoreV1().Nodes().Create(ctx, node("b", true, nil, "192.168.0.10"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitStatus("lb", []string{"192.168.0.9", "192.168.0.10"})
	// A node goes not ready: its address goes.
	if _, err := client.CoreV1().Nodes().UpdateStatus(ctx, node("a", false, nil, "192.168.0.9"), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitStatus("lb", []string{"192.168.0.10"})
	// A new load balancer.
	if _, err := client.CoreV1().Services("ns").Create(ctx, lbService("lb2"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitStatus("lb2", []string{"192.168.0.10"})
}

// TestLeaderElection checks that the controller writes while it holds the
// Lease, under its identity.
func TestLeaderElection(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	ctx, cancel := context.WithCancel(ctx)
	client := fake.NewClientset(node("a", true, nil, "192.168.0.9"), lbService("lb"))
	done := make(chan struct{})
	go func() {
		defer close(done)
		c := New(Config{Client: client, Identity: "node-a", LeaderElection: true,
			LeaseDuration: 2 * time.Second, RenewDeadline: time.Second, RetryPeriod: 100 * time.Millisecond})
		if err := c.Run(ctx); err != nil {
			t.Error(err)
		}
	}()
	defer func() { cancel(); <-done }()
	if err := wait.PollUntilContextTimeout(ctx, 10*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		s, err := client.CoreV1().Services("ns").Get(ctx, "lb", metav1.GetOptions{})
		return err == nil && len(s.Status.LoadBalancer.Ingress) == 1, nil
	}); err != nil {
		t.Fatal("no ingress written")
	}
	lease, err := client.CoordinationV1().Leases(metav1.NamespaceSystem).Get(ctx, LeaseName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := *lease.Spec.HolderIdentity; got != "node-a" {
		t.Errorf("lease holder %q, want node-a", got)
	}
}
