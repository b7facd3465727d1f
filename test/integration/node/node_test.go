package node

import (
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/nodeagent/node"
)

// readiness is a Ready func the test switches.
type readiness struct {
	mu  sync.Mutex
	err error
}

func (r *readiness) set(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.err = err
}

func (r *readiness) Ready() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

const kubeletVersion = "v1.37.2+kubeshim.test"

// startAgent runs an agent for name until the test ends.
func startAgent(t *testing.T, client kubernetes.Interface, name string, ready *readiness, modify func(*node.Config)) *node.Agent {
	t.Helper()
	cfg := node.Config{
		Client:   client,
		NodeName: name,
		// A documentation address: nothing is ever sent to it.
		Addresses: []corev1.NodeAddress{
			{Type: corev1.NodeInternalIP, Address: "192.0.2.10"},
			{Type: corev1.NodeHostName, Address: name},
		},
		KubeletPort:           10250,
		RuntimeVersion:        "containerd://1.6.20",
		KubeletVersion:        kubeletVersion,
		DataDir:               t.TempDir(),
		Ready:                 ready.Ready,
		StatusUpdateFrequency: 200 * time.Millisecond,
		RenewInterval:         200 * time.Millisecond,
	}
	if modify != nil {
		modify(&cfg)
	}
	a, err := node.New(cfg)
	if err != nil {
		t.Fatalf("node.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("Run did not return after cancel")
		}
	})
	return a
}

func deleteNode(t *testing.T, client kubernetes.Interface, name string) {
	t.Cleanup(func() {
		ctx := context.Background()
		client.CoreV1().Nodes().Delete(ctx, name, metav1.DeleteOptions{})
		client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Delete(ctx, name, metav1.DeleteOptions{})
	})
}

// waitForReady waits until the node's Ready condition has the status.
func waitForReady(t *testing.T, client kubernetes.Interface, name string, status corev1.ConditionStatus) *corev1.Node {
	t.Helper()
	var n *corev1.Node
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		var err error
		n, err = client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady {
				return c.Status == status, nil
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("node %s Ready never %s; last: %+v", name, status, n)
	}
	return n
}

// table returns the server's `kubectl get nodes` row for the node, by
// column name.
func table(t *testing.T, client kubernetes.Interface, name string) map[string]any {
	t.Helper()
	raw, err := client.CoreV1().RESTClient().Get().Resource("nodes").Name(name).
		SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").DoRaw(context.Background())
	if err != nil {
		t.Fatalf("get node table: %v", err)
	}
	var tab metav1.Table
	if err := json.Unmarshal(raw, &tab); err != nil {
		t.Fatalf("decode table: %v", err)
	}
	if len(tab.Rows) != 1 {
		t.Fatalf("table has %d rows", len(tab.Rows))
	}
	row := map[string]any{}
	for i, c := range tab.ColumnDefinitions {
		row[c.Name] = tab.Rows[0].Cells[i]
	}
	return row
}

func TestRegisterReportAndRenew(t *testing.T) {
	ctx := context.Background()
	client := kubernetes.NewForConfigOrDie(server.Config)
	const name = "node-agent-it-1"
	deleteNode(t, client, name)
	ready := &readiness{}
	ready.set(errors.New("container runtime network not ready: cni config uninitialized"))
	startAgent(t, client, name, ready, func(c *node.Config) {
		c.Labels = map[string]string{"kubeshim.io/test": "yes"}
		c.Taints = []corev1.Taint{{Key: "kubeshim.io/test", Effect: corev1.TaintEffectNoSchedule}}
	})

	n := waitForReady(t, client, name, corev1.ConditionFalse)
	if got := table(t, client, name)["Status"]; got != "NotReady" {
		t.Errorf("STATUS = %v, want NotReady", got)
	}
	ready.set(nil)
	n = waitForReady(t, client, name, corev1.ConditionTrue)

	// What `kubectl get nodes -o wide` and `kubectl describe node` show.
	wantLabels := map[string]string{
		"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "beta.kubernetes.io/os": "linux",
		"kubernetes.io/arch": runtime.GOARCH, "beta.kubernetes.io/arch": runtime.GOARCH, "kubeshim.io/test": "yes",
	}
	if diff := cmp.Diff(wantLabels, n.Labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	// The node was created with TaintNodesByCondition's not-ready taint
	// too; the node lifecycle controller takes it off once it is Ready.
	wantTaints := []corev1.Taint{{Key: "kubeshim.io/test", Effect: corev1.TaintEffectNoSchedule}}
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		got, err := client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		n = got
		return cmp.Equal(wantTaints, n.Spec.Taints), nil
	})
	if diff := cmp.Diff(wantTaints, n.Spec.Taints); err != nil || diff != "" {
		t.Errorf("taints once Ready (-want +got):\n%s", diff)
	}
	info := n.Status.NodeInfo
	if info.KubeletVersion != kubeletVersion || info.ContainerRuntimeVersion != "containerd://1.6.20" ||
		info.OperatingSystem != "linux" || info.Architecture != runtime.GOARCH ||
		info.KernelVersion == "" || info.OSImage == "" || info.BootID == "" {
		t.Errorf("nodeInfo = %+v", info)
	}
	if cpu := n.Status.Capacity.Cpu().Value(); cpu != int64(runtime.NumCPU()) {
		t.Errorf("cpu capacity %d, want %d", cpu, runtime.NumCPU())
	}
	for _, r := range []corev1.ResourceName{"memory", "ephemeral-storage", "pods"} {
		if q, ok := n.Status.Allocatable[r]; !ok || q.Sign() <= 0 {
			t.Errorf("allocatable %s = %v", r, q)
		}
	}
	var types []corev1.NodeConditionType
	for _, c := range n.Status.Conditions {
		types = append(types, c.Type)
	}
	if diff := cmp.Diff([]corev1.NodeConditionType{"MemoryPressure", "DiskPressure", "PIDPressure", "Ready"}, types); diff != "" {
		t.Errorf("conditions (-want +got):\n%s", diff)
	}
	if n.Status.DaemonEndpoints.KubeletEndpoint.Port != 10250 {
		t.Errorf("kubelet port %d", n.Status.DaemonEndpoints.KubeletEndpoint.Port)
	}
	row := table(t, client, name)
	if row["Status"] != "Ready" || row["Version"] != kubeletVersion {
		t.Errorf("kubectl row = %v", row)
	}
	if kubectl, err := exec.LookPath("kubectl"); err != nil {
		t.Logf("kubectl not found, skipping its output check: %v", err)
	} else {
		out, err := exec.Command(kubectl, "--kubeconfig", server.Kubeconfig, "get", "node", name, "-o", "wide", "--no-headers").CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl get node: %v\n%s", err, out)
		}
		fields := strings.Fields(string(out))
		// NAME STATUS ROLES AGE VERSION INTERNAL-IP EXTERNAL-IP OS-IMAGE...
		// KERNEL-VERSION (ARCH) CONTAINER-RUNTIME
		if len(fields) < 11 || fields[0] != name || fields[1] != "Ready" || fields[2] != "<none>" ||
			fields[4] != kubeletVersion || fields[5] != "192.0.2.10" || fields[6] != "<none>" ||
			fields[len(fields)-1] != "containerd://1.6.20" || fields[len(fields)-2] != "("+runtime.GOARCH+")" ||
			fields[len(fields)-3] != info.KernelVersion {
			t.Errorf("kubectl get node -o wide:\n%s", out)
		}
	}

	// The lease: held by the node, owned by it, renewed every 200ms.
	leases := client.CoordinationV1().Leases(corev1.NamespaceNodeLease)
	first, err := leases.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get lease: %v", err)
	}
	if ptr.Deref(first.Spec.HolderIdentity, "") != name || ptr.Deref(first.Spec.LeaseDurationSeconds, 0) != 40 {
		t.Errorf("lease spec = %+v", first.Spec)
	}
	wantOwner := []metav1.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: name, UID: n.UID}}
	if diff := cmp.Diff(wantOwner, first.OwnerReferences); diff != "" {
		t.Errorf("lease owner (-want +got):\n%s", diff)
	}
	err = wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 10*time.Second, false, func(ctx context.Context) (bool, error) {
		l, err := leases.Get(ctx, name, metav1.GetOptions{})
		return err == nil && l.Spec.RenewTime.After(first.Spec.RenewTime.Time), nil
	})
	if err != nil {
		t.Errorf("lease not renewed after %v", first.Spec.RenewTime)
	}

	// NotReady again: the condition carries the Ready error.
	ready.set(errors.New("container runtime is down"))
	n = waitForReady(t, client, name, corev1.ConditionFalse)
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady && (c.Reason != "KubeletNotReady" || c.Message != "container runtime is down") {
			t.Errorf("Ready condition = %+v", c)
		}
	}

	// Events, as `kubectl describe node` finds them: by the node's UID.
	want := map[string]bool{"Starting": true, "NodeHasSufficientMemory": true, "NodeHasNoDiskPressure": true,
		"NodeHasSufficientPID": true, "NodeReady": true, "NodeNotReady": true}
	var last []string
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		evs, err := client.CoreV1().Events(metav1.NamespaceDefault).List(ctx, metav1.ListOptions{
			FieldSelector: "involvedObject.kind=Node,involvedObject.name=" + name + ",involvedObject.uid=" + string(n.UID),
		})
		if err != nil {
			return false, nil
		}
		last = nil
		seen := map[string]bool{}
		for _, e := range evs.Items {
			if e.Source.Component == "kubelet" && e.Source.Host == name {
				seen[e.Reason] = true
				last = append(last, e.Reason)
			}
		}
		for r := range want {
			if !seen[r] {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		t.Errorf("node events = %v, want all of %v", last, want)
	}
}

func TestAdoptSetsPodCIDR(t *testing.T) {
	ctx := context.Background()
	client := kubernetes.NewForConfigOrDie(server.Config)
	const name = "node-agent-it-2"
	deleteNode(t, client, name)
	// A node registered before, by hand, without a pod CIDR and with a stale
	// hostname label.
	_, err := client.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{
		Name: name, Labels: map[string]string{"kubernetes.io/hostname": "old", "team": "kept"},
	}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create node: %v", err)
	}
	a := startAgent(t, client, name, &readiness{}, func(c *node.Config) { c.PodCIDR = "10.244.5.0/24" })
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cidr, err := a.WaitForPodCIDR(wctx)
	if err != nil || !strings.HasPrefix(cidr, "10.244.") {
		t.Fatalf("WaitForPodCIDR = %q, %v", cidr, err)
	}
	// The node gets one pod CIDR and the agent uses it: its own
	// --pod-cidr, or the one node IPAM gave the node first.
	n := waitForReady(t, client, name, corev1.ConditionTrue)
	if diff := cmp.Diff([]string{cidr}, n.Spec.PodCIDRs); diff != "" {
		t.Errorf("podCIDRs (-want +got):\n%s", diff)
	}
	if n.Labels["kubernetes.io/hostname"] != name || n.Labels["team"] != "kept" {
		t.Errorf("labels = %v", n.Labels)
	}
}
