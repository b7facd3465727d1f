package pods

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/nodeagent/network"
	"github.com/kubeshim/kubeshim/nodeagent/runtime"
	"github.com/kubeshim/kubeshim/nodeagent/sysctl"
	"github.com/kubeshim/kubeshim/nodeagent/volumes"
)

// Back-off between restarts of a crashing container: 10 s doubling to
// 5 min, as the kubelet's defaults.
const (
	initialBackoff = 10 * time.Second
	maxBackoff     = 5 * time.Minute
)

// sync is level-triggered: it looks at the pod and what the runtime has,
// takes the next steps, and writes status. It returns when to look again.
func (m *Manager) sync(ctx context.Context, key string) (time.Duration, error) {
	uid := types.UID(key)
	pod := m.podByUID(key)
	infos, err := m.config.Runtime.List(ctx, map[string]string{runtime.LabelPodUID: key})
	if err != nil {
		return 0, err
	}
	view := newPodView(infos)
	if pod == nil {
		return 0, m.cleanup(ctx, uid, view)
	}
	ctx = klog.NewContext(ctx, klog.FromContext(ctx).WithValues("pod", klog.KObj(pod)))
	st := m.podState(pod.UID)
	if st.startTime.IsZero() {
		st.startTime = time.Now()
		if pod.Status.StartTime != nil {
			st.startTime = pod.Status.StartTime.Time
		}
	}
	if pod.DeletionTimestamp != nil {
		return m.terminate(ctx, pod, st, view)
	}
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		// Terminal pods keep their phase; their containers and network
		// are released, and the container states stay up to date.
		if err := m.stopPod(ctx, pod, view, 0); err != nil {
			return 0, err
		}
		return 0, m.writeStatus(ctx, pod, st, m.relist(ctx, pod))
	}
	if d := pod.Spec.ActiveDeadlineSeconds; d != nil && time.Since(st.startTime) > time.Duration(*d)*time.Second && !st.deadlineExceeded {
		st.deadlineExceeded = true
		m.config.Recorder.Eventf(pod, corev1.EventTypeNormal, "DeadlineExceeded", "Pod was active on the node longer than the specified deadline")
	}
	if st.deadlineExceeded {
		if err := m.stopPod(ctx, pod, view, gracePeriod(pod)); err != nil {
			return 0, err
		}
		return 0, m.writeStatus(ctx, pod, st, m.relist(ctx, pod))
	}
	if st.rejection == nil && !view.started() {
		st.rejection = m.admit(pod)
		if r := st.rejection; r != nil {
			klog.FromContext(ctx).Info("Pod rejected", "reason", r.reason, "message", r.message)
			m.config.Recorder.Event(pod, corev1.EventTypeWarning, r.reason, r.message)
		}
	}
	if st.rejection != nil {
		return 0, m.writeStatus(ctx, pod, st, view)
	}
	t0 := time.Now()
	requeue, runErr := m.runPod(ctx, pod, st, view)
	t1 := time.Now()
	if err := m.writeStatus(ctx, pod, st, m.relist(ctx, pod)); err != nil {
		return 0, err
	}
	klog.FromContext(ctx).V(4).Info("Synced pod", "run", t1.Sub(t0), "status", time.Since(t1))
	if runErr != nil {
		return 0, runErr
	}
	if requeue == 0 || requeue > m.config.Resync {
		requeue = m.config.Resync
	}
	if d := pod.Spec.ActiveDeadlineSeconds; d != nil {
		if left := time.Until(st.startTime.Add(time.Duration(*d) * time.Second)); left > 0 && left < requeue {
			requeue = left + 10*time.Millisecond
		}
	}
	return requeue, nil
}

func (m *Manager) relist(ctx context.Context, pod *corev1.Pod) *podView {
	infos, err := m.config.Runtime.List(ctx, map[string]string{runtime.LabelPodUID: string(pod.UID)})
	if err != nil {
		return newPodView(nil)
	}
	return newPodView(infos)
}

// runPod makes the pod run: sandbox, volumes, init containers one at a
// time, then every app container.
func (m *Manager) runPod(ctx context.Context, pod *corev1.Pod, st *podState, view *podView) (time.Duration, error) {
	logger := klog.FromContext(ctx)
	t0 := time.Now()
	sandbox, err := m.ensureSandbox(ctx, pod, st, view)
	logger.V(4).Info("Sandbox ready", "duration", time.Since(t0))
	if err != nil {
		m.config.Recorder.Eventf(pod, corev1.EventTypeWarning, "FailedCreatePodSandBox", "Failed to create pod sandbox: %v", err)
		return 0, err
	}
	mounts, err := m.config.Volumes.Setup(ctx, pod, m.volumeInfo(pod, st))
	if err != nil {
		// A pod whose claim is not bound waits here, as on a kubelet.
		for _, msg := range volumes.FailedMountMessages(err) {
			m.config.Recorder.Event(pod, corev1.EventTypeWarning, "FailedMount", msg)
		}
		return 2 * time.Second, nil
	}
	if err := m.writePodFiles(pod, st); err != nil {
		return 0, err
	}
	logger.V(4).Info("Volumes ready", "duration", time.Since(t0))
	env := &containerEnv{sandbox: sandbox, mounts: mounts}
	var requeue time.Duration
	later := func(d time.Duration) {
		if d > 0 && (requeue == 0 || d < requeue) {
			requeue = d
		}
	}
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		sidecar := c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
		latest := view.latest(c.Name)
		if latest != nil {
			logger.V(5).Info("Init container", "container", c.Name, "containerID", latest.ID, "state", latest.State, "exitCode", latest.ExitCode, "reason", latest.Reason, "attempt", latest.Attempt())
		}
		switch {
		case sidecar && running(latest):
			continue
		case !sidecar && exited(latest) && latest.ExitCode == 0:
			continue
		case running(latest):
			return requeue, nil // wait for it to finish
		case unknown(latest):
			later(500 * time.Millisecond)
			return requeue, nil
		case exited(latest):
			if !sidecar && pod.Spec.RestartPolicy == corev1.RestartPolicyNever {
				return 0, nil // the pod failed; status says so
			}
			if wait := restartDelay(latest); wait > 0 {
				m.backoffEvent(pod, c)
				later(wait)
				return requeue, nil
			}
			if err := m.startContainer(ctx, pod, st, env, c, "init", latest.Attempt()+1); err != nil {
				return 0, err
			}
			return requeue, nil
		default:
			if latest != nil {
				m.config.Runtime.RemoveContainer(ctx, latest.ID) // created, never started
			}
			if err := m.startContainer(ctx, pod, st, env, c, "init", 0); err != nil {
				later(5 * time.Second)
				return requeue, nil
			}
			if !sidecar {
				return requeue, nil
			}
		}
	}
	for i := range pod.Spec.Containers {
		c := &pod.Spec.Containers[i]
		latest := view.latest(c.Name)
		if running(latest) {
			m.startProbes(ctx, pod, st, c, latest.ID)
			if st.probes != nil && st.probes.livenessFailed(c.Name, latest.ID) {
				msg := fmt.Sprintf("Container %s failed liveness probe, will be restarted", c.Name)
				m.config.Recorder.Eventf(pod, corev1.EventTypeNormal, "Killing", "%s", msg)
				if err := m.killContainer(ctx, pod, c, latest, gracePeriod(pod)); err != nil {
					return 0, err
				}
				later(10 * time.Millisecond)
			}
			continue
		}
		if unknown(latest) {
			later(500 * time.Millisecond)
			continue
		}
		attempt := 0
		if latest != nil {
			if !exited(latest) {
				m.config.Runtime.RemoveContainer(ctx, latest.ID)
			} else {
				switch pod.Spec.RestartPolicy {
				case corev1.RestartPolicyNever:
					continue
				case corev1.RestartPolicyOnFailure:
					if latest.ExitCode == 0 {
						continue
					}
				}
				if wait := restartDelay(latest); wait > 0 {
					m.backoffEvent(pod, c)
					later(wait)
					continue
				}
			}
			attempt = latest.Attempt() + 1
		}
		if err := m.startContainer(ctx, pod, st, env, c, "app", attempt); err != nil {
			later(5 * time.Second)
		}
	}
	// Ephemeral containers (kubectl debug) run once each, as the kubelet
	// runs them: never restarted, not even after a failure to start.
	if pod.DeletionTimestamp == nil {
		for i := range pod.Spec.EphemeralContainers {
			c := corev1.Container(pod.Spec.EphemeralContainers[i].EphemeralContainerCommon)
			if view.latest(c.Name) != nil {
				continue
			}
			if err := m.startContainer(ctx, pod, st, env, &c, "ephemeral", 0); err != nil {
				logger.Error(err, "Start ephemeral container", "container", c.Name)
			}
		}
	}
	m.pruneExited(ctx, view)
	return requeue, nil
}

// restartDelay is how long a crashed container still has to wait: none
// after its first exit, then 10 s doubling to 5 min, measured from when
// the last instance exited.
func restartDelay(latest *runtime.Info) time.Duration {
	attempt := latest.Attempt()
	if attempt == 0 {
		return 0
	}
	d := initialBackoff
	for i := 1; i < attempt && d < maxBackoff; i++ {
		d *= 2
	}
	if d > maxBackoff {
		d = maxBackoff
	}
	return time.Until(latest.FinishedAt.Add(d))
}

func (m *Manager) backoffEvent(pod *corev1.Pod, c *corev1.Container) {
	m.config.Recorder.Eventf(containerRef(pod, c), corev1.EventTypeWarning, "BackOff",
		"Back-off restarting failed container %s in pod %s_%s(%s)", c.Name, pod.Name, pod.Namespace, pod.UID)
}

// pruneExited keeps, per container, the newest instance and the one
// before it (for `kubectl logs --previous`), removing older ones.
func (m *Manager) pruneExited(ctx context.Context, view *podView) {
	for _, cs := range view.containers {
		for i := 0; i < len(cs)-2; i++ {
			if exited(cs[i]) {
				m.config.Runtime.RemoveContainer(ctx, cs[i].ID)
			}
		}
	}
}

// ensureSandbox returns the running sandbox, making a new one when there
// is none or the last one died (its containers go with it).
func (m *Manager) ensureSandbox(ctx context.Context, pod *corev1.Pod, st *podState, view *podView) (*sandboxInfo, error) {
	sb := view.sandbox()
	if running(sb) {
		pid, err := m.config.Runtime.SandboxPid(ctx, sb.ID)
		if err == nil {
			if st.podIP == nil {
				st.podIP = parseIP(sb.Labels[labelPodIP])
			}
			return &sandboxInfo{id: sb.ID, pid: pid, netns: sb.Labels[runtime.LabelNetNS]}, nil
		}
	}
	attempt := 0
	if sb != nil {
		// The sandbox died: everything in it is gone with its namespaces.
		klog.FromContext(ctx).Info("Pod sandbox changed, it will be killed and re-created", "sandboxID", sb.ID)
		m.config.Recorder.Eventf(pod, corev1.EventTypeNormal, "SandboxChanged", "Pod sandbox changed, it will be killed and re-created.")
		if err := m.stopPod(ctx, pod, view, 0); err != nil {
			return nil, err
		}
		attempt = sb.Attempt() + 1
	}
	hostname := pod.Name
	if pod.Spec.Hostname != "" {
		hostname = pod.Spec.Hostname
	}
	id, netns, err := m.config.Runtime.CreateSandbox(ctx, runtime.SandboxConfig{
		PodUID: string(pod.UID), PodName: pod.Name, PodNamespace: pod.Namespace,
		Hostname: truncateHostname(hostname), HostNetwork: pod.Spec.HostNetwork, Attempt: attempt,
		Sysctls: sysctl.Values(pod),
	})
	if err != nil {
		return nil, err
	}
	cleanup := func() { m.config.Runtime.RemoveSandbox(context.WithoutCancel(ctx), id) }
	klog.FromContext(ctx).V(4).Info("Sandbox created", "sandboxID", id)
	// The pause process and the CNI plugins work on the namespace at once:
	// neither needs the other, and together they are most of a pod's start.
	started := make(chan error, 1)
	go func() { started <- m.config.Runtime.StartSandbox(ctx, id) }()
	netPod := network.Pod{Namespace: pod.Namespace, Name: pod.Name, UID: string(pod.UID), SandboxID: id, NetNS: netns, Ports: hostPorts(pod)}
	var netErr error
	if !pod.Spec.HostNetwork {
		var ip net.IP
		ip, netErr = m.config.Network.Setup(ctx, netPod)
		if netErr == nil {
			st.podIP = ip
			netErr = m.config.Runtime.SetLabels(ctx, id, map[string]string{labelPodIP: ip.String()})
		} else {
			netErr = fmt.Errorf("setup network for sandbox %q: %w", id, netErr)
		}
	} else {
		st.podIP = parseIP(m.hostIP())
	}
	if err := errors.Join(netErr, <-started); err != nil {
		if !pod.Spec.HostNetwork {
			m.config.Network.Teardown(context.WithoutCancel(ctx), netPod)
		}
		cleanup()
		return nil, err
	}
	klog.FromContext(ctx).V(4).Info("Sandbox started", "sandboxID", id, "ip", st.podIP)
	pid, err := m.config.Runtime.SandboxPid(ctx, id)
	if err != nil {
		return nil, err
	}
	return &sandboxInfo{id: id, pid: pid, netns: netns}, nil
}

const labelPodIP = "io.kubeshim.pod.ip"

type sandboxInfo struct {
	id    string
	pid   uint32
	netns string
}

// truncateHostname keeps a hostname within 63 characters, as the kubelet does.
func truncateHostname(h string) string {
	if len(h) <= 63 {
		return h
	}
	h = h[:63]
	for len(h) > 0 && (h[len(h)-1] == '-' || h[len(h)-1] == '.') {
		h = h[:len(h)-1]
	}
	return h
}

func hostPorts(pod *corev1.Pod) []network.PortMapping {
	var out []network.PortMapping
	for _, cs := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for _, c := range cs {
			for _, p := range c.Ports {
				if p.HostPort <= 0 {
					continue
				}
				proto := string(p.Protocol)
				if proto == "" {
					proto = "TCP"
				}
				out = append(out, network.PortMapping{HostPort: p.HostPort, ContainerPort: p.ContainerPort, Protocol: toLower(proto), HostIP: p.HostIP})
			}
		}
	}
	return out
}

func toLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

// gracePeriod is the pod's termination grace period: the deletion's, else
// the spec's, else 30 s.
func gracePeriod(pod *corev1.Pod) time.Duration {
	if pod.DeletionGracePeriodSeconds != nil {
		return time.Duration(*pod.DeletionGracePeriodSeconds) * time.Second
	}
	if pod.Spec.TerminationGracePeriodSeconds != nil {
		return time.Duration(*pod.Spec.TerminationGracePeriodSeconds) * time.Second
	}
	return 30 * time.Second
}

// terminate stops a pod being deleted within its grace period, reports its
// final status, and then deletes it for good (grace 0, this UID only).
func (m *Manager) terminate(ctx context.Context, pod *corev1.Pod, st *podState, view *podView) (time.Duration, error) {
	if !st.killing {
		st.killing = true
	}
	if err := m.stopPod(ctx, pod, view, gracePeriod(pod)); err != nil {
		return 0, err
	}
	final := m.relist(ctx, pod)
	if err := m.writeStatus(ctx, pod, st, final); err != nil && !apierrors.IsNotFound(err) {
		return 0, err
	}
	zero := int64(0)
	err := m.config.Client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{
		GracePeriodSeconds: &zero,
		Preconditions:      metav1.NewUIDPreconditions(string(pod.UID)),
	})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return 0, fmt.Errorf("delete pod: %w", err)
	}
	return 0, nil
}

// stopPod stops every container (preStop hooks and the stop signal, then
// SIGKILL after grace), then the sandbox, and releases the network.
func (m *Manager) stopPod(ctx context.Context, pod *corev1.Pod, view *podView, grace time.Duration) error {
	var errs []error
	done := make(chan error)
	n := 0
	for _, info := range view.all() {
		if !running(info) && info.State != "created" {
			continue
		}
		n++
		c := findContainer(pod, info.Labels[runtime.LabelContainerName])
		go func(info *runtime.Info) {
			done <- m.killContainer(ctx, pod, c, info, grace)
		}(info)
	}
	for ; n > 0; n-- {
		if err := <-done; err != nil {
			errs = append(errs, err)
		}
	}
	if sb := view.sandbox(); sb != nil && (running(sb) || sb.State == "created") {
		errs = append(errs, m.config.Runtime.StopSandbox(ctx, sb.ID))
	}
	for _, sb := range view.sandboxes {
		if sb.Labels[runtime.LabelHostNetwork] != "true" && sb.Labels[labelNetworkDown] != "true" {
			err := m.config.Network.Teardown(ctx, network.Pod{
				Namespace: sb.Labels[runtime.LabelPodNamespace], Name: sb.Labels[runtime.LabelPodName], UID: sb.Labels[runtime.LabelPodUID],
				SandboxID: sb.ID, NetNS: sb.Labels[runtime.LabelNetNS],
			})
			if err == nil {
				err = m.config.Runtime.SetLabels(ctx, sb.ID, map[string]string{labelNetworkDown: "true"})
			}
			errs = append(errs, err)
		}
	}
	if pod != nil {
		m.mu.Lock()
		if s := m.state[pod.UID]; s != nil && s.probes != nil {
			s.probes.stop()
			s.probes = nil
		}
		m.mu.Unlock()
	}
	return errors.Join(errs...)
}

const labelNetworkDown = "io.kubeshim.network-down"

// killContainer runs the preStop hook (within the grace period) and stops
// the container.
func (m *Manager) killContainer(ctx context.Context, pod *corev1.Pod, c *corev1.Container, info *runtime.Info, grace time.Duration) error {
	start := time.Now()
	if c != nil && running(info) {
		m.config.Recorder.Eventf(containerRef(pod, c), corev1.EventTypeNormal, "Killing", "Stopping container %s", c.Name)
		if c.Lifecycle != nil && c.Lifecycle.PreStop != nil && grace > 0 {
			hctx, cancel := context.WithTimeout(ctx, grace)
			if err := m.runHandler(hctx, pod, c, info.ID, c.Lifecycle.PreStop); err != nil {
				m.config.Recorder.Eventf(containerRef(pod, c), corev1.EventTypeWarning, "FailedPreStopHook", "PreStopHook failed: %v", err)
			}
			cancel()
		}
	}
	left := grace - time.Since(start)
	if left < 0 {
		left = 0
	}
	return m.config.Runtime.StopContainer(ctx, info.ID, left)
}

// cleanup removes everything of a pod the API no longer has.
func (m *Manager) cleanup(ctx context.Context, uid types.UID, view *podView) error {
	var errs []error
	if err := m.stopPod(ctx, nil, view, 0); err != nil {
		errs = append(errs, err)
	}
	for _, info := range view.all() {
		errs = append(errs, m.config.Runtime.RemoveContainer(ctx, info.ID))
	}
	for _, sb := range view.sandboxes {
		errs = append(errs, m.config.Runtime.RemoveSandbox(ctx, sb.ID))
	}
	errs = append(errs, m.config.Volumes.Teardown(ctx, uid))
	if err := errors.Join(errs...); err != nil {
		return err
	}
	// The pod's log directory has its name in it; find it by UID.
	if entries, err := os.ReadDir(m.config.LogDir); err == nil {
		for _, e := range entries {
			if len(e.Name()) > len(uid) && e.Name()[len(e.Name())-len(uid):] == string(uid) {
				os.RemoveAll(m.config.LogDir + "/" + e.Name())
			}
		}
	}
	os.RemoveAll(m.podDir(uid))
	m.forget(uid)
	klog.FromContext(ctx).V(2).Info("Cleaned up pod", "podUID", uid)
	return nil
}

func findContainer(pod *corev1.Pod, name string) *corev1.Container {
	if pod == nil {
		return nil
	}
	for _, cs := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for i := range cs {
			if cs[i].Name == name {
				return &cs[i]
			}
		}
	}
	for i := range pod.Spec.EphemeralContainers {
		if pod.Spec.EphemeralContainers[i].Name == name {
			c := corev1.Container(pod.Spec.EphemeralContainers[i].EphemeralContainerCommon)
			return &c
		}
	}
	return nil
}
