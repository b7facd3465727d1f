package pods

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/kubeshim/kubeshim/nodeagent/sysctl"
)

// admit is the kubelet's pod admission, of which the agent has the sysctl
// check: a pod the node refuses fails before anything of it is made, with
// the reason and message upstream gives (nil: the pod may run).
func (m *Manager) admit(pod *corev1.Pod) *rejection {
	if sc := pod.Spec.SecurityContext; sc != nil && len(sc.Sysctls) > 0 {
		// Sysctls is never nil: New defaults it to the safe ones.
		if msg := m.config.Sysctls.Admit(pod); msg != "" {
			return &rejection{reason: sysctl.ForbiddenReason, message: msg}
		}
	}
	return nil
}
