package pods

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/kubeshim/kubeshim/nodeagent/network"
	"github.com/kubeshim/kubeshim/nodeagent/sysctl"
)

// Upstream's reason and message for a pod whose host ports are taken (the
// kubelet runs the scheduler's NodePorts filter on admission).
const (
	nodePortsReason  = "NodePorts"
	nodePortsMessage = "Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports"
)

// admit is the kubelet's pod admission, of which the agent has the sysctl
// check and the host port check: a pod the node refuses fails before
// anything of it is made, with the reason and message upstream gives (nil:
// the pod may run).
func (m *Manager) admit(pod *corev1.Pod) *rejection {
	if sc := pod.Spec.SecurityContext; sc != nil && len(sc.Sysctls) > 0 {
		// Sysctls is never nil: New defaults it to the safe ones.
		if msg := m.config.Sysctls.Admit(pod); msg != "" {
			return &rejection{reason: sysctl.ForbiddenReason, message: msg}
		}
	}
	if ports := hostPorts(pod); len(ports) > 0 {
		for _, obj := range m.informer.GetStore().List() {
			other, ok := obj.(*corev1.Pod)
			if !ok || !admittedBefore(other, pod) {
				continue
			}
			for _, p := range hostPorts(other) {
				if conflicts(ports, p) {
					return &rejection{reason: nodePortsReason, message: nodePortsMessage}
				}
			}
		}
	}
	return nil
}

// admittedBefore reports whether other is a pod the node took before pod
// and still runs: the kubelet admits pods in creation order, each against
// the active pods admitted before it. Terminal pods hold no ports.
func admittedBefore(other, pod *corev1.Pod) bool {
	if other.UID == pod.UID || other.Status.Phase == corev1.PodSucceeded || other.Status.Phase == corev1.PodFailed {
		return false
	}
	if !other.CreationTimestamp.Equal(&pod.CreationTimestamp) {
		return other.CreationTimestamp.Before(&pod.CreationTimestamp)
	}
	return other.Namespace+"/"+other.Name < pod.Namespace+"/"+pod.Name
}

// conflicts reports whether p is taken by one of ports: same host port and
// protocol on the same address, or on any address when either has none
// (0.0.0.0), as the scheduler's NodePorts filter decides.
func conflicts(ports []network.PortMapping, p network.PortMapping) bool {
	for _, q := range ports {
		if q.HostPort == p.HostPort && q.Protocol == p.Protocol && (anyIP(q.HostIP) || anyIP(p.HostIP) || q.HostIP == p.HostIP) {
			return true
		}
	}
	return false
}

func anyIP(ip string) bool { return ip == "" || ip == "0.0.0.0" }
