package simulated

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kubeshim/kubeshim/nodeagent/simulated"
	"github.com/kubeshim/kubeshim/test/integration/framework"
)

const timeout = 60 * time.Second

func eventually(t *testing.T, what string, check func(ctx context.Context) error) {
	t.Helper()
	var last error
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		last = check(ctx)
		return last == nil, nil
	})
	if err != nil {
		t.Fatalf("%s: %v", what, last)
	}
}

// TestFiftyNodes registers 50 simulated nodes, waits for all to be Ready
// with a pod CIDR from the node IPAM controller and a lease, then runs a pod
// bound to one of them and deletes it.
func TestFiftyNodes(t *testing.T) {
	const count = 50
	config := framework.Shared(t)
	fast := rest.CopyConfig(config)
	fast.QPS, fast.Burst = 500, 1000
	client := kubernetes.NewForConfigOrDie(fast)
	ns := framework.Namespace(t, client)
	prefix := "it-" + ns[len(ns)-5:]

	agent, err := simulated.New(simulated.Config{Client: client, Prefix: prefix, Count: count, RenewInterval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- agent.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		for _, name := range agent.NodeNames() {
			_ = client.CoreV1().Nodes().Delete(context.Background(), name, metav1.DeleteOptions{})
		}
	})

	selector := simulated.LabelSimulated + "=true"
	eventually(t, "50 Ready nodes with pod CIDRs and leases", func(ctx context.Context) error {
		nodes, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: selector})
		if err != nil {
			return err
		}
		ready := 0
		for _, n := range nodes.Items {
			if len(n.Name) <= len(prefix) || n.Name[:len(prefix)] != prefix {
				continue
			}
			if n.Spec.PodCIDR == "" {
				return fmt.Errorf("node %s has no pod CIDR", n.Name)
			}
			for _, c := range n.Status.Conditions {
				if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
					ready++
				}
			}
			lease, err := client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(ctx, n.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if len(lease.OwnerReferences) != 1 || lease.OwnerReferences[0].UID != n.UID {
				return fmt.Errorf("lease %s owners %v, want node UID %s", lease.Name, lease.OwnerReferences, n.UID)
			}
		}
		if ready != count {
			return fmt.Errorf("%d of %d nodes Ready", ready, count)
		}
		return nil
	})

	node := prefix + "-17"
	n, err := client.CoreV1().Nodes().Get(context.Background(), node, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cidr := netip.MustParsePrefix(n.Spec.PodCIDR)
	pods := client.CoreV1().Pods(ns)
	_, err = pods.Create(context.Background(), &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p"},
		Spec:       corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "c", Image: "registry.k8s.io/pause:3.10"}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "pod Running and Ready on "+node, func(ctx context.Context) error {
		p, err := pods.Get(ctx, "p", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if p.Status.Phase != corev1.PodRunning {
			return fmt.Errorf("phase %q", p.Status.Phase)
		}
		ip, err := netip.ParseAddr(p.Status.PodIP)
		if err != nil || !cidr.Contains(ip) {
			return fmt.Errorf("pod IP %q not in the node's pod CIDR %s", p.Status.PodIP, cidr)
		}
		if p.Status.HostIP != n.Status.Addresses[0].Address {
			return fmt.Errorf("host IP %q, want the node's %s", p.Status.HostIP, n.Status.Addresses[0].Address)
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status != corev1.ConditionTrue {
				return fmt.Errorf("Ready %s", c.Status)
			}
		}
		if len(p.Status.ContainerStatuses) != 1 || p.Status.ContainerStatuses[0].State.Running == nil {
			return fmt.Errorf("container statuses %v", p.Status.ContainerStatuses)
		}
		return nil
	})

	// A graceful delete: the "kubelet" finishes it at once.
	if err := pods.Delete(context.Background(), "p", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "pod deleted", func(ctx context.Context) error {
		_, err := pods.Get(ctx, "p", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("pod still there (err %v)", err)
	})
}
