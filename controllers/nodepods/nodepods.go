package nodepods

import (
	"context"
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// index names the pod informer's index by node name.
const index = "kubeshim.io/pod-node"

// Index indexes the shared pod informer by spec.nodeName, once however many
// controllers ask. Call it before the informers start; an informer that has
// started cannot take an index, and that is a programming error.
func Index(pods coreinformers.PodInformer) cache.Indexer {
	indexer := pods.Informer().GetIndexer()
	if _, ok := indexer.GetIndexers()[index]; !ok {
		if err := pods.Informer().AddIndexers(cache.Indexers{index: nodeName}); err != nil {
			panic(fmt.Sprintf("add pod node index: %v", err))
		}
	}
	return indexer
}

func nodeName(obj any) ([]string, error) {
	pod, ok := obj.(*corev1.Pod)
	if !ok || pod.Spec.NodeName == "" {
		return nil, nil
	}
	return []string{pod.Spec.NodeName}, nil
}

// OnNode returns the pods bound to node from an indexer made by Index. They
// are the cache's: copy before changing them.
func OnNode(indexer cache.Indexer, node string) ([]*corev1.Pod, error) {
	objs, err := indexer.ByIndex(index, node)
	if err != nil {
		return nil, fmt.Errorf("pods on node %s: %w", node, err)
	}
	pods := make([]*corev1.Pod, 0, len(objs))
	for _, o := range objs {
		if p, ok := o.(*corev1.Pod); ok {
			pods = append(pods, p)
		}
	}
	return pods, nil
}

// Mark patches pod's status with cond, if any (merged by type with the
// pod's other conditions), and, when fail is set and the pod has not
// finished, the Failed phase. The patch names the pod's UID, so it cannot
// land on a pod recreated under the same name. A condition whose status,
// reason and message the pod already has is not written again.
func Mark(ctx context.Context, client kubernetes.Interface, pod *corev1.Pod, c *corev1.PodCondition, fail bool) error {
	status := map[string]any{}
	if fail && pod.Status.Phase != corev1.PodSucceeded && pod.Status.Phase != corev1.PodFailed {
		status["phase"] = corev1.PodFailed
		status["observedGeneration"] = pod.Generation
	}
	if c != nil && !hasCondition(pod, *c) {
		cond := *c
		cond.ObservedGeneration = pod.Generation
		if cond.LastTransitionTime.IsZero() {
			cond.LastTransitionTime = metav1.Now()
		}
		if old := condition(pod, cond.Type); old != nil && old.Status == cond.Status {
			cond.LastTransitionTime = old.LastTransitionTime
		}
		status["conditions"] = []corev1.PodCondition{cond}
	}
	if len(status) == 0 {
		return nil
	}
	patch, err := json.Marshal(map[string]any{
		"metadata": map[string]any{"uid": pod.UID},
		"status":   status,
	})
	if err != nil {
		return err
	}
	_, err = client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "status")
	if err != nil {
		return fmt.Errorf("patch status of pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	return nil
}

func condition(pod *corev1.Pod, t corev1.PodConditionType) *corev1.PodCondition {
	for i := range pod.Status.Conditions {
		if pod.Status.Conditions[i].Type == t {
			return &pod.Status.Conditions[i]
		}
	}
	return nil
}

func hasCondition(pod *corev1.Pod, cond corev1.PodCondition) bool {
	old := condition(pod, cond.Type)
	return old != nil && old.Status == cond.Status && old.Reason == cond.Reason && old.Message == cond.Message
}
