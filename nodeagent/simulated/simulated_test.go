package simulated

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"
)

const waitFor = 10 * time.Second

// eventually polls check until it returns nil, failing the test with its
// last error after waitFor.
func eventually(t *testing.T, what string, check func() error) {
	t.Helper()
	var last error
	err := wait.PollUntilContextTimeout(context.Background(), 20*time.Millisecond, waitFor, true, func(context.Context) (bool, error) {
		last = check()
		return last == nil, nil
	})
	if err != nil {
		t.Fatalf("%s: %v", what, last)
	}
}

// start runs an agent on client until the test ends; stop stops it early
// and waits for Run to return.
func start(t *testing.T, client kubernetes.Interface, cfg Config) (stop func()) {
	t.Helper()
	cfg.Client = client
	if cfg.RenewInterval == 0 {
		cfg.RenewInterval = 50 * time.Millisecond
	}
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(waitFor):
			t.Errorf("Run did not return after its context ended")
		}
	}
	t.Cleanup(stop)
	return stop
}

func readyStatus(n *corev1.Node) corev1.ConditionStatus {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status
		}
	}
	return ""
}

func TestRegistersNodesAndLeases(t *testing.T) {
	ctx := context.Background()
	// sim-1 and its lease are left by an earlier run, unreachable since.
	old := metav1.NewMicroTime(time.Now().Add(-time.Hour))
	client := fake.NewClientset(&coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: "sim-1", Namespace: corev1.NamespaceNodeLease},
		Spec:       coordinationv1.LeaseSpec{HolderIdentity: ptr.To("earlier"), RenewTime: &old},
	}, &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "sim-1", Labels: map[string]string{"team": "a"}},
		Spec:       corev1.NodeSpec{PodCIDR: "10.244.1.0/24"},
		Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{
			{Type: corev1.NodeReady, Status: corev1.ConditionUnknown, Reason: "NodeStatusUnknown"},
		}},
	})
	stop := start(t, client, Config{Prefix: "sim", Count: 3, CPU: resource.MustParse("2"), Memory: resource.MustParse("8Gi"), KubeletVersion: "v1.37.2+test"})

	eventually(t, "three Ready nodes with leases", func() error {
		for i := range 3 {
			name := fmt.Sprintf("sim-%d", i)
			n, err := client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if readyStatus(n) != corev1.ConditionTrue {
				return fmt.Errorf("%s: Ready %q", name, readyStatus(n))
			}
			if _, err := client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(ctx, name, metav1.GetOptions{}); err != nil {
				return err
			}
		}
		return nil
	})
	n, _ := client.CoreV1().Nodes().Get(ctx, "sim-0", metav1.GetOptions{})
	wantLabels := map[string]string{
		"kubernetes.io/hostname": "sim-0", "kubernetes.io/os": "linux", "kubernetes.io/arch": n.Labels["kubernetes.io/arch"],
		"beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": n.Labels["kubernetes.io/arch"], LabelSimulated: "true",
	}
	if diff := cmp.Diff(wantLabels, n.Labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	wantCapacity := corev1.ResourceList{"cpu": resource.MustParse("2"), "memory": resource.MustParse("8Gi"),
		"ephemeral-storage": resource.MustParse("100Gi"), "pods": resource.MustParse("110")}
	for name, got := range map[string]corev1.ResourceList{"capacity": n.Status.Capacity, "allocatable": n.Status.Allocatable} {
		if diff := cmp.Diff(wantCapacity, got, cmp.Comparer(func(a, b resource.Quantity) bool { return a.Cmp(b) == 0 })); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
	if got := n.Status.NodeInfo; got.KubeletVersion != "v1.37.2+test" || got.ContainerRuntimeVersion != "simulated://v1.37.2+test" {
		t.Errorf("nodeInfo versions: kubelet %q, runtime %q", got.KubeletVersion, got.ContainerRuntimeVersion)
	}
	if ip := netip.MustParseAddr(n.Status.Addresses[0].Address); !ip.IsLoopback() || n.Status.Addresses[0].Type != corev1.NodeInternalIP {
		t.Errorf("first address %v, want a loopback InternalIP", n.Status.Addresses[0])
	}

	// The adopted node kept its labels and gained the simulated one.
	adopted, _ := client.CoreV1().Nodes().Get(ctx, "sim-1", metav1.GetOptions{})
	if adopted.Labels["team"] != "a" || adopted.Labels[LabelSimulated] != "true" {
		t.Errorf("adopted node's labels: %v", adopted.Labels)
	}
	// Its lease is renewed, keeping its holder as upstream's lease
	// controller does. The renewal runs apart from the node's status, so
	// a Ready node's lease may not have been renewed yet.
	eventually(t, "adopted node's lease renewed", func() error {
		l, err := client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(ctx, "sim-1", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if !l.Spec.RenewTime.After(old.Time) || *l.Spec.HolderIdentity != "earlier" {
			return fmt.Errorf("renewed %s (before: %s), holder %q", l.Spec.RenewTime, old, *l.Spec.HolderIdentity)
		}
		return nil
	})

	// Leases are renewed while the agent runs …
	lease, _ := client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(ctx, "sim-2", metav1.GetOptions{})
	first := lease.Spec.RenewTime.Time
	eventually(t, "lease renewed", func() error {
		l, err := client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(ctx, "sim-2", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if !l.Spec.RenewTime.After(first) {
			return fmt.Errorf("renew time still %s", first)
		}
		if *l.Spec.LeaseDurationSeconds != 40 || *l.Spec.HolderIdentity != "sim-2" {
			return fmt.Errorf("lease spec %+v", l.Spec)
		}
		return nil
	})

	// … a node marked Unknown meanwhile is reported Ready again …
	n, _ = client.CoreV1().Nodes().Get(ctx, "sim-2", metav1.GetOptions{})
	for i := range n.Status.Conditions {
		if n.Status.Conditions[i].Type == corev1.NodeReady {
			n.Status.Conditions[i].Status = corev1.ConditionUnknown
		}
	}
	if _, err := client.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "sim-2 Ready again", func() error {
		n, err := client.CoreV1().Nodes().Get(ctx, "sim-2", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if readyStatus(n) != corev1.ConditionTrue {
			return fmt.Errorf("Ready %q", readyStatus(n))
		}
		return nil
	})

	// … and no longer once it stops.
	stop()
	lease, _ = client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(ctx, "sim-2", metav1.GetOptions{})
	last := lease.Spec.RenewTime.Time
	time.Sleep(200 * time.Millisecond) // four renew intervals
	lease, _ = client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(ctx, "sim-2", metav1.GetOptions{})
	if !lease.Spec.RenewTime.Time.Equal(last) {
		t.Errorf("lease renewed after the agent stopped: %s, then %s", last, lease.Spec.RenewTime.Time)
	}
	if _, err := client.CoreV1().Nodes().Get(ctx, "sim-0", metav1.GetOptions{}); err != nil {
		t.Errorf("node gone after the agent stopped: %v", err)
	}
}

func TestRunsPods(t *testing.T) {
	ctx := context.Background()
	client := fake.NewClientset()
	start(t, client, Config{Prefix: "sim", Count: 2})
	nodes := client.CoreV1().Nodes()
	eventually(t, "nodes registered", func() error {
		_, err := nodes.Get(ctx, "sim-1", metav1.GetOptions{})
		return err
	})
	setCIDR := func(name, cidr string) {
		t.Helper()
		n, err := nodes.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		n.Spec.PodCIDR, n.Spec.PodCIDRs = cidr, []string{cidr}
		if _, err := nodes.Update(ctx, n, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	setCIDR("sim-0", "10.244.7.0/24")
	pods := client.CoreV1().Pods("ns")
	newPod := func(name, node string, mod func(*corev1.Pod)) {
		t.Helper()
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: types.UID("uid-" + name)},
			Spec:       corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "c", Image: "pause"}}},
		}
		if mod != nil {
			mod(p)
		}
		if _, err := pods.Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	running := func(name string) (*corev1.Pod, error) {
		p, err := pods.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		if p.Status.Phase != corev1.PodRunning {
			return nil, fmt.Errorf("pod %s is %q", name, p.Status.Phase)
		}
		return p, nil
	}

	newPod("a", "sim-0", nil)
	newPod("b", "sim-0", nil)
	newPod("host", "sim-0", func(p *corev1.Pod) { p.Spec.HostNetwork = true })
	newPod("elsewhere", "real-node", nil)
	newPod("waits", "sim-1", nil)
	var ips []string
	for _, name := range []string{"a", "b", "host"} {
		var p *corev1.Pod
		eventually(t, "pod "+name+" running", func() (err error) {
			p, err = running(name)
			return err
		})
		ips = append(ips, p.Status.PodIP)
		if want := nodeAddress("sim", 0).String(); p.Status.HostIP != want {
			t.Errorf("pod %s: hostIP %s, want %s", name, p.Status.HostIP, want)
		}
	}
	// Allocation order between a and b is the workers'.
	if got := map[string]bool{ips[0]: true, ips[1]: true}; !got["10.244.7.2"] || !got["10.244.7.3"] {
		t.Errorf("pod IPs %v, want 10.244.7.2 and 10.244.7.3", ips[:2])
	}
	if ips[2] != nodeAddress("sim", 0).String() {
		t.Errorf("hostNetwork pod's IP %s, want the node's", ips[2])
	}

	// The pod on a node without a pod CIDR waits for one.
	if p, _ := pods.Get(ctx, "waits", metav1.GetOptions{}); p.Status.Phase != "" {
		t.Errorf("pod on a node without a pod CIDR is %q", p.Status.Phase)
	}
	setCIDR("sim-1", "10.244.8.0/24")
	eventually(t, "pod waits running once its node has a CIDR", func() error {
		p, err := running("waits")
		if err == nil && p.Status.PodIP != "10.244.8.2" {
			return fmt.Errorf("pod IP %s, want 10.244.8.2", p.Status.PodIP)
		}
		return err
	})
	if p, _ := pods.Get(ctx, "elsewhere", metav1.GetOptions{}); p.Status.Phase != "" {
		t.Errorf("pod on another agent's node is %q", p.Status.Phase)
	}

	// A terminating pod is deleted; its address is free again.
	p, _ := pods.Get(ctx, "a", metav1.GetOptions{})
	freed := p.Status.PodIP
	p.DeletionTimestamp = &metav1.Time{Time: time.Now()}
	if _, err := pods.Update(ctx, p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "terminating pod deleted", func() error {
		_, err := pods.Get(ctx, "a", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("pod a still there: %v", err)
	})
	// The cursor has passed the freed address: 252 more pods fill the
	// rest of the /24 (253 addresses, one held by pod b) and come round
	// to it.
	for i := range 252 {
		newPod(fmt.Sprintf("fill-%d", i), "sim-0", nil)
	}
	eventually(t, "all pods of sim-0 running, the freed address reused", func() error {
		list, err := pods.List(ctx, metav1.ListOptions{})
		if err != nil {
			return err
		}
		seen := map[string]string{}
		for _, p := range list.Items {
			if p.Spec.NodeName != "sim-0" || p.Spec.HostNetwork {
				continue
			}
			if p.Status.Phase != corev1.PodRunning {
				return fmt.Errorf("pod %s is %q", p.Name, p.Status.Phase)
			}
			if other, dup := seen[p.Status.PodIP]; dup {
				t.Fatalf("pods %s and %s share %s", other, p.Name, p.Status.PodIP)
			}
			seen[p.Status.PodIP] = p.Name
		}
		if _, ok := seen[freed]; !ok {
			return fmt.Errorf("freed address %s not reused", freed)
		}
		return nil
	})
}
