package statefulset

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/controllers/queue"
)

// listRevisions returns the ControllerRevisions set controls and the
// orphans its selector matches, from the cache.
func (c *Controller) listRevisions(set *appsv1.StatefulSet, selector labels.Selector) ([]*appsv1.ControllerRevision, error) {
	var out []*appsv1.ControllerRevision
	for _, key := range []string{string(set.UID), orphanKey(set.Namespace)} {
		objs, err := c.revisions.ByIndex(ownerIndex, key)
		if err != nil {
			return nil, fmt.Errorf("list revisions of statefulset %s/%s: %w", set.Namespace, set.Name, err)
		}
		for _, obj := range objs {
			rev, ok := obj.(*appsv1.ControllerRevision)
			if !ok || rev.Namespace != set.Namespace || !selector.Matches(labels.Set(rev.Labels)) {
				continue
			}
			if ref := metav1.GetControllerOfNoCopy(rev); ref == nil || ref.UID == set.UID {
				out = append(out, rev)
			}
		}
	}
	return out, nil
}

// adoptOrphanRevisions makes set the controller of the orphans among
// revisions, replacing them in the slice with the adopted objects.
func (c *Controller) adoptOrphanRevisions(ctx context.Context, set *appsv1.StatefulSet, revisions []*appsv1.ControllerRevision) error {
	checked := false
	for i, rev := range revisions {
		if metav1.GetControllerOfNoCopy(rev) != nil {
			continue
		}
		if !checked {
			if err := c.recheckNotDeleted(ctx, set); err != nil {
				return fmt.Errorf("can't adopt ControllerRevisions: %w", err)
			}
			checked = true
		}
		adopted, err := c.client.AppsV1().ControllerRevisions(rev.Namespace).Patch(ctx, rev.Name, types.StrategicMergePatchType,
			adoptPatch(set, rev.UID), metav1.PatchOptions{})
		if err != nil {
			return fmt.Errorf("adopt revision %s/%s: %w", rev.Namespace, rev.Name, err)
		}
		c.writes.wrote(queue.Key(set.Namespace, set.Name), set.UID, resourceRevisions, adopted.ResourceVersion)
		klog.FromContext(ctx).V(2).Info("Adopted revision", "controllerRevision", klog.KObj(rev), "statefulSet", klog.KObj(set))
		revisions[i] = adopted
	}
	return nil
}

// adoptPatch makes set an object's controller; naming the object's UID, it
// cannot apply to another object recreated under the same name.
func adoptPatch(set *appsv1.StatefulSet, uid types.UID) []byte {
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{
		"uid":             uid,
		"ownerReferences": []metav1.OwnerReference{*metav1.NewControllerRef(set, controllerKind)},
	}})
	return patch
}

// releasePatch removes set from an object's ownerReferences.
func releasePatch(set *appsv1.StatefulSet, uid types.UID) []byte {
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{
		"uid":             uid,
		"ownerReferences": []map[string]string{{"$patch": "delete", "uid": string(set.UID)}},
	}})
	return patch
}

// recheckNotDeleted reads set past the cache before an adoption: the cache
// may not show yet that it is being deleted, and adopting then would race
// the garbage collector.
func (c *Controller) recheckNotDeleted(ctx context.Context, set *appsv1.StatefulSet) error {
	fresh, err := c.client.AppsV1().StatefulSets(set.Namespace).Get(ctx, set.Name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("recheck deletion timestamp: %w", err)
	}
	if fresh.UID != set.UID {
		return fmt.Errorf("original StatefulSet %s/%s is gone: got uid %s, wanted %s", set.Namespace, set.Name, fresh.UID, set.UID)
	}
	if fresh.DeletionTimestamp != nil {
		return fmt.Errorf("%s/%s has just been deleted at %v", set.Namespace, set.Name, fresh.DeletionTimestamp)
	}
	return nil
}

// setRevisions finds set's current and update revisions among sorted,
// creating the update revision for a new template or renumbering an old
// one the template went back to (a rollback). It returns the collision
// count, raised by each name already taken by other data.
func (c *Controller) setRevisions(ctx context.Context, set *appsv1.StatefulSet, sorted []*appsv1.ControllerRevision) (current, update *appsv1.ControllerRevision, collisionCount int32, err error) {
	collisionCount = ptr.Deref(set.Status.CollisionCount, 0)
	proposed, err := newRevision(set, nextRevision(sorted), &collisionCount)
	if err != nil {
		return nil, nil, collisionCount, err
	}
	var equal *appsv1.ControllerRevision
	for _, rev := range sorted {
		if equalRevision(rev, proposed) {
			equal = rev
		}
	}
	n := len(sorted)
	switch {
	case equal != nil && equal == sorted[n-1]:
		update = equal
	case equal != nil:
		if update, err = c.renumberRevision(ctx, set, equal, proposed.Revision); err != nil {
			return nil, nil, collisionCount, err
		}
	case n > 0 && sameAsRevision(set, proposed, sorted[n-1], c.sameTemplate):
		update = sorted[n-1]
	default:
		if update, err = c.createRevision(ctx, set, proposed, &collisionCount); err != nil {
			return nil, nil, collisionCount, err
		}
	}
	for _, rev := range sorted {
		if rev.Name == set.Status.CurrentRevision {
			current = rev
			break
		}
	}
	if current == nil {
		// A new set: its history starts at the update revision.
		current = update
	}
	return current, update, collisionCount, nil
}

// createRevision creates rev under set's name and the hash of its data and
// collisionCount. A name taken by the same data (a cache behind the
// controller's own create) is that revision; a name taken by other data
// raises collisionCount and tries the next name.
func (c *Controller) createRevision(ctx context.Context, set *appsv1.StatefulSet, rev *appsv1.ControllerRevision, collisionCount *int32) (*appsv1.ControllerRevision, error) {
	clone := rev.DeepCopy()
	for {
		clone.Name = revisionName(set.Name, hashRevision(rev.Data.Raw, collisionCount))
		created, err := c.client.AppsV1().ControllerRevisions(set.Namespace).Create(ctx, clone, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			exists, err := c.client.AppsV1().ControllerRevisions(set.Namespace).Get(ctx, clone.Name, metav1.GetOptions{})
			if err != nil {
				return nil, fmt.Errorf("get revision %s/%s: %w", set.Namespace, clone.Name, err)
			}
			if bytes.Equal(exists.Data.Raw, clone.Data.Raw) {
				return exists, nil
			}
			*collisionCount++
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("create revision %s/%s: %w", set.Namespace, clone.Name, err)
		}
		c.writes.wrote(queue.Key(set.Namespace, set.Name), set.UID, resourceRevisions, created.ResourceVersion)
		klog.FromContext(ctx).V(2).Info("Created revision", "controllerRevision", klog.KObj(created), "revision", created.Revision, "statefulSet", klog.KObj(set))
		return created, nil
	}
}

// renumberRevision gives rev the revision number n.
func (c *Controller) renumberRevision(ctx context.Context, set *appsv1.StatefulSet, rev *appsv1.ControllerRevision, n int64) (*appsv1.ControllerRevision, error) {
	clone := rev.DeepCopy()
	err := retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		if clone.Revision == n {
			return nil
		}
		clone.Revision = n
		updated, err := c.client.AppsV1().ControllerRevisions(clone.Namespace).Update(ctx, clone, metav1.UpdateOptions{})
		if err == nil {
			clone = updated
			c.writes.wrote(queue.Key(set.Namespace, set.Name), set.UID, resourceRevisions, updated.ResourceVersion)
			return nil
		}
		if fresh, getErr := c.client.AppsV1().ControllerRevisions(clone.Namespace).Get(ctx, clone.Name, metav1.GetOptions{}); getErr == nil {
			clone = fresh
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("renumber revision %s/%s to %d: %w", rev.Namespace, rev.Name, n, err)
	}
	klog.FromContext(ctx).V(2).Info("Renumbered revision", "controllerRevision", klog.KObj(rev), "from", rev.Revision, "to", n, "statefulSet", klog.KObj(set))
	return clone, nil
}

// truncateHistory deletes the oldest revisions beyond set's
// revisionHistoryLimit among those that are not live: neither the current
// nor the update revision, nor any pod's. sorted is in revision order.
func (c *Controller) truncateHistory(ctx context.Context, set *appsv1.StatefulSet, pods []*corev1.Pod, sorted []*appsv1.ControllerRevision, current, update *appsv1.ControllerRevision) error {
	limit := int(ptr.Deref(set.Spec.RevisionHistoryLimit, 10))
	if limit < 0 {
		return nil
	}
	live := map[string]bool{current.Name: true, update.Name: true}
	for _, p := range pods {
		live[podRevision(p)] = true
	}
	var history []*appsv1.ControllerRevision
	for _, rev := range sorted {
		if !live[rev.Name] {
			history = append(history, rev)
		}
	}
	if len(history) <= limit {
		return nil
	}
	for _, rev := range history[:len(history)-limit] {
		err := c.client.AppsV1().ControllerRevisions(rev.Namespace).Delete(ctx, rev.Name, metav1.DeleteOptions{Preconditions: metav1.NewUIDPreconditions(string(rev.UID))})
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			return fmt.Errorf("delete revision %s/%s: %w", rev.Namespace, rev.Name, err)
		}
		klog.FromContext(ctx).V(2).Info("Deleted revision beyond the history limit", "controllerRevision", klog.KObj(rev), "revision", rev.Revision, "statefulSet", klog.KObj(set))
	}
	return nil
}
