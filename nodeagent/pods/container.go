package pods

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/nodeagent/envvars"
	"github.com/kubeshim/kubeshim/nodeagent/runtime"
	"github.com/kubeshim/kubeshim/nodeagent/volumes"
)

type containerEnv struct {
	sandbox *sandboxInfo
	mounts  map[string]volumes.Mount
}

func containerRef(pod *corev1.Pod, c *corev1.Container) *corev1.ObjectReference {
	field := "spec.containers{" + c.Name + "}"
	for _, ic := range pod.Spec.InitContainers {
		if ic.Name == c.Name {
			field = "spec.initContainers{" + c.Name + "}"
		}
	}
	for _, ec := range pod.Spec.EphemeralContainers {
		if ec.Name == c.Name {
			field = "spec.ephemeralContainers{" + c.Name + "}"
		}
	}
	return &corev1.ObjectReference{
		Kind: "Pod", APIVersion: "v1", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID,
		ResourceVersion: pod.ResourceVersion, FieldPath: field,
	}
}

// startContainer pulls the image if needed, creates and starts one
// instance of a container, and runs its postStart hook. Failures are
// remembered for the container's waiting reason and reported as events.
func (m *Manager) startContainer(ctx context.Context, pod *corev1.Pod, st *podState, env *containerEnv, c *corev1.Container, ctype string, attempt int) error {
	ref := containerRef(pod, c)
	logger := klog.FromContext(ctx)
	t0 := time.Now()
	image, err := m.ensureImage(ctx, pod, st, c)
	if err != nil {
		return err
	}
	cfg, err := m.containerConfig(ctx, pod, st, env, c, ctype, attempt, image)
	logger.V(4).Info("Container config", "container", c.Name, "duration", time.Since(t0))
	if err == nil {
		var id string
		id, err = m.config.Runtime.CreateContainer(ctx, cfg)
		logger.V(4).Info("Container created", "container", c.Name, "duration", time.Since(t0))
		if err == nil {
			delete(st.configErrors, c.Name)
			m.config.Recorder.Event(ref, corev1.EventTypeNormal, "Created", "Container created")
			if err = m.config.Runtime.StartContainer(ctx, id); err != nil {
				m.config.Recorder.Eventf(ref, corev1.EventTypeWarning, "Failed", "Error: %v", err)
				// The instance stays as "created"; status shows why.
				st.configErrors[c.Name] = "StartError:" + err.Error()
				return err
			}
			m.config.Recorder.Event(ref, corev1.EventTypeNormal, "Started", "Container started")
			logger.V(4).Info("Container started", "container", c.Name, "duration", time.Since(t0))
			if c.Lifecycle != nil && c.Lifecycle.PostStart != nil {
				if herr := m.runHandler(ctx, pod, c, id, c.Lifecycle.PostStart); herr != nil {
					m.config.Recorder.Eventf(ref, corev1.EventTypeWarning, "FailedPostStartHook", "PostStartHook failed: %v", herr)
					m.config.Runtime.StopContainer(ctx, id, gracePeriod(pod))
				}
			}
			m.startProbes(ctx, pod, st, c, id)
			return nil
		}
	}
	msg := err.Error()
	if errors.Is(err, runtime.ErrConfig) {
		msg = strings.TrimPrefix(msg, runtime.ErrConfig.Error()+": ")
	}
	st.configErrors[c.Name] = "CreateContainerConfigError:" + msg
	m.config.Recorder.Eventf(ref, corev1.EventTypeWarning, "Failed", "Error: %s", msg)
	return err
}

// ensureImage makes the image present according to imagePullPolicy. With
// no registry reachable, a present image is used even under Always (see
// docs/differences.md).
func (m *Manager) ensureImage(ctx context.Context, pod *corev1.Pod, st *podState, c *corev1.Container) (string, error) {
	ref := containerRef(pod, c)
	image, err := runtime.NormalizeImage(c.Image)
	if err != nil {
		st.pullErrors[c.Name] = pullError{message: err.Error(), at: time.Now(), reason: "InvalidImageName"}
		m.config.Recorder.Eventf(ref, corev1.EventTypeWarning, "InspectFailed", "Failed to apply default image tag %q: %v", c.Image, err)
		return "", err
	}
	present, err := m.config.Runtime.HasImage(ctx, image)
	if err != nil {
		return "", err
	}
	policy := c.ImagePullPolicy
	if present && policy != corev1.PullAlways {
		delete(st.pullErrors, c.Name)
		m.config.Recorder.Eventf(ref, corev1.EventTypeNormal, "Pulled", "Container image %q already present on machine and can be accessed by the pod", c.Image)
		return image, nil
	}
	if !present && policy == corev1.PullNever {
		msg := fmt.Sprintf("Container image %q is not present with pull policy of Never", c.Image)
		st.pullErrors[c.Name] = pullError{message: msg, at: time.Now(), reason: "ErrImageNeverPull"}
		m.config.Recorder.Event(ref, corev1.EventTypeWarning, "ErrImageNeverPull", msg)
		return "", errors.New(msg)
	}
	if pe, ok := st.pullErrors[c.Name]; ok && time.Since(pe.at) < pullBackoff(pe.count) {
		pe.reason = "ImagePullBackOff"
		st.pullErrors[c.Name] = pe
		m.config.Recorder.Eventf(ref, corev1.EventTypeNormal, "BackOff", "Back-off pulling image %q", c.Image)
		return "", errors.New(pe.message)
	}
	m.config.Recorder.Eventf(ref, corev1.EventTypeNormal, "Pulling", "Pulling image %q", c.Image)
	start := time.Now()
	creds := m.pullCredentials(ctx, pod)
	if err := m.config.Runtime.PullImage(ctx, image, creds); err != nil {
		if present {
			klog.FromContext(ctx).V(2).Info("Pull failed, using the image present", "image", image, "err", err)
			delete(st.pullErrors, c.Name)
			return image, nil
		}
		pe := st.pullErrors[c.Name]
		msg := fmt.Sprintf("Failed to pull image %q: %v", c.Image, err)
		st.pullErrors[c.Name] = pullError{message: msg, at: time.Now(), count: pe.count + 1, reason: "ErrImagePull"}
		m.config.Recorder.Event(ref, corev1.EventTypeWarning, "Failed", msg)
		m.config.Recorder.Eventf(ref, corev1.EventTypeWarning, "Failed", "Error: ErrImagePull")
		return "", err
	}
	delete(st.pullErrors, c.Name)
	m.config.Recorder.Eventf(ref, corev1.EventTypeNormal, "Pulled", "Successfully pulled image %q in %v", c.Image, time.Since(start).Round(time.Millisecond))
	return image, nil
}

func pullBackoff(count int) time.Duration {
	d := initialBackoff
	for i := 1; i < count && d < maxBackoff; i++ {
		d *= 2
	}
	if d > maxBackoff {
		d = maxBackoff
	}
	return d
}

func (m *Manager) pullCredentials(ctx context.Context, pod *corev1.Pod) []runtime.Credential {
	var out []runtime.Credential
	for _, ref := range pod.Spec.ImagePullSecrets {
		s, err := m.env.Secret(ctx, pod.Namespace, ref.Name)
		if err != nil || s == nil {
			continue
		}
		var creds []runtime.Credential
		if b, ok := s.Data[corev1.DockerConfigJsonKey]; ok {
			creds, _ = runtime.CredentialsFromDockerConfig(b, false)
		} else if b, ok := s.Data[corev1.DockerConfigKey]; ok {
			creds, _ = runtime.CredentialsFromDockerConfig(b, true)
		}
		out = append(out, creds...)
	}
	return out
}

// containerConfig turns a container of the pod spec into what the runtime
// runs: environment, mounts, user and security settings, resources.
func (m *Manager) containerConfig(ctx context.Context, pod *corev1.Pod, st *podState, env *containerEnv, c *corev1.Container, ctype string, attempt int, image string) (*runtime.ContainerConfig, error) {
	res, err := envvars.Resolve(ctx, m.env, pod, c, m.envInfo(pod, st))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", runtime.ErrConfig, err)
	}
	for _, sk := range res.Skipped {
		m.config.Recorder.Event(pod, corev1.EventTypeWarning, envvars.ReasonInvalidEnvironmentVariableNames, sk.Message())
	}
	envs := res.Strings()
	cfg := &runtime.ContainerConfig{
		SandboxID: env.sandbox.id, PodUID: string(pod.UID), PodName: pod.Name, PodNamespace: pod.Namespace,
		Name: c.Name, Type: ctype, Attempt: attempt, Image: image,
		Command:    envvars.ExpandCommand(c.Command, envs),
		Args:       envvars.ExpandCommand(c.Args, envs),
		Env:        envs,
		WorkingDir: c.WorkingDir,
		TTY:        c.TTY, Stdin: c.Stdin, StdinOnce: c.StdinOnce,
		HostNetwork:           pod.Spec.HostNetwork,
		ShareProcessNamespace: pod.Spec.ShareProcessNamespace != nil && *pod.Spec.ShareProcessNamespace,
		NetNS:                 env.sandbox.netns,
		SandboxPid:            env.sandbox.pid,
	}
	logDir := filepath.Join(m.logDir(pod), c.Name)
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return nil, err
	}
	cfg.LogPath = filepath.Join(logDir, strconv.Itoa(attempt)+".log")

	mounts, err := m.containerMounts(pod, env, c, cfg, attempt)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", runtime.ErrConfig, err)
	}
	cfg.Mounts = mounts
	applySecurity(pod, c, cfg)
	applyResources(c, cfg)
	return cfg, nil
}

func (m *Manager) containerMounts(pod *corev1.Pod, env *containerEnv, c *corev1.Container, cfg *runtime.ContainerConfig, attempt int) ([]specs.Mount, error) {
	var out []specs.Mount
	covered := map[string]bool{}
	for _, vm := range c.VolumeMounts {
		v, ok := env.mounts[vm.Name]
		if !ok {
			return nil, fmt.Errorf("cannot find volume %q to mount into container %q", vm.Name, c.Name)
		}
		src := v.HostPath
		if vm.SubPath != "" || vm.SubPathExpr != "" {
			sub := vm.SubPath
			if vm.SubPathExpr != "" {
				sub = envvars.Expand(vm.SubPathExpr, func(name string) (string, bool) {
					for _, e := range cfg.Env {
						if k, val, ok := strings.Cut(e, "="); ok && k == name {
							return val, true
						}
					}
					return "", false
				})
			}
			if filepath.IsAbs(sub) || strings.Contains(sub, "..") {
				return nil, fmt.Errorf("subPath %q must be a relative path not containing '..'", sub)
			}
			src = filepath.Join(src, sub)
			if _, err := os.Lstat(src); os.IsNotExist(err) {
				if err := os.MkdirAll(src, 0o755); err != nil {
					return nil, err
				}
			}
		}
		opts := []string{"rbind"}
		if vm.ReadOnly || v.ReadOnly {
			opts = append(opts, "ro")
		} else {
			opts = append(opts, "rw")
		}
		if vm.MountPropagation != nil {
			switch *vm.MountPropagation {
			case corev1.MountPropagationBidirectional:
				opts = append(opts, "rshared")
			case corev1.MountPropagationHostToContainer:
				opts = append(opts, "rslave")
			default:
				opts = append(opts, "rprivate")
			}
		} else {
			opts = append(opts, "rprivate")
		}
		out = append(out, specs.Mount{Destination: vm.MountPath, Type: "bind", Source: src, Options: opts})
		covered[vm.MountPath] = true
	}
	dir := m.podDir(pod.UID)
	if !covered["/etc/hosts"] {
		out = append(out, specs.Mount{Destination: "/etc/hosts", Type: "bind", Source: filepath.Join(dir, "etc-hosts"), Options: []string{"rbind", "rprivate", "rw"}})
	}
	if !covered["/etc/hostname"] {
		out = append(out, specs.Mount{Destination: "/etc/hostname", Type: "bind", Source: filepath.Join(dir, "hostname"), Options: []string{"rbind", "rprivate", "rw"}})
	}
	if !covered["/etc/resolv.conf"] {
		out = append(out, specs.Mount{Destination: "/etc/resolv.conf", Type: "bind", Source: filepath.Join(dir, "resolv.conf"), Options: []string{"rbind", "rprivate", "rw"}})
	}
	path := c.TerminationMessagePath
	if path == "" {
		path = corev1.TerminationMessagePathDefault
	}
	if !covered[path] {
		tdir := filepath.Join(dir, "containers", c.Name)
		if err := os.MkdirAll(tdir, 0o755); err != nil {
			return nil, err
		}
		f := filepath.Join(tdir, fmt.Sprintf("%d-termination-log", attempt))
		if err := os.WriteFile(f, nil, 0o666); err != nil {
			return nil, err
		}
		// The container may run as any user: let it write its message.
		os.Chmod(f, 0o666)
		out = append(out, specs.Mount{Destination: path, Type: "bind", Source: f, Options: []string{"rbind", "rprivate", "rw"}})
		cfg.TerminationMessageHostPath = f
	}
	cfg.FallbackToLogs = c.TerminationMessagePolicy == corev1.TerminationMessageFallbackToLogsOnError
	return out, nil
}

// applySecurity merges the pod's and the container's security contexts,
// the container's winning, as the kubelet does.
func applySecurity(pod *corev1.Pod, c *corev1.Container, cfg *runtime.ContainerConfig) {
	psc := pod.Spec.SecurityContext
	if psc == nil {
		psc = &corev1.PodSecurityContext{}
	}
	sc := c.SecurityContext
	if sc == nil {
		sc = &corev1.SecurityContext{}
	}
	cfg.RunAsUser = psc.RunAsUser
	if sc.RunAsUser != nil {
		cfg.RunAsUser = sc.RunAsUser
	}
	cfg.RunAsGroup = psc.RunAsGroup
	if sc.RunAsGroup != nil {
		cfg.RunAsGroup = sc.RunAsGroup
	}
	cfg.RunAsNonRoot = (psc.RunAsNonRoot != nil && *psc.RunAsNonRoot)
	if sc.RunAsNonRoot != nil {
		cfg.RunAsNonRoot = *sc.RunAsNonRoot
	}
	cfg.SupplementalGroups = append(cfg.SupplementalGroups, psc.SupplementalGroups...)
	if psc.FSGroup != nil {
		cfg.SupplementalGroups = append(cfg.SupplementalGroups, *psc.FSGroup)
	}
	cfg.Privileged = sc.Privileged != nil && *sc.Privileged
	cfg.ReadOnlyRootFS = sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem
	cfg.NoNewPrivileges = sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation
	if sc.Capabilities != nil {
		for _, a := range sc.Capabilities.Add {
			cfg.CapAdd = append(cfg.CapAdd, string(a))
		}
		for _, d := range sc.Capabilities.Drop {
			cfg.CapDrop = append(cfg.CapDrop, string(d))
		}
	}
	profile := psc.SeccompProfile
	if sc.SeccompProfile != nil {
		profile = sc.SeccompProfile
	}
	if profile != nil {
		switch profile.Type {
		case corev1.SeccompProfileTypeRuntimeDefault:
			cfg.Seccomp = "RuntimeDefault"
		case corev1.SeccompProfileTypeLocalhost:
			if profile.LocalhostProfile != nil {
				cfg.Seccomp = filepath.Join("/var/lib/kubelet/seccomp", *profile.LocalhostProfile)
			}
		default:
			cfg.Seccomp = "Unconfined"
		}
	}
}

// applyResources maps requests and limits to cgroup settings as the
// kubelet does: shares from the CPU request, CFS quota from the CPU limit,
// the memory limit as is.
func applyResources(c *corev1.Container, cfg *runtime.ContainerConfig) {
	const period = 100000
	req := c.Resources.Requests.Cpu()
	lim := c.Resources.Limits.Cpu()
	milli := req.MilliValue()
	if req.IsZero() && !lim.IsZero() {
		milli = lim.MilliValue()
	}
	shares := uint64(2)
	if milli > 0 {
		shares = uint64(milli * 1024 / 1000)
		if shares < 2 {
			shares = 2
		}
	}
	cfg.CPUShares = shares
	if !lim.IsZero() {
		quota := lim.MilliValue() * period / 1000
		if quota < 1000 {
			quota = 1000
		}
		cfg.CPUQuota = quota
		cfg.CPUPeriod = period
	}
	if mem := c.Resources.Limits.Memory(); !mem.IsZero() {
		cfg.MemoryLimit = mem.Value()
	}
}
