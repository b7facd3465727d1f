package daemonset

import (
	"context"
	"fmt"
	"sort"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/klog/v2"
)

// rollingUpdate replaces out-of-date pods within the update strategy's
// bounds. It only deletes old pods (without surge) or creates new ones
// beside old ones (with surge); manage, on the next sync, does the rest:
// creating on emptied nodes, or deleting an old pod once its replacement
// is available.
func (c *Controller) rollingUpdate(ctx context.Context, ds *appsv1.DaemonSet, pods []*corev1.Pod, nodes []*corev1.Node, hash string) error {
	logger := klog.FromContext(ctx)
	byNode := podsByNode(logger, ds, pods, false)
	r := rollout{ds: ds, hash: hash, generation: templateGeneration(ds), now: c.clock.Now(), byNode: byNode, shouldRun: map[string]bool{}}
	place := newPlacement(ds)
	for _, node := range nodes {
		if shouldRun, _ := place.check(logger, node); shouldRun {
			r.shouldRun[node.Name] = true
			r.desired++
			if _, ok := byNode[node.Name]; !ok {
				// An eligible node without a pod counts as unavailable.
				byNode[node.Name] = nil
			}
		}
	}
	maxSurge, maxUnavailable, err := surgeAndUnavailable(ds, r.desired)
	if err != nil {
		return err
	}
	logger.V(5).Info("DaemonSet with maxSurge and maxUnavailable", "daemonset", klog.KObj(ds), "maxSurge", maxSurge, "maxUnavailable", maxUnavailable)
	if maxSurge == 0 {
		return c.syncNodes(ctx, ds, r.withoutSurge(maxUnavailable), nil, hash)
	}
	del, create := r.withSurge(maxSurge)
	return c.syncNodes(ctx, ds, del, create, hash)
}

// surgeAndUnavailable scales maxSurge and maxUnavailable to the number of
// nodes that should run a pod, rounding up. A strategy that allows neither
// (validation refuses it, but an object stored earlier may have it) gets
// one unavailable, as upstream, so that the update still makes progress.
func surgeAndUnavailable(ds *appsv1.DaemonSet, desired int) (maxSurge, maxUnavailable int, err error) {
	ru := ds.Spec.UpdateStrategy.RollingUpdate
	if ds.Spec.UpdateStrategy.Type != appsv1.RollingUpdateDaemonSetStrategyType || ru == nil {
		return 0, 0, nil
	}
	if ru.MaxSurge != nil {
		if maxSurge, err = intstr.GetScaledValueFromIntOrPercent(ru.MaxSurge, desired, true); err != nil {
			return 0, 0, fmt.Errorf("invalid value for MaxSurge: %w", err)
		}
	}
	if ru.MaxUnavailable != nil {
		if maxUnavailable, err = intstr.GetScaledValueFromIntOrPercent(ru.MaxUnavailable, desired, true); err != nil {
			return 0, 0, fmt.Errorf("invalid value for MaxUnavailable: %w", err)
		}
	}
	if desired > 0 && maxSurge == 0 && maxUnavailable == 0 {
		maxUnavailable = 1
	}
	return maxSurge, maxUnavailable, nil
}

// allowsSurge reports whether ds may run two pods on a node during an update.
func allowsSurge(ds *appsv1.DaemonSet) bool {
	maxSurge, _, err := surgeAndUnavailable(ds, 1)
	return err == nil && maxSurge > 0
}

// rollout is one rolling update step's view of a DaemonSet's pods.
type rollout struct {
	ds         *appsv1.DaemonSet
	hash       string
	generation *int64
	now        time.Time
	// byNode has the pods of every node that runs one, and an empty entry
	// for every node that should and does not.
	byNode    map[string][]*corev1.Pod
	shouldRun map[string]bool
	desired   int
}

// nodeNames are byNode's keys in order: the choice among candidates is
// then the same from one sync to the next.
func (r rollout) nodeNames() []string {
	out := make([]string, 0, len(r.byNode))
	for n := range r.byNode {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func (r rollout) available(p *corev1.Pod) bool {
	return isPodAvailable(p, r.ds.Spec.MinReadySeconds, r.now)
}

// pods returns a node's pod of the current revision and its older one,
// not counting pods being deleted; ok is false when there are two of
// either, which manage prunes first.
func (r rollout) pods(node string) (cur, old *corev1.Pod, ok bool) {
	for _, p := range r.byNode[node] {
		if p.DeletionTimestamp != nil {
			continue
		}
		if isPodUpdated(p, r.hash, r.generation) {
			if cur != nil {
				return nil, nil, false
			}
			cur = p
		} else {
			if old != nil {
				return nil, nil, false
			}
			old = p
		}
	}
	return cur, old, true
}

// withoutSurge returns the old pods to delete so that no more than
// maxUnavailable nodes are without an available pod: unavailable old pods
// always (replacing them costs nothing), available ones within the budget
// left. Nodes with no pod, with both an old and a new pod (manage is
// settling them) or with a new pod not yet available use the budget up;
// pods being deleted do not count, so that an update goes on while nodes
// are down.
func (r rollout) withoutSurge(maxUnavailable int) []string {
	var (
		unavailable  int
		replacements []string
		candidates   []string
	)
	for _, node := range r.nodeNames() {
		cur, old, ok := r.pods(node)
		switch {
		case !ok:
			unavailable++
		case (cur == nil) == (old == nil):
			unavailable++
		case cur != nil:
			if !r.available(cur) {
				unavailable++
			}
		case !r.available(old):
			replacements = append(replacements, old.Name)
			unavailable++
		case unavailable < maxUnavailable:
			candidates = append(candidates, old.Name)
		}
	}
	budget := min(max(maxUnavailable-unavailable, 0), len(candidates))
	return append(replacements, candidates[:budget]...)
}

// withSurge returns the old pods to delete and the nodes to start a new pod
// on beside the old one. A node whose old pod is unavailable gets its new
// pod at once; others within maxSurge, counting new pods not yet available.
// An old pod goes once the new one beside it is available. Old pods on
// nodes that should no longer run one go, while available, only as far as
// pods elsewhere have become available: with surge the owner expects no
// loss of availability.
func (r rollout) withSurge(maxSurge int) (del, create []string) {
	var (
		shouldNotRun []string
		candidates   []string
		allowed      []string
		surging      int
		available    int
	)
	for _, node := range r.nodeNames() {
		cur, old, ok := r.pods(node)
		if !ok {
			surging++
			continue
		}
		switch {
		case old != nil && r.available(old), old == nil && cur != nil && r.available(cur):
			available++
		}
		switch {
		case old == nil:
			// manage creates the pod if there is none.
		case cur == nil && !r.available(old):
			if !r.shouldRun[node] {
				del = append(del, old.Name)
				continue
			}
			allowed = append(allowed, node)
		case cur == nil:
			if !r.shouldRun[node] {
				shouldNotRun = append(shouldNotRun, old.Name)
				continue
			}
			if surging < maxSurge {
				candidates = append(candidates, node)
			}
		case !r.available(cur):
			surging++
		default:
			del = append(del, old.Name)
		}
	}
	if deletable := available - r.desired; deletable > 0 {
		del = append(del, shouldNotRun[:min(deletable, len(shouldNotRun))]...)
	}
	budget := min(max(maxSurge-surging, 0), len(candidates))
	return del, append(allowed, candidates[:budget]...)
}
