package simulated

import (
	"context"
	"fmt"
	"runtime"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"k8s.io/klog/v2"
)

// Condition reasons and messages, as upstream kubelet's.
const (
	reasonKubeletReady = "KubeletReady"
	messageReady       = "kubelet is posting ready status"
)

// pressureConditions are reported False, with upstream's reasons and messages.
var pressureConditions = []struct {
	t               corev1.NodeConditionType
	reason, message string
}{
	{corev1.NodeMemoryPressure, "KubeletHasSufficientMemory", "kubelet has sufficient memory available"},
	{corev1.NodeDiskPressure, "KubeletHasNoDiskPressure", "kubelet has no disk pressure"},
	{corev1.NodePIDPressure, "KubeletHasSufficientPID", "kubelet has sufficient PID available"},
}

// newNode is node i as the agent registers it.
func (a *Agent) newNode(i int) *corev1.Node {
	name := nodeName(a.cfg.Prefix, i)
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name: name,
			Labels: map[string]string{
				corev1.LabelHostname:      name,
				corev1.LabelOSStable:      runtime.GOOS,
				corev1.LabelArchStable:    runtime.GOARCH,
				"beta.kubernetes.io/os":   runtime.GOOS,
				"beta.kubernetes.io/arch": runtime.GOARCH,
				LabelSimulated:            "true",
			},
			Annotations: map[string]string{"volumes.kubernetes.io/controller-managed-attach-detach": "true"},
		},
	}
	a.setStatus(node, i)
	return node
}

// setStatus overwrites what the agent owns of node i's status: conditions
// of other types (set by other writers) are kept, and a condition keeps its
// lastTransitionTime while its status stays.
func (a *Agent) setStatus(node *corev1.Node, i int) {
	s := &node.Status
	old := s.DeepCopy()
	now := metav1.NewTime(a.cfg.Clock.Now())
	res := corev1.ResourceList{
		corev1.ResourceCPU:              a.cfg.CPU.DeepCopy(),
		corev1.ResourceMemory:           a.cfg.Memory.DeepCopy(),
		corev1.ResourceEphemeralStorage: a.cfg.EphemeralStorage.DeepCopy(),
		corev1.ResourcePods:             *resource.NewQuantity(int64(a.cfg.MaxPods), resource.DecimalSI),
	}
	s.Capacity = res
	s.Allocatable = res.DeepCopy()
	s.Addresses = []corev1.NodeAddress{
		{Type: corev1.NodeInternalIP, Address: nodeAddress(a.cfg.Prefix, i).String()},
		{Type: corev1.NodeHostName, Address: node.Name},
	}
	s.DaemonEndpoints.KubeletEndpoint.Port = DefaultKubeletPort
	s.NodeInfo = corev1.NodeSystemInfo{
		MachineID:               old.NodeInfo.MachineID,
		SystemUUID:              old.NodeInfo.SystemUUID,
		BootID:                  old.NodeInfo.BootID,
		OSImage:                 "kubeshim simulated node",
		ContainerRuntimeVersion: RuntimeType + "://" + a.cfg.KubeletVersion,
		KubeletVersion:          a.cfg.KubeletVersion,
		OperatingSystem:         runtime.GOOS,
		Architecture:            runtime.GOARCH,
	}
	s.Phase = ""
	set := func(t corev1.NodeConditionType, status corev1.ConditionStatus, reason, message string) {
		c := corev1.NodeCondition{Type: t, Status: status, Reason: reason, Message: message, LastHeartbeatTime: now, LastTransitionTime: now}
		for j := range s.Conditions {
			if s.Conditions[j].Type != t {
				continue
			}
			o := s.Conditions[j]
			if o.Status == status {
				c.LastTransitionTime = o.LastTransitionTime
			}
			s.Conditions[j] = c
			return
		}
		s.Conditions = append(s.Conditions, c)
	}
	for _, p := range pressureConditions {
		set(p.t, corev1.ConditionFalse, p.reason, p.message)
	}
	set(corev1.NodeReady, corev1.ConditionTrue, reasonKubeletReady, messageReady)
}

// register creates node i, or takes over the node of that name that an
// earlier run left (rewriting its status as a restarted kubelet does), and
// creates or renews its Lease. It returns the registered node.
func (a *Agent) register(ctx context.Context, i int) (*corev1.Node, error) {
	nodes := a.cfg.Client.CoreV1().Nodes()
	node, err := nodes.Create(ctx, a.newNode(i), metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		node, err = a.adopt(ctx, i)
	}
	if err != nil {
		return nil, fmt.Errorf("register node %s: %w", nodeName(a.cfg.Prefix, i), err)
	}
	if err := a.renewLease(ctx, node.Name, node.UID); err != nil {
		return nil, err
	}
	return node, nil
}

// adopt brings the existing node i in line: the simulated label, and the
// status.
func (a *Agent) adopt(ctx context.Context, i int) (*corev1.Node, error) {
	nodes := a.cfg.Client.CoreV1().Nodes()
	name := nodeName(a.cfg.Prefix, i)
	var node *corev1.Node
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := nodes.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if cur.Labels[LabelSimulated] != "true" {
			cur = cur.DeepCopy()
			if cur.Labels == nil {
				cur.Labels = map[string]string{}
			}
			cur.Labels[LabelSimulated] = "true"
			if cur, err = nodes.Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
				return err
			}
		}
		cur = cur.DeepCopy()
		a.setStatus(cur, i)
		node, err = nodes.UpdateStatus(ctx, cur, metav1.UpdateOptions{})
		return err
	})
	return node, err
}

// syncNode writes node name's status again when its Ready condition is not
// True: the node lifecycle controller set it Unknown while the agent was
// away, or the node's status was otherwise changed under it.
func (a *Agent) syncNode(ctx context.Context, name string) error {
	i, ok := a.index[name]
	if !ok {
		return nil
	}
	node, err := a.nodeLister.Get(name)
	if apierrors.IsNotFound(err) {
		// Deleted: as upstream kubelet, the agent does not register it
		// again until it restarts, and stops renewing its lease.
		return nil
	}
	if err != nil {
		return err
	}
	if !needsStatus(node) {
		return nil
	}
	updated := node.DeepCopy()
	a.setStatus(updated, i)
	_, err = a.cfg.Client.CoreV1().Nodes().UpdateStatus(ctx, updated, metav1.UpdateOptions{})
	if err == nil {
		klog.FromContext(ctx).V(2).Info("Reported simulated node Ready again", "node", name)
	}
	return err
}

// needsStatus reports whether node's Ready condition is other than True.
func needsStatus(node *corev1.Node) bool {
	for _, c := range node.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status != corev1.ConditionTrue
		}
	}
	return true
}

// podCIDR is node's first pod CIDR, or "".
func podCIDR(node *corev1.Node) string {
	if node.Spec.PodCIDR != "" {
		return node.Spec.PodCIDR
	}
	if len(node.Spec.PodCIDRs) > 0 {
		return node.Spec.PodCIDRs[0]
	}
	return ""
}
