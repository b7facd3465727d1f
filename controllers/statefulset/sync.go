package statefulset

import (
	"context"
	"errors"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/controllers/queue"
)

// staleCacheRecheck is how long a set whose caches are behind its own
// writes waits before it is looked at again. Pod and set events bring it
// back sooner; claim and revision changes do not trigger syncs, so the
// wait is short: caches lag by milliseconds.
const staleCacheRecheck = 50 * time.Millisecond

// sync reconciles one StatefulSet: adopt its orphaned revisions and pods,
// release what no longer matches, create, fix and delete pods and
// revisions, write status.
func (c *Controller) sync(ctx context.Context, key string) (time.Duration, error) {
	logger := klog.FromContext(ctx)
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, nil
	}
	cached, err := c.sets.StatefulSets(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		// The garbage collector takes care of its pods, claims and revisions.
		c.writes.forget(key, "")
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if err := c.writes.caughtUp(key); err != nil {
		logger.V(4).Info("Waiting for the caches to show the controller's own writes", "statefulSet", klog.KObj(cached), "reason", err)
		return staleCacheRecheck, nil
	}
	selector, err := metav1.LabelSelectorAsSelector(cached.Spec.Selector)
	if err != nil {
		// Validation refuses such selectors; nothing to retry.
		logger.Error(err, "Invalid selector", "statefulSet", klog.KObj(cached))
		return 0, nil
	}
	if selector.Empty() {
		// Validation refuses this too; such a set must not take over every
		// pod of its namespace.
		logger.Error(nil, "Empty selector, not syncing", "statefulSet", klog.KObj(cached))
		return 0, nil
	}
	set := cached.DeepCopy()
	after, err := c.syncSet(ctx, set, selector)
	if apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
		// Nothing can be created in a terminating namespace; retrying
		// would not help.
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("sync statefulset %s: %w", key, err)
	}
	return after, nil
}

// syncSet works on set, the controller's own copy.
func (c *Controller) syncSet(ctx context.Context, set *appsv1.StatefulSet, selector labels.Selector) (time.Duration, error) {
	revisions, err := c.listRevisions(set, selector)
	if err != nil {
		return 0, err
	}
	if err := c.adoptOrphanRevisions(ctx, set, revisions); err != nil {
		return 0, err
	}
	pods, err := c.claimPods(ctx, set, selector)
	if err != nil {
		return 0, err
	}
	sortRevisions(revisions)
	current, update, collisionCount, err := c.setRevisions(ctx, set, revisions)
	if err != nil {
		return 0, err
	}
	// One instant for the status and the next availability check, so that
	// they agree on which pods are available.
	now := c.clock.Now()
	status, err := c.manage(ctx, set, current, update, collisionCount, pods, now)
	var statusErr error
	if status != nil {
		statusErr = c.writeStatus(ctx, set, status)
	}
	// Revisions beyond the limit go even when this sync failed.
	truncateErr := c.truncateHistory(ctx, set, pods, revisions, current, update)
	if err := errors.Join(err, statusErr, truncateErr); err != nil {
		return 0, err
	}
	if minReady := set.Spec.MinReadySeconds; minReady > 0 && status.ReadyReplicas != status.AvailableReplicas {
		// Come back when the next ready pod becomes available: no event
		// marks that moment.
		after := time.Duration(minReady) * time.Second
		if next := nextAvailabilityCheck(pods, minReady, now); next != nil {
			after = max(*next, time.Millisecond)
		}
		return after, nil
	}
	return 0, nil
}

// claimPods returns the pods set owns after adopting matching orphans and
// releasing owned pods that no longer match (upstream's
// PodControllerRefManager): matching is the selector and a member's name.
// A set being deleted neither adopts nor releases: the garbage collector is
// orphaning or deleting its pods.
func (c *Controller) claimPods(ctx context.Context, set *appsv1.StatefulSet, selector labels.Selector) ([]*corev1.Pod, error) {
	var (
		claimed  []*corev1.Pod
		errs     []error
		canAdopt *error
	)
	for _, key := range []string{string(set.UID), orphanKey(set.Namespace)} {
		objs, err := c.pods.ByIndex(ownerIndex, key)
		if err != nil {
			return nil, fmt.Errorf("list pods of statefulset %s/%s: %w", set.Namespace, set.Name, err)
		}
		for _, obj := range objs {
			pod, ok := obj.(*corev1.Pod)
			if !ok || pod.Namespace != set.Namespace {
				continue
			}
			matches := selector.Matches(labels.Set(pod.Labels)) && isMemberOf(set, pod)
			if ref := metav1.GetControllerOfNoCopy(pod); ref != nil {
				if ref.UID != set.UID {
					continue
				}
				if matches {
					claimed = append(claimed, pod)
					continue
				}
				if set.DeletionTimestamp != nil {
					continue
				}
				if err := c.releasePod(ctx, set, pod); err != nil {
					errs = append(errs, err)
				}
				continue
			}
			if set.DeletionTimestamp != nil || !matches || pod.DeletionTimestamp != nil {
				continue
			}
			if canAdopt == nil {
				err := c.recheckNotDeleted(ctx, set)
				canAdopt = &err
			}
			if *canAdopt != nil {
				errs = append(errs, fmt.Errorf("adopt pod %s/%s: %w", pod.Namespace, pod.Name, *canAdopt))
				continue
			}
			adopted, err := c.client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.StrategicMergePatchType, adoptPatch(set, pod.UID), metav1.PatchOptions{})
			switch {
			case err == nil:
				c.writes.wrote(queue.Key(set.Namespace, set.Name), set.UID, resourcePods, adopted.ResourceVersion)
				klog.FromContext(ctx).V(2).Info("Adopted pod", "pod", klog.KObj(pod), "statefulSet", klog.KObj(set))
				claimed = append(claimed, adopted)
			case apierrors.IsNotFound(err):
			default:
				errs = append(errs, fmt.Errorf("adopt pod %s/%s: %w", pod.Namespace, pod.Name, err))
			}
		}
	}
	return claimed, errors.Join(errs...)
}

// releasePod removes set's ownerReference from pod. A pod that is gone, or
// whose UID changed (the patch is then invalid), needs no release.
func (c *Controller) releasePod(ctx context.Context, set *appsv1.StatefulSet, pod *corev1.Pod) error {
	released, err := c.client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.StrategicMergePatchType, releasePatch(set, pod.UID), metav1.PatchOptions{})
	switch {
	case err == nil:
		c.writes.wrote(queue.Key(set.Namespace, set.Name), set.UID, resourcePods, released.ResourceVersion)
	case apierrors.IsNotFound(err), apierrors.IsInvalid(err):
	default:
		return fmt.Errorf("release pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	klog.FromContext(ctx).V(2).Info("Released pod", "pod", klog.KObj(pod), "statefulSet", klog.KObj(set))
	return nil
}
