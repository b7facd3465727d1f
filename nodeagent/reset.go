package nodeagent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/errdefs"
	"golang.org/x/sys/unix"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/nodeagent/network"
	"github.com/kubeshim/kubeshim/nodeagent/runtime"
	"github.com/kubeshim/kubeshim/proxy"
)

// ResetOptions say what `kubeshim reset` removes.
type ResetOptions struct {
	DataDir             string
	ContainerdAddress   string
	ContainerdNamespace string
	CNIBinDirs          []string
	// KeepImages leaves the images (and so the containerd namespace).
	KeepImages bool
	// DeleteVolumes removes the local-path volumes (<data-dir>/storage)
	// too; by default they are kept, as the one thing under the data dir
	// that is users' data rather than kubeshim's.
	DeleteVolumes bool
}

// Reset removes everything an agent made on this host: containers and
// sandboxes with their networks, the service proxy's rules, the host
// network pieces (sink, bridge, forward guard), mounts under the data dir,
// the containerd namespace (unless images are kept) and the data dir, except
// the local-path volumes' data in <data-dir>/storage unless DeleteVolumes
// is set. It carries on past failures and reports them all.
func Reset(ctx context.Context, o ResetOptions) error {
	logger := klog.FromContext(ctx)
	agentDir := filepath.Join(o.DataDir, "agent")
	var errs []error
	net, nerr := network.New(network.Config{PluginDirs: o.CNIBinDirs, StateDir: filepath.Join(agentDir, "cni"), Bridge: "kubeshim0"})
	if nerr != nil {
		errs = append(errs, nerr)
	}
	if _, err := os.Stat(o.ContainerdAddress); err == nil {
		rt, err := runtime.New(ctx, runtime.Config{Address: o.ContainerdAddress, Namespace: o.ContainerdNamespace, StateDir: filepath.Join(agentDir, "runtime")})
		if err != nil {
			errs = append(errs, err)
		} else {
			errs = append(errs, removeAll(ctx, rt, net))
			if !o.KeepImages {
				err := removeNamespace(ctx, rt.Client(), o.ContainerdNamespace)
				errs = append(errs, err)
				if err == nil {
					errs = append(errs, runtime.RemoveNamespaceLeftovers(ctx, o.ContainerdNamespace))
				}
			}
			rt.Close()
		}
	} else {
		logger.Info("containerd is not running; skipping containers", "address", o.ContainerdAddress)
	}
	// The service proxy's rules and chains; it leaves the sink to RemoveHost.
	errs = append(errs, proxy.Cleanup(ctx))
	if net != nil {
		errs = append(errs, net.RemoveHost())
	}
	errs = append(errs, unmountUnder(agentDir))
	errs = append(errs, removeDataDir(ctx, o.DataDir, o.DeleteVolumes))
	return errors.Join(errs...)
}

// removeDataDir removes the data dir, all but the volumes' directory when
// it holds volumes, unless deleteVolumes is set.
func removeDataDir(ctx context.Context, dir string, deleteVolumes bool) error {
	storage := filepath.Join(dir, StorageDir)
	volumes, err := os.ReadDir(storage)
	if deleteVolumes || len(volumes) == 0 || err != nil {
		return os.RemoveAll(dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		if e.Name() != StorageDir {
			errs = append(errs, os.RemoveAll(filepath.Join(dir, e.Name())))
		}
	}
	klog.FromContext(ctx).Info("Kept the local-path volumes' data; `kubeshim reset --delete-volumes` removes it", "dir", storage, "volumes", len(volumes))
	return errors.Join(errs...)
}

func removeAll(ctx context.Context, rt *runtime.Runtime, net *network.Network) error {
	infos, err := rt.List(ctx, nil)
	if err != nil {
		return err
	}
	var errs []error
	for _, i := range infos {
		if i.Labels[runtime.LabelKind] != runtime.KindSandbox {
			errs = append(errs, rt.RemoveContainer(ctx, i.ID))
		}
	}
	for _, i := range infos {
		if i.Labels[runtime.LabelKind] != runtime.KindSandbox {
			continue
		}
		errs = append(errs, rt.StopSandbox(ctx, i.ID))
		if net != nil && i.Labels[runtime.LabelHostNetwork] != "true" {
			// Release the IP and host ports; the CNI config is the pod's
			// subnet, read back from the CNI cache by libcni.
			errs = append(errs, net.TeardownCached(ctx, network.Pod{
				Namespace: i.Labels[runtime.LabelPodNamespace], Name: i.Labels[runtime.LabelPodName],
				UID: i.Labels[runtime.LabelPodUID], SandboxID: i.ID, NetNS: i.Labels[runtime.LabelNetNS],
			}))
		}
		errs = append(errs, rt.RemoveSandbox(ctx, i.ID))
	}
	return errors.Join(errs...)
}

func removeNamespace(ctx context.Context, client *containerd.Client, ns string) error {
	ctx = namespaces.WithNamespace(ctx, ns)
	imgs, err := client.ImageService().List(ctx)
	if err != nil {
		return err
	}
	for _, img := range imgs {
		// Synchronous: garbage collection has removed the content when it
		// returns, so the namespace is empty enough to delete.
		if err := client.ImageService().Delete(ctx, img.Name, images.SynchronousDelete()); err != nil && !errdefs.IsNotFound(err) {
			return err
		}
	}
	// Content and snapshots go with garbage collection; leases may pin some.
	if ls, err := client.LeasesService().List(ctx); err == nil {
		for _, l := range ls {
			client.LeasesService().Delete(ctx, l)
		}
	}
	for i := 0; i < 50; i++ {
		if err = client.NamespaceService().Delete(ctx, ns); err == nil || errdefs.IsNotFound(err) {
			return nil
		}
		// Snapshots of removed containers go with a later collection.
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("delete containerd namespace %s: %w", ns, err)
}

// unmountUnder unmounts every mount below dir (tmpfs volumes, network
// namespace pins), deepest first.
func unmountUnder(dir string) error {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return err
	}
	abs, _ := filepath.Abs(dir)
	var mounts []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && (f[4] == abs || strings.HasPrefix(f[4], abs+"/")) {
			mounts = append(mounts, f[4])
		}
	}
	var errs []error
	for i := len(mounts) - 1; i >= 0; i-- {
		if err := unix.Unmount(mounts[i], unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, fmt.Errorf("unmount %s: %w", mounts[i], err))
		}
	}
	return errors.Join(errs...)
}
