package controllers

import (
	"context"
	"fmt"
	"net"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/test/integration/framework"
)

// The node tests make nodes of their own, named after their namespace, and
// put them in a zone of their own: the node lifecycle controller's
// disruption checks count nodes by zone, and other tests' nodes must not
// change what these see. No agent runs here: the tests write the Leases
// and node status an agent would.

// nlNode creates a node whose agent last reported at heartbeat (Ready and
// no pressure, its Lease renewed then), and deletes both when the test
// ends. The Lease comes first, so that the controller never sees the node
// without it.
func nlNode(t *testing.T, client kubernetes.Interface, name, zone string, heartbeat time.Time) {
	t.Helper()
	ctx := context.Background()
	_, err := client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Create(ctx, &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To(name), LeaseDurationSeconds: ptr.To[int32](40),
			RenewTime: ptr.To(metav1.NewMicroTime(heartbeat))},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create lease %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Delete(context.Background(), name, metav1.DeleteOptions{})
	})
	hb := metav1.NewTime(heartbeat)
	_, err = client.CoreV1().Nodes().Create(ctx, &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{corev1.LabelTopologyZone: zone, corev1.LabelHostname: name}},
		Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{
			{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientMemory", LastHeartbeatTime: hb, LastTransitionTime: hb},
			{Type: corev1.NodeDiskPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasNoDiskPressure", LastHeartbeatTime: hb, LastTransitionTime: hb},
			{Type: corev1.NodePIDPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientPID", LastHeartbeatTime: hb, LastTransitionTime: hb},
			{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady", LastHeartbeatTime: hb, LastTransitionTime: hb},
		}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create node %s: %v", name, err)
	}
	t.Cleanup(func() { _ = client.CoreV1().Nodes().Delete(context.Background(), name, metav1.DeleteOptions{}) })
}

// nlRenew renews the node's Lease now.
func nlRenew(ctx context.Context, client kubernetes.Interface, name string) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		l, err := client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		l.Spec.RenewTime = ptr.To(metav1.NewMicroTime(time.Now()))
		_, err = client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Update(ctx, l, metav1.UpdateOptions{})
		return err
	})
}

// nlKeepAlive renews the node's Lease every two seconds until the test ends,
// as its agent would.
func nlKeepAlive(t *testing.T, client kubernetes.Interface, name string) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(2 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if err := nlRenew(ctx, client, name); err != nil && ctx.Err() == nil {
					t.Errorf("renew lease %s: %v", name, err)
				}
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

// nlPod creates a pod bound to node, marked Ready as its agent would.
func nlPod(t *testing.T, client kubernetes.Interface, ns, name, node string, tolerations ...corev1.Toleration) *corev1.Pod {
	t.Helper()
	ctx := context.Background()
	p, err := client.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PodSpec{NodeName: node, Tolerations: tolerations,
			Containers: []corev1.Container{{Name: "c", Image: "registry.k8s.io/pause:3.10"}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create pod %s: %v", name, err)
	}
	// No agent will finish them: force them out when the test ends.
	t.Cleanup(func() {
		_ = client.CoreV1().Pods(ns).Delete(context.Background(), name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)})
	})
	now := metav1.Now()
	p.Status.Phase = corev1.PodRunning
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now}}
	p, err = client.CoreV1().Pods(ns).UpdateStatus(ctx, p, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("mark pod %s ready: %v", name, err)
	}
	return p
}

// nlNodeSummary is "Type=Status/Reason" per condition and "key:Effect" per
// taint, sorted.
func nlNodeSummary(n *corev1.Node) string {
	var conds, taints []string
	for _, c := range n.Status.Conditions {
		conds = append(conds, fmt.Sprintf("%s=%s/%s", c.Type, c.Status, c.Reason))
	}
	for _, t := range n.Spec.Taints {
		taints = append(taints, t.Key+":"+string(t.Effect))
	}
	sort.Strings(conds)
	sort.Strings(taints)
	return fmt.Sprintf("conditions %v taints %v", conds, taints)
}

func nlPodCondition(p *corev1.Pod, t corev1.PodConditionType) *corev1.PodCondition {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == t {
			return &p.Status.Conditions[i]
		}
	}
	return nil
}

// nlEvents lists the messages of the events of reason about an object.
func nlEvents(ctx context.Context, client kubernetes.Interface, ns, name, reason string) []string {
	evs, err := client.CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=" + name + ",reason=" + reason})
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range evs.Items {
		out = append(out, e.Message)
	}
	return out
}

// TestNodeLifecycleUnreachable: a node whose Lease and status stopped long
// ago is marked Unknown and tainted unreachable; its pods are marked not
// ready; a pod that does not tolerate the taint is evicted with the
// DisruptionTarget condition, one that tolerates it for the default 300 s
// stays; when the node reports again, the taints go and the pending
// eviction is cancelled.
func TestNodeLifecycleUnreachable(t *testing.T) {
	ctx := context.Background()
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ns := framework.Namespace(t, client)
	healthy, silent := ns+"-healthy", ns+"-silent"

	nlNode(t, client, healthy, ns, time.Now())
	nlKeepAlive(t, client, healthy)

	// tolerationSeconds 0 is upstream's way to not tolerate a taint: the
	// DefaultTolerationSeconds admission plugin gives every pod that has
	// no toleration of its own a 300 s one.
	evicted := nlPod(t, client, ns, "evicted", silent, corev1.Toleration{
		Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](0)})
	tolerating := nlPod(t, client, ns, "tolerating", silent)
	wantDefaults := []corev1.Toleration{
		{Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](300)},
		{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](300)},
	}
	if diff := cmp.Diff(wantDefaults, tolerating.Spec.Tolerations); diff != "" {
		t.Errorf("tolerations of a pod without its own (-want +got):\n%s", diff)
	}
	if len(evicted.Spec.Tolerations) != 2 {
		t.Errorf("pod tolerating unreachable for 0 s has tolerations %+v, want its own and not-ready's default", evicted.Spec.Tolerations)
	}

	// Its agent last reported ten minutes ago, before the controller saw
	// it: it gets no fresh grace period.
	nlNode(t, client, silent, ns, time.Now().Add(-10*time.Minute))

	unknown := "conditions [DiskPressure=Unknown/NodeStatusUnknown MemoryPressure=Unknown/NodeStatusUnknown PIDPressure=Unknown/NodeStatusUnknown Ready=Unknown/NodeStatusUnknown] " +
		"taints [node.kubernetes.io/unreachable:NoExecute node.kubernetes.io/unreachable:NoSchedule]"
	eventually(t, "silent node unknown and unreachable", func(ctx context.Context) (string, bool) {
		n, err := client.CoreV1().Nodes().Get(ctx, silent, metav1.GetOptions{})
		if err != nil {
			return err.Error(), false
		}
		return nlNodeSummary(n), nlNodeSummary(n) == unknown
	})
	n, err := client.CoreV1().Nodes().Get(ctx, silent, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range n.Status.Conditions {
		if c.Message != "Kubelet stopped posting node status." {
			t.Errorf("condition %s message %q", c.Type, c.Message)
		}
	}
	for _, taint := range n.Spec.Taints {
		if taint.TimeAdded == nil {
			t.Errorf("taint %s:%s has no timeAdded", taint.Key, taint.Effect)
		}
	}

	eventually(t, "pod without toleration evicted", func(ctx context.Context) (string, bool) {
		p, err := client.CoreV1().Pods(ns).Get(ctx, "evicted", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return "gone before its condition was checked", false
		}
		if err != nil {
			return err.Error(), false
		}
		c := nlPodCondition(p, corev1.DisruptionTarget)
		return fmt.Sprintf("deletionTimestamp %v DisruptionTarget %+v", p.DeletionTimestamp, c),
			p.DeletionTimestamp != nil && c != nil && c.Status == corev1.ConditionTrue && c.Reason == "DeletionByTaintManager"
	})
	eventually(t, "eviction event", func(ctx context.Context) (string, bool) {
		evs := nlEvents(ctx, client, ns, "evicted", "TaintManagerEviction")
		return fmt.Sprintf("%q", evs), slices.Contains(evs, "Marking for deletion Pod "+ns+"/evicted")
	})
	eventually(t, "tolerating pod marked not ready", func(ctx context.Context) (string, bool) {
		p, err := client.CoreV1().Pods(ns).Get(ctx, "tolerating", metav1.GetOptions{})
		if err != nil {
			return err.Error(), false
		}
		c := nlPodCondition(p, corev1.PodReady)
		return fmt.Sprintf("Ready %+v", c), c != nil && c.Status == corev1.ConditionFalse
	})
	p, err := client.CoreV1().Pods(ns).Get(ctx, "tolerating", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.DeletionTimestamp != nil || nlPodCondition(p, corev1.DisruptionTarget) != nil {
		t.Errorf("tolerating pod is being deleted: deletionTimestamp %v conditions %+v", p.DeletionTimestamp, p.Status.Conditions)
	}
	if h, err := client.CoreV1().Nodes().Get(ctx, healthy, metav1.GetOptions{}); err != nil {
		t.Errorf("get healthy node: %v", err)
	} else if len(h.Spec.Taints) != 0 || readyStatus(h) != corev1.ConditionTrue {
		t.Errorf("healthy node: %s", nlNodeSummary(h))
	}

	// The agent comes back: it renews its Lease and posts Ready.
	if err := nlRenew(ctx, client, silent); err != nil {
		t.Fatal(err)
	}
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		n, err := client.CoreV1().Nodes().Get(ctx, silent, metav1.GetOptions{})
		if err != nil {
			return err
		}
		now := metav1.Now()
		for i := range n.Status.Conditions {
			c := &n.Status.Conditions[i]
			c.Status, c.Message, c.LastHeartbeatTime, c.LastTransitionTime = corev1.ConditionFalse, "", now, now
			c.Reason = map[corev1.NodeConditionType]string{corev1.NodeMemoryPressure: "KubeletHasSufficientMemory",
				corev1.NodeDiskPressure: "KubeletHasNoDiskPressure", corev1.NodePIDPressure: "KubeletHasSufficientPID", corev1.NodeReady: "KubeletReady"}[c.Type]
			if c.Type == corev1.NodeReady {
				c.Status = corev1.ConditionTrue
			}
		}
		_, err = client.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatalf("post Ready: %v", err)
	}
	eventually(t, "taints removed once the node is back", func(ctx context.Context) (string, bool) {
		n, err := client.CoreV1().Nodes().Get(ctx, silent, metav1.GetOptions{})
		if err != nil {
			return err.Error(), false
		}
		return nlNodeSummary(n), len(n.Spec.Taints) == 0
	})
	eventually(t, "eviction of the tolerating pod cancelled", func(ctx context.Context) (string, bool) {
		evs := nlEvents(ctx, client, ns, "tolerating", "TaintManagerEviction")
		return fmt.Sprintf("%q", evs), slices.Contains(evs, "Cancelling deletion of Pod "+ns+"/tolerating")
	})
	if p, err := client.CoreV1().Pods(ns).Get(ctx, "tolerating", metav1.GetOptions{}); err != nil {
		t.Errorf("get tolerating pod: %v", err)
	} else if p.DeletionTimestamp != nil {
		t.Errorf("tolerating pod deleted after recovery at %v", p.DeletionTimestamp)
	}
}

func readyStatus(n *corev1.Node) corev1.ConditionStatus {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status
		}
	}
	return ""
}

// TestNodeLifecycleUnschedulable: the node.kubernetes.io/unschedulable
// NoSchedule taint follows spec.unschedulable (kubectl cordon, uncordon).
func TestNodeLifecycleUnschedulable(t *testing.T) {
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ns := framework.Namespace(t, client)
	name := ns + "-cordoned"
	nlNode(t, client, name, ns, time.Now())
	nlKeepAlive(t, client, name)
	for _, cordon := range []bool{true, false} {
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			n, err := client.CoreV1().Nodes().Get(context.Background(), name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			n.Spec.Unschedulable = cordon
			_, err = client.CoreV1().Nodes().Update(context.Background(), n, metav1.UpdateOptions{})
			return err
		})
		if err != nil {
			t.Fatalf("set unschedulable %v: %v", cordon, err)
		}
		eventually(t, fmt.Sprintf("unschedulable taint with unschedulable=%v", cordon), func(ctx context.Context) (string, bool) {
			n, err := client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return err.Error(), false
			}
			has := slices.ContainsFunc(n.Spec.Taints, func(t corev1.Taint) bool {
				return t.Key == corev1.TaintNodeUnschedulable && t.Effect == corev1.TaintEffectNoSchedule
			})
			return nlNodeSummary(n), has == cordon && len(n.Spec.Taints) == map[bool]int{true: 1, false: 0}[cordon]
		})
	}
}

// TestNodeLifecycleIPAM: a node registered without a pod CIDR gets a /24
// of the cluster CIDR that no other node has.
func TestNodeLifecycleIPAM(t *testing.T) {
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ns := framework.Namespace(t, client)
	name := ns + "-ipam"
	nlNode(t, client, name, ns, time.Now())
	nlKeepAlive(t, client, name)
	var cidr string
	eventually(t, "pod CIDR assigned", func(ctx context.Context) (string, bool) {
		n, err := client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err.Error(), false
		}
		cidr = n.Spec.PodCIDR
		return fmt.Sprintf("podCIDR %q podCIDRs %v", n.Spec.PodCIDR, n.Spec.PodCIDRs), cidr != "" && slices.Equal(n.Spec.PodCIDRs, []string{cidr})
	})
	_, subnet, err := net.ParseCIDR(cidr)
	if err != nil {
		t.Fatalf("pod CIDR %q: %v", cidr, err)
	}
	if ones, _ := subnet.Mask.Size(); ones != 24 || !strings.HasPrefix(cidr, "10.244.") {
		t.Errorf("pod CIDR %s, want a /24 of 10.244.0.0/16", cidr)
	}
	nodes, err := client.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes.Items {
		if n.Name != name && n.Spec.PodCIDR == cidr {
			t.Errorf("node %s has the same pod CIDR %s", n.Name, cidr)
		}
	}
}
