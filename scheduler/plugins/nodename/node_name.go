package nodename

import (
	"context"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubeshim/kubeshim/scheduler/framework"
)

const (
	// Name is the plugin's name in the registry.
	Name = "NodeName"
	// ErrReason is kube-scheduler's reason when the node is not the named one.
	ErrReason = "node(s) didn't match the requested node name"
)

// NodeName checks that a pod's spec.nodeName, if any, is the node.
type NodeName struct{}

var (
	_ framework.FilterPlugin      = &NodeName{}
	_ framework.EnqueueExtensions = &NodeName{}
)

// New builds the plugin.
func New(framework.Handle) (framework.Plugin, error) { return &NodeName{}, nil }

// Name returns the plugin's name.
func (*NodeName) Name() string { return Name }

// Filter rejects every node but the named one; preemption cannot change a
// name, so the rejection is unresolvable.
func (*NodeName) Filter(_ context.Context, _ *framework.CycleState, pod *corev1.Pod, node *framework.NodeInfo) *framework.Status {
	if !Fits(pod, node) {
		return framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReason)
	}
	return nil
}

// Fits reports whether pod may go to node.
func Fits(pod *corev1.Pod, node *framework.NodeInfo) bool {
	return pod.Spec.NodeName == "" || pod.Spec.NodeName == node.Node().Name
}

// EventsToRegister: only a new node can be the named one.
func (*NodeName) EventsToRegister(context.Context) []framework.ClusterEventWithHint {
	return []framework.ClusterEventWithHint{{Event: framework.ClusterEvent{Resource: framework.Node, ActionType: framework.Add}}}
}
