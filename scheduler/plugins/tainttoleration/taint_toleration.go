package tainttoleration

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/scheduler/framework"
)

const (
	// Name is the plugin's name in the registry.
	Name = "TaintToleration"
	// ErrReasonUntolerated is kube-scheduler's (1.37) reason; the taint
	// itself is only logged.
	ErrReasonUntolerated = "node(s) had untolerated taint(s)"

	preScoreStateKey framework.StateKey = "PreScore" + Name
)

// TaintToleration matches node taints with pod tolerations.
type TaintToleration struct{}

var (
	_ framework.FilterPlugin      = &TaintToleration{}
	_ framework.PreScorePlugin    = &TaintToleration{}
	_ framework.ScorePlugin       = &TaintToleration{}
	_ framework.ScoreNormalizer   = &TaintToleration{}
	_ framework.EnqueueExtensions = &TaintToleration{}
)

// New builds the plugin.
func New(framework.Handle) (framework.Plugin, error) { return &TaintToleration{}, nil }

// Name returns the plugin's name.
func (*TaintToleration) Name() string { return Name }

// Filter rejects a node with a NoSchedule or NoExecute taint that no
// toleration of the pod tolerates. Preemption cannot remove a taint.
func (*TaintToleration) Filter(ctx context.Context, _ *framework.CycleState, pod *corev1.Pod, node *framework.NodeInfo) *framework.Status {
	logger := klog.FromContext(ctx)
	taint, untolerated := FindUntoleratedTaint(logger, node.Node().Spec.Taints, pod.Spec.Tolerations, doNotSchedule)
	if !untolerated {
		return nil
	}
	logger.V(4).Info("Node had untolerated taints", "node", klog.KObj(node.Node()), "pod", klog.KObj(pod), "untoleratedTaint", taint)
	return framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonUntolerated)
}

func doNotSchedule(t *corev1.Taint) bool {
	return t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute
}

// FindUntoleratedTaint returns the first taint that inclusion selects and
// no toleration tolerates.
func FindUntoleratedTaint(logger klog.Logger, taints []corev1.Taint, tolerations []corev1.Toleration, inclusion func(*corev1.Taint) bool) (corev1.Taint, bool) {
	for i := range taints {
		if inclusion != nil && !inclusion(&taints[i]) {
			continue
		}
		if !Tolerates(logger, tolerations, &taints[i]) {
			return taints[i], true
		}
	}
	return corev1.Taint{}, false
}

// Tolerates reports whether any toleration tolerates taint. The Gt and Lt
// operators (TaintTolerationComparisonOperators) are alpha and off in 1.37,
// so they tolerate nothing, as upstream.
func Tolerates(logger klog.Logger, tolerations []corev1.Toleration, taint *corev1.Taint) bool {
	for i := range tolerations {
		if tolerations[i].ToleratesTaint(logger, taint, false) {
			return true
		}
	}
	return false
}

type preScoreState struct {
	tolerationsPreferNoSchedule []corev1.Toleration
}

// PreScore keeps the tolerations that can tolerate PreferNoSchedule taints.
func (*TaintToleration) PreScore(_ context.Context, state *framework.CycleState, pod *corev1.Pod, _ []*framework.NodeInfo) *framework.Status {
	var tolerations []corev1.Toleration
	for _, t := range pod.Spec.Tolerations {
		if t.Effect == "" || t.Effect == corev1.TaintEffectPreferNoSchedule {
			tolerations = append(tolerations, t)
		}
	}
	state.Write(preScoreStateKey, &preScoreState{tolerationsPreferNoSchedule: tolerations})
	return nil
}

// Score counts the node's PreferNoSchedule taints the pod does not tolerate;
// NormalizeScore turns more into worse.
func (*TaintToleration) Score(ctx context.Context, state *framework.CycleState, _ *corev1.Pod, node *framework.NodeInfo) (int64, *framework.Status) {
	v, err := state.Read(preScoreStateKey)
	if err != nil {
		return 0, framework.AsStatus(err)
	}
	s := v.(*preScoreState)
	logger := klog.FromContext(ctx)
	var count int64
	for i, t := range node.Node().Spec.Taints {
		if t.Effect == corev1.TaintEffectPreferNoSchedule && !Tolerates(logger, s.tolerationsPreferNoSchedule, &node.Node().Spec.Taints[i]) {
			count++
		}
	}
	return count, nil
}

// NormalizeScore gives 100 to the nodes with fewest intolerable taints.
func (*TaintToleration) NormalizeScore(_ context.Context, _ *framework.CycleState, _ *corev1.Pod, scores []framework.NodeScore) *framework.Status {
	framework.DefaultNormalizeScore(framework.MaxNodeScore, true, scores)
	return nil
}

// EventsToRegister: a node added or retainted so that it no longer has a
// taint the pod does not tolerate.
func (*TaintToleration) EventsToRegister(context.Context) []framework.ClusterEventWithHint {
	return []framework.ClusterEventWithHint{{
		Event:          framework.ClusterEvent{Resource: framework.Node, ActionType: framework.Add | framework.UpdateNodeTaint},
		QueueingHintFn: isSchedulableAfterNodeChange,
	}}
}

func isSchedulableAfterNodeChange(logger klog.Logger, pod *corev1.Pod, oldObj, newObj any) (framework.QueueingHint, error) {
	modified, ok := newObj.(*corev1.Node)
	if !ok {
		return framework.Queue, fmt.Errorf("expected a node, got %T", newObj)
	}
	wasUntolerated := true
	if original, _ := oldObj.(*corev1.Node); original != nil {
		_, wasUntolerated = FindUntoleratedTaint(logger, original.Spec.Taints, pod.Spec.Tolerations, doNotSchedule)
	}
	_, isUntolerated := FindUntoleratedTaint(logger, modified.Spec.Taints, pod.Spec.Tolerations, doNotSchedule)
	if wasUntolerated && !isUntolerated {
		return framework.Queue, nil
	}
	return framework.QueueSkip, nil
}
