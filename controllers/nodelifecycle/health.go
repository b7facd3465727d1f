package nodelifecycle

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
)

// health is what the controller last saw of a node's heartbeats, timed by
// its own clock.
type health struct {
	uid types.UID
	// probe is when the controller last saw a heartbeat.
	probe time.Time
	// transition is when the controller last saw the Ready condition change.
	transition time.Time
	// ready is the Ready condition last seen, nil if the node had none.
	ready *corev1.NodeCondition
	// renewed is the Lease's renewTime last seen, zero without a Lease.
	renewed time.Time
}

// The conditions the controller sets to Unknown when heartbeats stop.
// NetworkUnavailable is left alone: the network's owner sets it.
var unknownOnSilence = []corev1.NodeConditionType{
	corev1.NodeReady,
	corev1.NodeMemoryPressure,
	corev1.NodeDiskPressure,
	corev1.NodePIDPressure,
}

const (
	reasonUnknown      = "NodeStatusUnknown"
	messageUnknown     = "Kubelet stopped posting node status."
	reasonNeverUpdated = "NodeStatusNeverUpdated"
	messageNever       = "Kubelet never posted node status."
)

// updateHealth records node's heartbeats and, when they are overdue, sets
// its conditions Unknown in the API, retrying on a fresh copy (upstream
// tries five times too). It returns the node as it now is, its Ready
// condition as observed before (Unknown for a node that never posted one)
// and its Ready condition now (nil for a node that never posted one and is
// within its startup grace period).
func (c *Controller) updateHealth(ctx context.Context, node *corev1.Node) (*corev1.Node, corev1.NodeCondition, *corev1.NodeCondition, error) {
	name := node.Name
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if attempt > 0 {
			node, err = c.client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return nil, corev1.NodeCondition{}, nil, fmt.Errorf("get node %s: %w", name, err)
			}
		}
		var observed corev1.NodeCondition
		var ready *corev1.NodeCondition
		var updated *corev1.Node
		updated, observed, ready, err = c.tryUpdateHealth(ctx, node.DeepCopy())
		if err == nil {
			return updated, observed, ready, nil
		}
	}
	return nil, corev1.NodeCondition{}, nil, err
}

func (c *Controller) tryUpdateHealth(ctx context.Context, node *corev1.Node) (*corev1.Node, corev1.NodeCondition, *corev1.NodeCondition, error) {
	logger := klog.FromContext(ctx)
	now := c.clock.Now()
	h := c.health[node.Name]
	if h != nil && h.uid != node.UID {
		// Deleted and created again under the same name.
		h = nil
	}
	ready := readyCondition(&node.Status)
	grace := c.opts.GracePeriod
	var observed corev1.NodeCondition
	switch {
	case ready == nil:
		// Never posted: count from its creation, with the longer grace.
		grace = c.opts.StartupGracePeriod
		observed = corev1.NodeCondition{Type: corev1.NodeReady, Status: corev1.ConditionUnknown,
			LastHeartbeatTime: node.CreationTimestamp, LastTransitionTime: node.CreationTimestamp}
		if h == nil {
			h = &health{uid: node.UID, probe: node.CreationTimestamp.Time, transition: node.CreationTimestamp.Time}
		}
		h.ready = nil
	case h == nil || h.ready == nil:
		// First sight of its Ready condition (a new node, a controller
		// restart, or a node that has just posted its first status).
		observed = *ready
		h = &health{uid: node.UID, probe: c.firstProbe(node, ready, now), transition: now, ready: ready.DeepCopy(), renewed: timeOf(h)}
	case !h.ready.LastHeartbeatTime.Equal(&ready.LastHeartbeatTime):
		observed = *ready
		if !h.ready.LastTransitionTime.Equal(&ready.LastTransitionTime) {
			logger.V(3).Info("Node's Ready condition changed", "node", klog.KObj(node), "from", h.ready.Status, "to", ready.Status)
			h.transition = now
		}
		h.probe = now
		h.ready = ready.DeepCopy()
	default:
		observed = *ready
	}
	c.health[node.Name] = h

	// A renewed Lease is a heartbeat too; a node that renews its Lease
	// but never posts status is left alone, as upstream.
	if lease, err := c.leases.Leases(corev1.NamespaceNodeLease).Get(node.Name); err == nil && lease.Spec.RenewTime != nil {
		if renewed := lease.Spec.RenewTime.Time; renewed.After(h.renewed) {
			// The first Lease seen counts only if it is fresh by its own
			// time (see firstProbe); every later renewal counts.
			if !h.renewed.IsZero() || renewed.Add(grace).After(now) {
				h.probe = now
			}
			h.renewed = renewed
		}
	}

	if !now.After(h.probe.Add(grace)) {
		return node, observed, ready, nil
	}
	changed := false
	for _, t := range unknownOnSilence {
		cond := condition(&node.Status, t)
		switch {
		case cond == nil:
			logger.V(2).Info("Node never posted a condition", "node", klog.KObj(node), "condition", t)
			node.Status.Conditions = append(node.Status.Conditions, corev1.NodeCondition{
				Type: t, Status: corev1.ConditionUnknown, Reason: reasonNeverUpdated, Message: messageNever,
				LastHeartbeatTime: node.CreationTimestamp, LastTransitionTime: metav1.NewTime(now),
			})
			changed = true
		case cond.Status != corev1.ConditionUnknown:
			logger.V(2).Info("Node stopped posting status", "node", klog.KObj(node), "condition", t, "silentFor", now.Sub(h.probe))
			cond.Status = corev1.ConditionUnknown
			cond.Reason = reasonUnknown
			cond.Message = messageUnknown
			cond.LastTransitionTime = metav1.NewTime(now)
			changed = true
		}
	}
	ready = readyCondition(&node.Status)
	if !changed || apiequality.Semantic.DeepEqual(ready, &observed) {
		// As upstream, only a change of Ready is written: the other
		// conditions follow it.
		return node, observed, ready, nil
	}
	updated, err := c.client.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{})
	if err != nil {
		return nil, observed, nil, fmt.Errorf("update status of node %s: %w", node.Name, err)
	}
	h.ready = readyCondition(&updated.Status).DeepCopy()
	h.transition = now
	return updated, observed, readyCondition(&updated.Status), nil
}

// firstProbe is when a node first seen with ready last gave a heartbeat:
// now, as upstream, unless its latest heartbeat (Lease renewal or Ready
// heartbeat, by their own timestamps) is already overdue — then that
// heartbeat's time, so that a node that died while the controller was not
// watching is not given a fresh grace period.
func (c *Controller) firstProbe(node *corev1.Node, ready *corev1.NodeCondition, now time.Time) time.Time {
	last := ready.LastHeartbeatTime.Time
	if lease, err := c.leases.Leases(corev1.NamespaceNodeLease).Get(node.Name); err == nil && lease.Spec.RenewTime != nil {
		last = later(last, lease.Spec.RenewTime.Time)
	}
	if last.IsZero() || last.Add(c.opts.GracePeriod).After(now) {
		return now
	}
	return last
}

func timeOf(h *health) time.Time {
	if h == nil {
		return time.Time{}
	}
	return h.renewed
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func condition(status *corev1.NodeStatus, t corev1.NodeConditionType) *corev1.NodeCondition {
	for i := range status.Conditions {
		if status.Conditions[i].Type == t {
			return &status.Conditions[i]
		}
	}
	return nil
}

func readyCondition(status *corev1.NodeStatus) *corev1.NodeCondition {
	return condition(status, corev1.NodeReady)
}
