package nodeports

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/scheduler/framework"
)

const (
	// Name is the plugin's name in the registry.
	Name = "NodePorts"
	// ErrReason is kube-scheduler's reason when a host port is taken.
	ErrReason = "node(s) didn't have free ports for the requested pod ports"

	preFilterStateKey framework.StateKey = "PreFilter" + Name
)

// NodePorts checks host port conflicts.
type NodePorts struct{}

var (
	_ framework.PreFilterPlugin   = &NodePorts{}
	_ framework.FilterPlugin      = &NodePorts{}
	_ framework.EnqueueExtensions = &NodePorts{}
)

// New builds the plugin.
func New(framework.Handle) (framework.Plugin, error) { return &NodePorts{}, nil }

// Name returns the plugin's name.
func (*NodePorts) Name() string { return Name }

// PreFilter collects the pod's host ports; a pod without any skips Filter.
func (*NodePorts) PreFilter(_ context.Context, state *framework.CycleState, pod *corev1.Pod, _ []*framework.NodeInfo) (*framework.PreFilterResult, *framework.Status) {
	ports := framework.HostPorts(pod)
	if len(ports) == 0 {
		return nil, framework.NewStatus(framework.Skip)
	}
	state.Write(preFilterStateKey, ports)
	return nil, nil
}

// Filter rejects a node where a wanted port is bound. Evicting the pod that
// binds it would free it, so preemption may help: Unschedulable.
func (*NodePorts) Filter(_ context.Context, state *framework.CycleState, _ *corev1.Pod, node *framework.NodeInfo) *framework.Status {
	v, err := state.Read(preFilterStateKey)
	if err != nil {
		return framework.AsStatus(err)
	}
	if !Fits(v.([]corev1.ContainerPort), node.UsedPorts) {
		return framework.NewStatus(framework.Unschedulable, ErrReason)
	}
	return nil
}

// Fits reports whether none of want conflicts with used.
func Fits(want []corev1.ContainerPort, used framework.HostPortInfo) bool {
	for _, p := range want {
		if used.CheckConflict(p.HostIP, string(p.Protocol), p.HostPort) {
			return false
		}
	}
	return true
}

// EventsToRegister: a new node, or an assigned pod that bound one of the
// pod's ports going away.
func (*NodePorts) EventsToRegister(context.Context) []framework.ClusterEventWithHint {
	return []framework.ClusterEventWithHint{
		{Event: framework.ClusterEvent{Resource: framework.AssignedPod, ActionType: framework.Delete}, QueueingHintFn: isSchedulableAfterPodDeleted},
		{Event: framework.ClusterEvent{Resource: framework.Node, ActionType: framework.Add}},
	}
}

func isSchedulableAfterPodDeleted(_ klog.Logger, pod *corev1.Pod, oldObj, _ any) (framework.QueueingHint, error) {
	deleted, ok := oldObj.(*corev1.Pod)
	if !ok {
		return framework.Queue, fmt.Errorf("expected a pod, got %T", oldObj)
	}
	ports := framework.HostPorts(deleted)
	if len(ports) == 0 {
		return framework.QueueSkip, nil
	}
	freed := framework.HostPortInfo{}
	for _, p := range ports {
		freed.Add(p.HostIP, string(p.Protocol), p.HostPort)
	}
	if Fits(framework.HostPorts(pod), freed) {
		return framework.QueueSkip, nil
	}
	return framework.Queue, nil
}
