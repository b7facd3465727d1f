package deployment

import (
	"fmt"
	"math"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
)

// The rollout arithmetic, upstream's to the rounding: maxSurge rounds up,
// maxUnavailable down, and proportional shares to the nearest.

func isRollingUpdate(d *appsv1.Deployment) bool {
	return d.Spec.Strategy.Type == appsv1.RollingUpdateDeploymentStrategyType
}

// resolveFenceposts turns maxSurge and maxUnavailable into pod counts for
// desired replicas. Percentages of surge round up and of unavailability
// down; when both come to zero (validation refuses two explicit zeros, but
// 1% of 10 rounds to 0) one pod may be unavailable, on the theory that
// surging might be what quota forbids.
func resolveFenceposts(maxSurge, maxUnavailable *intstr.IntOrString, desired int32) (int32, int32, error) {
	surge, err := intstr.GetScaledValueFromIntOrPercent(intstr.ValueOrDefault(maxSurge, intstr.FromInt32(0)), int(desired), true)
	if err != nil {
		return 0, 0, fmt.Errorf("maxSurge: %w", err)
	}
	unavailable, err := intstr.GetScaledValueFromIntOrPercent(intstr.ValueOrDefault(maxUnavailable, intstr.FromInt32(0)), int(desired), false)
	if err != nil {
		return 0, 0, fmt.Errorf("maxUnavailable: %w", err)
	}
	if surge == 0 && unavailable == 0 {
		unavailable = 1
	}
	return int32(surge), int32(unavailable), nil
}

// maxSurge is how many pods a rolling update may run above spec.replicas.
func maxSurge(d *appsv1.Deployment) int32 {
	if !isRollingUpdate(d) || d.Spec.Strategy.RollingUpdate == nil {
		return 0
	}
	// Validation refuses values that do not resolve.
	surge, _, _ := resolveFenceposts(d.Spec.Strategy.RollingUpdate.MaxSurge, d.Spec.Strategy.RollingUpdate.MaxUnavailable, *d.Spec.Replicas)
	return surge
}

// maxUnavailable is how many of spec.replicas a rolling update may have
// unavailable, never more than spec.replicas.
func maxUnavailable(d *appsv1.Deployment) int32 {
	if !isRollingUpdate(d) || d.Spec.Strategy.RollingUpdate == nil || *d.Spec.Replicas == 0 {
		return 0
	}
	_, unavailable, _ := resolveFenceposts(d.Spec.Strategy.RollingUpdate.MaxSurge, d.Spec.Strategy.RollingUpdate.MaxUnavailable, *d.Spec.Replicas)
	return min(unavailable, *d.Spec.Replicas)
}

// replicaCount sums spec.replicas.
func replicaCount(rss []*appsv1.ReplicaSet) int32 {
	var n int32
	for _, rs := range rss {
		if rs != nil {
			n += ptr.Deref(rs.Spec.Replicas, 0)
		}
	}
	return n
}

// statusCounts sums the ReplicaSets' status counters.
type statusCounts struct{ replicas, ready, available int32 }

func countStatus(rss []*appsv1.ReplicaSet) statusCounts {
	var c statusCounts
	for _, rs := range rss {
		if rs != nil {
			c.replicas += rs.Status.Replicas
			c.ready += rs.Status.ReadyReplicas
			c.available += rs.Status.AvailableReplicas
		}
	}
	return c
}

// terminatingCount sums status.terminatingReplicas, or is nil when a
// ReplicaSet the controller has synced does not report it (a sum would
// lie). ReplicaSets never synced yet count as none.
func terminatingCount(rss []*appsv1.ReplicaSet) *int32 {
	var n int32
	for _, rs := range rss {
		switch {
		case rs == nil:
		case rs.Status.TerminatingReplicas == nil && rs.Status.ObservedGeneration == 0:
		case rs.Status.TerminatingReplicas == nil:
			return nil
		default:
			n += *rs.Status.TerminatingReplicas
		}
	}
	return &n
}

// newRSNewReplicas is the size the new ReplicaSet may have now: for a
// rolling update, as much more as the surge allows but no more than
// spec.replicas; for Recreate, spec.replicas.
func newRSNewReplicas(d *appsv1.Deployment, allRSs []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet) (int32, error) {
	switch d.Spec.Strategy.Type {
	case appsv1.RollingUpdateDeploymentStrategyType:
		var surgeValue *intstr.IntOrString
		if d.Spec.Strategy.RollingUpdate != nil {
			surgeValue = d.Spec.Strategy.RollingUpdate.MaxSurge
		}
		surge, err := intstr.GetScaledValueFromIntOrPercent(intstr.ValueOrDefault(surgeValue, intstr.FromInt32(0)), int(*d.Spec.Replicas), true)
		if err != nil {
			return 0, fmt.Errorf("maxSurge: %w", err)
		}
		current := replicaCount(allRSs)
		maxTotal := *d.Spec.Replicas + int32(surge)
		if current >= maxTotal {
			return *newRS.Spec.Replicas, nil
		}
		up := min(maxTotal-current, *d.Spec.Replicas-*newRS.Spec.Replicas)
		return *newRS.Spec.Replicas + up, nil
	case appsv1.RecreateDeploymentStrategyType:
		return *d.Spec.Replicas, nil
	}
	return 0, fmt.Errorf("deployment strategy %q is not supported", d.Spec.Strategy.Type)
}

// isSaturated reports whether newRS runs all of spec.replicas, available,
// and was sized for the current spec.replicas.
func isSaturated(d *appsv1.Deployment, rs *appsv1.ReplicaSet) bool {
	if rs == nil {
		return false
	}
	desired, ok := replicasAnnotation(klog.Background(), rs, DesiredReplicasAnnotation)
	return ok && *rs.Spec.Replicas == *d.Spec.Replicas && desired == *d.Spec.Replicas &&
		rs.Status.AvailableReplicas == *d.Spec.Replicas
}

// replicaSetProportion is rs's share of toAdd (negative to remove) given
// that added have been handed out already: its size scaled by the ratio of
// the new maximum (spec.replicas + maxSurge) to the maximum it was sized
// for, bounded so that the total never overshoots.
func replicaSetProportion(logger klog.Logger, rs *appsv1.ReplicaSet, d *appsv1.Deployment, toAdd, added int32) int32 {
	if rs == nil || *rs.Spec.Replicas == 0 || toAdd == 0 || toAdd == added {
		return 0
	}
	fraction := replicaSetFraction(logger, rs, d)
	allowed := toAdd - added
	if toAdd > 0 {
		return min(fraction, allowed)
	}
	return max(fraction, allowed)
}

func replicaSetFraction(logger klog.Logger, rs *appsv1.ReplicaSet, d *appsv1.Deployment) int32 {
	if *d.Spec.Replicas == 0 {
		return -*rs.Spec.Replicas
	}
	maxReplicas := *d.Spec.Replicas + maxSurge(d)
	before, ok := replicasAnnotation(logger, rs, MaxReplicasAnnotation)
	if !ok || before == 0 {
		// Someone removed or broke the annotation: fall back on the
		// current size, which stays within bounds if not exact.
		before = d.Status.Replicas
		if before == 0 {
			return 0
		}
	}
	size := float64(*rs.Spec.Replicas*maxReplicas) / float64(before)
	return int32(math.Round(size)) - *rs.Spec.Replicas
}
