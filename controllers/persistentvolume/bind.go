package persistentvolume

import (
	"context"
	"fmt"
	"reflect"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	storagehelpers "k8s.io/component-helpers/storage/volume"
	"k8s.io/klog/v2"
)

// annPreResizeCapacity on a volume is the claim's capacity before an
// expansion that still needs a filesystem resize (upstream's
// volume.alpha.kubernetes.io/pre-resize-capacity).
const annPreResizeCapacity = "volume.alpha.kubernetes.io/pre-resize-capacity"

// bind saves the binding to the volume, then its phase, then the claim and
// its status, returning at the first error: the next sync finds the
// binding half done and finishes it. Volume first, so that a claim never
// points at a volume that does not point back long enough for another
// claim to take it.
func (c *Controller) bind(ctx context.Context, volume *corev1.PersistentVolume, claim *corev1.PersistentVolumeClaim) error {
	logger := klog.FromContext(ctx)
	logger.V(4).Info("Binding volume to claim", "claim", klog.KObj(claim), "volume", volume.Name)
	volume, err := c.bindVolumeToClaim(ctx, volume, claim)
	if err != nil {
		return fmt.Errorf("bind volume %s to claim %s: %w", volume.Name, claimKey(claim), err)
	}
	if volume, err = c.updateVolumePhase(ctx, volume, corev1.VolumeBound, ""); err != nil {
		return fmt.Errorf("mark volume %s bound: %w", volume.Name, err)
	}
	if claim, err = c.bindClaimToVolume(ctx, claim, volume); err != nil {
		return fmt.Errorf("bind claim %s to volume %s: %w", claimKey(claim), volume.Name, err)
	}
	if _, err = c.updateClaimStatus(ctx, claim, corev1.ClaimBound, volume); err != nil {
		return fmt.Errorf("mark claim %s bound: %w", claimKey(claim), err)
	}
	logger.V(2).Info("Volume bound to claim", "claim", klog.KObj(claim), "volume", volume.Name)
	return nil
}

// bindVolumeToClaim points the volume's claimRef at the claim (name,
// namespace and UID) and marks it bound by the controller unless a user
// pre-bound it.
func (c *Controller) bindVolumeToClaim(ctx context.Context, volume *corev1.PersistentVolume, claim *corev1.PersistentVolumeClaim) (*corev1.PersistentVolume, error) {
	clone, dirty, err := storagehelpers.GetBindVolumeToClaim(volume, claim)
	if err != nil || !dirty {
		return volume, err
	}
	updated, err := c.client.CoreV1().PersistentVolumes().Update(ctx, clone, metav1.UpdateOptions{})
	if err != nil {
		return volume, err
	}
	c.storeVolume(ctx, updated)
	return updated, nil
}

// bindClaimToVolume sets the claim's volumeName, unless a user pre-bound
// it, and marks the binding complete.
func (c *Controller) bindClaimToVolume(ctx context.Context, claim *corev1.PersistentVolumeClaim, volume *corev1.PersistentVolume) (*corev1.PersistentVolumeClaim, error) {
	clone := claim.DeepCopy()
	dirty := false
	if claim.Spec.VolumeName != volume.Name {
		clone.Spec.VolumeName = volume.Name
		if !metav1.HasAnnotation(clone.ObjectMeta, storagehelpers.AnnBoundByController) {
			metav1.SetMetaDataAnnotation(&clone.ObjectMeta, storagehelpers.AnnBoundByController, "yes")
		}
		dirty = true
	}
	if !metav1.HasAnnotation(clone.ObjectMeta, storagehelpers.AnnBindCompleted) {
		metav1.SetMetaDataAnnotation(&clone.ObjectMeta, storagehelpers.AnnBindCompleted, "yes")
		dirty = true
	}
	if !dirty {
		return claim, nil
	}
	updated, err := c.client.CoreV1().PersistentVolumeClaims(claim.Namespace).Update(ctx, clone, metav1.UpdateOptions{})
	if err != nil {
		return claim, err
	}
	c.storeClaim(ctx, updated)
	return updated, nil
}

// unbindVolume undoes a binding the claim side never completed: a volume
// the controller bound loses its claimRef, one a user pre-bound keeps it
// without the UID. Either is Available again.
func (c *Controller) unbindVolume(ctx context.Context, volume *corev1.PersistentVolume) error {
	clone := volume.DeepCopy()
	if metav1.HasAnnotation(volume.ObjectMeta, storagehelpers.AnnBoundByController) {
		clone.Spec.ClaimRef = nil
		delete(clone.Annotations, storagehelpers.AnnBoundByController)
		if len(clone.Annotations) == 0 {
			clone.Annotations = nil
		}
	} else {
		clone.Spec.ClaimRef.UID = ""
	}
	updated, err := c.client.CoreV1().PersistentVolumes().Update(ctx, clone, metav1.UpdateOptions{})
	if err != nil {
		return fmt.Errorf("unbind volume %s: %w", volume.Name, err)
	}
	c.storeVolume(ctx, updated)
	klog.FromContext(ctx).V(4).Info("Volume unbound", "volume", volume.Name)
	_, err = c.updateVolumePhase(ctx, updated, corev1.VolumeAvailable, "")
	return err
}

// updateClaimStatus sets the claim's phase and, from the volume it is
// bound to (nil for none), its access modes and capacity. The capacity is
// copied only when the claim becomes bound: later a difference can be an
// expansion in progress.
func (c *Controller) updateClaimStatus(ctx context.Context, claim *corev1.PersistentVolumeClaim, phase corev1.PersistentVolumeClaimPhase, volume *corev1.PersistentVolume) (*corev1.PersistentVolumeClaim, error) {
	clone := claim.DeepCopy()
	dirty := false
	if claim.Status.Phase != phase {
		clone.Status.Phase = phase
		dirty = true
	}
	if volume == nil {
		if claim.Status.AccessModes != nil {
			clone.Status.AccessModes = nil
			dirty = true
		}
		if claim.Status.Capacity != nil {
			clone.Status.Capacity = nil
			dirty = true
		}
		if claim.Status.CurrentVolumeAttributesClassName != nil {
			clone.Status.CurrentVolumeAttributesClassName = nil
			dirty = true
		}
	} else {
		if !reflect.DeepEqual(claim.Status.AccessModes, volume.Spec.AccessModes) {
			clone.Status.AccessModes = volume.Spec.AccessModes
			dirty = true
		}
		if claim.Status.Phase != phase {
			volumeSize, ok := volume.Spec.Capacity[corev1.ResourceStorage]
			if !ok {
				return nil, fmt.Errorf("PersistentVolume %q is without a storage capacity", volume.Name)
			}
			claimSize, ok := claim.Status.Capacity[corev1.ResourceStorage]
			if pre, has := volume.Annotations[annPreResizeCapacity]; has {
				q, err := resource.ParseQuantity(pre)
				if err != nil {
					q = volumeSize
				}
				if clone.Status.Capacity == nil {
					clone.Status.Capacity = corev1.ResourceList{}
				}
				clone.Status.Capacity[corev1.ResourceStorage] = q
				dirty = true
			} else if !ok || volumeSize.Cmp(claimSize) != 0 {
				clone.Status.Capacity = volume.Spec.Capacity
				dirty = true
			}
		}
		// The class of a statically provisioned volume is recorded once,
		// at binding; afterwards it is the resizer's.
		if claim.Status.Phase == corev1.ClaimPending && phase == corev1.ClaimBound &&
			!reflect.DeepEqual(claim.Status.CurrentVolumeAttributesClassName, volume.Spec.VolumeAttributesClassName) {
			clone.Status.CurrentVolumeAttributesClassName = volume.Spec.VolumeAttributesClassName
			dirty = true
		}
	}
	if !dirty {
		return claim, nil
	}
	updated, err := c.client.CoreV1().PersistentVolumeClaims(claim.Namespace).UpdateStatus(ctx, clone, metav1.UpdateOptions{})
	if err != nil {
		return nil, err
	}
	c.storeClaim(ctx, updated)
	if claim.Status.Phase != phase {
		klog.FromContext(ctx).V(2).Info("Claim entered phase", "claim", klog.KObj(claim), "phase", phase)
	}
	return updated, nil
}

// updateClaimStatusWithEvent sets the phase and emits the event, only when
// the phase changes: not on every resync.
func (c *Controller) updateClaimStatusWithEvent(ctx context.Context, claim *corev1.PersistentVolumeClaim, phase corev1.PersistentVolumeClaimPhase, volume *corev1.PersistentVolume, eventType, reason, message string) error {
	if claim.Status.Phase == phase {
		return nil
	}
	updated, err := c.updateClaimStatus(ctx, claim, phase, volume)
	if err != nil {
		return fmt.Errorf("set claim %s %s: %w", claimKey(claim), phase, err)
	}
	c.recorder.Event(updated, eventType, reason, message)
	return nil
}

// updateVolumePhase sets the volume's phase and message; the API server
// stamps lastPhaseTransitionTime.
func (c *Controller) updateVolumePhase(ctx context.Context, volume *corev1.PersistentVolume, phase corev1.PersistentVolumePhase, message string) (*corev1.PersistentVolume, error) {
	if volume.Status.Phase == phase {
		return volume, nil
	}
	clone := volume.DeepCopy()
	clone.Status.Phase = phase
	clone.Status.Message = message
	updated, err := c.client.CoreV1().PersistentVolumes().UpdateStatus(ctx, clone, metav1.UpdateOptions{})
	if err != nil {
		return volume, fmt.Errorf("set volume %s %s: %w", volume.Name, phase, err)
	}
	c.storeVolume(ctx, updated)
	klog.FromContext(ctx).V(2).Info("Volume entered phase", "volume", volume.Name, "phase", phase)
	return updated, nil
}

// updateVolumePhaseWithEvent sets the phase and emits the event, only when
// the phase changes.
func (c *Controller) updateVolumePhaseWithEvent(ctx context.Context, volume *corev1.PersistentVolume, phase corev1.PersistentVolumePhase, eventType, reason, message string) (*corev1.PersistentVolume, error) {
	if volume.Status.Phase == phase {
		return volume, nil
	}
	updated, err := c.updateVolumePhase(ctx, volume, phase, message)
	if err != nil {
		return volume, err
	}
	c.recorder.Event(updated, eventType, reason, message)
	return updated, nil
}
