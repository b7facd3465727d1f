package noderesources

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/scheduler/framework"
)

const (
	// FitName is the filter's name in the registry.
	FitName = "NodeResourcesFit"

	preFilterStateKey framework.StateKey = "PreFilter" + FitName
	preScoreStateKey  framework.StateKey = "PreScore" + FitName
)

// scoredResources are kube-scheduler's default scoring resources for both
// LeastAllocated and BalancedAllocation: cpu and memory, weight 1.
var scoredResources = [len(vector{})]resourceSpec{{Name: corev1.ResourceCPU, Weight: 1}, {Name: corev1.ResourceMemory, Weight: 1}}

type resourceSpec struct {
	Name   corev1.ResourceName
	Weight int64
}

// Fit is NodeResourcesFit.
type Fit struct{}

var (
	_ framework.PreFilterPlugin   = &Fit{}
	_ framework.FilterPlugin      = &Fit{}
	_ framework.PreScorePlugin    = &Fit{}
	_ framework.ScorePlugin       = &Fit{}
	_ framework.EnqueueExtensions = &Fit{}
)

// NewFit builds the plugin.
func NewFit(framework.Handle) (framework.Plugin, error) { return &Fit{}, nil }

// Name returns the plugin's name.
func (*Fit) Name() string { return FitName }

// PreFilter computes the pod's requests once.
func (*Fit) PreFilter(_ context.Context, state *framework.CycleState, pod *corev1.Pod, _ []*framework.NodeInfo) (*framework.PreFilterResult, *framework.Status) {
	r := framework.NewResource(framework.PodRequests(pod, framework.RequestOptions{}))
	state.Write(preFilterStateKey, &r)
	return nil, nil
}

// Filter rejects a node that cannot take the requests. It is Unschedulable
// (preemption may free room) unless the pod asks for more than the node has
// at all.
func (*Fit) Filter(_ context.Context, state *framework.CycleState, _ *corev1.Pod, node *framework.NodeInfo) *framework.Status {
	v, err := state.Read(preFilterStateKey)
	if err != nil {
		return framework.AsStatus(err)
	}
	insufficient := Fits(v.(*framework.Resource), node)
	if len(insufficient) == 0 {
		return nil
	}
	code := framework.Unschedulable
	reasons := make([]string, 0, len(insufficient))
	for _, r := range insufficient {
		reasons = append(reasons, r.Reason)
		if r.Unresolvable {
			code = framework.UnschedulableAndUnresolvable
		}
	}
	return framework.NewStatus(code, reasons...)
}

// InsufficientResource is one resource a node lacks.
type InsufficientResource struct {
	ResourceName corev1.ResourceName
	// Reason is kube-scheduler's: "Insufficient cpu", "Too many pods".
	Reason                    string
	Requested, Used, Capacity int64
	// Unresolvable: the node could not take the request even empty.
	Unresolvable bool
}

// Fits lists what node lacks for a pod that requests req, in
// kube-scheduler's order: pods, cpu, memory, ephemeral storage, the others.
func Fits(req *framework.Resource, node *framework.NodeInfo) []InsufficientResource {
	var out []InsufficientResource
	alloc, used := &node.Allocatable, &node.Requested
	if len(node.Pods)+1 > alloc.AllowedPodNumber {
		out = append(out, InsufficientResource{ResourceName: corev1.ResourcePods, Reason: "Too many pods", Requested: 1, Used: int64(len(node.Pods)), Capacity: int64(alloc.AllowedPodNumber)})
	}
	if req.IsZero() {
		return out
	}
	check := func(name corev1.ResourceName, reason string, want, capacity, inUse int64) {
		if want > 0 && want > capacity-inUse {
			out = append(out, InsufficientResource{ResourceName: name, Reason: reason, Requested: want, Used: inUse, Capacity: capacity, Unresolvable: want > capacity})
		}
	}
	check(corev1.ResourceCPU, "Insufficient cpu", req.MilliCPU, alloc.MilliCPU, used.MilliCPU)
	check(corev1.ResourceMemory, "Insufficient memory", req.Memory, alloc.Memory, used.Memory)
	check(corev1.ResourceEphemeralStorage, "Insufficient ephemeral-storage", req.EphemeralStorage, alloc.EphemeralStorage, used.EphemeralStorage)
	names := make([]corev1.ResourceName, 0, len(req.ScalarResources))
	for name := range req.ScalarResources {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		check(name, fmt.Sprintf("Insufficient %v", name), req.ScalarResources[name], alloc.ScalarResources[name], used.ScalarResources[name])
	}
	return out
}

// PreScore computes the pod's requests for scoring, with the defaults for
// containers that request nothing.
func (*Fit) PreScore(_ context.Context, state *framework.CycleState, pod *corev1.Pod, _ []*framework.NodeInfo) *framework.Status {
	state.Write(preScoreStateKey, podRequestList(pod, true))
	return nil
}

// Score is LeastAllocated: the weighted mean over cpu and memory of the
// share of allocatable left free once the pod is placed, 0..100.
func (*Fit) Score(_ context.Context, state *framework.CycleState, _ *corev1.Pod, node *framework.NodeInfo) (int64, *framework.Status) {
	v, err := state.Read(preScoreStateKey)
	if err != nil {
		return 0, framework.AsStatus(err)
	}
	requested, _, allocatable := nodeRequestLists(node, v.(vector), false)
	var score, weights int64
	for i, spec := range scoredResources {
		if allocatable[i] == 0 {
			continue
		}
		score += leastRequestedScore(requested[i], allocatable[i]) * spec.Weight
		weights += spec.Weight
	}
	if weights == 0 {
		return 0, nil
	}
	return score / weights, nil
}

func leastRequestedScore(requested, capacity int64) int64 {
	if capacity == 0 || requested > capacity {
		return 0
	}
	return (capacity - requested) * framework.MaxNodeScore / capacity
}

// vector holds one amount per scored resource; an array, not a slice, so
// that scoring a node allocates nothing.
type vector [2]int64

// podRequestList is the pod's request of each scored resource.
func podRequestList(pod *corev1.Pod, nonZero bool) vector {
	reqs := framework.PodRequests(pod, framework.RequestOptions{NonZero: nonZero})
	var out vector
	for i, spec := range scoredResources {
		q := reqs[spec.Name]
		if spec.Name == corev1.ResourceCPU {
			out[i] = q.MilliValue()
		} else {
			out[i] = q.Value()
		}
	}
	return out
}

// nodeRequestLists returns, per scored resource, what the node's pods
// request with the pod (requested) and without it (allocated), and its
// allocatable; a resource the node does not have is 0 throughout. Pods'
// requests count their defaults unless actual is set.
func nodeRequestLists(node *framework.NodeInfo, pod vector, actual bool) (requested, allocated, allocatable vector) {
	used := &node.NonZeroRequested
	if actual {
		used = &node.Requested
	}
	for i, spec := range scoredResources {
		var alloc, inUse int64
		switch spec.Name {
		case corev1.ResourceCPU:
			alloc, inUse = node.Allocatable.MilliCPU, used.MilliCPU
		case corev1.ResourceMemory:
			alloc, inUse = node.Allocatable.Memory, used.Memory
		}
		if alloc == 0 {
			continue
		}
		allocatable[i], allocated[i], requested[i] = alloc, inUse, inUse+pod[i]
	}
	return requested, allocated, allocatable
}

// EventsToRegister: a node added or given more allocatable, or an assigned
// pod deleted or scaled down.
func (*Fit) EventsToRegister(context.Context) []framework.ClusterEventWithHint {
	return []framework.ClusterEventWithHint{
		{Event: framework.ClusterEvent{Resource: framework.Node, ActionType: framework.Add | framework.UpdateNodeAllocatable}, QueueingHintFn: isSchedulableAfterNodeChange},
		{Event: framework.ClusterEvent{Resource: framework.AssignedPod, ActionType: framework.Delete | framework.UpdatePodScaleDown}, QueueingHintFn: isSchedulableAfterPodChange},
	}
}

// isSchedulableAfterNodeChange: the pod must fit the node empty, and on an
// update the node must have grown.
func isSchedulableAfterNodeChange(logger klog.Logger, pod *corev1.Pod, oldObj, newObj any) (framework.QueueingHint, error) {
	modified, ok := newObj.(*corev1.Node)
	if !ok {
		return framework.Queue, fmt.Errorf("expected a node, got %T", newObj)
	}
	req := framework.NewResource(framework.PodRequests(pod, framework.RequestOptions{}))
	if len(Fits(&req, framework.NewNodeInfo(modified))) > 0 {
		logger.V(5).Info("Node changed but the pod would not fit it even empty", "pod", klog.KObj(pod), "node", klog.KObj(modified))
		return framework.QueueSkip, nil
	}
	original, _ := oldObj.(*corev1.Node)
	if original == nil {
		return framework.Queue, nil
	}
	before, after := framework.NewResource(original.Status.Allocatable), framework.NewResource(modified.Status.Allocatable)
	grew := after.AllowedPodNumber > before.AllowedPodNumber ||
		req.MilliCPU > 0 && after.MilliCPU > before.MilliCPU ||
		req.Memory > 0 && after.Memory > before.Memory ||
		req.EphemeralStorage > 0 && after.EphemeralStorage > before.EphemeralStorage
	for name, v := range req.ScalarResources {
		grew = grew || v > 0 && after.ScalarResources[name] > before.ScalarResources[name]
	}
	if grew {
		return framework.Queue, nil
	}
	return framework.QueueSkip, nil
}

// isSchedulableAfterPodChange: an assigned pod going away frees its node's
// resources; an unassigned one held none.
func isSchedulableAfterPodChange(_ klog.Logger, _ *corev1.Pod, oldObj, newObj any) (framework.QueueingHint, error) {
	if newObj == nil {
		deleted, ok := oldObj.(*corev1.Pod)
		if !ok {
			return framework.Queue, fmt.Errorf("expected a pod, got %T", oldObj)
		}
		if deleted.Spec.NodeName == "" {
			return framework.QueueSkip, nil
		}
	}
	return framework.Queue, nil
}
