package nodeagent

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cri-streaming/pkg/streaming/remotecommand"
	"k8s.io/klog/v2"
	statsv1alpha1 "k8s.io/kubelet/pkg/apis/stats/v1alpha1"

	"github.com/kubeshim/kubeshim/nodeagent/pods"
	"github.com/kubeshim/kubeshim/nodeagent/runtime"
	"github.com/kubeshim/kubeshim/nodeagent/stats"
)

// provider is what the kubelet API serves, over the pod manager and the
// runtime.
type provider struct {
	nodeName string
	pods     *pods.Manager
	runtime  *runtime.Runtime
	// stats reads the cgroups; statsErr is why there is no reader on this host.
	stats    *stats.Reader
	statsErr error
}

func newProvider(nodeName string, pm *pods.Manager, rt *runtime.Runtime) *provider {
	p := &provider{nodeName: nodeName, pods: pm, runtime: rt}
	p.stats, p.statsErr = stats.New(stats.Config{})
	return p
}

var podsResource = schema.GroupResource{Resource: "pods"}

func (p *provider) Pods() []*corev1.Pod { return p.pods.Pods() }

// splitName undoes the kubelet's "<pod>_<namespace>" full name.
func splitName(name string) (namespace, pod string) {
	i := strings.LastIndex(name, "_")
	if i < 0 {
		return "", name
	}
	return name[i+1:], name[:i]
}

func (p *provider) pod(namespace, name, uid string) (*corev1.Pod, error) {
	pod, ok := p.pods.Pod(namespace, name)
	if !ok || (uid != "" && string(pod.UID) != uid) {
		return nil, apierrors.NewNotFound(podsResource, name)
	}
	return pod, nil
}

// instances returns a container's instances, oldest first.
func (p *provider) instances(ctx context.Context, pod *corev1.Pod, container string) ([]*runtime.Info, error) {
	infos, err := p.runtime.List(ctx, map[string]string{runtime.LabelPodUID: string(pod.UID), runtime.LabelContainerName: container})
	if err != nil {
		return nil, err
	}
	var out []*runtime.Info
	for _, i := range infos {
		if i.Labels[runtime.LabelKind] == runtime.KindContainer {
			out = append(out, i)
		}
	}
	// Oldest attempt first.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Attempt() < out[j-1].Attempt(); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out, nil
}

func (p *provider) runningContainer(ctx context.Context, name, uid, container string) (string, error) {
	ns, podName := splitName(name)
	pod, err := p.pod(ns, podName, uid)
	if err != nil {
		return "", err
	}
	insts, err := p.instances(ctx, pod, container)
	if err != nil {
		return "", err
	}
	if len(insts) == 0 || insts[len(insts)-1].State != "running" {
		return "", fmt.Errorf("container %s is not running in pod %s", container, name)
	}
	return insts[len(insts)-1].ID, nil
}

func (p *provider) ExecInContainer(ctx context.Context, name, uid, container string, cmd []string, in io.Reader, out, errOut io.WriteCloser, tty bool, resize <-chan remotecommand.TerminalSize, timeout time.Duration) error {
	id, err := p.runningContainer(ctx, name, uid, container)
	if err != nil {
		return err
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	return p.runtime.Exec(ctx, id, cmd, in, out, errOut, tty, resize)
}

func (p *provider) AttachContainer(ctx context.Context, name, uid, container string, in io.Reader, out, errOut io.WriteCloser, tty bool, resize <-chan remotecommand.TerminalSize) error {
	id, err := p.runningContainer(ctx, name, uid, container)
	if err != nil {
		return err
	}
	return p.runtime.Attach(ctx, id, in, out, errOut, tty, resize)
}

func (p *provider) PortForward(ctx context.Context, name, uid string, port int32, stream io.ReadWriteCloser) error {
	ns, podName := splitName(name)
	pod, err := p.pod(ns, podName, uid)
	if err != nil {
		return err
	}
	infos, err := p.runtime.List(ctx, map[string]string{runtime.LabelPodUID: string(pod.UID), runtime.LabelKind: runtime.KindSandbox})
	if err != nil {
		return err
	}
	var sandbox *runtime.Info
	for _, i := range infos {
		if i.State == "running" && (sandbox == nil || i.Attempt() > sandbox.Attempt()) {
			sandbox = i
		}
	}
	if sandbox == nil {
		return fmt.Errorf("pod %s has no running sandbox", name)
	}
	return p.runtime.PortForward(ctx, sandbox.Labels[runtime.LabelNetNS], port, stream)
}

func (p *provider) ContainerLogFile(namespace, name, container string, previous bool) (string, error) {
	pod, err := p.pod(namespace, name, "")
	if err != nil {
		return "", err
	}
	insts, err := p.instances(context.Background(), pod, container)
	if err != nil {
		return "", err
	}
	i := len(insts) - 1
	if previous {
		i--
	}
	if i < 0 {
		if previous {
			return "", apierrors.NewBadRequest(fmt.Sprintf("previous terminated container %q in pod %q not found", container, name))
		}
		return "", apierrors.NewBadRequest(fmt.Sprintf("container %q in pod %q is waiting to start: ContainerCreating", container, name))
	}
	return insts[i].Labels[runtime.LabelLogPath], nil
}

func (p *provider) ContainerRunning(namespace, name, container string) bool {
	pod, err := p.pod(namespace, name, "")
	if err != nil {
		return false
	}
	insts, err := p.instances(context.Background(), pod, container)
	return err == nil && len(insts) > 0 && insts[len(insts)-1].State == "running"
}

// Summary reports the node's usage and that of each pod the agent runs and of its
// running containers, from their cgroups (nodeagent/stats). A pod whose cgroup is gone
// (it just stopped) is left out, as the kubelet leaves out pods without stats.
func (p *provider) Summary(ctx context.Context) (*statsv1alpha1.Summary, error) {
	if p.statsErr != nil {
		return nil, p.statsErr
	}
	s := &statsv1alpha1.Summary{Node: statsv1alpha1.NodeStats{NodeName: p.nodeName}}
	if boot, err := p.stats.BootTime(); err == nil {
		s.Node.StartTime = metav1.NewTime(boot)
	}
	cpu, mem, err := p.stats.Node()
	if cpu == nil && mem == nil {
		return nil, fmt.Errorf("node stats: %w", err)
	}
	s.Node.CPU, s.Node.Memory = cpu, mem
	for _, pod := range p.pods.Pods() {
		ps, err := p.podStats(ctx, pod)
		if err != nil {
			klog.FromContext(ctx).V(4).Info("No stats for pod", "pod", klog.KObj(pod), "err", err)
			continue
		}
		s.Pods = append(s.Pods, *ps)
	}
	return s, nil
}

func (p *provider) podStats(ctx context.Context, pod *corev1.Pod) (*statsv1alpha1.PodStats, error) {
	cpu, mem, err := p.stats.Cgroup(runtime.PodCgroup(string(pod.UID)))
	if cpu == nil && mem == nil {
		return nil, err
	}
	ps := &statsv1alpha1.PodStats{
		PodRef: statsv1alpha1.PodReference{Name: pod.Name, Namespace: pod.Namespace, UID: string(pod.UID)},
		CPU:    cpu, Memory: mem,
	}
	if pod.Status.StartTime != nil {
		ps.StartTime = *pod.Status.StartTime
	}
	infos, err := p.runtime.List(ctx, map[string]string{runtime.LabelPodUID: string(pod.UID), runtime.LabelKind: runtime.KindContainer})
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	// The running instance of each container: a restarted container's previous
	// instances have exited, and their cgroups are gone.
	for _, i := range infos {
		if i.State != "running" {
			continue
		}
		cpu, mem, _ := p.stats.Cgroup(runtime.ContainerCgroup(string(pod.UID), i.ID))
		if cpu == nil && mem == nil {
			continue
		}
		ps.Containers = append(ps.Containers, statsv1alpha1.ContainerStats{
			Name:      i.Labels[runtime.LabelContainerName],
			StartTime: metav1.NewTime(i.StartedAt),
			CPU:       cpu,
			Memory:    mem,
		})
	}
	return ps, nil
}
