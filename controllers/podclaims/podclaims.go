package podclaims

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/component-helpers/storage/ephemeral"
)

// IndexName is the index's name on the shared pod informer.
const IndexName = "pod-pvc"

// AddIndex adds the index to the pod informer unless a controller sharing
// the informer already did. Call it before the informer starts.
func AddIndex(pods cache.SharedIndexInformer) error {
	if _, ok := pods.GetIndexer().GetIndexers()[IndexName]; ok {
		return nil
	}
	if err := pods.AddIndexers(cache.Indexers{IndexName: indexFunc}); err != nil {
		return fmt.Errorf("add %s index: %w", IndexName, err)
	}
	return nil
}

// indexFunc keys a pod by namespace/claim for every claim it uses.
func indexFunc(obj any) ([]string, error) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return nil, nil
	}
	var keys []string
	for _, name := range ClaimNames(pod) {
		keys = append(keys, pod.Namespace+"/"+name)
	}
	return keys, nil
}

// ClaimNames are the names of the claims pod's volumes use, in volume
// order; an ephemeral volume's claim is named <pod>-<volume>.
func ClaimNames(pod *corev1.Pod) []string {
	var names []string
	for i := range pod.Spec.Volumes {
		v := &pod.Spec.Volumes[i]
		switch {
		case v.PersistentVolumeClaim != nil:
			names = append(names, v.PersistentVolumeClaim.ClaimName)
		case v.Ephemeral != nil:
			names = append(names, ephemeral.VolumeClaimName(pod, v))
		}
	}
	return names
}

// Pods returns the pods in indexer that use the claim namespace/name.
func Pods(indexer cache.Indexer, namespace, name string) ([]*corev1.Pod, error) {
	objs, err := indexer.ByIndex(IndexName, namespace+"/"+name)
	if err != nil {
		return nil, fmt.Errorf("pods using claim %s/%s: %w", namespace, name, err)
	}
	pods := make([]*corev1.Pod, 0, len(objs))
	for _, obj := range objs {
		if pod, ok := obj.(*corev1.Pod); ok {
			pods = append(pods, pod)
		}
	}
	return pods, nil
}

// Terminated reports whether pod no longer uses its volumes: it finished,
// or it is being deleted and none of its containers runs (upstream's
// volume util IsPodTerminated). A deleted pod whose containers still run
// keeps its claims in use.
func Terminated(pod *corev1.Pod) bool {
	s := &pod.Status
	return s.Phase == corev1.PodFailed || s.Phase == corev1.PodSucceeded ||
		pod.DeletionTimestamp != nil && notRunning(s.InitContainerStatuses) && notRunning(s.ContainerStatuses) && notRunning(s.EphemeralContainerStatuses)
}

func notRunning(statuses []corev1.ContainerStatus) bool {
	for _, s := range statuses {
		if s.State.Terminated == nil && s.State.Waiting == nil {
			return false
		}
	}
	return true
}
