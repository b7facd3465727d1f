package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/contrib/seccomp"
	"github.com/containerd/containerd/v2/core/containers"
	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/pkg/oci"
	"github.com/containerd/errdefs"
	"github.com/containerd/errdefs/pkg/errgrpc"
	"github.com/moby/sys/signal"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ErrConfig marks a container that cannot be created from its
// configuration (the kubelet's CreateContainerConfigError).
var ErrConfig = errors.New("container config error")

// ContainerConfig describes one container of a pod, already resolved by the
// pod manager (environment, mounts, security settings).
type ContainerConfig struct {
	SandboxID, PodUID, PodName, PodNamespace string
	Name                                     string
	// Type is "init", "app" or "ephemeral".
	Type    string
	Attempt int
	Hash    string
	Image   string

	// Command and Args are the pod's; empty ones take the image's
	// entrypoint and cmd with Kubernetes' rules.
	Command, Args []string
	Env           []string
	WorkingDir    string
	Mounts        []specs.Mount

	RunAsUser, RunAsGroup *int64
	RunAsNonRoot          bool
	SupplementalGroups    []int64
	Privileged            bool
	ReadOnlyRootFS        bool
	NoNewPrivileges       bool
	CapAdd, CapDrop       []string
	// Seccomp is "" or "Unconfined", "RuntimeDefault", or a profile file path.
	Seccomp string

	CPUShares   uint64
	CPUQuota    int64
	CPUPeriod   uint64
	MemoryLimit int64

	TTY, Stdin, StdinOnce bool

	HostNetwork, ShareProcessNamespace bool
	NetNS                              string
	SandboxPid                         uint32

	LogPath string
	// TerminationMessagePath is the host file mounted at the container's
	// terminationMessagePath; FallbackToLogs says to use the log tail when
	// it is empty and the container failed.
	TerminationMessageHostPath string
	FallbackToLogs             bool
}

// CreateContainer creates a container in a sandbox, not yet started.
func (r *Runtime) CreateContainer(ctx context.Context, cfg *ContainerConfig) (string, error) {
	ctx = r.ctx(ctx)
	image, err := r.client.GetImage(ctx, cfg.Image)
	if err != nil {
		return "", fmt.Errorf("image %s: %w", cfg.Image, err)
	}
	imgConfig, err := imageConfig(ctx, image)
	if err != nil {
		return "", err
	}
	if cfg.RunAsNonRoot {
		if err := verifyNonRoot(cfg.RunAsUser, imgConfig.User); err != nil {
			return "", err
		}
	}
	if len(cfg.Command) == 0 && len(cfg.Args) == 0 && len(imgConfig.Entrypoint) == 0 && len(imgConfig.Cmd) == 0 {
		return "", fmt.Errorf("%w: no command specified", ErrConfig)
	}
	id := newID()
	if err := os.MkdirAll(r.containerDir(id), 0o700); err != nil {
		return "", err
	}
	opts := []oci.SpecOpts{
		oci.WithImageConfig(image),
		withArgs(cfg.Command, cfg.Args, imgConfig),
		oci.WithEnv(cfg.Env),
		oci.WithCgroup(cgroupPath(cfg.PodUID, id)),
		oci.WithMounts(cfg.Mounts),
		oci.WithAnnotations(map[string]string{"io.kubernetes.cri.container-type": "container", shimGroupAnnotation: cfg.SandboxID}),
	}
	if cfg.WorkingDir != "" {
		opts = append(opts, oci.WithProcessCwd(cfg.WorkingDir))
	}
	if cfg.RunAsUser != nil {
		opts = append(opts, oci.WithUserID(uint32(*cfg.RunAsUser)))
	}
	opts = append(opts, withGroups(cfg.RunAsGroup, cfg.SupplementalGroups))
	if cfg.Privileged {
		opts = append(opts, oci.WithPrivileged, oci.WithAllDevicesAllowed, oci.WithHostDevices, withUnmaskedPaths)
	} else {
		opts = append(opts, withCapabilities(cfg.CapAdd, cfg.CapDrop))
	}
	if cfg.ReadOnlyRootFS {
		opts = append(opts, oci.WithRootFSReadonly())
	}
	if cfg.NoNewPrivileges {
		opts = append(opts, oci.WithNoNewPrivileges)
	}
	switch cfg.Seccomp {
	case "", "Unconfined":
	case "RuntimeDefault":
		if !cfg.Privileged {
			opts = append(opts, seccomp.WithDefaultProfile())
		}
	default:
		opts = append(opts, seccomp.WithProfile(cfg.Seccomp))
	}
	opts = append(opts, withResources(cfg))
	if cfg.TTY {
		opts = append(opts, oci.WithTTY)
	}
	// Join the sandbox: its network namespace (or the host's), its IPC and
	// UTS namespaces through the pause process, its PID namespace when
	// the pod shares one.
	if cfg.HostNetwork {
		opts = append(opts, oci.WithHostNamespace(specs.NetworkNamespace), oci.WithHostNamespace(specs.UTSNamespace))
	} else {
		opts = append(opts,
			oci.WithLinuxNamespace(specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: cfg.NetNS}),
			oci.WithLinuxNamespace(specs.LinuxNamespace{Type: specs.UTSNamespace, Path: fmt.Sprintf("/proc/%d/ns/uts", cfg.SandboxPid)}))
	}
	opts = append(opts, oci.WithLinuxNamespace(specs.LinuxNamespace{Type: specs.IPCNamespace, Path: fmt.Sprintf("/proc/%d/ns/ipc", cfg.SandboxPid)}))
	if cfg.ShareProcessNamespace {
		opts = append(opts, oci.WithLinuxNamespace(specs.LinuxNamespace{Type: specs.PIDNamespace, Path: fmt.Sprintf("/proc/%d/ns/pid", cfg.SandboxPid)}))
	}
	labels := map[string]string{
		LabelKind:          KindContainer,
		LabelPodUID:        cfg.PodUID,
		LabelPodName:       cfg.PodName,
		LabelPodNamespace:  cfg.PodNamespace,
		LabelSandboxID:     cfg.SandboxID,
		LabelContainerName: cfg.Name,
		LabelContainerType: cfg.Type,
		LabelAttempt:       strconv.Itoa(cfg.Attempt),
		LabelHash:          cfg.Hash,
		LabelLogPath:       cfg.LogPath,
		labelTermPath:      cfg.TerminationMessageHostPath,
	}
	if cfg.FallbackToLogs {
		labels[labelTermFallback] = "true"
	}
	if cfg.Stdin {
		labels[labelStdin] = "true"
		if cfg.StdinOnce {
			labels[labelStdinOnce] = "true"
		}
	}
	if cfg.TTY {
		labels[labelTTY] = "true"
	}
	_, err = r.client.NewContainer(ctx, id,
		containerd.WithImage(image),
		containerd.WithNewSnapshot(id, image),
		containerd.WithNewSpec(opts...),
		containerd.WithContainerLabels(labels))
	if err != nil {
		os.RemoveAll(r.containerDir(id))
		if strings.Contains(err.Error(), "no users found") || strings.Contains(err.Error(), "no groups found") {
			return "", fmt.Errorf("%w: %v", ErrConfig, err)
		}
		return "", fmt.Errorf("create container: %w", err)
	}
	return id, nil
}

const (
	labelTermPath     = "io.kubeshim.termination-message-path"
	labelTermFallback = "io.kubeshim.termination-message-fallback"
	labelStdin        = "io.kubeshim.stdin"
	labelStdinOnce    = "io.kubeshim.stdin-once"
	labelTTY          = "io.kubeshim.tty"
	labelStopSignal   = "io.kubeshim.stop-signal"
)

func imageConfig(ctx context.Context, image containerd.Image) (ocispec.ImageConfig, error) {
	desc, err := image.Config(ctx)
	if err != nil {
		return ocispec.ImageConfig{}, fmt.Errorf("image config: %w", err)
	}
	blob, err := content.ReadBlob(ctx, image.ContentStore(), desc)
	if err != nil {
		return ocispec.ImageConfig{}, fmt.Errorf("image config: %w", err)
	}
	var img ocispec.Image
	if err := json.Unmarshal(blob, &img); err != nil {
		return ocispec.ImageConfig{}, fmt.Errorf("image config: %w", err)
	}
	return img.Config, nil
}

// withArgs applies Kubernetes' rules for command and args over the image's
// entrypoint and cmd: a command replaces both; args alone replace the cmd.
func withArgs(command, args []string, img ocispec.ImageConfig) oci.SpecOpts {
	return func(_ context.Context, _ oci.Client, _ *containers.Container, s *oci.Spec) error {
		var argv []string
		switch {
		case len(command) > 0:
			argv = append(append(argv, command...), args...)
		case len(args) > 0:
			argv = append(append(argv, img.Entrypoint...), args...)
		default:
			argv = append(append(argv, img.Entrypoint...), img.Cmd...)
		}
		s.Process.Args = argv
		return nil
	}
}

// verifyNonRoot is the kubelet's runAsNonRoot check, with its messages.
func verifyNonRoot(runAsUser *int64, imageUser string) error {
	if runAsUser != nil {
		if *runAsUser == 0 {
			return fmt.Errorf("%w: container's runAsUser breaks non-root policy", ErrConfig)
		}
		return nil
	}
	user := strings.SplitN(imageUser, ":", 2)[0]
	if user == "" {
		return fmt.Errorf("%w: container has runAsNonRoot and image will run as root", ErrConfig)
	}
	uid, err := strconv.ParseInt(user, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: container has runAsNonRoot and image has non-numeric user (%s), cannot verify user is non-root", ErrConfig, user)
	}
	if uid == 0 {
		return fmt.Errorf("%w: container has runAsNonRoot and image will run as root", ErrConfig)
	}
	return nil
}

func withGroups(gid *int64, groups []int64) oci.SpecOpts {
	return func(_ context.Context, _ oci.Client, _ *containers.Container, s *oci.Spec) error {
		if gid != nil {
			s.Process.User.GID = uint32(*gid)
		}
		seen := map[uint32]bool{}
		for _, g := range s.Process.User.AdditionalGids {
			seen[g] = true
		}
		for _, g := range groups {
			if !seen[uint32(g)] {
				s.Process.User.AdditionalGids = append(s.Process.User.AdditionalGids, uint32(g))
				seen[uint32(g)] = true
			}
		}
		return nil
	}
}

// withCapabilities applies add and drop as containerd's CRI plugin does:
// "ALL" in drop empties the default set, "ALL" in add grants every known
// capability; names come without the CAP_ prefix.
func withCapabilities(add, drop []string) oci.SpecOpts {
	return func(ctx context.Context, client oci.Client, c *containers.Container, s *oci.Spec) error {
		caps := s.Process.Capabilities.Bounding
		for _, d := range drop {
			if strings.EqualFold(d, "ALL") {
				caps = nil
			}
		}
		for _, a := range add {
			if strings.EqualFold(a, "ALL") {
				if err := oci.WithAllKnownCapabilities(ctx, client, c, s); err != nil {
					return err
				}
				caps = s.Process.Capabilities.Bounding
			}
		}
		set := map[string]bool{}
		var out []string
		put := func(c string) {
			if !set[c] {
				set[c] = true
				out = append(out, c)
			}
		}
		for _, c := range caps {
			put(c)
		}
		for _, a := range add {
			if !strings.EqualFold(a, "ALL") {
				put(capName(a))
			}
		}
		var final []string
		for _, c := range out {
			dropped := false
			for _, d := range drop {
				if capName(d) == c {
					dropped = true
				}
			}
			if !dropped {
				final = append(final, c)
			}
		}
		s.Process.Capabilities.Bounding = final
		s.Process.Capabilities.Effective = final
		s.Process.Capabilities.Permitted = final
		s.Process.Capabilities.Inheritable = nil
		return nil
	}
}

func capName(c string) string {
	c = strings.ToUpper(c)
	if !strings.HasPrefix(c, "CAP_") {
		c = "CAP_" + c
	}
	return c
}

func withUnmaskedPaths(_ context.Context, _ oci.Client, _ *containers.Container, s *oci.Spec) error {
	if s.Linux != nil {
		s.Linux.MaskedPaths = nil
		s.Linux.ReadonlyPaths = nil
	}
	return nil
}

func withResources(cfg *ContainerConfig) oci.SpecOpts {
	return func(_ context.Context, _ oci.Client, _ *containers.Container, s *oci.Spec) error {
		if s.Linux == nil {
			s.Linux = &specs.Linux{}
		}
		if s.Linux.Resources == nil {
			s.Linux.Resources = &specs.LinuxResources{}
		}
		res := s.Linux.Resources
		if cfg.CPUShares > 0 || cfg.CPUQuota > 0 {
			res.CPU = &specs.LinuxCPU{}
			if cfg.CPUShares > 0 {
				res.CPU.Shares = &cfg.CPUShares
			}
			if cfg.CPUQuota > 0 {
				res.CPU.Quota = &cfg.CPUQuota
				res.CPU.Period = &cfg.CPUPeriod
			}
		}
		if cfg.MemoryLimit > 0 {
			res.Memory = &specs.LinuxMemory{Limit: &cfg.MemoryLimit}
			// No swap beyond the limit, as the kubelet configures it.
			res.Memory.Swap = &cfg.MemoryLimit
		}
		return nil
	}
}

// StartContainer starts a created container, wiring its output to its log
// file, and watches for its exit.
func (r *Runtime) StartContainer(ctx context.Context, id string) error {
	ctx = r.ctx(ctx)
	c, err := r.client.LoadContainer(ctx, id)
	if err != nil {
		return err
	}
	labels, err := c.Labels(ctx)
	if err != nil {
		return err
	}
	cio, err := r.newContainerIO(id, labels)
	if err != nil {
		return err
	}
	task, err := c.NewTask(ctx, cio.creator())
	if err != nil {
		cio.close()
		return fmt.Errorf("create task: %w", err)
	}
	wait, err := task.Wait(ctx)
	if err != nil {
		task.Delete(ctx, containerd.WithProcessKill)
		cio.close()
		return err
	}
	r.mu.Lock()
	r.ios[id] = cio
	r.mu.Unlock()
	// Stamped before the start: a container that exits at once must not
	// look as if it started after it finished.
	startedAt := time.Now()
	if err := task.Start(ctx); err != nil {
		task.Delete(ctx, containerd.WithProcessKill)
		r.mu.Lock()
		delete(r.ios, id)
		r.mu.Unlock()
		cio.close()
		return fmt.Errorf("start: %w", err)
	}
	if _, err := c.SetLabels(ctx, map[string]string{LabelStartedAt: formatTime(startedAt)}); err != nil {
		return err
	}
	go r.watch(ctx, c, task, wait, cio)
	return nil
}

// watch records a container's exit in its labels and deletes its task, so
// that the exit survives an agent restart and no shim lingers. ctx is the
// agent's: when it ends the container is still running, and the next agent
// adopts it.
func (r *Runtime) watch(ctx context.Context, c containerd.Container, task containerd.Task, wait <-chan containerd.ExitStatus, cio *containerIO) {
	st, ok := r.waitExit(ctx, c, task, wait)
	if !ok {
		// The agent is stopping: a wait that ended with it says nothing
		// about the container, and recording it as an exit would have the
		// next agent restart a container that never stopped.
		cio.detach()
		r.mu.Lock()
		delete(r.ios, c.ID())
		r.mu.Unlock()
		return
	}
	ctx = context.WithoutCancel(ctx)
	code, exitedAt, _ := st.Result()
	cio.waitDrained(2 * time.Second)
	cio.log.CloseStreams()
	r.mu.Lock()
	hook := r.beforeRecordExit
	r.mu.Unlock()
	if hook != nil {
		hook()
	}
	r.recordExit(ctx, c, int32(code), exitedAt)
	if _, err := task.Delete(ctx); err != nil && !errdefs.IsNotFound(err) {
		logger(ctx).Error(err, "Deleting exited task", "containerID", c.ID())
	}
	cio.close()
	r.mu.Lock()
	delete(r.ios, c.ID())
	r.mu.Unlock()
	select {
	case r.exits <- c.ID():
	default:
	}
}

// waitExit returns the task's exit status, or false when ctx ended first. A
// wait broken by containerd (a containerd restart) is made again: the
// task's shim outlives containerd, and so does the container. containerd's
// Wait reports every failure on the channel, never from the call.
func (r *Runtime) waitExit(ctx context.Context, c containerd.Container, task containerd.Task, wait <-chan containerd.ExitStatus) (containerd.ExitStatus, bool) {
	for {
		st := <-wait
		// The channel carries the gRPC error as it came.
		err := errgrpc.ToNative(st.Error())
		switch {
		case err == nil:
			return st, true
		case ctx.Err() != nil:
			return st, false
		case errdefs.IsNotFound(err):
			// The task is gone without an exit anyone saw: report it as
			// an exit of unknown status.
			return *containerd.NewExitStatus(containerd.UnknownExitStatus, time.Now(), nil), true
		}
		logger(ctx).V(2).Info("Waiting for a container's exit failed; waiting again", "containerID", c.ID(), "err", err)
		select {
		case <-ctx.Done():
			return st, false
		case <-time.After(time.Second):
		}
		wait, _ = task.Wait(ctx)
	}
}

func (r *Runtime) recordExit(ctx context.Context, c containerd.Container, code int32, exitedAt time.Time) {
	labels, _ := c.Labels(ctx)
	reason := "Completed"
	if code != 0 {
		reason = "Error"
	}
	r.mu.Lock()
	oom := r.oom[c.ID()]
	delete(r.oom, c.ID())
	r.mu.Unlock()
	if oom || (code == 137 && oomKilled(cgroupPath(labels[LabelPodUID], c.ID()))) {
		reason = "OOMKilled"
	}
	msg := terminationMessage(labels, code)
	if exitedAt.IsZero() {
		exitedAt = time.Now()
	}
	set := map[string]string{
		LabelFinishedAt: formatTime(exitedAt),
		LabelExitCode:   strconv.Itoa(int(code)),
		LabelReason:     reason,
		LabelMessage:    msg,
	}
	if _, err := c.SetLabels(ctx, set); err != nil {
		logger(ctx).Error(err, "Recording container exit", "containerID", c.ID())
	}
}

// oomKilled reads the memory cgroup's OOM kill counter (cgroup v1 or v2).
func oomKilled(path string) bool {
	for _, f := range []string{
		filepath.Join("/sys/fs/cgroup/memory", path, "memory.oom_control"),
		filepath.Join("/sys/fs/cgroup", path, "memory.events"),
	} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			fields := strings.Fields(line)
			if len(fields) == 2 && fields[0] == "oom_kill" && fields[1] != "0" {
				return true
			}
		}
	}
	return false
}

// maxTerminationMessage is the kubelet's limit on the message it reads.
const maxTerminationMessage = 4096

func terminationMessage(labels map[string]string, code int32) string {
	if p := labels[labelTermPath]; p != "" {
		if f, err := os.Open(p); err == nil {
			b := make([]byte, maxTerminationMessage)
			n, _ := f.Read(b)
			f.Close()
			if n > 0 {
				return string(b[:n])
			}
		}
	}
	if labels[labelTermFallback] == "true" && code != 0 {
		return logTail(labels[LabelLogPath], 80, 2048)
	}
	return ""
}

// StopContainer sends the stop signal, waits up to grace, then kills. A
// container that is not running is already stopped.
func (r *Runtime) StopContainer(ctx context.Context, id string, grace time.Duration) error {
	ctx = r.ctx(ctx)
	c, err := r.client.LoadContainer(ctx, id)
	if errdefs.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	task, err := c.Task(ctx, nil)
	if errdefs.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	st, err := task.Status(ctx)
	if err != nil || st.Status == containerd.Stopped {
		return nil
	}
	wait, err := task.Wait(ctx)
	if err != nil {
		return err
	}
	sig := syscall.SIGTERM
	if image, err := c.Image(ctx); err == nil {
		if cfg, err := imageConfig(ctx, image); err == nil && cfg.StopSignal != "" {
			if s, err := signal.ParseSignal(cfg.StopSignal); err == nil {
				sig = s
			}
		}
	}
	if grace > 0 {
		if err := task.Kill(ctx, sig); err != nil && !errdefs.IsNotFound(err) {
			return fmt.Errorf("signal %s: %w", sig, err)
		}
		select {
		case <-wait:
			r.waitRecorded(id, 2*time.Second)
			return nil
		case <-time.After(grace):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if err := task.Kill(ctx, syscall.SIGKILL, containerd.WithKillAll); err != nil && !errdefs.IsNotFound(err) {
		return fmt.Errorf("kill: %w", err)
	}
	select {
	case <-wait:
	case <-time.After(10 * time.Second):
		return fmt.Errorf("container %s did not exit after SIGKILL", id)
	}
	r.waitRecorded(id, 2*time.Second)
	return nil
}

// waitRecorded waits for watch to finish with a container, so a caller
// that stopped it sees its exit recorded.
func (r *Runtime) waitRecorded(id string, max time.Duration) {
	deadline := time.Now().Add(max)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		_, running := r.ios[id]
		r.mu.Unlock()
		if !running {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// RemoveContainer deletes a container, its task and its snapshot, and its
// private files; its log stays with the pod's logs. Gone already is fine.
func (r *Runtime) RemoveContainer(ctx context.Context, id string) error {
	if err := r.remove(ctx, id); err != nil {
		return err
	}
	r.mu.Lock()
	if io, ok := r.ios[id]; ok {
		io.close()
		delete(r.ios, id)
	}
	r.mu.Unlock()
	return os.RemoveAll(r.containerDir(id))
}

// ContainerDir is a directory private to one container (FIFOs, termination
// message file).
func (r *Runtime) ContainerDir(id string) string { return r.containerDir(id) }
