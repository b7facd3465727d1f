package envvars

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/api/validate/content"
)

// PodInfo is what the downward API needs beyond the pod object: the addresses
// the agent knows before it has written them to the pod's status, and the node's
// allocatable resources, which stand in for unset container limits.
type PodInfo struct {
	// PodIPs are the pod's addresses, primary first.
	PodIPs []string
	// HostIPs are the node's addresses, primary first.
	HostIPs []string
	// NodeAllocatable is the node's status.allocatable.
	NodeAllocatable corev1.ResourceList
}

// ObjectFieldValue returns a pod metadata field as the downward API projects
// it: metadata.name, namespace, uid, labels, annotations, and labels['k'] /
// annotations['k']. Whole maps are rendered one key="quoted value" per line,
// sorted by key. These are the only fields downwardAPI volumes may project.
func ObjectFieldValue(pod *corev1.Pod, fieldPath string) (string, error) {
	if path, subscript, ok := splitSubscript(fieldPath); ok {
		switch path {
		case "metadata.annotations":
			if errs := content.IsLabelKey(strings.ToLower(subscript)); len(errs) != 0 {
				return "", fmt.Errorf("invalid key subscript in %s: %s", fieldPath, strings.Join(errs, ";"))
			}
			return pod.Annotations[subscript], nil
		case "metadata.labels":
			if errs := content.IsLabelKey(subscript); len(errs) != 0 {
				return "", fmt.Errorf("invalid key subscript in %s: %s", fieldPath, strings.Join(errs, ";"))
			}
			return pod.Labels[subscript], nil
		default:
			return "", fmt.Errorf("fieldPath %q does not support subscript", fieldPath)
		}
	}
	switch fieldPath {
	case "metadata.annotations":
		return formatMap(pod.Annotations), nil
	case "metadata.labels":
		return formatMap(pod.Labels), nil
	case "metadata.name":
		return pod.Name, nil
	case "metadata.namespace":
		return pod.Namespace, nil
	case "metadata.uid":
		return string(pod.UID), nil
	}
	return "", fmt.Errorf("unsupported fieldPath: %v", fieldPath)
}

// PodFieldValue returns the value of an env var's fieldRef: the metadata fields
// of ObjectFieldValue plus spec.nodeName, spec.serviceAccountName,
// status.hostIP(s) and status.podIP(s) taken from info. apiVersion "" means v1.
func PodFieldValue(pod *corev1.Pod, apiVersion, fieldPath string, info PodInfo) (string, error) {
	if apiVersion != "" && apiVersion != "v1" {
		return "", fmt.Errorf("unsupported pod version: %s", apiVersion)
	}
	fieldPath, err := convertFieldLabel(fieldPath)
	if err != nil {
		return "", err
	}
	switch fieldPath {
	case "spec.nodeName":
		return pod.Spec.NodeName, nil
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, nil
	case "status.hostIP":
		if len(info.HostIPs) == 0 {
			return "", errors.New("no host IPs are known for this node")
		}
		return info.HostIPs[0], nil
	case "status.hostIPs":
		if len(info.HostIPs) == 0 {
			return "", errors.New("no host IPs are known for this node")
		}
		return strings.Join(info.HostIPs, ","), nil
	case "status.podIP":
		if len(info.PodIPs) == 0 {
			return "", nil
		}
		return info.PodIPs[0], nil
	case "status.podIPs":
		return strings.Join(info.PodIPs, ","), nil
	}
	return ObjectFieldValue(pod, fieldPath)
}

// convertFieldLabel accepts the field labels the v1 API lets a fieldRef name
// (upstream's ConvertDownwardAPIFieldLabel).
func convertFieldLabel(label string) (string, error) {
	if path, _, ok := splitSubscript(label); ok {
		switch path {
		case "metadata.annotations", "metadata.labels":
			return label, nil
		default:
			return "", fmt.Errorf("field label does not support subscript: %s", label)
		}
	}
	switch label {
	case "metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid",
		"spec.nodeName", "spec.restartPolicy", "spec.serviceAccountName", "spec.schedulerName",
		"status.phase", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs":
		return label, nil
	case "spec.host":
		// Old v1 clients send spec.host.
		return "spec.nodeName", nil
	}
	return "", fmt.Errorf("field label not supported: %s", label)
}

// splitSubscript splits "metadata.labels['k']" into "metadata.labels" and "k".
func splitSubscript(fieldPath string) (string, string, bool) {
	s, ok := strings.CutSuffix(fieldPath, "']")
	if !ok {
		return fieldPath, "", false
	}
	path, subscript, ok := strings.Cut(s, "['")
	if !ok || path == "" {
		return fieldPath, "", false
	}
	return path, subscript, true
}

func formatMap(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b []byte
	for _, k := range keys {
		if len(b) > 0 {
			b = append(b, '\n')
		}
		b = append(b, k...)
		b = append(b, '=')
		b = strconv.AppendQuote(b, m[k])
	}
	return string(b)
}

// ContainerResourceValue returns the value a resourceFieldRef selects from
// the named container (from c itself when fs.ContainerName is empty), with
// unset cpu, memory and ephemeral-storage limits defaulted to allocatable, as
// the kubelet does for both env vars and downwardAPI volumes. The value is
// divided by fs.Divisor (1 when unset) and rounded up.
func ContainerResourceValue(fs *corev1.ResourceFieldSelector, pod *corev1.Pod, c *corev1.Container, allocatable corev1.ResourceList) (string, error) {
	if fs.ContainerName != "" {
		var err error
		if c, err = findContainer(pod, fs.ContainerName); err != nil {
			return "", err
		}
	}
	if c == nil {
		return "", errors.New("resourceFieldRef needs a containerName")
	}
	limits := defaultedLimits(c.Resources.Limits, allocatable)
	requests := c.Resources.Requests

	divisor := fs.Divisor
	if divisor.IsZero() {
		divisor = resource.MustParse("1")
	}
	switch fs.Resource {
	case "limits.cpu":
		return cpuString(limits.Cpu(), divisor), nil
	case "requests.cpu":
		return cpuString(requests.Cpu(), divisor), nil
	case "limits.memory":
		return bytesString(limits.Memory(), divisor), nil
	case "requests.memory":
		return bytesString(requests.Memory(), divisor), nil
	case "limits.ephemeral-storage":
		return bytesString(limits.StorageEphemeral(), divisor), nil
	case "requests.ephemeral-storage":
		return bytesString(requests.StorageEphemeral(), divisor), nil
	}
	if name, ok := strings.CutPrefix(fs.Resource, "requests."); ok && strings.HasPrefix(name, corev1.ResourceHugePagesPrefix) {
		return bytesString(requests.Name(corev1.ResourceName(name), resource.BinarySI), divisor), nil
	}
	if name, ok := strings.CutPrefix(fs.Resource, "limits."); ok && strings.HasPrefix(name, corev1.ResourceHugePagesPrefix) {
		return bytesString(limits.Name(corev1.ResourceName(name), resource.BinarySI), divisor), nil
	}
	return "", fmt.Errorf("unsupported container resource : %v", fs.Resource)
}

// PodLevelAllocatable returns allocatable with the pod-level cpu and memory
// limits (spec.resources, the PodLevelResources feature) put in place of the
// node's values: a container without its own limit is bounded by the pod's.
// The kubelet applies this to env vars only, not to downwardAPI volumes.
func PodLevelAllocatable(pod *corev1.Pod, allocatable corev1.ResourceList) corev1.ResourceList {
	if pod.Spec.Resources == nil || len(pod.Spec.Resources.Limits) == 0 {
		return allocatable
	}
	out := allocatable.DeepCopy()
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if v, ok := pod.Spec.Resources.Limits[name]; ok && !v.IsZero() {
			if _, ok := out[name]; ok {
				out[name] = v.DeepCopy()
			}
		}
	}
	return out
}

func defaultedLimits(limits, allocatable corev1.ResourceList) corev1.ResourceList {
	out := limits.DeepCopy()
	if out == nil {
		out = corev1.ResourceList{}
	}
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage} {
		if q, ok := out[name]; !ok || q.IsZero() {
			if a, ok := allocatable[name]; ok {
				out[name] = a.DeepCopy()
			}
		}
	}
	return out
}

func findContainer(pod *corev1.Pod, name string) (*corev1.Container, error) {
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == name {
			return &pod.Spec.Containers[i], nil
		}
	}
	for i := range pod.Spec.InitContainers {
		if pod.Spec.InitContainers[i].Name == name {
			return &pod.Spec.InitContainers[i], nil
		}
	}
	return nil, fmt.Errorf("container %s not found", name)
}

func cpuString(q *resource.Quantity, divisor resource.Quantity) string {
	return strconv.FormatInt(int64(math.Ceil(float64(q.MilliValue())/float64(divisor.MilliValue()))), 10)
}

func bytesString(q *resource.Quantity, divisor resource.Quantity) string {
	return strconv.FormatInt(int64(math.Ceil(float64(q.Value())/float64(divisor.Value()))), 10)
}
