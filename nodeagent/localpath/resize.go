package localpath

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
)

// Event reasons and messages, as the CSI external-resizer gives them.
const (
	reasonResizing         = "Resizing"
	reasonResizeSucceeded  = "VolumeResizeSuccessful"
	reasonResizeFailed     = "VolumeResizeFailed"
	messageResizeSucceeded = "Resize volume succeeded"
)

// syncResize grows the volume of a bound claim that asks for more than it
// has, as an external resizer does for its driver's volumes: the claim is
// marked Resizing (condition, allocatedResources, allocatedResourceStatuses
// ControllerResizeInProgress), the volume's capacity is raised, and the
// claim's capacity follows, its resize status cleared. A directory holds
// what the disk does, so there is nothing to grow on the node itself and
// no file system resize to wait for; raising the capacity is the whole
// expansion. Each step checks what the previous attempt left, so a failed
// write is retried from where it stopped.
func (p *Provisioner) syncResize(ctx context.Context, claim *corev1.PersistentVolumeClaim) error {
	request := claim.Spec.Resources.Requests[corev1.ResourceStorage]
	capacity, ok := claim.Status.Capacity[corev1.ResourceStorage]
	if claim.Status.Phase != corev1.ClaimBound || !ok || request.Cmp(capacity) <= 0 {
		return nil
	}
	pv, err := p.volumes.Get(claim.Spec.VolumeName)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if pv.Annotations[annProvisionedBy] != Name {
		return nil
	}
	if _, mine := p.ownDirectory(pv); !mine {
		return nil // another node's resizer
	}
	if ref := pv.Spec.ClaimRef; ref == nil || ref.Namespace != claim.Namespace || ref.UID != claim.UID {
		return nil // not bound to each other yet: the claim comes back when it is
	}
	logger := klog.FromContext(ctx)

	newSize := request
	if allocated, ok := claim.Status.AllocatedResources[corev1.ResourceStorage]; !ok || allocated.Cmp(newSize) != 0 ||
		claim.Status.AllocatedResourceStatuses[corev1.ResourceStorage] != corev1.PersistentVolumeClaimControllerResizeInProgress {
		clone := claim.DeepCopy()
		clone.Status.Conditions = withResizeCondition(clone.Status.Conditions, &corev1.PersistentVolumeClaimCondition{
			Type:               corev1.PersistentVolumeClaimResizing,
			Status:             corev1.ConditionTrue,
			LastTransitionTime: metav1.Now(),
		})
		if clone.Status.AllocatedResources == nil {
			clone.Status.AllocatedResources = corev1.ResourceList{}
		}
		clone.Status.AllocatedResources[corev1.ResourceStorage] = newSize
		if clone.Status.AllocatedResourceStatuses == nil {
			clone.Status.AllocatedResourceStatuses = map[corev1.ResourceName]corev1.ClaimResourceStatus{}
		}
		clone.Status.AllocatedResourceStatuses[corev1.ResourceStorage] = corev1.PersistentVolumeClaimControllerResizeInProgress
		claim, err = p.client.CoreV1().PersistentVolumeClaims(claim.Namespace).UpdateStatus(ctx, clone, metav1.UpdateOptions{})
		if err != nil {
			return fmt.Errorf("mark claim %s/%s resizing: %w", clone.Namespace, clone.Name, err)
		}
		p.recorder.Event(claim, corev1.EventTypeNormal, reasonResizing, fmt.Sprintf("External resizer is resizing volume %s", pv.Name))
	}

	if size := pv.Spec.Capacity[corev1.ResourceStorage]; size.Cmp(newSize) < 0 {
		clone := pv.DeepCopy()
		clone.Spec.Capacity[corev1.ResourceStorage] = newSize
		if _, err := p.client.CoreV1().PersistentVolumes().Update(ctx, clone, metav1.UpdateOptions{}); err != nil {
			if apierrors.IsConflict(err) {
				return err // an older copy: the retry reads the new one
			}
			p.recorder.Event(claim, corev1.EventTypeWarning, reasonResizeFailed, fmt.Sprintf("resize volume %q by resizer %q failed: %v", pv.Name, Name, err))
			return fmt.Errorf("resize volume %s: %w", pv.Name, err)
		}
	}

	clone := claim.DeepCopy()
	clone.Status.Capacity[corev1.ResourceStorage] = newSize
	clone.Status.Conditions = withResizeCondition(clone.Status.Conditions, nil)
	delete(clone.Status.AllocatedResourceStatuses, corev1.ResourceStorage)
	if len(clone.Status.AllocatedResourceStatuses) == 0 {
		clone.Status.AllocatedResourceStatuses = nil
	}
	if _, err := p.client.CoreV1().PersistentVolumeClaims(claim.Namespace).UpdateStatus(ctx, clone, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("mark claim %s/%s resized: %w", clone.Namespace, clone.Name, err)
	}
	logger.Info("Resized volume", "claim", klog.KObj(claim), "volume", pv.Name, "size", newSize.String())
	p.recorder.Event(claim, corev1.EventTypeNormal, reasonResizeSucceeded, messageResizeSucceeded)
	return nil
}

// withResizeCondition drops the claim's resize conditions (Resizing,
// FileSystemResizePending) and adds c, if any; other conditions stay. A
// condition of the same type and status keeps its transition time.
func withResizeCondition(conditions []corev1.PersistentVolumeClaimCondition, c *corev1.PersistentVolumeClaimCondition) []corev1.PersistentVolumeClaimCondition {
	var out []corev1.PersistentVolumeClaimCondition
	for _, old := range conditions {
		switch old.Type {
		case corev1.PersistentVolumeClaimResizing, corev1.PersistentVolumeClaimFileSystemResizePending:
			if c != nil && old.Type == c.Type && old.Status == c.Status {
				c.LastTransitionTime = old.LastTransitionTime
			}
		default:
			out = append(out, old)
		}
	}
	if c != nil {
		out = append(out, *c)
	}
	return slices.Clip(out)
}
