package simulated

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/apis/core"
)

// syncPod brings the pod key on one of the agent's nodes to Running, or
// finishes deleting it.
func (a *Agent) syncPod(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	pod, err := a.podLister.Pods(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	i, ours := a.index[pod.Spec.NodeName]
	if !ours {
		return nil
	}
	pods := a.cfg.Client.CoreV1().Pods(ns)
	if pod.DeletionTimestamp != nil {
		// Nothing to stop: the kubelet's final delete at once.
		a.ipam.release(string(pod.UID))
		err := pods.Delete(ctx, name, metav1.DeleteOptions{
			GracePeriodSeconds: ptr.To[int64](0),
			Preconditions:      metav1.NewUIDPreconditions(string(pod.UID)),
		})
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			return nil // gone, or a new pod of that name
		}
		if err == nil {
			klog.FromContext(ctx).V(4).Info("Deleted pod on a simulated node", "pod", klog.KObj(pod))
		}
		return err
	}
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		a.ipam.release(string(pod.UID))
		return nil
	}
	hostIP := nodeAddress(a.cfg.Prefix, i)
	podIP := hostIP
	if !pod.Spec.HostNetwork {
		node, err := a.nodeLister.Get(pod.Spec.NodeName)
		cidr := ""
		if err == nil {
			cidr = podCIDR(node)
		}
		if cidr == "" {
			// Re-checked after recording the wait, so that a CIDR
			// assigned in between is not missed.
			a.wait(pod.Spec.NodeName, key)
			if node, err := a.nodeLister.Get(pod.Spec.NodeName); err == nil && podCIDR(node) != "" {
				a.podQueue.Add(key)
			}
			return nil
		}
		podIP, err = a.podAddress(pod, cidr)
		if err != nil {
			return err
		}
	}
	status := runningStatus(pod, hostIP, podIP, metav1.NewTime(a.cfg.Clock.Now()))
	if apiequality.Semantic.DeepEqual(pod.Status, status) {
		return nil
	}
	updated := pod.DeepCopy()
	updated.Status = status
	_, err = pods.UpdateStatus(ctx, updated, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		a.ipam.release(string(pod.UID))
		return nil
	}
	if err != nil {
		// A conflict means a newer pod is on its way through the informer.
		return fmt.Errorf("update status of pod %s: %w", key, err)
	}
	return nil
}

// podAddress returns the pod's address in cidr: the one it reports, if that
// is still its own, else a new one.
func (a *Agent) podAddress(pod *corev1.Pod, cidr string) (netip.Addr, error) {
	uid := string(pod.UID)
	if pod.Status.PodIP != "" {
		if ip, err := parseAddr(pod.Status.PodIP); err == nil && a.ipam.reserve(pod.Spec.NodeName, cidr, uid, ip) {
			return ip, nil
		}
	}
	ip, err := a.ipam.allocate(pod.Spec.NodeName, cidr, uid)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("address for pod %s/%s on %s (%s): %w", pod.Namespace, pod.Name, pod.Spec.NodeName, cidr, err)
	}
	return ip, nil
}

func parseAddr(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, err
	}
	return a.Unmap(), nil
}

// runningStatus is the status of pod running on a simulated node at hostIP
// with podIP: every container running and ready, every init container
// completed (sidecars running), and the kubelet's conditions. What stays
// the same keeps its timestamps, so that computing it again for a pod
// already running gives the status it has.
func runningStatus(pod *corev1.Pod, hostIP, podIP netip.Addr, now metav1.Time) corev1.PodStatus {
	old := pod.Status
	s := corev1.PodStatus{
		Phase:                 corev1.PodRunning,
		NominatedNodeName:     old.NominatedNodeName,
		QOSClass:              core.QOSClass(pod),
		Resize:                old.Resize,
		ResourceClaimStatuses: old.ResourceClaimStatuses,
		ObservedGeneration:    pod.Generation,
		HostIP:                hostIP.String(),
		HostIPs:               []corev1.HostIP{{IP: hostIP.String()}},
		PodIP:                 podIP.String(),
		PodIPs:                []corev1.PodIP{{IP: podIP.String()}},
		StartTime:             old.StartTime,
	}
	if s.StartTime == nil {
		s.StartTime = &now
	}
	start := *s.StartTime
	for _, c := range pod.Spec.InitContainers {
		cs := containerStatus(pod, c, old.InitContainerStatuses, now)
		if c.RestartPolicy == nil || *c.RestartPolicy != corev1.ContainerRestartPolicyAlways {
			// A plain init container ran and completed.
			started := start
			if prev := find(old.InitContainerStatuses, c.Name); prev != nil && prev.State.Terminated != nil {
				started = prev.State.Terminated.StartedAt
			}
			cs.Ready, cs.Started = false, ptr.To(false)
			cs.State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
				ExitCode: 0, Reason: "Completed", StartedAt: started, FinishedAt: started,
				ContainerID: cs.ContainerID,
			}}
		}
		s.InitContainerStatuses = append(s.InitContainerStatuses, cs)
	}
	for _, c := range pod.Spec.Containers {
		s.ContainerStatuses = append(s.ContainerStatuses, containerStatus(pod, c, old.ContainerStatuses, now))
	}
	for _, ec := range pod.Spec.EphemeralContainers {
		cs := containerStatus(pod, corev1.Container(ec.EphemeralContainerCommon), old.EphemeralContainerStatuses, now)
		cs.Ready = false // ephemeral containers are never ready
		s.EphemeralContainerStatuses = append(s.EphemeralContainerStatuses, cs)
	}

	var conds []corev1.PodCondition
	set := func(t corev1.PodConditionType, ok bool, reason, message string) {
		c := corev1.PodCondition{Type: t, Status: corev1.ConditionTrue, ObservedGeneration: pod.Generation, LastTransitionTime: now}
		if !ok {
			c.Status, c.Reason, c.Message = corev1.ConditionFalse, reason, message
		}
		if prev := findCondition(old.Conditions, t); prev != nil && prev.Status == c.Status {
			c.LastTransitionTime = prev.LastTransitionTime
		}
		conds = append(conds, c)
	}
	set(corev1.PodReadyToStartContainers, true, "", "")
	set(corev1.PodInitialized, true, "", "")
	set(corev1.ContainersReady, true, "", "")
	var unmet []string
	for _, g := range pod.Spec.ReadinessGates {
		switch c := findCondition(old.Conditions, g.ConditionType); {
		case c == nil:
			unmet = append(unmet, fmt.Sprintf("corresponding condition of pod readiness gate %q does not exist.", g.ConditionType))
		case c.Status != corev1.ConditionTrue:
			unmet = append(unmet, fmt.Sprintf("the status of pod readiness gate %q is not \"True\", but %v", g.ConditionType, c.Status))
		}
	}
	set(corev1.PodReady, len(unmet) == 0, "ReadinessGatesNotReady", strings.Join(unmet, ", "))
	// Conditions the kubelet does not own (PodScheduled, readiness gates,
	// DisruptionTarget) are kept as they are, first.
	owned := map[corev1.PodConditionType]bool{}
	for _, c := range conds {
		owned[c.Type] = true
	}
	for _, c := range old.Conditions {
		if !owned[c.Type] {
			s.Conditions = append(s.Conditions, c)
		}
	}
	s.Conditions = append(s.Conditions, conds...)
	return s
}

// containerStatus is c running and ready since its earlier status said, or
// since now.
func containerStatus(pod *corev1.Pod, c corev1.Container, old []corev1.ContainerStatus, now metav1.Time) corev1.ContainerStatus {
	started := now
	restarts := int32(0)
	if prev := find(old, c.Name); prev != nil {
		restarts = prev.RestartCount
		if prev.State.Running != nil {
			started = prev.State.Running.StartedAt
		}
	}
	return corev1.ContainerStatus{
		Name:         c.Name,
		Image:        c.Image,
		ImageID:      c.Image,
		ContainerID:  fmt.Sprintf("%s://%s-%s", RuntimeType, pod.UID, c.Name),
		Ready:        true,
		Started:      ptr.To(true),
		RestartCount: restarts,
		State:        corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: started}},
	}
}

func find(statuses []corev1.ContainerStatus, name string) *corev1.ContainerStatus {
	for i := range statuses {
		if statuses[i].Name == name {
			return &statuses[i]
		}
	}
	return nil
}

func findCondition(conds []corev1.PodCondition, t corev1.PodConditionType) *corev1.PodCondition {
	for i := range conds {
		if conds[i].Type == t {
			return &conds[i]
		}
	}
	return nil
}
