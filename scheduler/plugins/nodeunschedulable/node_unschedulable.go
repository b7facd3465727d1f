package nodeunschedulable

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/scheduler/framework"
)

const (
	// Name is the plugin's name in the registry.
	Name = "NodeUnschedulable"
	// ErrReasonUnschedulable is kube-scheduler's reason for a cordoned node.
	ErrReasonUnschedulable = "node(s) were unschedulable"
)

// NodeUnschedulable keeps pods off cordoned nodes.
type NodeUnschedulable struct{}

var (
	_ framework.FilterPlugin      = &NodeUnschedulable{}
	_ framework.EnqueueExtensions = &NodeUnschedulable{}
)

// New builds the plugin.
func New(framework.Handle) (framework.Plugin, error) { return &NodeUnschedulable{}, nil }

// Name returns the plugin's name.
func (*NodeUnschedulable) Name() string { return Name }

var unschedulableTaint = corev1.Taint{Key: corev1.TaintNodeUnschedulable, Effect: corev1.TaintEffectNoSchedule}

// Filter rejects a cordoned node unless the pod tolerates it.
func (*NodeUnschedulable) Filter(ctx context.Context, _ *framework.CycleState, pod *corev1.Pod, node *framework.NodeInfo) *framework.Status {
	if !node.Node().Spec.Unschedulable || tolerates(klog.FromContext(ctx), pod) {
		return nil
	}
	return framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonUnschedulable)
}

func tolerates(logger klog.Logger, pod *corev1.Pod) bool {
	for i := range pod.Spec.Tolerations {
		// Comparison operators (Gt, Lt) are alpha and off in 1.37.
		if pod.Spec.Tolerations[i].ToleratesTaint(logger, &unschedulableTaint, false) {
			return true
		}
	}
	return false
}

// EventsToRegister: a new schedulable node, or a node uncordoned (which
// kube-scheduler reports as a taint change).
func (*NodeUnschedulable) EventsToRegister(context.Context) []framework.ClusterEventWithHint {
	return []framework.ClusterEventWithHint{{
		Event:          framework.ClusterEvent{Resource: framework.Node, ActionType: framework.Add | framework.UpdateNodeTaint},
		QueueingHintFn: isSchedulableAfterNodeChange,
	}}
}

func isSchedulableAfterNodeChange(_ klog.Logger, _ *corev1.Pod, oldObj, newObj any) (framework.QueueingHint, error) {
	modified, ok := newObj.(*corev1.Node)
	if !ok {
		return framework.Queue, fmt.Errorf("expected a node, got %T", newObj)
	}
	original, _ := oldObj.(*corev1.Node)
	if !modified.Spec.Unschedulable && (original == nil || original.Spec.Unschedulable) {
		return framework.Queue, nil
	}
	return framework.QueueSkip, nil
}
