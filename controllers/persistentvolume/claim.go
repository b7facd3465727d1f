package persistentvolume

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	storagehelpers "k8s.io/component-helpers/storage/volume"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	storageapi "github.com/kubeshim/kubeshim/apis/storage"
	"github.com/kubeshim/kubeshim/controllers/podclaims"
)

// syncClaim decides what to do with a claim: one whose binding never
// completed is matched or provisioned, a bound one is checked.
func (c *Controller) syncClaim(ctx context.Context, claim *corev1.PersistentVolumeClaim) error {
	klog.FromContext(ctx).V(4).Info("Syncing claim", "claim", klog.KObj(claim), "phase", claim.Status.Phase, "volume", claim.Spec.VolumeName)
	if !metav1.HasAnnotation(claim.ObjectMeta, storagehelpers.AnnBindCompleted) {
		return c.syncUnboundClaim(ctx, claim)
	}
	return c.syncBoundClaim(ctx, claim)
}

// syncUnboundClaim binds a Pending claim: to the volume it names, or to the
// best match, or asks for one to be provisioned.
func (c *Controller) syncUnboundClaim(ctx context.Context, claim *corev1.PersistentVolumeClaim) error {
	logger := klog.FromContext(ctx)
	if claim.Spec.VolumeName != "" {
		return c.syncPreboundClaim(ctx, claim)
	}
	delayBinding, err := c.isDelayBinding(claim)
	if err != nil {
		return err
	}
	volume, err := c.volumes.findBestMatch(claim, delayBinding)
	if err != nil {
		return fmt.Errorf("error finding PV for claim %q: %w", claimKey(claim), err)
	}
	if volume != nil {
		logger.V(4).Info("Volume found for claim", "claim", klog.KObj(claim), "volume", volume.Name)
		return c.bind(ctx, volume, claim)
	}
	// No volume: a claim without a class may get the default one now
	// (it may have been created before there was one).
	updated, err := c.assignDefaultStorageClass(ctx, claim)
	if err != nil {
		return fmt.Errorf("can't update PersistentVolumeClaim[%q]: %w", claimKey(claim), err)
	}
	if updated {
		// Its update event syncs it again.
		return nil
	}
	switch {
	case delayBinding && !storagehelpers.IsDelayBindingProvisioning(claim):
		if err := c.emitWaitingForConsumer(claim); err != nil {
			return err
		}
	case storagehelpers.GetPersistentVolumeClaimClass(claim) != "":
		// The claim waits for the provisioner; its PV, pre-bound to the
		// claim, brings it back here.
		return c.provisionClaim(ctx, claim)
	default:
		c.recorder.Event(claim, corev1.EventTypeNormal, reasonFailedBinding, "no persistent volumes available for this claim and no storage class is set")
	}
	_, err = c.updateClaimStatus(ctx, claim, corev1.ClaimPending, nil)
	return err
}

// syncPreboundClaim binds a claim that names its volume.
func (c *Controller) syncPreboundClaim(ctx context.Context, claim *corev1.PersistentVolumeClaim) error {
	logger := klog.FromContext(ctx)
	obj, found, err := c.volumes.store.GetByKey(claim.Spec.VolumeName)
	if err != nil {
		return err
	}
	if !found {
		// The volume may be created later.
		logger.V(4).Info("Claim's volume not found, will try again", "claim", klog.KObj(claim), "volume", claim.Spec.VolumeName)
		_, err := c.updateClaimStatus(ctx, claim, corev1.ClaimPending, nil)
		return err
	}
	volume := obj.(*corev1.PersistentVolume)
	switch {
	case volume.Spec.ClaimRef == nil:
		if err := checkVolumeSatisfyClaim(volume, claim); err != nil {
			logger.V(4).Info("Claim cannot bind to its volume", "claim", klog.KObj(claim), "volume", volume.Name, "err", err)
			c.recorder.Event(claim, corev1.EventTypeWarning, reasonVolumeMismatch, fmt.Sprintf("Cannot bind to requested volume %q: %s", volume.Name, err))
			_, err := c.updateClaimStatus(ctx, claim, corev1.ClaimPending, nil)
			return err
		}
		return c.bind(ctx, volume, claim)
	case storagehelpers.IsVolumeBoundToClaim(volume, claim):
		// Pre-bound both ways, or the binding is half done.
		return c.bind(ctx, volume, claim)
	case !metav1.HasAnnotation(claim.ObjectMeta, storagehelpers.AnnBoundByController):
		// The user asked for a volume another claim has; wait for it.
		c.recorder.Event(claim, corev1.EventTypeWarning, reasonFailedBinding, fmt.Sprintf("volume %q already bound to a different claim.", volume.Name))
		_, err := c.updateClaimStatus(ctx, claim, corev1.ClaimPending, nil)
		return err
	default:
		// The controller bound the claim to a volume that points
		// elsewhere: only someone removing bind-completed gets here.
		c.recorder.Event(claim, corev1.EventTypeWarning, reasonFailedBinding, fmt.Sprintf("volume %q already bound to a different claim.", volume.Name))
		return fmt.Errorf("invalid binding of claim %q to volume %q: volume already claimed by %q", claimKey(claim), claim.Spec.VolumeName, claimRefKey(volume.Spec.ClaimRef))
	}
}

// syncBoundClaim checks a claim whose binding completed once: it is Lost
// if its volume is gone or bound elsewhere; otherwise the binding is
// repaired or confirmed.
func (c *Controller) syncBoundClaim(ctx context.Context, claim *corev1.PersistentVolumeClaim) error {
	if claim.Spec.VolumeName == "" {
		return c.updateClaimStatusWithEvent(ctx, claim, corev1.ClaimLost, nil, corev1.EventTypeWarning, reasonClaimLost,
			"Bound claim has lost reference to PersistentVolume. Data on the volume is lost!")
	}
	obj, found, err := c.volumes.store.GetByKey(claim.Spec.VolumeName)
	if err != nil {
		return err
	}
	if !found {
		return c.updateClaimStatusWithEvent(ctx, claim, corev1.ClaimLost, nil, corev1.EventTypeWarning, reasonClaimLost,
			"Bound claim has lost its PersistentVolume. Data on the volume is lost!")
	}
	volume := obj.(*corev1.PersistentVolume)
	switch {
	case volume.Spec.ClaimRef == nil, volume.Spec.ClaimRef.UID == claim.UID:
		// Unbound volume (or a write the cache has not seen yet): bind it
		// again. Correctly bound: bind only fixes what is missing.
		return c.bind(ctx, volume, claim)
	default:
		return c.updateClaimStatusWithEvent(ctx, claim, corev1.ClaimLost, nil, corev1.EventTypeWarning, reasonClaimMisbound,
			"Two claims are bound to the same volume, this one is bound incorrectly")
	}
}

// checkVolumeSatisfyClaim says why a volume a claim names cannot be its.
func checkVolumeSatisfyClaim(volume *corev1.PersistentVolume, claim *corev1.PersistentVolumeClaim) error {
	if volume.DeletionTimestamp != nil {
		return fmt.Errorf("the volume is marked for deletion %q", volume.Name)
	}
	requested := claim.Spec.Resources.Requests[corev1.ResourceStorage]
	size := volume.Spec.Capacity[corev1.ResourceStorage]
	if size.Value() < requested.Value() {
		return fmt.Errorf("requested PV is too small")
	}
	if storagehelpers.GetPersistentVolumeClass(volume) != storagehelpers.GetPersistentVolumeClaimClass(claim) {
		return fmt.Errorf("storageClassName does not match")
	}
	if ptr.Deref(claim.Spec.VolumeAttributesClassName, "") != ptr.Deref(volume.Spec.VolumeAttributesClassName, "") {
		return fmt.Errorf("volumeAttributesClassName does not match")
	}
	if storagehelpers.CheckVolumeModeMismatches(&claim.Spec, &volume.Spec) {
		return fmt.Errorf("incompatible volumeMode")
	}
	if !storagehelpers.CheckAccessModes(claim, volume) {
		return fmt.Errorf("incompatible accessMode")
	}
	return nil
}

// isDelayBinding reports whether the claim's class binds on first
// consumer. A class that does not exist (yet) binds immediately.
func (c *Controller) isDelayBinding(claim *corev1.PersistentVolumeClaim) (bool, error) {
	name := storagehelpers.GetPersistentVolumeClaimClass(claim)
	if name == "" {
		return false, nil
	}
	class, err := c.classes.Get(name)
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if class.VolumeBindingMode == nil {
		return false, fmt.Errorf("VolumeBindingMode not set for StorageClass %q", name)
	}
	return *class.VolumeBindingMode == storagev1.VolumeBindingWaitForFirstConsumer, nil
}

// assignDefaultStorageClass gives a claim that asked for no class (not
// even "") the default class, if there is one, and says whether it did.
func (c *Controller) assignDefaultStorageClass(ctx context.Context, claim *corev1.PersistentVolumeClaim) (bool, error) {
	if storagehelpers.PersistentVolumeClaimHasClass(claim) {
		return false, nil
	}
	classes, err := c.classes.List(labels.Everything())
	if err != nil {
		return false, err
	}
	def := storageapi.DefaultClass(classes)
	if def == nil {
		return false, nil
	}
	clone := claim.DeepCopy()
	clone.Spec.StorageClassName = &def.Name
	updated, err := c.client.CoreV1().PersistentVolumeClaims(claim.Namespace).Update(ctx, clone, metav1.UpdateOptions{})
	if err != nil {
		return false, err
	}
	c.storeClaim(ctx, updated)
	klog.FromContext(ctx).V(4).Info("Assigned the default storage class to claim", "claim", klog.KObj(claim), "storageClass", def.Name)
	return true, nil
}

// emitWaitingForConsumer tells the user why a claim of a
// WaitForFirstConsumer class is still Pending.
func (c *Controller) emitWaitingForConsumer(claim *corev1.PersistentVolumeClaim) error {
	pods, err := podclaims.Pods(c.pods, claim.Namespace, claim.Name)
	if err != nil {
		return err
	}
	var unscheduled []string
	for _, pod := range pods {
		if !podclaims.Terminated(pod) && pod.Spec.NodeName == "" {
			unscheduled = append(unscheduled, pod.Name)
		}
	}
	reason, message := reasonWaitForFirstConsumer, "waiting for first consumer to be created before binding"
	switch len(unscheduled) {
	case 0:
	case 1:
		reason, message = reasonWaitForPodScheduled, fmt.Sprintf("waiting for pod %s to be scheduled", unscheduled[0])
	default:
		// Any of them may be the one the scheduler places first.
		reason, message = reasonWaitForPodScheduled, fmt.Sprintf("waiting for pods %s to be scheduled", strings.Join(unscheduled, ","))
	}
	c.recorder.Event(claim, corev1.EventTypeNormal, reason, message)
	return nil
}

// provisionClaim asks the class's provisioner for a volume by annotating
// the claim with its name. kubeshim has no in-tree plugins: a
// kubernetes.io/ provisioner other than an external one can never serve it.
func (c *Controller) provisionClaim(ctx context.Context, claim *corev1.PersistentVolumeClaim) error {
	class, err := c.classes.Get(storagehelpers.GetPersistentVolumeClaimClass(claim))
	if err != nil {
		// Retried on every sync; the claim stays Pending.
		c.recorder.Event(claim, corev1.EventTypeWarning, reasonProvisioningFailed, err.Error())
		return nil
	}
	if strings.HasPrefix(class.Provisioner, "kubernetes.io/") {
		c.recorder.Event(claim, corev1.EventTypeWarning, reasonProvisioningFailed, fmt.Sprintf("no volume plugin matched name: %s", class.Provisioner))
		return nil
	}
	updated, err := c.setClaimProvisioner(ctx, claim, class.Provisioner)
	if err != nil {
		c.recorder.Event(claim, corev1.EventTypeWarning, reasonProvisioningFailed, fmt.Sprintf("Error saving claim: %v", err))
		return fmt.Errorf("annotate claim %s with provisioner %s: %w", claimKey(claim), class.Provisioner, err)
	}
	c.recorder.Event(updated, corev1.EventTypeNormal, reasonExternalProvisioning, fmt.Sprintf(
		"Waiting for a volume to be created either by the external provisioner '%s' or manually by the system administrator. "+
			"If volume creation is delayed, please verify that the provisioner is running and correctly registered.", class.Provisioner))
	return nil
}

// setClaimProvisioner writes the GA and beta storage-provisioner
// annotations, which provisioners watch for.
func (c *Controller) setClaimProvisioner(ctx context.Context, claim *corev1.PersistentVolumeClaim, provisioner string) (*corev1.PersistentVolumeClaim, error) {
	if claim.Annotations[storagehelpers.AnnStorageProvisioner] == provisioner {
		return claim, nil
	}
	clone := claim.DeepCopy()
	metav1.SetMetaDataAnnotation(&clone.ObjectMeta, storagehelpers.AnnBetaStorageProvisioner, provisioner)
	metav1.SetMetaDataAnnotation(&clone.ObjectMeta, storagehelpers.AnnStorageProvisioner, provisioner)
	updated, err := c.client.CoreV1().PersistentVolumeClaims(claim.Namespace).Update(ctx, clone, metav1.UpdateOptions{})
	if err != nil {
		return nil, err
	}
	c.storeClaim(ctx, updated)
	return updated, nil
}
