package volumes

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"
)

// Modes the fsGroup change adds, as the kubelet's SetVolumeOwnership does:
// group read-write (read-only for read-only volumes), and for directories
// group search plus setgid so new files inherit the group.
const (
	rwMask   os.FileMode = 0o660
	roMask   os.FileMode = 0o440
	execMask os.FileMode = 0o110
)

// changeOwnership gives everything under dir to group fsGroup and makes it
// group-accessible. With policy OnRootMismatch it does nothing when the root
// already looks right. Failures on single files are logged and skipped, as
// upstream: a volume with one odd file must still mount.
func changeOwnership(ctx context.Context, dir string, fsGroup *int64, readOnly bool, policy *corev1.PodFSGroupChangePolicy) error {
	if fsGroup == nil {
		return nil
	}
	if policy != nil && *policy == corev1.FSGroupChangeOnRootMismatch && !requiresPermissionChange(dir, *fsGroup, readOnly) {
		return nil
	}
	logger := klog.FromContext(ctx)
	gid := int(*fsGroup)
	return filepath.Walk(dir, func(path string, info fs.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if err := os.Lchown(path, -1, gid); err != nil {
			logger.Error(err, "Lchown failed", "path", path)
		}
		// chmod follows symlinks and would change their targets' modes.
		if info.Mode()&os.ModeSymlink != 0 {
			return nil
		}
		mask := rwMask
		if readOnly {
			mask = roMask
		}
		if info.IsDir() {
			mask |= os.ModeSetgid | execMask
		}
		if err := os.Chmod(path, info.Mode()|mask); err != nil {
			logger.Error(err, "chmod failed", "path", path)
		}
		return nil
	})
}

func requiresPermissionChange(dir string, fsGroup int64, readOnly bool) bool {
	fi, err := os.Stat(dir)
	if err != nil {
		return true
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || int64(st.Gid) != fsGroup || !fi.IsDir() {
		return true
	}
	want := rwMask
	if readOnly {
		want = roMask
	}
	want |= execMask
	return fi.Mode().Perm()&want != want || fi.Mode()&os.ModeSetgid == 0
}
