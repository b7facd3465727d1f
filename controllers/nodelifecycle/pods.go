package nodelifecycle

import (
	"context"
	"errors"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/controllers/nodepods"
)

// markPodsNotReady sets Ready=False on the ready pods of a node that
// stopped being Ready (upstream's MarkPodsNotReady): no agent will say so
// for a node that cannot be reached, and endpoints must stop sending them
// traffic.
func (c *Controller) markPodsNotReady(ctx context.Context, nodeName string) error {
	pods, err := nodepods.OnNode(c.byNode, nodeName)
	if err != nil {
		return err
	}
	var errs []error
	for _, pod := range pods {
		if err := c.markPodNotReady(ctx, pod); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (c *Controller) markPodNotReady(ctx context.Context, pod *corev1.Pod) error {
	var ready *corev1.PodCondition
	for i := range pod.Status.Conditions {
		if pod.Status.Conditions[i].Type == corev1.PodReady {
			ready = &pod.Status.Conditions[i]
		}
	}
	if ready == nil || ready.Status == corev1.ConditionFalse {
		return nil
	}
	klog.FromContext(ctx).V(2).Info("Updating ready status of pod to false", "pod", klog.KObj(pod), "node", pod.Spec.NodeName)
	err := nodepods.Mark(ctx, c.client, pod, &corev1.PodCondition{
		Type: corev1.PodReady, Status: corev1.ConditionFalse, Reason: ready.Reason, Message: ready.Message,
		LastProbeTime: ready.LastProbeTime, LastTransitionTime: metav1.NewTime(c.clock.Now()),
	}, false)
	if err != nil {
		return err
	}
	c.recorder.Event(pod, corev1.EventTypeWarning, "NodeNotReady", "Node is not ready")
	return nil
}

// podBound queues a pod that has just been bound to a node: one bound to a
// node that is not Ready is marked not ready at once rather than on the
// node's next transition.
func (c *Controller) podBound(old, cur *corev1.Pod) {
	if cur.Spec.NodeName == "" || (old != nil && old.Spec.NodeName == cur.Spec.NodeName) {
		return
	}
	if key, err := cache.MetaNamespaceKeyFunc(cur); err == nil {
		c.podQueue.Add(key)
	}
}

func (c *Controller) syncPod(ctx context.Context, key string) (time.Duration, error) {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, nil
	}
	pod, err := c.pods.Pods(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	c.mu.Lock()
	h := c.health[pod.Spec.NodeName]
	ready := h != nil && h.ready != nil && h.ready.Status == corev1.ConditionTrue
	known := h != nil && h.ready != nil
	c.mu.Unlock()
	if !known || ready {
		// A node not seen yet, or one that never posted status, is
		// handled on its next transition.
		return 0, nil
	}
	if err := c.markPodNotReady(ctx, pod); err != nil && !apierrors.IsNotFound(err) {
		return 0, err
	}
	return 0, nil
}
