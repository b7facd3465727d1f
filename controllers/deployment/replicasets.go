package deployment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
)

// claimReplicaSets adopts the orphan ReplicaSets d's selector matches and
// releases the ones d controls that it no longer matches, returning those d
// now controls (upstream's ReplicaSetControllerRefManager). A Deployment
// being deleted neither adopts nor releases: the garbage collector is
// orphaning or deleting its ReplicaSets.
func (c *Controller) claimReplicaSets(ctx context.Context, d *appsv1.Deployment) ([]*appsv1.ReplicaSet, error) {
	all, err := c.replicaSets.ReplicaSets(d.Namespace).List(labels.Everything())
	if err != nil {
		return nil, fmt.Errorf("list replica sets: %w", err)
	}
	selector, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return nil, fmt.Errorf("invalid label selector: %w", err)
	}
	var (
		claimed  []*appsv1.ReplicaSet
		errs     []error
		canAdopt *error
	)
	for _, rs := range all {
		matches := selector.Matches(labels.Set(rs.Labels))
		if ref := metav1.GetControllerOfNoCopy(rs); ref != nil {
			if ref.UID != d.UID {
				continue
			}
			if matches {
				claimed = append(claimed, rs)
				continue
			}
			if d.DeletionTimestamp != nil {
				continue
			}
			if err := c.releaseReplicaSet(ctx, d, rs); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		if d.DeletionTimestamp != nil || !matches || rs.DeletionTimestamp != nil {
			continue
		}
		if canAdopt == nil {
			// Recheck against the API once per sync: the cache may not
			// show yet that d is being deleted, and adopting then would
			// race the garbage collector's orphaning.
			err := c.recheckNotDeleted(ctx, d)
			canAdopt = &err
		}
		if *canAdopt != nil {
			errs = append(errs, fmt.Errorf("adopt replica set %s: %w", rs.Name, *canAdopt))
			continue
		}
		switch err := c.adoptReplicaSet(ctx, d, rs); {
		case err == nil:
			claimed = append(claimed, rs)
		case apierrors.IsNotFound(err):
		default:
			errs = append(errs, err)
		}
	}
	return claimed, errors.Join(errs...)
}

func (c *Controller) recheckNotDeleted(ctx context.Context, d *appsv1.Deployment) error {
	fresh, err := c.client.AppsV1().Deployments(d.Namespace).Get(ctx, d.Name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("recheck deletion timestamp: %w", err)
	}
	if fresh.UID != d.UID {
		return fmt.Errorf("deployment %s/%s is gone: uid %s, want %s", d.Namespace, d.Name, fresh.UID, d.UID)
	}
	if fresh.DeletionTimestamp != nil {
		return fmt.Errorf("deployment %s/%s is being deleted", d.Namespace, d.Name)
	}
	return nil
}

// adoptReplicaSet makes d rs's controller. The patch names rs's UID so that
// it cannot apply to a ReplicaSet recreated under the same name; the server
// refuses it if another controller got there first.
func (c *Controller) adoptReplicaSet(ctx context.Context, d *appsv1.Deployment, rs *appsv1.ReplicaSet) error {
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{
		"uid":             rs.UID,
		"ownerReferences": []metav1.OwnerReference{*metav1.NewControllerRef(d, controllerKind)},
	}})
	if err != nil {
		return err
	}
	if _, err := c.client.AppsV1().ReplicaSets(rs.Namespace).Patch(ctx, rs.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("adopt replica set %s: %w", rs.Name, err)
	}
	klog.FromContext(ctx).V(2).Info("Adopted replica set", "replicaSet", klog.KObj(rs), "deployment", klog.KObj(d))
	return nil
}

// releaseReplicaSet removes d's ownerReference from rs. A ReplicaSet that
// is gone, or whose UID changed (the patch is then invalid), needs none.
func (c *Controller) releaseReplicaSet(ctx context.Context, d *appsv1.Deployment, rs *appsv1.ReplicaSet) error {
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{
		"uid":             rs.UID,
		"ownerReferences": []map[string]string{{"$patch": "delete", "uid": string(d.UID)}},
	}})
	if err != nil {
		return err
	}
	_, err = c.client.AppsV1().ReplicaSets(rs.Namespace).Patch(ctx, rs.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsInvalid(err) {
		return fmt.Errorf("release replica set %s: %w", rs.Name, err)
	}
	klog.FromContext(ctx).V(2).Info("Released replica set", "replicaSet", klog.KObj(rs), "deployment", klog.KObj(d))
	return nil
}

// equalIgnoreHash reports whether two templates are the same but for the
// pod-template-hash label: a ReplicaSet's template is its Deployment's plus
// that label.
func equalIgnoreHash(t1, t2 *corev1.PodTemplateSpec) bool {
	a, b := t1.DeepCopy(), t2.DeepCopy()
	delete(a.Labels, appsv1.DefaultDeploymentUniqueLabelKey)
	delete(b.Labels, appsv1.DefaultDeploymentUniqueLabelKey)
	return apiequality.Semantic.DeepEqual(a, b)
}

// findNewReplicaSet returns the ReplicaSet running d's template, the oldest
// one if there are several (they can be after an upgrade changed the hash).
func findNewReplicaSet(d *appsv1.Deployment, rsList []*appsv1.ReplicaSet) *appsv1.ReplicaSet {
	sorted := append([]*appsv1.ReplicaSet(nil), rsList...)
	sort.Sort(byCreationTimestamp(sorted))
	for _, rs := range sorted {
		if equalIgnoreHash(&rs.Spec.Template, &d.Spec.Template) {
			return rs
		}
	}
	return nil
}

// findOldReplicaSets returns every ReplicaSet of rsList but the new one,
// oldest first.
func findOldReplicaSets(d *appsv1.Deployment, rsList []*appsv1.ReplicaSet) []*appsv1.ReplicaSet {
	newRS := findNewReplicaSet(d, rsList)
	sorted := append([]*appsv1.ReplicaSet(nil), rsList...)
	sort.Sort(byCreationTimestamp(sorted))
	var old []*appsv1.ReplicaSet
	for _, rs := range sorted {
		if newRS == nil || rs.UID != newRS.UID {
			old = append(old, rs)
		}
	}
	return old
}

// replicaSetsAndSyncRevision returns d's new ReplicaSet (nil if it does not
// exist and create is false) and its old ones, after giving the new one the
// next revision and copying that revision to d.
func (c *Controller) replicaSetsAndSyncRevision(ctx context.Context, d *appsv1.Deployment, rsList []*appsv1.ReplicaSet, create bool) (*appsv1.ReplicaSet, []*appsv1.ReplicaSet, error) {
	oldRSs := findOldReplicaSets(d, rsList)
	newRS, err := c.newReplicaSet(ctx, d, rsList, oldRSs, create)
	if err != nil {
		return nil, nil, err
	}
	return newRS, oldRSs, nil
}

// newReplicaSet returns the ReplicaSet of d's template with its revision
// (one above the old ones'), annotations and minReadySeconds brought up to
// date, creating it when create is set. The name is deterministic, so a
// create that races a slow cache finds its own ReplicaSet; a different
// template under that name is a hash collision, resolved by bumping
// status.collisionCount and trying again with the next hash.
func (c *Controller) newReplicaSet(ctx context.Context, d *appsv1.Deployment, rsList, oldRSs []*appsv1.ReplicaSet, create bool) (*appsv1.ReplicaSet, error) {
	logger := klog.FromContext(ctx)
	existing := findNewReplicaSet(d, rsList)
	newRevision := strconv.FormatInt(maxRevision(logger, oldRSs)+1, 10)

	if existing != nil {
		rsCopy := existing.DeepCopy()
		annotationsChanged := setNewReplicaSetAnnotations(logger, d, rsCopy, newRevision, true)
		if annotationsChanged || rsCopy.Spec.MinReadySeconds != d.Spec.MinReadySeconds {
			// The deployment's own revision follows on the next sync,
			// after this update comes back through the informer.
			rsCopy.Spec.MinReadySeconds = d.Spec.MinReadySeconds
			updated, err := c.client.AppsV1().ReplicaSets(rsCopy.Namespace).Update(ctx, rsCopy, metav1.UpdateOptions{})
			if err != nil {
				return nil, fmt.Errorf("update replica set %s: %w", rsCopy.Name, err)
			}
			// The caller may look again within this sync (a scaling
			// check, then the rollout): it must not update the stale
			// copy a second time.
			for i := range rsList {
				if rsList[i].UID == updated.UID {
					rsList[i] = updated
				}
			}
			return updated, nil
		}
		needsUpdate := setDeploymentRevision(d, rsCopy.Annotations[RevisionAnnotation])
		// A Deployment without a Progressing condition (one that predates
		// progress deadlines) starts counting progress from now.
		if hasProgressDeadline(d) && condition(d.Status, appsv1.DeploymentProgressing) == nil {
			setCondition(&d.Status, c.newCondition(appsv1.DeploymentProgressing, corev1.ConditionTrue, FoundNewRSReason,
				fmt.Sprintf("Found new replica set %q", rsCopy.Name)))
			needsUpdate = true
		}
		if needsUpdate {
			if err := c.updateStatus(ctx, d); err != nil {
				return nil, err
			}
		}
		return rsCopy, nil
	}
	if !create {
		return nil, nil
	}

	template := *d.Spec.Template.DeepCopy()
	hash := PodTemplateHash(&template, d.Status.CollisionCount)
	template.Labels = withLabel(d.Spec.Template.Labels, appsv1.DefaultDeploymentUniqueLabelKey, hash)
	selector := d.Spec.Selector.DeepCopy()
	selector.MatchLabels = withLabel(selector.MatchLabels, appsv1.DefaultDeploymentUniqueLabelKey, hash)
	rs := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Name:            replicaSetName(d.Name, hash),
			Namespace:       d.Namespace,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(d, controllerKind)},
			Labels:          template.Labels,
		},
		Spec: appsv1.ReplicaSetSpec{
			Replicas:        ptr.To[int32](0),
			MinReadySeconds: d.Spec.MinReadySeconds,
			Selector:        selector,
			Template:        template,
		},
	}
	replicas, err := newRSNewReplicas(d, append(append([]*appsv1.ReplicaSet(nil), oldRSs...), rs), rs)
	if err != nil {
		return nil, err
	}
	rs.Spec.Replicas = ptr.To(replicas)
	setNewReplicaSetAnnotations(logger, d, rs, newRevision, false)

	created, err := c.client.AppsV1().ReplicaSets(d.Namespace).Create(ctx, rs, metav1.CreateOptions{})
	alreadyExists := false
	switch {
	case apierrors.IsAlreadyExists(err):
		alreadyExists = true
		found, getErr := c.replicaSets.ReplicaSets(rs.Namespace).Get(rs.Name)
		if getErr != nil {
			return nil, fmt.Errorf("get existing replica set %s: %w", rs.Name, getErr)
		}
		// Ours, with our template: the cache was behind our own create.
		if ref := metav1.GetControllerOfNoCopy(found); ref != nil && ref.UID == d.UID && equalIgnoreHash(&d.Spec.Template, &found.Spec.Template) {
			created, err = found, nil
			break
		}
		// Someone else's, or another template: a collision.
		prev := ptr.Deref(d.Status.CollisionCount, 0)
		d.Status.CollisionCount = ptr.To(prev + 1)
		if uerr := c.updateStatus(ctx, d); uerr == nil {
			logger.V(2).Info("Found a hash collision for deployment - bumping collisionCount to resolve it",
				"deployment", klog.KObj(d), "oldCollisionCount", prev, "newCollisionCount", prev+1)
		}
		return nil, fmt.Errorf("create replica set %s: %w", rs.Name, err)
	case apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause):
		return nil, err
	case err != nil:
		msg := fmt.Sprintf("Failed to create new replica set %q: %v", rs.Name, err)
		if hasProgressDeadline(d) {
			setCondition(&d.Status, c.newCondition(appsv1.DeploymentProgressing, corev1.ConditionFalse, FailedRSCreateReason, msg))
			// The create error is the one to report; a failure to
			// record it is retried with it.
			_ = c.updateStatus(ctx, d)
		}
		c.recorder.Eventf(d, corev1.EventTypeWarning, FailedRSCreateReason, "%s", msg)
		return nil, fmt.Errorf("create replica set %s: %w", rs.Name, err)
	}
	if !alreadyExists && replicas > 0 {
		c.recorder.Eventf(d, corev1.EventTypeNormal, "ScalingReplicaSet", "Scaled up replica set %s from 0 to %d", created.Name, replicas)
	}
	needsUpdate := setDeploymentRevision(d, newRevision)
	if !alreadyExists && hasProgressDeadline(d) {
		setCondition(&d.Status, c.newCondition(appsv1.DeploymentProgressing, corev1.ConditionTrue, NewReplicaSetReason,
			fmt.Sprintf("Created new replica set %q", created.Name)))
		needsUpdate = true
	}
	if needsUpdate {
		if err := c.updateStatus(ctx, d); err != nil {
			return nil, err
		}
	}
	return created, nil
}

// withLabel returns a copy of m with key set to value.
func withLabel(m map[string]string, key, value string) map[string]string {
	out := make(map[string]string, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	out[key] = value
	return out
}

// activeReplicaSets are those asking for pods.
func activeReplicaSets(rss []*appsv1.ReplicaSet) []*appsv1.ReplicaSet {
	var out []*appsv1.ReplicaSet
	for _, rs := range rss {
		if rs != nil && ptr.Deref(rs.Spec.Replicas, 0) > 0 {
			out = append(out, rs)
		}
	}
	return out
}

// byCreationTimestamp sorts oldest first, by name among equals.
type byCreationTimestamp []*appsv1.ReplicaSet

func (o byCreationTimestamp) Len() int      { return len(o) }
func (o byCreationTimestamp) Swap(i, j int) { o[i], o[j] = o[j], o[i] }
func (o byCreationTimestamp) Less(i, j int) bool {
	if o[i].CreationTimestamp.Equal(&o[j].CreationTimestamp) {
		return o[i].Name < o[j].Name
	}
	return o[i].CreationTimestamp.Before(&o[j].CreationTimestamp)
}

// bySizeOlder sorts largest first, older first among equals: scaling down
// takes from old ReplicaSets first.
type bySizeOlder []*appsv1.ReplicaSet

func (o bySizeOlder) Len() int      { return len(o) }
func (o bySizeOlder) Swap(i, j int) { o[i], o[j] = o[j], o[i] }
func (o bySizeOlder) Less(i, j int) bool {
	if *o[i].Spec.Replicas == *o[j].Spec.Replicas {
		return byCreationTimestamp(o).Less(i, j)
	}
	return *o[i].Spec.Replicas > *o[j].Spec.Replicas
}

// bySizeNewer sorts largest first, newer first among equals: scaling up
// gives to new ReplicaSets first.
type bySizeNewer []*appsv1.ReplicaSet

func (o bySizeNewer) Len() int      { return len(o) }
func (o bySizeNewer) Swap(i, j int) { o[i], o[j] = o[j], o[i] }
func (o bySizeNewer) Less(i, j int) bool {
	if *o[i].Spec.Replicas == *o[j].Spec.Replicas {
		return byCreationTimestamp(o).Less(j, i)
	}
	return *o[i].Spec.Replicas > *o[j].Spec.Replicas
}

// byRevision sorts by revision, oldest first; creation time breaks ties
// and stands in for unparsable revisions.
type byRevision []*appsv1.ReplicaSet

func (o byRevision) Len() int      { return len(o) }
func (o byRevision) Swap(i, j int) { o[i], o[j] = o[j], o[i] }
func (o byRevision) Less(i, j int) bool {
	r1, err1 := revision(o[i])
	r2, err2 := revision(o[j])
	if err1 != nil || err2 != nil || r1 == r2 {
		return byCreationTimestamp(o).Less(i, j)
	}
	return r1 < r2
}
