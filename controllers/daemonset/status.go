package daemonset

import (
	"context"
	"sort"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/controllers/podstate"
)

// statusUpdateRetries is how many times a status write is retried on a
// fresh read; after that the DaemonSet comes back rate-limited.
const statusUpdateRetries = 1

// calculateStatus counts ds's nodes and pods as upstream does. Only the
// oldest pod of a node counts for ready, available and updated.
// numberMisscheduled counts nodes that run a pod and should not; pods for
// nodes that do not exist count nowhere.
func calculateStatus(logger klog.Logger, ds *appsv1.DaemonSet, nodes []*corev1.Node, byNode map[string][]*corev1.Pod, hash string, now time.Time) appsv1.DaemonSetStatus {
	var s appsv1.DaemonSetStatus
	place := newPlacement(ds)
	generation := templateGeneration(ds)
	for _, node := range nodes {
		shouldRun, _ := place.check(logger, node)
		pods := byNode[node.Name]
		if !shouldRun {
			if len(pods) > 0 {
				s.NumberMisscheduled++
			}
			continue
		}
		s.DesiredNumberScheduled++
		if len(pods) == 0 {
			continue
		}
		s.CurrentNumberScheduled++
		pods = append([]*corev1.Pod(nil), pods...)
		sort.Sort(podsByAge(pods))
		pod := pods[0]
		if podstate.Ready(pod) {
			s.NumberReady++
			if isPodAvailable(pod, ds.Spec.MinReadySeconds, now) {
				s.NumberAvailable++
			}
		}
		if isPodUpdated(pod, hash, generation) {
			s.UpdatedNumberScheduled++
		}
	}
	s.NumberUnavailable = s.DesiredNumberScheduled - s.NumberAvailable
	return s
}

// nextAvailable is how long until the first ready but not yet available
// pod becomes available, or 0 when none will.
func nextAvailable(byNode map[string][]*corev1.Pod, minReadySeconds int32, now time.Time) time.Duration {
	var next time.Duration
	for _, pods := range byNode {
		for _, p := range pods {
			c := podstate.ReadyCondition(p)
			if c == nil || c.Status != corev1.ConditionTrue || c.LastTransitionTime.IsZero() {
				continue
			}
			// A second more: available means ready for strictly longer.
			d := c.LastTransitionTime.Add(time.Duration(minReadySeconds)*time.Second).Sub(now) + time.Second
			if d > 0 && (next == 0 || d < next) {
				next = d
			}
		}
	}
	return next
}

func sameCounts(a, b appsv1.DaemonSetStatus) bool {
	return a.DesiredNumberScheduled == b.DesiredNumberScheduled &&
		a.CurrentNumberScheduled == b.CurrentNumberScheduled &&
		a.NumberMisscheduled == b.NumberMisscheduled &&
		a.NumberReady == b.NumberReady &&
		a.UpdatedNumberScheduled == b.UpdatedNumberScheduled &&
		a.NumberAvailable == b.NumberAvailable &&
		a.NumberUnavailable == b.NumberUnavailable
}

// updateStatus writes ds's counts, and its generation as observed if
// observe, unless they are written already. It returns how long until a
// ready pod becomes available when minReadySeconds holds one back: nothing
// else would bring the DaemonSet back then.
func (c *Controller) updateStatus(ctx context.Context, ds *appsv1.DaemonSet, pods []*corev1.Pod, nodes []*corev1.Node, hash string, observe bool) (time.Duration, error) {
	logger := klog.FromContext(ctx)
	byNode := podsByNode(logger, ds, pods, false)
	now := c.clock.Now()
	counts := calculateStatus(logger, ds, nodes, byNode, hash, now)
	var after time.Duration
	if ds.Spec.MinReadySeconds > 0 && counts.NumberReady != counts.NumberAvailable {
		after = nextAvailable(byNode, ds.Spec.MinReadySeconds, now)
		if after == 0 {
			after = time.Duration(ds.Spec.MinReadySeconds) * time.Second
		}
	}
	if sameCounts(ds.Status, counts) && ds.Status.ObservedGeneration >= ds.Generation {
		return after, nil
	}
	update := ds.DeepCopy()
	for attempt := 0; ; attempt++ {
		if observe {
			update.Status.ObservedGeneration = ds.Generation
		}
		update.Status.DesiredNumberScheduled = counts.DesiredNumberScheduled
		update.Status.CurrentNumberScheduled = counts.CurrentNumberScheduled
		update.Status.NumberMisscheduled = counts.NumberMisscheduled
		update.Status.NumberReady = counts.NumberReady
		update.Status.UpdatedNumberScheduled = counts.UpdatedNumberScheduled
		update.Status.NumberAvailable = counts.NumberAvailable
		update.Status.NumberUnavailable = counts.NumberUnavailable
		_, err := c.client.AppsV1().DaemonSets(ds.Namespace).UpdateStatus(ctx, update, metav1.UpdateOptions{})
		if err == nil {
			logger.V(4).Info("Updated daemon set status", "daemonset", klog.KObj(ds), "desired", counts.DesiredNumberScheduled,
				"current", counts.CurrentNumberScheduled, "ready", counts.NumberReady, "available", counts.NumberAvailable,
				"updated", counts.UpdatedNumberScheduled, "observedGeneration", update.Status.ObservedGeneration)
			return after, nil
		}
		if attempt >= statusUpdateRetries {
			return 0, err
		}
		// A conflict (the collision count, or a newer spec) is retried on
		// the stored object; the counts are this sync's either way.
		if update, err = c.client.AppsV1().DaemonSets(ds.Namespace).Get(ctx, ds.Name, metav1.GetOptions{}); err != nil {
			return 0, err
		}
	}
}
