package persistentvolume

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	storagehelpers "k8s.io/component-helpers/storage/volume"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/controllers/podclaims"
)

// syncVolume decides what to do with a volume: an unclaimed one is
// Available, a bound one whose claim is gone is Released and reclaimed, a
// half-done binding is left to the claim's sync.
func (c *Controller) syncVolume(ctx context.Context, volume *corev1.PersistentVolume) error {
	logger := klog.FromContext(ctx)
	logger.V(4).Info("Syncing volume", "volume", volume.Name, "phase", volume.Status.Phase)
	if volume.Spec.ClaimRef == nil {
		_, err := c.updateVolumePhase(ctx, volume, corev1.VolumeAvailable, "")
		return err
	}
	if volume.Spec.ClaimRef.UID == "" {
		// Pre-bound to a claim that has not bound yet: the claim's sync
		// does it. Until then another claim of that name may take it.
		_, err := c.updateVolumePhase(ctx, volume, corev1.VolumeAvailable, "")
		return err
	}
	claim, err := c.claimOf(ctx, volume)
	if err != nil {
		return err
	}
	switch {
	case claim == nil:
		// The claim was deleted. A Failed volume stays Failed, so that
		// the user sees what went wrong, while the reclaim is retried.
		if volume.Status.Phase != corev1.VolumeReleased && volume.Status.Phase != corev1.VolumeFailed {
			logger.V(2).Info("Volume is released and its reclaim policy will be executed", "volume", volume.Name, "reclaimPolicy", volume.Spec.PersistentVolumeReclaimPolicy)
			if volume, err = c.updateVolumePhase(ctx, volume, corev1.VolumeReleased, ""); err != nil {
				return err
			}
		}
		return c.reclaimVolume(ctx, volume)
	case claim.Spec.VolumeName == "":
		if storagehelpers.CheckVolumeModeMismatches(&claim.Spec, &volume.Spec) {
			// The claim's sync would never pick this volume: say why.
			c.recorder.Event(volume, corev1.EventTypeWarning, reasonVolumeMismatch,
				fmt.Sprintf("Cannot bind PersistentVolume to requested PersistentVolumeClaim %q due to incompatible volumeMode.", claim.Name))
			c.recorder.Event(claim, corev1.EventTypeWarning, reasonVolumeMismatch,
				fmt.Sprintf("Cannot bind PersistentVolume %q to requested PersistentVolumeClaim due to incompatible volumeMode.", volume.Name))
			return nil
		}
		// The volume points at the claim and the claim not yet at the
		// volume: the claim's sync finishes the binding. A provisioner's
		// new volume is bound this way, soon.
		c.claimQueue.Add(claimKey(claim))
		return nil
	case claim.Spec.VolumeName == volume.Name:
		_, err := c.updateVolumePhase(ctx, volume, corev1.VolumeBound, "")
		return err
	case metav1.HasAnnotation(volume.ObjectMeta, storagehelpers.AnnDynamicallyProvisioned) &&
		volume.Spec.PersistentVolumeReclaimPolicy == corev1.PersistentVolumeReclaimDelete:
		// Provisioned for a claim that bound to another volume: not
		// needed, reclaim it.
		if volume.Status.Phase != corev1.VolumeReleased && volume.Status.Phase != corev1.VolumeFailed {
			logger.V(2).Info("Dynamically provisioned volume is released and it will be deleted", "volume", volume.Name)
			if volume, err = c.updateVolumePhase(ctx, volume, corev1.VolumeReleased, ""); err != nil {
				return err
			}
		}
		return c.reclaimVolume(ctx, volume)
	default:
		// The claim bound to another volume. Bound by the controller:
		// undo it. Pre-bound by the user: keep the claimRef without the
		// UID, until the claim is free.
		return c.unbindVolume(ctx, volume)
	}
}

// claimOf returns the claim the volume is bound to, or nil if it is gone.
// Before releasing a volume the claim is looked for in the informer and in
// the API too: a claim created a moment ago by a provisioner's user, or
// bound by the scheduler, may not be in the cache yet, and releasing its
// volume would lose data.
func (c *Controller) claimOf(ctx context.Context, volume *corev1.PersistentVolume) (*corev1.PersistentVolumeClaim, error) {
	ref := volume.Spec.ClaimRef
	var claim *corev1.PersistentVolumeClaim
	obj, found, err := c.claims.GetByKey(claimRefKey(ref))
	if err != nil {
		return nil, err
	}
	if found {
		claim = obj.(*corev1.PersistentVolumeClaim)
	} else if volume.Status.Phase != corev1.VolumeReleased && volume.Status.Phase != corev1.VolumeFailed {
		claim, err = c.claimList.PersistentVolumeClaims(ref.Namespace).Get(ref.Name)
		if apierrors.IsNotFound(err) {
			claim, err = c.client.CoreV1().PersistentVolumeClaims(ref.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
		}
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("get claim %s: %w", claimRefKey(ref), err)
		}
	}
	if claim != nil && claim.UID != ref.UID {
		// A claim of the same name; the cache may be behind a newer one
		// that is the right one, so ask the API.
		claim, err = c.client.CoreV1().PersistentVolumeClaims(ref.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("get claim %s: %w", claimRefKey(ref), err)
		}
		if claim.UID != ref.UID {
			// The claim was deleted and another made with its name.
			return nil, nil
		}
	}
	return claim, nil
}

// reclaimVolume runs a released volume's reclaim policy.
func (c *Controller) reclaimVolume(ctx context.Context, volume *corev1.PersistentVolume) error {
	logger := klog.FromContext(ctx)
	if volume.Annotations[storagehelpers.AnnMigratedTo] != "" {
		// A CSI driver's provisioner handles it.
		return nil
	}
	switch volume.Spec.PersistentVolumeReclaimPolicy {
	case corev1.PersistentVolumeReclaimRetain:
		logger.V(4).Info("Reclaim policy is Retain, nothing to do", "volume", volume.Name)
		return nil
	case corev1.PersistentVolumeReclaimRecycle:
		return c.recycleVolume(ctx, volume)
	case corev1.PersistentVolumeReclaimDelete:
		return c.deleteVolume(ctx, volume)
	default:
		_, err := c.updateVolumePhaseWithEvent(ctx, volume, corev1.VolumeFailed, corev1.EventTypeWarning, reasonUnknownReclaimPolicy,
			"Volume has unrecognized PersistentVolumeReclaimPolicy")
		return err
	}
}

// recycleVolume would scrub the volume and make it Available again.
// Upstream's recyclers are in-tree plugins (hostPath, NFS) that run a pod;
// kubeshim has none, so the volume fails as upstream's does when no
// recycler plugin matches it.
func (c *Controller) recycleVolume(ctx context.Context, volume *corev1.PersistentVolume) error {
	fresh, err := c.client.CoreV1().PersistentVolumes().Get(ctx, volume.Name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("get volume %s: %w", volume.Name, err)
	}
	released, err := c.isVolumeReleased(fresh)
	if err != nil || !released {
		return err
	}
	_, claimCached, err := c.claims.GetByKey(claimRefKey(fresh.Spec.ClaimRef))
	if err != nil {
		return err
	}
	if users, err := c.podsUsing(fresh); err != nil {
		return err
	} else if len(users) > 0 && !claimCached {
		c.recorder.Event(fresh, corev1.EventTypeNormal, reasonVolumeFailedRecycle, fmt.Sprintf("Volume is used by pods: %s", strings.Join(users, ",")))
		return nil
	}
	_, err = c.updateVolumePhaseWithEvent(ctx, fresh, corev1.VolumeFailed, corev1.EventTypeWarning, reasonVolumeFailedRecycle, "No recycler plugin found for the volume!")
	return err
}

// deleteVolume deletes a released volume with the Delete policy. A volume
// of an external provisioner (or a CSI volume) is its provisioner's to
// delete, storage and object alike; any other would need an in-tree
// deleter and fails with upstream's message for the missing plugin.
func (c *Controller) deleteVolume(ctx context.Context, volume *corev1.PersistentVolume) error {
	reason := deleterError(volume)
	if reason == "" {
		klog.FromContext(ctx).V(3).Info("External deleter for volume requested, ignoring", "volume", volume.Name)
		return nil
	}
	_, err := c.updateVolumePhaseWithEvent(ctx, volume, corev1.VolumeFailed, corev1.EventTypeWarning, reasonVolumeFailedDelete, reason)
	return err
}

// tmpPath is the paths upstream's hostPath deleter accepts (unanchored,
// as upstream matches it).
var tmpPath = regexp.MustCompile("/tmp/.+")

// deleterError is why the controller cannot delete the volume, upstream's
// message for it, or "" when the volume's deleter is external.
func deleterError(volume *corev1.PersistentVolume) string {
	if provisioner := volume.Annotations[storagehelpers.AnnDynamicallyProvisioned]; provisioner != "" {
		switch {
		case !strings.HasPrefix(provisioner, "kubernetes.io/"):
			return ""
		case provisioner == "kubernetes.io/host-path":
			if volume.Spec.HostPath != nil {
				return hostPathDeleterError(volume.Spec.HostPath.Path)
			}
			return "failed to create deleter for volume \"" + volume.Name + "\": spec.PersistentVolumeSource.HostPath is nil"
		case provisioner == "kubernetes.io/nfs", provisioner == "kubernetes.io/fc", provisioner == "kubernetes.io/iscsi", provisioner == "kubernetes.io/csi":
			return "no deletable volume plugin matched"
		default:
			return "no volume plugin matched name: " + provisioner
		}
	}
	if volume.Spec.CSI != nil {
		return ""
	}
	switch {
	case volume.Spec.HostPath != nil:
		return hostPathDeleterError(volume.Spec.HostPath.Path)
	case volume.Spec.NFS != nil, volume.Spec.FC != nil, volume.Spec.ISCSI != nil:
		return fmt.Sprintf("error getting deleter volume plugin for volume %q: no deletable volume plugin matched", volume.Name)
	default:
		return fmt.Sprintf("error getting deleter volume plugin for volume %q: no volume plugin matched", volume.Name)
	}
}

// hostPathDeleterError: upstream deletes a hostPath volume under /tmp
// from the controller manager's own file system, which is only right on a
// one-host cluster. kubeshim's controllers may run anywhere, so they
// delete no directory and the volume fails with a message that says so.
func hostPathDeleterError(path string) string {
	if !tmpPath.MatchString(path) {
		return fmt.Sprintf("host_path deleter only supports /tmp/.+ but received provided %s", path)
	}
	return fmt.Sprintf("kubeshim does not delete hostPath volumes: delete %s on its node, then the PersistentVolume", path)
}

// isVolumeReleased reports whether the volume's claim is gone, or bound to
// another volume.
func (c *Controller) isVolumeReleased(volume *corev1.PersistentVolume) (bool, error) {
	if volume.Spec.ClaimRef == nil || volume.Spec.ClaimRef.UID == "" {
		return false, nil
	}
	obj, found, err := c.claims.GetByKey(claimRefKey(volume.Spec.ClaimRef))
	if err != nil {
		return false, err
	}
	if !found {
		return true, nil
	}
	claim := obj.(*corev1.PersistentVolumeClaim)
	if claim.UID != volume.Spec.ClaimRef.UID {
		return true, nil
	}
	return claim.Spec.VolumeName != "" && claim.Spec.VolumeName != volume.Name, nil
}

// podsUsing returns the namespace/name of the running pods that use the
// volume's claim.
func (c *Controller) podsUsing(volume *corev1.PersistentVolume) ([]string, error) {
	ref := volume.Spec.ClaimRef
	pods, err := podclaims.Pods(c.pods, ref.Namespace, ref.Name)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, pod := range pods {
		if !podclaims.Terminated(pod) {
			names = append(names, pod.Namespace+"/"+pod.Name)
		}
	}
	sort.Strings(names)
	return names, nil
}
