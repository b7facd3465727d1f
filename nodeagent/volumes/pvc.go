package volumes

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const pvcProtectionFinalizer = "kubernetes.io/pvc-protection"

// processError is a claim that cannot be resolved to a volume to mount
// (not bound, its volume of an unsupported kind): the kubelet's volume
// manager fails on it before it mounts anything, and words it differently.
type processError struct{ err error }

func (e *processError) Error() string { return e.err.Error() }
func (e *processError) Unwrap() error { return e.err }

// setupClaim resolves a claim to its bound persistent volume and returns the
// volume's path on this node. Only hostPath and local volumes are supported:
// they are the ones that need no attach or mount. ephemeral says the claim
// belongs to a generic ephemeral volume and must be owned by the pod.
func (m *Manager) setupClaim(ctx context.Context, pod *corev1.Pod, volName, claimName string, readOnly, ephemeral bool) (Mount, error) {
	pv, err := m.claimVolume(ctx, pod, volName, claimName, ephemeral)
	if err != nil {
		return Mount{}, &processError{err}
	}
	switch {
	case pv.Spec.HostPath != nil:
		if err := checkHostPath(pv.Spec.HostPath.Path, pv.Spec.HostPath.Type); err != nil {
			return Mount{}, err
		}
		return Mount{HostPath: pv.Spec.HostPath.Path, ReadOnly: readOnly}, nil
	default: // local
		path := pv.Spec.Local.Path
		fi, err := os.Stat(path)
		if err != nil {
			return Mount{}, fmt.Errorf("local volume %s: %w", pv.Name, err)
		}
		if !readOnly && fi.IsDir() {
			if err := m.ownLocalVolume(ctx, pod, volName, path); err != nil {
				return Mount{}, err
			}
		}
		return Mount{HostPath: path, ReadOnly: readOnly}, nil
	}
}

// claimVolume is the bound hostPath or local volume of the pod's claim.
func (m *Manager) claimVolume(ctx context.Context, pod *corev1.Pod, volName, claimName string, ephemeral bool) (*corev1.PersistentVolume, error) {
	if m.client == nil {
		return nil, errors.New("no API client configured")
	}
	pvc, err := m.boundClaim(ctx, pod.Namespace, claimName)
	if err != nil {
		return nil, fmt.Errorf("error processing PVC %s/%s: %w", pod.Namespace, claimName, err)
	}
	if ephemeral && (pvc.Namespace != pod.Namespace || !metav1.IsControlledBy(pvc, pod)) {
		return nil, fmt.Errorf("PVC %s/%s was not created for pod %s/%s (pod is not owner)", pvc.Namespace, pvc.Name, pod.Namespace, pod.Name)
	}
	pv, err := m.boundVolume(ctx, pvc)
	if err != nil {
		return nil, fmt.Errorf("error processing PVC %s/%s: %w", pod.Namespace, claimName, err)
	}
	if pv.Spec.VolumeMode != nil && *pv.Spec.VolumeMode == corev1.PersistentVolumeBlock {
		return nil, fmt.Errorf("volume %s has volumeMode %s, which kubeshim does not support", volName, corev1.PersistentVolumeBlock)
	}
	switch {
	case pv.Spec.HostPath != nil:
		return pv, nil
	case pv.Spec.Local != nil:
		if pv.Spec.Local.Path == "" {
			return nil, fmt.Errorf("LocalVolume volume %q path is empty", volName)
		}
		return pv, nil
	}
	return nil, fmt.Errorf("persistent volume %s: only hostPath and local persistent volumes are supported by kubeshim", pv.Name)
}

// ownLocalVolume applies the pod's fsGroup to a local volume once per pod, as
// the kubelet does when it first bind-mounts it for the pod.
func (m *Manager) ownLocalVolume(ctx context.Context, pod *corev1.Pod, volName, path string) error {
	group := fsGroup(pod)
	if group == nil {
		return nil
	}
	meta := m.metaDir(pod.UID, pluginLocal, volName)
	ready := filepath.Join(meta, "ready")
	if isFile(ready) {
		return nil
	}
	var policy *corev1.PodFSGroupChangePolicy
	if pod.Spec.SecurityContext != nil {
		policy = pod.Spec.SecurityContext.FSGroupChangePolicy
	}
	if err := changeOwnership(ctx, path, group, false, policy); err != nil {
		return fmt.Errorf("set ownership of %s: %w", path, err)
	}
	if err := os.MkdirAll(meta, 0o750); err != nil {
		return fmt.Errorf("create volume metadata directory: %w", err)
	}
	if err := os.WriteFile(ready, nil, 0o640); err != nil {
		return fmt.Errorf("mark volume ready: %w", err)
	}
	return nil
}

// boundClaim gets a claim and checks it can be used (upstream's
// getPVCExtractPV).
func (m *Manager) boundClaim(ctx context.Context, namespace, name string) (*corev1.PersistentVolumeClaim, error) {
	pvc, err := m.client.CoreV1().PersistentVolumeClaims(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("failed to fetch PVC from API server: %w", err)
	}
	if pvc.DeletionTimestamp != nil && !slices.Contains(pvc.Finalizers, pvcProtectionFinalizer) {
		return nil, errors.New("PVC is being deleted")
	}
	if pvc.Status.Phase != corev1.ClaimBound {
		return nil, errors.New("PVC is not bound")
	}
	if pvc.Spec.VolumeName == "" {
		return nil, errors.New("PVC has empty pvc.Spec.VolumeName")
	}
	return pvc, nil
}

// boundVolume gets the claim's volume and checks that it points back at the
// claim (upstream's getPVSpec).
func (m *Manager) boundVolume(ctx context.Context, pvc *corev1.PersistentVolumeClaim) (*corev1.PersistentVolume, error) {
	name := pvc.Spec.VolumeName
	pv, err := m.client.CoreV1().PersistentVolumes().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("failed to fetch PV %s from API server: %w", name, err)
	}
	if pv.Spec.ClaimRef == nil {
		return nil, fmt.Errorf("found PV object %s but it has a nil pv.Spec.ClaimRef indicating it is not yet bound to the claim", name)
	}
	if pv.Spec.ClaimRef.UID != pvc.UID {
		return nil, fmt.Errorf("found PV object %s but its pv.Spec.ClaimRef.UID %s does not point to claim.UID %s", name, pv.Spec.ClaimRef.UID, pvc.UID)
	}
	return pv, nil
}
