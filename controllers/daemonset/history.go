package daemonset

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/controllers/deployment"
)

// revisionData is the data of the ControllerRevision of ds's template: a
// strategic merge patch that puts the template back,
// {"spec":{"template":{...,"$patch":"replace"}}}. It must be byte for byte
// what upstream computes: the revision whose data equals it is the current
// one, for the controller as for kubectl rollout undo (which skips a
// revision that matches) and the conformance tests. Hence upstream's
// detour through a generic map: its keys marshal sorted, its numbers as
// integers where they are.
func revisionData(ds *appsv1.DaemonSet) ([]byte, error) {
	raw, err := utiljson.Marshal(ds.Spec.Template)
	if err != nil {
		return nil, err
	}
	var template map[string]any
	if err := utiljson.Unmarshal(raw, &template); err != nil {
		return nil, err
	}
	template["$patch"] = "replace"
	return utiljson.Marshal(map[string]any{"spec": map[string]any{"template": template}})
}

// claimRevisions returns the ControllerRevisions ds controls, adopting and
// releasing by selector as with pods. All of the namespace's revisions are
// looked at: one ds controls may no longer match.
func (c *Controller) claimRevisions(ctx context.Context, ds *appsv1.DaemonSet) ([]*appsv1.ControllerRevision, error) {
	selector, err := metav1.LabelSelectorAsSelector(ds.Spec.Selector)
	if err != nil {
		return nil, fmt.Errorf("selector: %w", err)
	}
	all, err := c.revisions.ControllerRevisions(ds.Namespace).List(labels.Everything())
	if err != nil {
		return nil, fmt.Errorf("list controller revisions: %w", err)
	}
	return claim(ctx, c, ds, selector, all, func(ctx context.Context, cr *appsv1.ControllerRevision, patch []byte) error {
		_, err := c.client.AppsV1().ControllerRevisions(cr.Namespace).Patch(ctx, cr.Name, strategicMerge, patch, metav1.PatchOptions{})
		return err
	})
}

// constructHistory returns ds's current revision, made or renumbered as
// needed, and the others. The current one is the revision whose data is
// ds's template; a template seen before (a rollback) makes its old revision
// current again with the next number, so that revision numbers always say
// which template came last.
func (c *Controller) constructHistory(ctx context.Context, ds *appsv1.DaemonSet, pods []*corev1.Pod) (*appsv1.ControllerRevision, []*appsv1.ControllerRevision, error) {
	revisions, err := c.claimRevisions(ctx, ds)
	if err != nil {
		return nil, nil, err
	}
	data, err := revisionData(ds)
	if err != nil {
		return nil, nil, fmt.Errorf("revision data: %w", err)
	}
	var current, old []*appsv1.ControllerRevision
	for _, cr := range revisions {
		if _, ok := cr.Labels[appsv1.DefaultDaemonSetUniqueLabelKey]; !ok {
			// A revision made before the label existed: its name serves
			// as its hash, which needs no collision handling.
			update := cr.DeepCopy()
			if update.Labels == nil {
				update.Labels = map[string]string{}
			}
			update.Labels[appsv1.DefaultDaemonSetUniqueLabelKey] = update.Name
			if cr, err = c.client.AppsV1().ControllerRevisions(ds.Namespace).Update(ctx, update, metav1.UpdateOptions{}); err != nil {
				return nil, nil, fmt.Errorf("label controller revision %s: %w", update.Name, err)
			}
		}
		if bytes.Equal(cr.Data.Raw, data) {
			current = append(current, cr)
		} else {
			old = append(old, cr)
		}
	}
	next := maxRevision(old) + 1
	if len(current) == 0 {
		cur, err := c.snapshot(ctx, ds, data, next)
		return cur, old, err
	}
	cur, err := c.dedupCurrent(ctx, ds, pods, current)
	if err != nil {
		return nil, nil, err
	}
	if cur.Revision < next {
		update := cur.DeepCopy()
		update.Revision = next
		if cur, err = c.client.AppsV1().ControllerRevisions(ds.Namespace).Update(ctx, update, metav1.UpdateOptions{}); err != nil {
			return nil, nil, fmt.Errorf("renumber controller revision %s: %w", update.Name, err)
		}
	}
	return cur, old, nil
}

func maxRevision(revisions []*appsv1.ControllerRevision) int64 {
	var out int64
	for _, cr := range revisions {
		out = max(out, cr.Revision)
	}
	return out
}

// snapshot creates the revision of ds's template, named <daemonset>-<hash>.
// A name taken by a revision of another template is a hash collision: the
// DaemonSet's collisionCount goes up, which changes the hash of the next
// attempt, and the error brings the DaemonSet back for it.
func (c *Controller) snapshot(ctx context.Context, ds *appsv1.DaemonSet, data []byte, revision int64) (*appsv1.ControllerRevision, error) {
	hash := deployment.PodTemplateHash(&ds.Spec.Template, ds.Status.CollisionCount)
	lbls := copyMap(ds.Spec.Template.Labels)
	lbls[appsv1.DefaultDaemonSetUniqueLabelKey] = hash
	cr := &appsv1.ControllerRevision{
		ObjectMeta: metav1.ObjectMeta{
			Name:            ds.Name + "-" + hash,
			Namespace:       ds.Namespace,
			Labels:          lbls,
			Annotations:     maps.Clone(ds.Annotations),
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(ds, controllerKind)},
		},
		Data:     runtime.RawExtension{Raw: data},
		Revision: revision,
	}
	created, err := c.client.AppsV1().ControllerRevisions(ds.Namespace).Create(ctx, cr, metav1.CreateOptions{})
	if err == nil {
		return created, nil
	}
	if !apierrors.IsAlreadyExists(err) {
		return nil, fmt.Errorf("create controller revision %s: %w", cr.Name, err)
	}
	existing, getErr := c.client.AppsV1().ControllerRevisions(ds.Namespace).Get(ctx, cr.Name, metav1.GetOptions{})
	if getErr != nil {
		return nil, fmt.Errorf("get controller revision %s: %w", cr.Name, getErr)
	}
	if bytes.Equal(existing.Data.Raw, data) {
		// Made by an earlier sync that the cache does not show yet.
		return existing, nil
	}
	fresh, getErr := c.client.AppsV1().DaemonSets(ds.Namespace).Get(ctx, ds.Name, metav1.GetOptions{})
	if getErr != nil {
		return nil, fmt.Errorf("get daemon set: %w", getErr)
	}
	if !ptr.Equal(fresh.Status.CollisionCount, ds.Status.CollisionCount) {
		// The hash was computed from a stale count; the next sync sees
		// the current one.
		return nil, fmt.Errorf("found a stale collision count (%v, expected %v) of DaemonSet %q while processing; will retry until it is updated",
			ptr.Deref(ds.Status.CollisionCount, 0), ptr.Deref(fresh.Status.CollisionCount, 0), ds.Name)
	}
	fresh.Status.CollisionCount = ptr.To(ptr.Deref(fresh.Status.CollisionCount, 0) + 1)
	if _, err := c.client.AppsV1().DaemonSets(ds.Namespace).UpdateStatus(ctx, fresh, metav1.UpdateOptions{}); err != nil {
		return nil, fmt.Errorf("bump collision count: %w", err)
	}
	klog.FromContext(ctx).V(2).Info("Found a hash collision for DaemonSet - bumping collisionCount to resolve it", "daemonset", klog.KObj(ds), "collisionCount", *fresh.Status.CollisionCount)
	return nil, fmt.Errorf("controller revision %s holds another template: %w", cr.Name, err)
}

// dedupCurrent keeps the highest-numbered of several revisions of the same
// template (two controllers raced, or the hash label was added to old
// ones): pods of the others are relabelled to it (in pods too, which the
// rest of the sync reads), then the others deleted.
func (c *Controller) dedupCurrent(ctx context.Context, ds *appsv1.DaemonSet, pods []*corev1.Pod, current []*appsv1.ControllerRevision) (*appsv1.ControllerRevision, error) {
	if len(current) == 1 {
		return current[0], nil
	}
	keep := current[0]
	for _, cr := range current[1:] {
		if cr.Revision >= keep.Revision {
			keep = cr
		}
	}
	hash := keep.Labels[appsv1.DefaultDaemonSetUniqueLabelKey]
	dupHashes := map[string]bool{}
	for _, cr := range current {
		if h := cr.Labels[appsv1.DefaultDaemonSetUniqueLabelKey]; h != hash {
			dupHashes[h] = true
		}
	}
	patch := mustJSON(map[string]any{"metadata": map[string]any{"labels": map[string]string{appsv1.DefaultDaemonSetUniqueLabelKey: hash}}})
	for i, pod := range pods {
		// Only pods of the duplicates: upstream relabels every pod, which
		// would pass pods of older templates off as up to date.
		if !dupHashes[pod.Labels[appsv1.DefaultDaemonSetUniqueLabelKey]] {
			continue
		}
		patched, err := c.client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.MergePatchType, patch, metav1.PatchOptions{})
		if err != nil {
			return nil, fmt.Errorf("relabel pod %s: %w", pod.Name, err)
		}
		// The rest of the sync must see the new label, or the rollout
		// would take the pod for an old one and replace it.
		pods[i] = patched
	}
	for _, cr := range current {
		if cr.Name == keep.Name {
			continue
		}
		if err := c.client.AppsV1().ControllerRevisions(ds.Namespace).Delete(ctx, cr.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("delete duplicate controller revision %s: %w", cr.Name, err)
		}
	}
	return keep, nil
}

// cleanupHistory deletes the oldest revisions beyond revisionHistoryLimit
// that no pod runs (pods being deleted count: they still run).
func (c *Controller) cleanupHistory(ctx context.Context, ds *appsv1.DaemonSet, pods []*corev1.Pod, old []*appsv1.ControllerRevision) error {
	toKill := len(old) - int(ptr.Deref(ds.Spec.RevisionHistoryLimit, 10))
	if toKill <= 0 {
		return nil
	}
	byNode := podsByNode(klog.FromContext(ctx), ds, pods, true)
	live := map[string]bool{}
	for _, pods := range byNode {
		for _, pod := range pods {
			if h := pod.Labels[appsv1.DefaultDaemonSetUniqueLabelKey]; h != "" {
				live[h] = true
			}
		}
	}
	old = append([]*appsv1.ControllerRevision(nil), old...)
	sort.SliceStable(old, func(i, j int) bool { return old[i].Revision < old[j].Revision })
	for _, cr := range old {
		if toKill <= 0 {
			break
		}
		if live[cr.Labels[appsv1.DefaultDaemonSetUniqueLabelKey]] {
			continue
		}
		if err := c.client.AppsV1().ControllerRevisions(ds.Namespace).Delete(ctx, cr.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete controller revision %s: %w", cr.Name, err)
		}
		toKill--
	}
	return nil
}
