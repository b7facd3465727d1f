package framework

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// The requests a container is taken to make for scoring when it names none,
// so that best-effort pods do not all pile onto one node: kube-scheduler's
// DefaultMilliCPURequest and DefaultMemoryRequest.
const (
	DefaultMilliCPURequest int64 = 100               // 0.1 core
	DefaultMemoryRequest   int64 = 200 * 1024 * 1024 // 200 MiB
)

// RequestOptions say how PodRequests counts.
type RequestOptions struct {
	// UseStatus counts, for a pod already on a node, the larger of what its
	// spec asks and what the node allocated or actuated (in-place resize).
	UseStatus bool
	// NonZero gives every container that names no cpu or memory request
	// the defaults above (for scoring only).
	NonZero bool
}

// PodRequests is what a pod as a whole asks of a node, as
// k8s.io/component-helpers/resource.PodRequests computes it with the
// features kube-scheduler 1.37 enables: the sum of its containers and of its
// restartable (sidecar) init containers; or, where more, the largest need of
// any ordinary init container, which runs beside the sidecars started
// before it; then pod-level requests (cpu, memory, hugepages) replace the
// aggregate; then the pod's overhead is added.
//
// apis/core.PodResources serves quota and LimitRanger, which count neither
// sidecars this way nor overhead for resources the containers do not name.
func PodRequests(pod *corev1.Pod, opts RequestOptions) corev1.ResourceList {
	var reqs corev1.ResourceList
	// Without container statuses the node has reported nothing of its own.
	if len(pod.Status.ContainerStatuses) == 0 && len(pod.Status.InitContainerStatuses) == 0 {
		opts.UseStatus = false
	}
	if !opts.UseStatus {
		reqs = aggregateContainers(pod, opts, specRequests)
	} else {
		infeasible := resizeInfeasible(pod)
		allocated := aggregateContainers(pod, opts, allocatedRequests(infeasible))
		actuated := aggregateContainers(pod, opts, actuatedRequests(infeasible))
		reqs = maxLists(allocated, actuated)
		if !infeasible {
			reqs = maxLists(reqs, aggregateContainers(pod, opts, specRequests))
		}
	}
	if pod.Spec.Resources != nil {
		for name, q := range pod.Spec.Resources.Requests {
			if name == corev1.ResourceCPU || name == corev1.ResourceMemory || strings.HasPrefix(string(name), corev1.ResourceHugePagesPrefix) {
				reqs[name] = q.DeepCopy()
			}
		}
	}
	for name, q := range pod.Spec.Overhead {
		addQuantity(reqs, name, q)
	}
	return reqs
}

type requestsOf func(c *corev1.Container, status *corev1.ContainerStatus) corev1.ResourceList

func specRequests(c *corev1.Container, _ *corev1.ContainerStatus) corev1.ResourceList {
	return c.Resources.Requests
}

// allocatedRequests: what the node admitted the container with.
func allocatedRequests(infeasible bool) requestsOf {
	return func(c *corev1.Container, s *corev1.ContainerStatus) corev1.ResourceList {
		if s != nil && s.AllocatedResources != nil {
			return s.AllocatedResources
		}
		if infeasible {
			return nil
		}
		return c.Resources.Requests
	}
}

// actuatedRequests: what the runtime applied.
func actuatedRequests(infeasible bool) requestsOf {
	return func(c *corev1.Container, s *corev1.ContainerStatus) corev1.ResourceList {
		if s != nil && s.Resources != nil && s.Resources.Requests != nil {
			return s.Resources.Requests
		}
		if s != nil && s.AllocatedResources != nil {
			return s.AllocatedResources
		}
		if infeasible {
			return nil
		}
		return c.Resources.Requests
	}
}

func aggregateContainers(pod *corev1.Pod, opts RequestOptions, get requestsOf) corev1.ResourceList {
	result := corev1.ResourceList{}
	pick := func(c *corev1.Container) corev1.ResourceList {
		var status *corev1.ContainerStatus
		if opts.UseStatus {
			status = containerStatus(pod, c.Name)
		}
		r := get(c, status)
		if opts.NonZero {
			r = withDefaults(r)
		}
		return r
	}
	for i := range pod.Spec.Containers {
		addList(result, pick(&pod.Spec.Containers[i]))
	}
	sidecars := corev1.ResourceList{}
	initPeak := corev1.ResourceList{}
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		r := pick(c)
		var need corev1.ResourceList
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			// A sidecar runs for the pod's whole life: it adds to the
			// containers, and to every init container started after it.
			addList(result, r)
			addList(sidecars, r)
			need = sidecars
		} else {
			need = corev1.ResourceList{}
			addList(need, r)
			addList(need, sidecars)
		}
		for name, q := range need {
			if have, ok := initPeak[name]; !ok || q.Cmp(have) > 0 {
				initPeak[name] = q.DeepCopy()
			}
		}
	}
	for name, q := range initPeak {
		if have, ok := result[name]; !ok || q.Cmp(have) > 0 {
			result[name] = q.DeepCopy()
		}
	}
	return result
}

func withDefaults(r corev1.ResourceList) corev1.ResourceList {
	_, cpu := r[corev1.ResourceCPU]
	_, mem := r[corev1.ResourceMemory]
	if cpu && mem {
		return r
	}
	out := make(corev1.ResourceList, len(r)+2)
	for k, v := range r {
		out[k] = v
	}
	if !cpu {
		out[corev1.ResourceCPU] = *resource.NewMilliQuantity(DefaultMilliCPURequest, resource.DecimalSI)
	}
	if !mem {
		out[corev1.ResourceMemory] = *resource.NewQuantity(DefaultMemoryRequest, resource.BinarySI)
	}
	return out
}

func containerStatus(pod *corev1.Pod, name string) *corev1.ContainerStatus {
	for i := range pod.Status.ContainerStatuses {
		if pod.Status.ContainerStatuses[i].Name == name {
			return &pod.Status.ContainerStatuses[i]
		}
	}
	for i := range pod.Status.InitContainerStatuses {
		if pod.Status.InitContainerStatuses[i].Name == name {
			return &pod.Status.InitContainerStatuses[i]
		}
	}
	return nil
}

func resizeInfeasible(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodResizePending {
			return c.Reason == corev1.PodReasonInfeasible
		}
	}
	return false
}

func addQuantity(list corev1.ResourceList, name corev1.ResourceName, q resource.Quantity) {
	if have, ok := list[name]; ok {
		have.Add(q)
		list[name] = have
		return
	}
	list[name] = q.DeepCopy()
}

func addList(into, from corev1.ResourceList) {
	for name, q := range from {
		addQuantity(into, name, q)
	}
}

func maxLists(a, b corev1.ResourceList) corev1.ResourceList {
	out := corev1.ResourceList{}
	for name, q := range a {
		out[name] = q.DeepCopy()
	}
	for name, q := range b {
		if have, ok := out[name]; !ok || q.Cmp(have) > 0 {
			out[name] = q.DeepCopy()
		}
	}
	return out
}

// IsScalarResourceName reports the resources Resource keeps by name:
// extended resources, hugepages, other kubernetes.io/ prefixed resources and
// attachable volume limits.
func IsScalarResourceName(name corev1.ResourceName) bool {
	s := string(name)
	return IsExtendedResourceName(name) || strings.HasPrefix(s, corev1.ResourceHugePagesPrefix) ||
		strings.Contains(s, "kubernetes.io/") || strings.HasPrefix(s, "attachable-volumes-")
}

// IsExtendedResourceName reports a resource outside the kubernetes.io
// namespace, such as example.com/gpu.
func IsExtendedResourceName(name corev1.ResourceName) bool {
	s := string(name)
	return strings.Contains(s, "/") && !strings.Contains(s, "kubernetes.io/") && !strings.HasPrefix(s, corev1.DefaultResourceRequestsPrefix)
}

// Resource is a set of amounts in the units the filters compare: milli-cpu,
// bytes, pod count.
type Resource struct {
	MilliCPU         int64
	Memory           int64
	EphemeralStorage int64
	// AllowedPodNumber is only meaningful for allocatable.
	AllowedPodNumber int
	ScalarResources  map[corev1.ResourceName]int64
}

// NewResource converts a resource list.
func NewResource(list corev1.ResourceList) Resource {
	var r Resource
	r.Add(list)
	return r
}

// Add adds a resource list.
func (r *Resource) Add(list corev1.ResourceList) {
	for name, q := range list {
		switch name {
		case corev1.ResourceCPU:
			r.MilliCPU += q.MilliValue()
		case corev1.ResourceMemory:
			r.Memory += q.Value()
		case corev1.ResourceEphemeralStorage:
			r.EphemeralStorage += q.Value()
		case corev1.ResourcePods:
			r.AllowedPodNumber += int(q.Value())
		default:
			if IsScalarResourceName(name) {
				if r.ScalarResources == nil {
					r.ScalarResources = map[corev1.ResourceName]int64{}
				}
				r.ScalarResources[name] += q.Value()
			}
		}
	}
}

// AddResource adds o to r (sign -1 subtracts it).
func (r *Resource) AddResource(o *Resource, sign int64) {
	r.MilliCPU += sign * o.MilliCPU
	r.Memory += sign * o.Memory
	r.EphemeralStorage += sign * o.EphemeralStorage
	r.AllowedPodNumber += int(sign) * o.AllowedPodNumber
	for name, v := range o.ScalarResources {
		if r.ScalarResources == nil {
			r.ScalarResources = map[corev1.ResourceName]int64{}
		}
		r.ScalarResources[name] += sign * v
	}
}

// Clone returns a deep copy.
func (r Resource) Clone() Resource {
	if r.ScalarResources != nil {
		m := make(map[corev1.ResourceName]int64, len(r.ScalarResources))
		for k, v := range r.ScalarResources {
			m[k] = v
		}
		r.ScalarResources = m
	}
	return r
}

// IsZero reports no request at all.
func (r *Resource) IsZero() bool {
	if r.MilliCPU != 0 || r.Memory != 0 || r.EphemeralStorage != 0 {
		return false
	}
	for _, v := range r.ScalarResources {
		if v != 0 {
			return false
		}
	}
	return true
}
