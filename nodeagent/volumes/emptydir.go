package volumes

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/klog/v2"
)

// emptyDirPerm is the mode of a disk-backed emptyDir: anyone may write, since
// containers run as any user.
const emptyDirPerm os.FileMode = 0o777

// setupEmptyDir makes the directory of an emptyDir volume, or of the emptyDir
// a configMap, secret, downwardAPI or projected volume is written into (the
// kubelet's "wrapped" emptyDir). Memory medium mounts a tmpfs there. A ready
// marker records completion, so the fsGroup ownership change runs once and a
// later call only checks that the directory (or mount) is still there.
func (m *Manager) setupEmptyDir(ctx context.Context, pod *corev1.Pod, plugin, name string, medium corev1.StorageMedium, sizeLimit *resource.Quantity, info PodInfo) error {
	dir := m.volumeDir(pod.UID, plugin, name)
	meta := m.metaDir(pod.UID, plugin, name)
	ready := filepath.Join(meta, "ready")
	switch {
	case medium == corev1.StorageMediumDefault, medium == corev1.StorageMediumMemory:
	case strings.HasPrefix(string(medium), string(corev1.StorageMediumHugePages)):
		return fmt.Errorf("emptyDir medium %q is not supported by kubeshim", medium)
	default:
		return fmt.Errorf("unknown storage medium %q", medium)
	}

	if isFile(ready) {
		if medium == corev1.StorageMediumMemory {
			fsType, err := mountedFSType(dir)
			if err != nil {
				return err
			}
			if fsType == "tmpfs" {
				return nil
			}
		} else if _, err := os.Stat(dir); err == nil {
			return nil
		}
		// Ready but gone (the node rebooted, someone removed it): make it anew.
		klog.FromContext(ctx).Info("Volume was ready but its directory is gone; recreating", "volume", name, "path", dir)
		if err := os.Remove(ready); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove ready marker: %w", err)
		}
	}

	if err := os.MkdirAll(dir, emptyDirPerm); err != nil {
		return fmt.Errorf("create volume directory: %w", err)
	}
	// MkdirAll's mode is masked by the umask.
	if err := os.Chmod(dir, emptyDirPerm); err != nil {
		return fmt.Errorf("set mode of volume directory: %w", err)
	}
	if medium == corev1.StorageMediumMemory {
		fsType, err := mountedFSType(dir)
		if err != nil {
			return err
		}
		if fsType != "tmpfs" {
			size := tmpfsSize(pod, sizeLimit, info.NodeAllocatable)
			klog.FromContext(ctx).V(3).Info("Mounting tmpfs", "volume", name, "path", dir, "sizeBytes", size)
			if err := mountTmpfs(dir, size); err != nil {
				return err
			}
		}
	}
	// The wrapped emptyDir itself is read-write; a read-only outer volume
	// changes its contents' modes after writing them.
	if err := changeOwnership(ctx, dir, fsGroup(pod), false, nil); err != nil {
		return err
	}
	if err := os.MkdirAll(meta, 0o750); err != nil {
		return fmt.Errorf("create volume metadata directory: %w", err)
	}
	if err := os.WriteFile(ready, nil, 0o640); err != nil {
		return fmt.Errorf("mark volume ready: %w", err)
	}
	return nil
}

// tmpfsSize is the size of a memory-backed volume in bytes: the smallest of
// the node's allocatable memory, the pod's memory limit and the volume's
// sizeLimit that is set. Upstream bounds it the same way, so a tmpfs cannot
// hold more than the pod may use. 0 means the kernel default (half of RAM).
func tmpfsSize(pod *corev1.Pod, sizeLimit *resource.Quantity, allocatable corev1.ResourceList) int64 {
	var size int64
	consider := func(v int64) {
		if v > 0 && (size == 0 || v < size) {
			size = v
		}
	}
	if q, ok := allocatable[corev1.ResourceMemory]; ok {
		consider(q.Value())
	}
	consider(podMemoryLimit(pod))
	if sizeLimit != nil {
		consider(sizeLimit.Value())
	}
	return size
}

// podMemoryLimit is the memory limit of the pod's cgroup, or 0 if it has none:
// the pod-level limit if set, else, when every container has a limit, the sum
// of the regular and sidecar containers' or the largest init container's,
// whichever is more, plus the pod overhead.
func podMemoryLimit(pod *corev1.Pod) int64 {
	if pod.Spec.Resources != nil {
		if q, ok := pod.Spec.Resources.Limits[corev1.ResourceMemory]; ok && !q.IsZero() {
			return q.Value()
		}
	}
	limit := func(c *corev1.Container) (int64, bool) {
		q, ok := c.Resources.Limits[corev1.ResourceMemory]
		if !ok || q.IsZero() {
			return 0, false
		}
		return q.Value(), true
	}
	var regular, sidecars, maxInit int64
	for i := range pod.Spec.Containers {
		v, ok := limit(&pod.Spec.Containers[i])
		if !ok {
			return 0
		}
		regular += v
	}
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		v, ok := limit(c)
		if !ok {
			return 0
		}
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			// A sidecar keeps running beside everything started after it.
			sidecars += v
			maxInit = max(maxInit, sidecars)
			continue
		}
		maxInit = max(maxInit, sidecars+v)
	}
	total := max(regular+sidecars, maxInit)
	if q, ok := pod.Spec.Overhead[corev1.ResourceMemory]; ok {
		total += q.Value()
	}
	return total
}

func fsGroup(pod *corev1.Pod) *int64 {
	if pod.Spec.SecurityContext == nil {
		return nil
	}
	return pod.Spec.SecurityContext.FSGroup
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}
