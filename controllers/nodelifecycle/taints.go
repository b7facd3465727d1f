package nodelifecycle

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
)

var (
	// UnreachableNoExecute and NotReadyNoExecute are the taints the
	// taint-eviction controller evicts by.
	UnreachableNoExecute = corev1.Taint{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoExecute}
	NotReadyNoExecute    = corev1.Taint{Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectNoExecute}

	// conditionTaints maps a condition's status to the key of the
	// NoSchedule taint it brings (upstream's TaintNodesByCondition).
	conditionTaints = map[corev1.NodeConditionType]map[corev1.ConditionStatus]string{
		corev1.NodeReady: {
			corev1.ConditionFalse:   corev1.TaintNodeNotReady,
			corev1.ConditionUnknown: corev1.TaintNodeUnreachable,
		},
		corev1.NodeMemoryPressure:     {corev1.ConditionTrue: corev1.TaintNodeMemoryPressure},
		corev1.NodeDiskPressure:       {corev1.ConditionTrue: corev1.TaintNodeDiskPressure},
		corev1.NodeNetworkUnavailable: {corev1.ConditionTrue: corev1.TaintNodeNetworkUnavailable},
		corev1.NodePIDPressure:        {corev1.ConditionTrue: corev1.TaintNodePIDPressure},
	}
	// noScheduleKeys are the NoSchedule taint keys this controller owns.
	noScheduleKeys = map[string]bool{
		corev1.TaintNodeNotReady:           true,
		corev1.TaintNodeUnreachable:        true,
		corev1.TaintNodeMemoryPressure:     true,
		corev1.TaintNodeDiskPressure:       true,
		corev1.TaintNodeNetworkUnavailable: true,
		corev1.TaintNodePIDPressure:        true,
		corev1.TaintNodeUnschedulable:      true,
	}
)

// Labels whose beta twin upstream keeps equal to the stable one.
var betaLabels = map[string]string{
	corev1.LabelOSStable:   "beta.kubernetes.io/os",
	corev1.LabelArchStable: "beta.kubernetes.io/arch",
}

// syncNode gives a node the NoSchedule taints its conditions and
// spec.unschedulable call for, and no others of this controller's, takes
// the eviction taints off a Ready node, and reconciles the beta os and
// arch labels.
func (c *Controller) syncNode(ctx context.Context, name string) (time.Duration, error) {
	node, err := c.nodes.Get(name)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	want := noScheduleTaints(node)
	var add, remove []corev1.Taint
	for _, t := range want {
		if !hasTaint(node.Spec.Taints, t) {
			add = append(add, t)
		}
	}
	for _, t := range node.Spec.Taints {
		if t.Effect == corev1.TaintEffectNoSchedule && noScheduleKeys[t.Key] && !hasTaint(want, t) {
			remove = append(remove, t)
		}
	}
	// A node Ready again loses its eviction taints at once rather than at
	// the next monitor pass (upstream waits for the pass): the pods
	// waiting out their tolerations are spared as soon as possible.
	if ready := readyCondition(&node.Status); ready != nil && ready.Status == corev1.ConditionTrue {
		for _, t := range []corev1.Taint{UnreachableNoExecute, NotReadyNoExecute} {
			if hasTaint(node.Spec.Taints, t) {
				remove = append(remove, t)
			}
		}
	}
	labels := map[string]string{}
	for stable, beta := range betaLabels {
		if v, ok := node.Labels[stable]; ok && node.Labels[beta] != v {
			labels[beta] = v
		}
	}
	if len(add) == 0 && len(remove) == 0 && len(labels) == 0 {
		return 0, nil
	}
	if err := c.updateNode(ctx, node, add, remove, labels); err != nil {
		return 0, err
	}
	return 0, nil
}

// noScheduleTaints are the NoSchedule taints node's conditions and
// spec.unschedulable call for.
func noScheduleTaints(node *corev1.Node) []corev1.Taint {
	var out []corev1.Taint
	for _, cond := range node.Status.Conditions {
		if key, ok := conditionTaints[cond.Type][cond.Status]; ok {
			out = append(out, corev1.Taint{Key: key, Effect: corev1.TaintEffectNoSchedule})
		}
	}
	if node.Spec.Unschedulable {
		out = append(out, corev1.Taint{Key: corev1.TaintNodeUnschedulable, Effect: corev1.TaintEffectNoSchedule})
	}
	return out
}

// hasTaint reports whether taints hold t's key and effect.
func hasTaint(taints []corev1.Taint, t corev1.Taint) bool {
	for _, x := range taints {
		if x.Key == t.Key && x.Effect == t.Effect {
			return true
		}
	}
	return false
}

// taintNoExecute gives each node the NoExecute taint its Ready condition
// calls for, within the zones' rate limits, or none when every zone is
// disrupted (the controller, not the nodes, is then likely cut off).
func (c *Controller) taintNoExecute(ctx context.Context, nodes []*corev1.Node) {
	logger := klog.FromContext(ctx)
	for _, node := range c.byTransition(nodes) {
		ready := readyCondition(&node.Status)
		if ready == nil {
			continue
		}
		var want, opposite corev1.Taint
		switch ready.Status {
		case corev1.ConditionFalse:
			want, opposite = NotReadyNoExecute, UnreachableNoExecute
		case corev1.ConditionUnknown:
			want, opposite = UnreachableNoExecute, NotReadyNoExecute
		default:
			c.removeNoExecute(ctx, node)
			continue
		}
		if hasTaint(node.Spec.Taints, want) {
			continue
		}
		// Moving between not-ready and unreachable is no new eviction:
		// it is not rate-limited, as upstream.
		if !hasTaint(node.Spec.Taints, opposite) {
			if c.allDisrupted || !c.zones[zoneKey(node)].allow() {
				continue
			}
		}
		logger.V(2).Info("Tainting node for eviction", "node", klog.KObj(node), "taint", want.Key)
		if err := c.updateNode(ctx, node, []corev1.Taint{want}, []corev1.Taint{opposite}, nil); err != nil {
			logger.Error(err, "Tainting node failed; will retry", "node", klog.KObj(node))
		}
	}
}

// removeNoExecute takes this controller's NoExecute taints off node.
func (c *Controller) removeNoExecute(ctx context.Context, node *corev1.Node) {
	if !hasTaint(node.Spec.Taints, UnreachableNoExecute) && !hasTaint(node.Spec.Taints, NotReadyNoExecute) {
		return
	}
	klog.FromContext(ctx).V(2).Info("Removing eviction taints", "node", klog.KObj(node))
	if err := c.updateNode(ctx, node, nil, []corev1.Taint{UnreachableNoExecute, NotReadyNoExecute}, nil); err != nil {
		klog.FromContext(ctx).Error(err, "Removing eviction taints failed; will retry", "node", klog.KObj(node))
	}
}

// updateNode adds taints (stamped with the time they are added), removes
// taints by key and effect, and sets labels, on the cached copy first and,
// on a conflict, on fresh copies from the API.
func (c *Controller) updateNode(ctx context.Context, node *corev1.Node, add, remove []corev1.Taint, labels map[string]string) error {
	name := node.Name
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if attempt > 0 {
			if node, err = c.client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{}); err != nil {
				return fmt.Errorf("get node %s: %w", name, err)
			}
		}
		n := node.DeepCopy()
		taintsChanged := applyTaints(n, add, remove, metav1.NewTime(c.clock.Now()))
		if labelsChanged := applyLabels(n, labels); !taintsChanged && !labelsChanged {
			return nil
		}
		_, err = c.client.CoreV1().Nodes().Update(ctx, n, metav1.UpdateOptions{})
		if err == nil || !apierrors.IsConflict(err) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("update taints of node %s: %w", name, err)
	}
	return nil
}

func applyTaints(node *corev1.Node, add, remove []corev1.Taint, now metav1.Time) bool {
	changed := false
	var kept []corev1.Taint
	for _, t := range node.Spec.Taints {
		if hasTaint(remove, t) && !hasTaint(add, t) {
			changed = true
			continue
		}
		kept = append(kept, t)
	}
	for _, t := range add {
		if hasTaint(kept, t) {
			continue
		}
		t.TimeAdded = &now
		kept = append(kept, t)
		changed = true
	}
	if changed {
		node.Spec.Taints = kept
	}
	return changed
}

func applyLabels(node *corev1.Node, labels map[string]string) bool {
	changed := false
	for k, v := range labels {
		if cur, ok := node.Labels[k]; ok && cur == v {
			continue
		}
		if node.Labels == nil {
			node.Labels = map[string]string{}
		}
		node.Labels[k] = v
		changed = true
	}
	return changed
}
