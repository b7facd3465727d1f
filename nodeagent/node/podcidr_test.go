package node

import (
	"context"
	"errors"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

// TestRunPicksUpAssignedPodCIDR: an agent without a pod CIDR of its own,
// not Ready until it has one, learns the one the node IPAM controller
// assigns within a poll interval rather than at the next full status
// update.
func TestRunPicksUpAssignedPodCIDR(t *testing.T) {
	client := fake.NewClientset()
	ta := newTestAgent(t, client, nil)
	ta.ready.err = errors.New("container runtime network not ready: no pod CIDR")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ta.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	deadline := time.Now().Add(10 * time.Second)
	for ta.clock.Waiters() < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("%d waiters on the clock, want 2 (status and lease loops)", ta.clock.Waiters())
		}
		time.Sleep(time.Millisecond)
	}

	n := getNode(t, client)
	n.Spec.PodCIDR, n.Spec.PodCIDRs = "10.244.0.0/24", []string{"10.244.0.0/24"}
	if _, err := client.CoreV1().Nodes().Update(ctx, n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	ta.clock.Step(readyPollInterval)
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if cidr, err := ta.WaitForPodCIDR(wctx); err != nil || cidr != "10.244.0.0/24" {
		t.Errorf("WaitForPodCIDR after one poll = %q, %v; want 10.244.0.0/24", cidr, err)
	}
}
