package nodelifecycle

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/util/flowcontrol"
	"k8s.io/klog/v2"
)

// labelExcludeDisruption keeps a node out of its zone's disruption count.
const labelExcludeDisruption = "node.kubernetes.io/exclude-disruption"

type zoneState string

const (
	stateNormal            zoneState = "Normal"
	statePartialDisruption zoneState = "PartialDisruption"
	stateFullDisruption    zoneState = "FullDisruption"
)

// zone is a failure domain's eviction rate limit.
type zone struct {
	state   zoneState
	qps     float32
	limiter flowcontrol.PassiveRateLimiter // nil: no evictions
}

// allow takes a token for one node's NoExecute taint; a zone whose rate is
// zero allows none.
func (z *zone) allow() bool {
	return z != nil && z.limiter != nil && z.limiter.TryAccept()
}

// zoneKey is upstream's topology key of a node: region and zone labels,
// stable before beta.
func zoneKey(node *corev1.Node) string {
	region := node.Labels[corev1.LabelTopologyRegion]
	if region == "" {
		region = node.Labels[corev1.LabelFailureDomainBetaRegion]
	}
	z := node.Labels[corev1.LabelTopologyZone]
	if z == "" {
		z = node.Labels[corev1.LabelFailureDomainBetaZone]
	}
	if region == "" && z == "" {
		return ""
	}
	return region + ":\x00:" + z
}

// zoneStateOf is a zone's state given its nodes' Ready conditions (nil for
// a node that never posted one): fully disrupted when none is Ready,
// partially when more than two and at least the threshold share are not.
func (c *Controller) zoneStateOf(conditions []*corev1.NodeCondition) zoneState {
	ready, notReady := 0, 0
	for _, cond := range conditions {
		if cond != nil && cond.Status == corev1.ConditionTrue {
			ready++
		} else {
			notReady++
		}
	}
	switch {
	case ready == 0 && notReady > 0:
		return stateFullDisruption
	case notReady > 2 && float32(notReady)/float32(notReady+ready) >= c.opts.UnhealthyZoneThreshold:
		return statePartialDisruption
	default:
		return stateNormal
	}
}

// updateZones works out each zone's state and eviction rate. When every
// zone has just become fully disrupted it takes the NoExecute taints off
// every node; when nodes come back from that, it gives every node a fresh
// grace period, as the heartbeats missed meanwhile say more about the
// controller's connectivity than the nodes'.
func (c *Controller) updateZones(ctx context.Context, byZone map[string][]*corev1.NodeCondition, nodes []*corev1.Node) {
	logger := klog.FromContext(ctx)
	states := map[string]zoneState{}
	all := len(byZone) > 0
	for key, conds := range byZone {
		state := c.zoneStateOf(conds)
		states[key] = state
		all = all && state == stateFullDisruption
	}
	// A zone whose every node is excluded from the disruption checks is
	// still rate-limited, as a healthy zone.
	for _, n := range nodes {
		if _, ok := states[zoneKey(n)]; !ok {
			states[zoneKey(n)] = stateNormal
		}
	}
	for key := range c.zones {
		if _, ok := states[key]; !ok {
			delete(c.zones, key)
		}
	}
	was := c.allDisrupted
	c.allDisrupted = all
	switch {
	case all && !was:
		logger.Info("Controller detected that all Nodes are not-Ready. Entering master disruption mode")
		for _, n := range nodes {
			c.removeNoExecute(ctx, n)
		}
	case !all && was:
		logger.Info("Controller detected that some Nodes are Ready. Exiting master disruption mode")
		now := c.clock.Now()
		for _, n := range nodes {
			if h := c.health[n.Name]; h != nil {
				h.probe = now
				h.transition = now
			}
		}
	}
	for key, state := range states {
		z := c.zones[key]
		if z == nil {
			z = &zone{}
			c.zones[key] = z
		}
		if z.state != state && z.state != "" {
			logger.Info("Controller detected that zone is now in new state", "zone", key, "newState", state)
		}
		z.state = state
		c.setRate(z, len(byZone[key]))
	}
}

// setRate sets a zone's eviction rate for its state; a token bucket is kept
// while its rate stays the same.
func (c *Controller) setRate(z *zone, size int) {
	qps := c.opts.EvictionRate
	if z.state == statePartialDisruption {
		qps = 0
		if size > c.opts.LargeClusterThreshold {
			qps = c.opts.SecondaryEvictionRate
		}
	}
	if z.limiter != nil && z.qps == qps {
		return
	}
	z.qps = qps
	z.limiter = nil
	if qps > 0 {
		z.limiter = flowcontrol.NewTokenBucketPassiveRateLimiterWithClock(qps, 1, c.clock)
	}
}
