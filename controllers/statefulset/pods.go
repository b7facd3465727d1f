package statefulset

import (
	"context"
	"errors"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/controllers/queue"
)

// Verbs of the pod and claim events, titled as upstream's reasons
// (SuccessfulCreate, FailedDelete, ...) and messages have them.
const (
	verbCreate = "Create"
	verbUpdate = "Update"
	verbDelete = "Delete"
)

// recordPodEvent records verb on pod as upstream does: "Create Pod web-0 in
// StatefulSet web successful", or a warning with the error.
func (c *Controller) recordPodEvent(verb string, set *appsv1.StatefulSet, pod *corev1.Pod, err error) {
	if err == nil {
		c.recorder.Eventf(set, corev1.EventTypeNormal, "Successful"+verb, "%s Pod %s in StatefulSet %s successful", verb, pod.Name, set.Name)
		return
	}
	c.recorder.Eventf(set, corev1.EventTypeWarning, "Failed"+verb, "%s Pod %s in StatefulSet %s failed error: %s", verb, pod.Name, set.Name, err)
}

func (c *Controller) recordClaimEvent(verb string, set *appsv1.StatefulSet, pod *corev1.Pod, claim *corev1.PersistentVolumeClaim, err error) {
	if err == nil {
		c.recorder.Eventf(set, corev1.EventTypeNormal, "Successful"+verb, "%s Claim %s Pod %s in StatefulSet %s success", verb, claim.Name, pod.Name, set.Name)
		return
	}
	c.recorder.Eventf(set, corev1.EventTypeWarning, "Failed"+verb, "%s Claim %s for Pod %s in StatefulSet %s failed error: %s", verb, claim.Name, pod.Name, set.Name, err)
}

// createPod creates pod's claims, then pod, then gives the claims the
// owners the retention policy asks for. A pod that already exists is not
// an event: the cache was behind.
func (c *Controller) createPod(ctx context.Context, set *appsv1.StatefulSet, pod *corev1.Pod) error {
	if err := c.createClaims(ctx, set, pod); err != nil {
		c.recordPodEvent(verbCreate, set, pod, err)
		return err
	}
	created, err := c.client.CoreV1().Pods(pod.Namespace).Create(ctx, pod, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	if err == nil {
		c.writes.wrote(queue.Key(set.Namespace, set.Name), set.UID, resourcePods, created.ResourceVersion)
		klog.FromContext(ctx).V(2).Info("Created pod", "pod", klog.KObj(created), "statefulSet", klog.KObj(set))
		pod = created
	}
	if err := c.updateClaimOwners(ctx, set, pod); err != nil {
		c.recordPodEvent(verbUpdate, set, pod, err)
		return err
	}
	c.recordPodEvent(verbCreate, set, pod, err)
	if err != nil {
		return fmt.Errorf("create pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	return nil
}

// updatePod gives pod (the controller's own copy) its identity, its claim
// volumes and its claims' owners, writing it if anything changed.
func (c *Controller) updatePod(ctx context.Context, set *appsv1.StatefulSet, pod *corev1.Pod) error {
	attempted := false
	err := retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		consistent := true
		if !identityMatches(set, pod) {
			updateIdentity(set, pod)
			consistent = false
		}
		if !storageMatches(set, pod) {
			updateStorage(set, pod)
			consistent = false
			if err := c.createClaims(ctx, set, pod); err != nil {
				c.recordPodEvent(verbUpdate, set, pod, err)
				return err
			}
		}
		match, err := c.claimsMatchPolicy(ctx, set, pod)
		if err != nil {
			c.recordPodEvent(verbUpdate, set, pod, err)
			return err
		}
		if !match {
			if err := c.updateClaimOwners(ctx, set, pod); err != nil {
				c.recordPodEvent(verbUpdate, set, pod, err)
				return err
			}
			// As upstream, the pod counts as changed too: its update is
			// what the event reports.
			consistent = false
		}
		if consistent {
			return nil
		}
		attempted = true
		updated, err := c.client.CoreV1().Pods(pod.Namespace).Update(ctx, pod, metav1.UpdateOptions{})
		if err == nil {
			c.writes.wrote(queue.Key(set.Namespace, set.Name), set.UID, resourcePods, updated.ResourceVersion)
			return nil
		}
		if apierrors.IsConflict(err) {
			if fresh, getErr := c.client.CoreV1().Pods(pod.Namespace).Get(ctx, pod.Name, metav1.GetOptions{}); getErr == nil {
				pod = fresh
			}
		}
		return err
	})
	if attempted {
		c.recordPodEvent(verbUpdate, set, pod, err)
	}
	if err != nil {
		return fmt.Errorf("update pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	return nil
}

// deletePod deletes pod, on the condition that it is still the pod the
// cache showed: a stale cache must not delete the pod that replaced it. A
// pod already gone counts as deleted.
func (c *Controller) deletePod(ctx context.Context, set *appsv1.StatefulSet, pod *corev1.Pod) error {
	err := c.client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{Preconditions: metav1.NewUIDPreconditions(string(pod.UID))})
	switch {
	case err == nil, apierrors.IsNotFound(err):
	case apierrors.IsConflict(err):
		// Another pod of the same name: this one is gone.
		klog.FromContext(ctx).V(4).Info("Pod to delete was replaced", "pod", klog.KObj(pod), "statefulSet", klog.KObj(set))
		return nil
	default:
		c.recordPodEvent(verbDelete, set, pod, err)
		return fmt.Errorf("delete pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	klog.FromContext(ctx).V(2).Info("Deleted pod", "pod", klog.KObj(pod), "statefulSet", klog.KObj(set))
	c.recordPodEvent(verbDelete, set, pod, nil)
	return nil
}

// createClaims creates those of pod's claims that do not exist. A claim
// being deleted is an error: the pod must wait for it to go and come back.
func (c *Controller) createClaims(ctx context.Context, set *appsv1.StatefulSet, pod *corev1.Pod) error {
	var errs []error
	for _, pc := range claimsFor(set, pod) {
		claim := pc.claim
		existing, err := c.claims.PersistentVolumeClaims(claim.Namespace).Get(claim.Name)
		switch {
		case apierrors.IsNotFound(err):
			created, err := c.client.CoreV1().PersistentVolumeClaims(claim.Namespace).Create(ctx, claim, metav1.CreateOptions{})
			if err == nil {
				c.writes.wrote(queue.Key(set.Namespace, set.Name), set.UID, resourceClaims, created.ResourceVersion)
				klog.FromContext(ctx).V(2).Info("Created claim", "claim", klog.KObj(created), "pod", klog.KObj(pod), "statefulSet", klog.KObj(set))
			} else {
				errs = append(errs, fmt.Errorf("create claim %s/%s: %w", claim.Namespace, claim.Name, err))
			}
			if err == nil || !apierrors.IsAlreadyExists(err) {
				c.recordClaimEvent(verbCreate, set, pod, claim, err)
			}
		case err != nil:
			errs = append(errs, fmt.Errorf("get claim %s/%s: %w", claim.Namespace, claim.Name, err))
			c.recordClaimEvent(verbCreate, set, pod, claim, err)
		case existing.DeletionTimestamp != nil:
			errs = append(errs, fmt.Errorf("claim %s/%s is being deleted", claim.Namespace, claim.Name))
		}
	}
	return errors.Join(errs...)
}

// claimsMatchPolicy reports whether pod's existing claims have the owners
// set's retention policy asks for. A missing claim matches: it is created
// on a later sync.
func (c *Controller) claimsMatchPolicy(ctx context.Context, set *appsv1.StatefulSet, pod *corev1.Pod) (bool, error) {
	for _, pc := range claimsFor(set, pod) {
		claim, err := c.claims.PersistentVolumeClaims(set.Namespace).Get(pc.claim.Name)
		switch {
		case apierrors.IsNotFound(err):
			klog.FromContext(ctx).V(4).Info("Expected claim missing, continuing to pick up in next iteration", "claim", klog.KObj(pc.claim))
		case err != nil:
			return false, fmt.Errorf("get claim %s/%s of pod %s: %w", set.Namespace, pc.claim.Name, pod.Name, err)
		case !claimOwnerUpToDate(claim, set, pod):
			return false, nil
		}
	}
	return true, nil
}

// updateClaimOwners gives pod's existing claims the owners set's retention
// policy asks for.
func (c *Controller) updateClaimOwners(ctx context.Context, set *appsv1.StatefulSet, pod *corev1.Pod) error {
	for _, pc := range claimsFor(set, pod) {
		claim, err := c.claims.PersistentVolumeClaims(set.Namespace).Get(pc.claim.Name)
		switch {
		case apierrors.IsNotFound(err):
			klog.FromContext(ctx).V(4).Info("Expected claim missing, continuing to pick up in next iteration", "claim", klog.KObj(pc.claim))
			continue
		case err != nil:
			return fmt.Errorf("get claim %s/%s of pod %s: %w", set.Namespace, pc.claim.Name, pod.Name, err)
		}
		if hasUnexpectedController(claim, set, pod) {
			c.recorder.Eventf(set, corev1.EventTypeWarning, "ConflictingController",
				"PersistentVolumeClaim %s has a conflicting OwnerReference that acts as a manging controller, the retention policy is ignored for this claim", claim.Name)
		}
		if claimOwnerUpToDate(claim, set, pod) {
			continue
		}
		claim = claim.DeepCopy()
		setClaimOwners(claim, set, pod)
		updated, err := c.client.CoreV1().PersistentVolumeClaims(claim.Namespace).Update(ctx, claim, metav1.UpdateOptions{})
		if err != nil {
			return fmt.Errorf("could not update claim %s for delete policy ownerRefs: %w", claim.Name, err)
		}
		c.writes.wrote(queue.Key(set.Namespace, set.Name), set.UID, resourceClaims, updated.ResourceVersion)
		klog.FromContext(ctx).V(2).Info("Updated claim owners for retention policy", "claim", klog.KObj(claim), "pod", klog.KObj(pod), "statefulSet", klog.KObj(set))
	}
	return nil
}

// claimIsStale reports whether one of pod's claims is still owned by an
// earlier pod of the same name, under whenScaled=Delete: the garbage
// collector is about to delete it, and the new pod must not start on it.
func (c *Controller) claimIsStale(set *appsv1.StatefulSet, pod *corev1.Pod) (bool, error) {
	if retentionPolicy(set).WhenScaled == appsv1.RetainPersistentVolumeClaimRetentionPolicyType {
		return false, nil
	}
	for _, pc := range claimsFor(set, pod) {
		claim, err := c.claims.PersistentVolumeClaims(set.Namespace).Get(pc.claim.Name)
		switch {
		case apierrors.IsNotFound(err):
		case err != nil:
			return false, fmt.Errorf("get claim %s/%s of pod %s: %w", set.Namespace, pc.claim.Name, pod.Name, err)
		case hasStaleOwnerRef(claim, pod, podKind):
			return true, nil
		}
	}
	return false, nil
}
