package nodeagent

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cri-streaming/pkg/streaming/remotecommand"
	statsv1alpha1 "k8s.io/kubelet/pkg/apis/stats/v1alpha1"

	"github.com/kubeshim/kubeshim/nodeagent/pods"
	"github.com/kubeshim/kubeshim/nodeagent/runtime"
)

// provider is what the kubelet API serves, over the pod manager and the
// runtime.
type provider struct {
	pods    *pods.Manager
	runtime *runtime.Runtime
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

// Summary reports node and pod usage from /proc and the containers'
// cgroups (cgroup v1 as on this host, or v2).
func (p *provider) Summary(ctx context.Context) (*statsv1alpha1.Summary, error) {
	now := metav1.Now()
	s := &statsv1alpha1.Summary{}
	s.Node.StartTime = now
	if cpu, err := nodeCPU(); err == nil {
		s.Node.CPU = &statsv1alpha1.CPUStats{Time: now, UsageCoreNanoSeconds: &cpu}
	}
	if total, avail, err := meminfo(); err == nil {
		ws := total - avail
		s.Node.Memory = &statsv1alpha1.MemoryStats{Time: now, WorkingSetBytes: &ws, UsageBytes: &ws, AvailableBytes: &avail}
	}
	for _, pod := range p.pods.Pods() {
		ps := statsv1alpha1.PodStats{PodRef: statsv1alpha1.PodReference{Name: pod.Name, Namespace: pod.Namespace, UID: string(pod.UID)}, StartTime: now}
		if pod.Status.StartTime != nil {
			ps.StartTime = *pod.Status.StartTime
		}
		infos, err := p.runtime.List(ctx, map[string]string{runtime.LabelPodUID: string(pod.UID), runtime.LabelKind: runtime.KindContainer})
		if err != nil {
			continue
		}
		var podCPU, podMem uint64
		for _, i := range infos {
			if i.State != "running" {
				continue
			}
			cgroup := fmt.Sprintf("/kubeshim/pod%s/%s", pod.UID, i.ID)
			cpu, mem := cgroupUsage(cgroup)
			podCPU += cpu
			podMem += mem
			cs := statsv1alpha1.ContainerStats{Name: i.Labels[runtime.LabelContainerName], StartTime: metav1.NewTime(i.StartedAt)}
			cpuCopy, memCopy := cpu, mem
			cs.CPU = &statsv1alpha1.CPUStats{Time: now, UsageCoreNanoSeconds: &cpuCopy}
			cs.Memory = &statsv1alpha1.MemoryStats{Time: now, WorkingSetBytes: &memCopy, UsageBytes: &memCopy}
			ps.Containers = append(ps.Containers, cs)
		}
		ps.CPU = &statsv1alpha1.CPUStats{Time: now, UsageCoreNanoSeconds: &podCPU}
		ps.Memory = &statsv1alpha1.MemoryStats{Time: now, WorkingSetBytes: &podMem, UsageBytes: &podMem}
		s.Pods = append(s.Pods, ps)
	}
	return s, nil
}

func nodeCPU() (uint64, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	fields := strings.Fields(line)
	var ticks uint64
	for i, f := range fields[1:] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		n, _ := strconv.ParseUint(f, 10, 64)
		ticks += n
	}
	// USER_HZ is 100 on Linux.
	return ticks * 1e7, nil
}

func meminfo() (total, avail uint64, err error) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		n, _ := strconv.ParseUint(f[1], 10, 64)
		switch f[0] {
		case "MemTotal:":
			total = n * 1024
		case "MemAvailable:":
			avail = n * 1024
		}
	}
	return total, avail, nil
}

// cgroupUsage reads a container's CPU time and working set.
func cgroupUsage(path string) (cpu, workingSet uint64) {
	read := func(f string) uint64 {
		b, err := os.ReadFile(f)
		if err != nil {
			return 0
		}
		n, _ := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
		return n
	}
	if cpu = read(filepath.Join("/sys/fs/cgroup/cpuacct", path, "cpuacct.usage")); cpu == 0 {
		cpu = read(filepath.Join("/sys/fs/cgroup/cpu,cpuacct", path, "cpuacct.usage"))
	}
	usage := read(filepath.Join("/sys/fs/cgroup/memory", path, "memory.usage_in_bytes"))
	if usage == 0 {
		usage = read(filepath.Join("/sys/fs/cgroup", path, "memory.current"))
	}
	var inactive uint64
	if b, err := os.ReadFile(filepath.Join("/sys/fs/cgroup/memory", path, "memory.stat")); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) == 2 && f[0] == "total_inactive_file" {
				inactive, _ = strconv.ParseUint(f[1], 10, 64)
			}
		}
	}
	if inactive < usage {
		workingSet = usage - inactive
	}
	return cpu, workingSet
}
