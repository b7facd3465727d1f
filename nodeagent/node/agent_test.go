package node

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
)

func getNode(t *testing.T, client *fake.Clientset) *corev1.Node {
	t.Helper()
	n, err := client.CoreV1().Nodes().Get(context.Background(), "n1", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get node: %v", err)
	}
	n.ManagedFields = nil // the fake tracks them; the tests do not
	return n
}

// writes lists the verbs and subresources of the writes to nodes.
func writes(client *fake.Clientset) []string {
	var out []string
	for _, a := range client.Actions() {
		if a.GetResource().Resource != "nodes" || a.GetVerb() == "get" || a.GetVerb() == "list" || a.GetVerb() == "watch" {
			continue
		}
		out = append(out, a.GetVerb()+"/"+a.GetSubresource())
	}
	return out
}

func TestRegisterCreates(t *testing.T) {
	client := fake.NewClientset()
	ta := newTestAgent(t, client, func(c *Config) {
		c.PodCIDR = "10.244.3.0/24"
		c.Labels = map[string]string{"team": "a", corev1.LabelHostname: "override"}
		c.Taints = []corev1.Taint{{Key: "dedicated", Value: "x", Effect: corev1.TaintEffectNoSchedule}}
	})
	if err := ta.tryRegister(context.Background()); err != nil {
		t.Fatalf("tryRegister: %v", err)
	}
	n := getNode(t, client)
	wantMeta := metav1.ObjectMeta{
		Name: "n1",
		Labels: map[string]string{
			"kubernetes.io/hostname": "override",
			"kubernetes.io/os":       "linux", "beta.kubernetes.io/os": "linux",
			"kubernetes.io/arch": runtime.GOARCH, "beta.kubernetes.io/arch": runtime.GOARCH,
			"team": "a",
		},
		Annotations: map[string]string{"volumes.kubernetes.io/controller-managed-attach-detach": "true"},
	}
	if diff := cmp.Diff(wantMeta, n.ObjectMeta); diff != "" {
		t.Errorf("metadata (-want +got):\n%s", diff)
	}
	wantSpec := corev1.NodeSpec{
		PodCIDR:  "10.244.3.0/24",
		PodCIDRs: []string{"10.244.3.0/24"},
		Taints:   []corev1.Taint{{Key: "dedicated", Value: "x", Effect: corev1.TaintEffectNoSchedule}},
	}
	if diff := cmp.Diff(wantSpec, n.Spec); diff != "" {
		t.Errorf("spec (-want +got):\n%s", diff)
	}
	if c := readyCondition(&n.Status); c == nil || c.Status != corev1.ConditionTrue {
		t.Errorf("created node's Ready condition = %+v, want True", c)
	}
	if got := ta.PodCIDR(); got != "10.244.3.0/24" {
		t.Errorf("PodCIDR() = %q", got)
	}
	if got := len(ta.events()); got != 3 {
		t.Errorf("registration recorded %d events, want the 3 pressure conditions'", got)
	}
}

func TestRegisterAdopts(t *testing.T) {
	tests := []struct {
		name      string
		existing  corev1.Node
		podCIDR   string
		wantMeta  metav1.ObjectMeta
		wantCIDRs []string
		wantWrite []string
	}{
		{
			name: "stale default labels, no pod CIDR",
			existing: corev1.Node{
				ObjectMeta: metav1.ObjectMeta{Name: "n1", Labels: map[string]string{
					"kubernetes.io/hostname": "old", "kubernetes.io/os": "windows", "user": "kept",
				}},
			},
			podCIDR: "10.244.1.0/24",
			wantMeta: metav1.ObjectMeta{Name: "n1", Labels: map[string]string{
				"kubernetes.io/hostname": "host-1", "kubernetes.io/os": "linux", "beta.kubernetes.io/os": "linux",
				"kubernetes.io/arch": runtime.GOARCH, "beta.kubernetes.io/arch": runtime.GOARCH, "user": "kept",
			}, Annotations: map[string]string{"volumes.kubernetes.io/controller-managed-attach-detach": "true"}},
			wantCIDRs: []string{"10.244.1.0/24"},
			wantWrite: []string{"create/", "update/"},
		},
		{
			name: "assigned pod CIDR is kept",
			existing: corev1.Node{
				ObjectMeta: metav1.ObjectMeta{Name: "n1", Labels: map[string]string{
					"kubernetes.io/hostname": "host-1", "kubernetes.io/os": "linux", "beta.kubernetes.io/os": "linux",
					"kubernetes.io/arch": runtime.GOARCH, "beta.kubernetes.io/arch": runtime.GOARCH,
				}, Annotations: map[string]string{"volumes.kubernetes.io/controller-managed-attach-detach": "true"}},
				Spec: corev1.NodeSpec{PodCIDR: "10.244.9.0/24", PodCIDRs: []string{"10.244.9.0/24"}},
			},
			podCIDR: "10.244.1.0/24",
			wantMeta: metav1.ObjectMeta{Name: "n1", Labels: map[string]string{
				"kubernetes.io/hostname": "host-1", "kubernetes.io/os": "linux", "beta.kubernetes.io/os": "linux",
				"kubernetes.io/arch": runtime.GOARCH, "beta.kubernetes.io/arch": runtime.GOARCH,
			}, Annotations: map[string]string{"volumes.kubernetes.io/controller-managed-attach-detach": "true"}},
			wantCIDRs: []string{"10.244.9.0/24"},
			wantWrite: []string{"create/"}, // nothing to reconcile
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := fake.NewClientset(tt.existing.DeepCopy())
			ta := newTestAgent(t, client, func(c *Config) { c.PodCIDR = tt.podCIDR })
			if err := ta.tryRegister(context.Background()); err != nil {
				t.Fatalf("tryRegister: %v", err)
			}
			n := getNode(t, client)
			if diff := cmp.Diff(tt.wantMeta, n.ObjectMeta); diff != "" {
				t.Errorf("metadata (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantCIDRs, n.Spec.PodCIDRs); diff != "" {
				t.Errorf("podCIDRs (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantWrite, writes(client)); diff != "" {
				t.Errorf("writes (-want +got):\n%s", diff)
			}
			if got := ta.PodCIDR(); got != tt.wantCIDRs[0] {
				t.Errorf("PodCIDR() = %q, want %q", got, tt.wantCIDRs[0])
			}
			// The first status sync fills in the adopted node's status.
			if err := ta.syncStatus(context.Background()); err != nil {
				t.Fatalf("syncStatus: %v", err)
			}
			if n := getNode(t, client); readyCondition(&n.Status) == nil || n.Status.NodeInfo.KubeletVersion != "v1.37.2+kubeshim.test" {
				t.Errorf("adopted node's status not written: %+v", n.Status)
			}
		})
	}
}

func TestRegisterRetriesUntilCreated(t *testing.T) {
	client := fake.NewClientset()
	var fails atomic.Int32
	fails.Store(2)
	client.PrependReactor("create", "nodes", func(clienttesting.Action) (bool, k8sruntime.Object, error) {
		if fails.Add(-1) >= 0 {
			return true, nil, errors.New("connection refused")
		}
		return false, nil, nil
	})
	ta := newTestAgent(t, client, nil)
	done := make(chan bool)
	go func() { done <- ta.register(context.Background()) }()
	// Backoff: 100ms, then 200ms.
	for _, d := range []time.Duration{100 * time.Millisecond, 200 * time.Millisecond} {
		waitForWaiter(t, ta)
		ta.clock.Step(d)
	}
	select {
	case ok := <-done:
		if !ok {
			t.Fatal("register gave up")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("register did not return")
	}
	getNode(t, client)
}

func waitForWaiter(t *testing.T, ta *testAgent) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ta.clock.HasWaiters() {
		if time.Now().After(deadline) {
			t.Fatal("nothing waits on the clock")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestSyncStatusWritesOnlyWhenNeeded(t *testing.T) {
	client := fake.NewClientset()
	ta := newTestAgent(t, client, nil)
	ctx := context.Background()
	if err := ta.tryRegister(ctx); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name      string
		advance   time.Duration
		change    func()
		wantWrite bool
	}{
		{name: "unchanged right after create", advance: 10 * time.Second},
		{name: "unchanged before the report period", advance: 4*time.Minute + 40*time.Second},
		{name: "report period passed", advance: 10 * time.Second, wantWrite: true},
		{name: "unchanged again", advance: 10 * time.Second},
		{name: "not ready", advance: 10 * time.Second, change: func() { ta.ready.err = errors.New("runtime down") }, wantWrite: true},
		{name: "capacity changed", advance: 10 * time.Second, change: func() { ta.host.machine.NumCPU = 8 }, wantWrite: true},
		{name: "unchanged once more", advance: 10 * time.Second},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			ta.clock.Step(step.advance)
			if step.change != nil {
				step.change()
			}
			client.ClearActions()
			if err := ta.syncStatus(ctx); err != nil {
				t.Fatalf("syncStatus: %v", err)
			}
			var want []string
			if step.wantWrite {
				want = []string{"update/status"}
			}
			if diff := cmp.Diff(want, writes(client)); diff != "" {
				t.Errorf("writes (-want +got):\n%s", diff)
			}
			if step.wantWrite {
				n := getNode(t, client)
				if hb := readyCondition(&n.Status).LastHeartbeatTime; !hb.Time.Equal(ta.clock.Now()) {
					t.Errorf("heartbeat %v, want %v", hb, ta.clock.Now())
				}
			}
		})
	}
}

func TestSyncStatusRetriesConflicts(t *testing.T) {
	client := fake.NewClientset()
	ta := newTestAgent(t, client, nil)
	ctx := context.Background()
	if err := ta.tryRegister(ctx); err != nil {
		t.Fatal(err)
	}
	conflicts := 2
	client.PrependReactor("update", "nodes", func(a clienttesting.Action) (bool, k8sruntime.Object, error) {
		if a.GetSubresource() == "status" && conflicts > 0 {
			conflicts--
			return true, nil, apierrors.NewConflict(schema.GroupResource{Resource: "nodes"}, "n1", errors.New("stale"))
		}
		return false, nil, nil
	})
	ta.ready.err = errors.New("runtime down")
	client.ClearActions()
	if err := ta.syncStatus(ctx); err != nil {
		t.Fatalf("syncStatus: %v", err)
	}
	if diff := cmp.Diff([]string{"update/status", "update/status", "update/status"}, writes(client)); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	if c := readyCondition(&getNode(t, client).Status); c.Status != corev1.ConditionFalse {
		t.Errorf("Ready = %s, want False", c.Status)
	}
	// The NotReady event is recorded once, after the write that succeeded.
	if diff := cmp.Diff([]string{"Normal NodeNotReady Node n1 status is now: NodeNotReady"}, ta.events()[3:]); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

func TestSyncStatusFollowsAssignedPodCIDR(t *testing.T) {
	client := fake.NewClientset()
	ta := newTestAgent(t, client, nil)
	ctx := context.Background()
	if err := ta.tryRegister(ctx); err != nil {
		t.Fatal(err)
	}
	if got := ta.PodCIDR(); got != "" {
		t.Fatalf("PodCIDR() before assignment = %q", got)
	}
	waited := make(chan string)
	go func() {
		cidr, _ := ta.WaitForPodCIDR(ctx)
		waited <- cidr
	}()
	// The node IPAM controller assigns one.
	n := getNode(t, client)
	n.Spec.PodCIDR, n.Spec.PodCIDRs = "10.244.7.0/24", []string{"10.244.7.0/24"}
	if _, err := client.CoreV1().Nodes().Update(ctx, n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := ta.syncStatus(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-waited:
		if got != "10.244.7.0/24" {
			t.Errorf("WaitForPodCIDR = %q", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("WaitForPodCIDR did not return")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if got, err := ta.WaitForPodCIDR(cctx); err != nil || got != "10.244.7.0/24" {
		t.Errorf("WaitForPodCIDR once known = %q, %v", got, err)
	}
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Config)
	}{
		{"no client", func(c *Config) { c.Client = nil }},
		{"no name", func(c *Config) { c.NodeName = "" }},
		{"no data dir", func(c *Config) { c.DataDir = "" }},
		{"bad pod CIDR", func(c *Config) { c.PodCIDR = "10.244.0.0" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{Client: fake.NewClientset(), NodeName: "n1", DataDir: "/data",
				Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "192.0.2.1"}}}
			tt.modify(&cfg)
			if _, err := New(cfg); err == nil {
				t.Error("New succeeded")
			}
		})
	}
}
