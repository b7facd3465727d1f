package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"k8s.io/klog/v2"
)

// containerd makes a directory per namespace in its runtime's root and
// state, and the runc shim one in runc's root, and removes none of them when
// the namespace goes: every test cluster left three empty directories
// behind. These are containerd 1.6's and 2.x's default paths; with other
// --root/--state settings nothing is found and nothing is removed.
var containerdNamespaceDirs = []string{
	"/var/lib/containerd/io.containerd.runtime.v2.task",
	"/run/containerd/io.containerd.runtime.v2.task",
	"/run/containerd/runc",
}

// removeNamespaceDirs removes the namespace's directories that are empty;
// one that is not (a container of the namespace is still there) is left.
func removeNamespaceDirs(parents []string, ns string) error {
	var errs []error
	for _, p := range parents {
		err := os.Remove(filepath.Join(p, ns))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("remove containerd's directory of namespace %s: %w", ns, err))
		}
	}
	return errors.Join(errs...)
}

// orphanedShims are the PIDs of the containerd shims (containerd-shim-*)
// started for namespace ns, read from procfs ("/proc").
func orphanedShims(procfs, ns string) []int {
	entries, err := os.ReadDir(procfs)
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join(procfs, e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		if isShimOf(cmdline, ns) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// isShimOf: cmdline (NUL-separated) is a containerd shim's, started with
// -namespace ns.
func isShimOf(cmdline []byte, ns string) bool {
	args := strings.Split(string(bytes.TrimRight(cmdline, "\x00")), "\x00")
	if len(args) == 0 || !strings.HasPrefix(filepath.Base(args[0]), "containerd-shim") {
		return false
	}
	for i, a := range args {
		if (a == "-namespace" || a == "--namespace") && i+1 < len(args) && args[i+1] == ns {
			return true
		}
	}
	return false
}

// RemoveNamespaceLeftovers removes what containerd leaves of a namespace
// after deleting it: shims that did not exit and the runtime's empty
// per-namespace directories. Call it once the namespace is deleted.
func RemoveNamespaceLeftovers(ctx context.Context, ns string) error {
	return errors.Join(stopOrphanedShims(ctx, ns), removeNamespaceDirs(containerdNamespaceDirs, ns))
}

// NamespaceLeftovers describes what containerd left of namespace ns that
// RemoveNamespaceLeftovers removes: its per-namespace directories and
// shims still running. Tests check with it that a reset left nothing.
func NamespaceLeftovers(ns string) []string {
	return namespaceLeftovers(containerdNamespaceDirs, "/proc", ns)
}

func namespaceLeftovers(parents []string, procfs, ns string) []string {
	var out []string
	for _, p := range parents {
		if _, err := os.Stat(filepath.Join(p, ns)); err == nil {
			out = append(out, "directory "+filepath.Join(p, ns))
		}
	}
	for _, pid := range orphanedShims(procfs, ns) {
		out = append(out, fmt.Sprintf("containerd shim %d", pid))
	}
	return out
}

// stopOrphanedShims stops the shims of a namespace that is gone. A shim
// exits by itself when containerd deletes its last task; one that did not
// (seen once after a benchmark, its cause not found) would otherwise run
// until the host reboots. Each is killed by its PID, as the namespace it
// serves no longer exists, and logged so that it is noticed.
func stopOrphanedShims(ctx context.Context, ns string) error {
	logger := klog.FromContext(ctx)
	var errs []error
	for _, pid := range orphanedShims("/proc", ns) {
		logger.Info("Stopping a containerd shim of the removed namespace", "namespace", ns, "pid", pid)
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			errs = append(errs, fmt.Errorf("stop containerd shim %d of namespace %s: %w", pid, ns, err))
			continue
		}
		for range 50 {
			if syscall.Kill(pid, 0) != nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return errors.Join(errs...)
}
