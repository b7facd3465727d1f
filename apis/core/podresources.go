package core

import corev1 "k8s.io/api/core/v1"

// PodResources is what a pod as a whole asks for of the list of picks from
// each container (its requests or its limits): its containers together, or
// its largest init container where that is more, since init containers run
// one at a time; plus the pod's overhead when withOverhead is set (quota
// counts it, LimitRanger does not).
func PodResources(pod *corev1.Pod, pick func(corev1.Container) corev1.ResourceList, withOverhead bool) corev1.ResourceList {
	total := corev1.ResourceList{}
	for _, c := range pod.Spec.Containers {
		for k, v := range pick(c) {
			add(total, k, v)
		}
	}
	for _, c := range pod.Spec.InitContainers {
		for k, v := range pick(c) {
			if have, ok := total[k]; !ok || v.Cmp(have) > 0 {
				total[k] = v.DeepCopy()
			}
		}
	}
	if withOverhead {
		for k, v := range pod.Spec.Overhead {
			if _, ok := total[k]; ok {
				add(total, k, v)
			}
		}
	}
	return total
}

// Requests picks a container's requests, for PodResources.
func Requests(c corev1.Container) corev1.ResourceList { return c.Resources.Requests }

// Limits picks a container's limits, for PodResources.
func Limits(c corev1.Container) corev1.ResourceList { return c.Resources.Limits }
