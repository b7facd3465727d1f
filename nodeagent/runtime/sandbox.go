package runtime

import (
	"context"
	"fmt"
	"os"
	"syscall"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/containers"
	"github.com/containerd/containerd/v2/pkg/cio"
	"github.com/containerd/containerd/v2/pkg/oci"
	"github.com/containerd/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// SandboxConfig describes a pod's sandbox.
type SandboxConfig struct {
	PodUID, PodName, PodNamespace string
	// Hostname is the pod's hostname (its name, or spec.hostname).
	Hostname    string
	HostNetwork bool
	// Attempt counts sandboxes made for this pod; a new one replaces a dead one.
	Attempt int
	// Sysctls are set in the sandbox's namespaces (IPC and network), which
	// the pod's containers share; the caller admitted them.
	Sysctls map[string]string
}

// CreateSandbox makes a pod's network namespace (unless it uses the host's)
// and its pause container, not yet started: the caller sets up the network
// in the namespace first. It returns the sandbox ID and the namespace path
// ("" for host network).
func (r *Runtime) CreateSandbox(ctx context.Context, cfg SandboxConfig) (id, netns string, err error) {
	ctx = r.ctx(ctx)
	id = newID()
	image, err := r.client.GetImage(ctx, r.config.PauseImage)
	if err != nil {
		return "", "", fmt.Errorf("pause image %s: %w", r.config.PauseImage, err)
	}
	opts := []oci.SpecOpts{
		oci.WithImageConfig(image),
		oci.WithNoNewPrivileges,
		oci.WithRootFSReadonly(),
		oci.WithCapabilities(nil),
		oci.WithCgroup(cgroupPath(cfg.PodUID, id)),
		oci.WithAnnotations(map[string]string{
			"io.kubernetes.cri.container-type": "sandbox",
			// The runc shim serves every container with the same group
			// annotation from one process: one shim per pod, not per
			// container, which saves a process start per container.
			shimGroupAnnotation: id,
		}),
	}
	if len(cfg.Sysctls) > 0 {
		opts = append(opts, withSysctls(cfg.Sysctls))
	}
	if cfg.HostNetwork {
		opts = append(opts, oci.WithHostNamespace(specs.NetworkNamespace), oci.WithHostNamespace(specs.UTSNamespace))
	} else {
		netns = r.netnsPath(id)
		if err := newNetNS(netns); err != nil {
			return "", "", fmt.Errorf("create network namespace: %w", err)
		}
		defer func() {
			if err != nil {
				removeNetNS(netns)
			}
		}()
		opts = append(opts,
			oci.WithLinuxNamespace(specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: netns}),
			oci.WithHostname(cfg.Hostname))
	}
	labels := map[string]string{
		LabelKind:         KindSandbox,
		LabelPodUID:       cfg.PodUID,
		LabelPodName:      cfg.PodName,
		LabelPodNamespace: cfg.PodNamespace,
		LabelAttempt:      fmt.Sprint(cfg.Attempt),
		LabelNetNS:        netns,
	}
	if cfg.HostNetwork {
		labels[LabelHostNetwork] = "true"
	}
	_, err = r.client.NewContainer(ctx, id,
		containerd.WithImage(image),
		containerd.WithNewSnapshot(id, image),
		containerd.WithNewSpec(opts...),
		containerd.WithContainerLabels(labels))
	if err != nil {
		return "", "", fmt.Errorf("create pause container: %w", err)
	}
	return id, netns, nil
}

// StartSandbox starts the pause container.
func (r *Runtime) StartSandbox(ctx context.Context, id string) error {
	ctx = r.ctx(ctx)
	c, err := r.client.LoadContainer(ctx, id)
	if err != nil {
		return err
	}
	task, err := c.NewTask(ctx, cio.NullIO)
	if err != nil {
		return fmt.Errorf("create pause task: %w", err)
	}
	if err := task.Start(ctx); err != nil {
		task.Delete(ctx, containerd.WithProcessKill)
		return fmt.Errorf("start pause task: %w", err)
	}
	_, err = c.SetLabels(ctx, map[string]string{LabelStartedAt: formatTime(time.Now())})
	return err
}

// StopSandbox kills the pause container. The network namespace stays until
// RemoveSandbox, so the caller can still tear down the network in it.
func (r *Runtime) StopSandbox(ctx context.Context, id string) error {
	ctx = r.ctx(ctx)
	c, err := r.client.LoadContainer(ctx, id)
	if errdefs.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	return killAndDelete(ctx, c)
}

// RemoveSandbox removes the pause container and the network namespace.
// Removing a sandbox that is already gone succeeds.
func (r *Runtime) RemoveSandbox(ctx context.Context, id string) error {
	if err := r.remove(ctx, id); err != nil {
		return fmt.Errorf("remove pause container: %w", err)
	}
	return removeNetNS(r.netnsPath(id))
}

// remove kills a container's task and deletes the container with its
// snapshot; a container that is already gone is removed.
func (r *Runtime) remove(ctx context.Context, id string) error {
	ctx = r.ctx(ctx)
	c, err := r.client.LoadContainer(ctx, id)
	if errdefs.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := killAndDelete(ctx, c); err != nil {
		return err
	}
	if err := c.Delete(ctx, containerd.WithSnapshotCleanup); err != nil && !errdefs.IsNotFound(err) {
		return fmt.Errorf("delete container: %w", err)
	}
	return nil
}

// killAndDelete SIGKILLs a container's task and deletes it; no task is fine.
func killAndDelete(ctx context.Context, c containerd.Container) error {
	task, err := c.Task(ctx, nil)
	if errdefs.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	st, err := task.Status(ctx)
	if err == nil && st.Status != containerd.Stopped {
		wait, werr := task.Wait(ctx)
		if err := task.Kill(ctx, syscall.SIGKILL, containerd.WithKillAll); err != nil && !errdefs.IsNotFound(err) {
			return fmt.Errorf("kill: %w", err)
		}
		if werr == nil {
			select {
			case <-wait:
			case <-time.After(10 * time.Second):
			}
		}
	}
	if _, err := task.Delete(ctx, containerd.WithProcessKill); err != nil && !errdefs.IsNotFound(err) {
		return fmt.Errorf("delete task: %w", err)
	}
	return nil
}

// shimGroupAnnotation is the annotation containerd's runc shim groups
// containers by (it reads the CRI's name for it).
const shimGroupAnnotation = "io.kubernetes.cri.sandbox-id"

// cgroupPath puts every container of a pod under one parent, as the
// kubelet's cgroupfs driver does (without the QoS level).
func cgroupPath(podUID, id string) string { return ContainerCgroup(podUID, id) }

// PodCgroup is the cgroup, relative to each hierarchy's root, that holds all
// of a pod's containers, its sandbox included: the pod's usage.
func PodCgroup(podUID string) string { return "/kubeshim/pod" + podUID }

// ContainerCgroup is the cgroup of one container (or sandbox) of a pod.
func ContainerCgroup(podUID, id string) string { return PodCgroup(podUID) + "/" + id }

// SandboxPid is the pause process, whose namespaces the containers join.
func (r *Runtime) SandboxPid(ctx context.Context, id string) (uint32, error) {
	ctx = r.ctx(ctx)
	c, err := r.client.LoadContainer(ctx, id)
	if err != nil {
		return 0, err
	}
	task, err := c.Task(ctx, nil)
	if err != nil {
		return 0, err
	}
	st, err := task.Status(ctx)
	if err != nil {
		return 0, err
	}
	if st.Status != containerd.Running {
		return 0, fmt.Errorf("sandbox %s is %s", id, st.Status)
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/%d/ns/ipc", task.Pid())); err != nil {
		return 0, err
	}
	return task.Pid(), nil
}

// withSysctls sets sysctls in the container's namespaces (runc writes them
// under /proc/sys once the namespaces exist).
func withSysctls(sysctls map[string]string) oci.SpecOpts {
	return func(_ context.Context, _ oci.Client, _ *containers.Container, s *oci.Spec) error {
		if s.Linux == nil {
			s.Linux = &specs.Linux{}
		}
		if s.Linux.Sysctl == nil {
			s.Linux.Sysctl = map[string]string{}
		}
		for k, v := range sysctls {
			s.Linux.Sysctl[k] = v
		}
		return nil
	}
}
