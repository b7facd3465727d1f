package scheduler

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/scheduler/framework"
)

// evict carries out a preemption decided by the DefaultPreemption plugin,
// as kube-scheduler does: each victim is marked with a DisruptionTarget
// condition (so its controller and users learn why it goes), deleted, and
// gets a Preempted event; pods of lower priority nominated to the node lose
// their nomination, since the room they counted on is now the preemptor's.
// The preemptor itself waits in the queue: the victims' deletion retries it.
func (s *Scheduler) evict(ctx context.Context, preemptor *corev1.Pod, res *framework.PostFilterResult) {
	logger := klog.FromContext(ctx)
	node := res.NominatedNode
	for _, victim := range res.Victims {
		condition := &corev1.PodCondition{
			Type:               corev1.DisruptionTarget,
			Status:             corev1.ConditionTrue,
			Reason:             corev1.PodReasonPreemptionByScheduler,
			Message:            fmt.Sprintf("%s: preempting to accommodate a higher priority pod", preemptor.Spec.SchedulerName),
			ObservedGeneration: victim.Generation,
		}
		if err := s.updatePodStatus(ctx, victim, condition, nil); err != nil && !apierrors.IsNotFound(err) {
			logger.Error(err, "Could not mark a preemption victim", "victim", klog.KObj(victim), "preemptor", klog.KObj(preemptor))
		}
		err := s.client.CoreV1().Pods(victim.Namespace).Delete(ctx, victim.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &victim.UID}})
		if err != nil && !apierrors.IsNotFound(err) {
			logger.Error(err, "Could not delete a preemption victim", "victim", klog.KObj(victim), "preemptor", klog.KObj(preemptor))
			continue
		}
		logger.V(2).Info("Preempted a pod", "victim", klog.KObj(victim), "preemptor", klog.KObj(preemptor), "node", node)
		s.recorder.Eventf(victim, preemptor, corev1.EventTypeNormal, "Preempted", "Preempting", "Preempted by pod %v on node %v", preemptor.UID, node)
	}
	none := ""
	for _, p := range s.nominator.lowerPriority(node, framework.PodPriority(preemptor)) {
		s.nominator.Set(p, "")
		if err := s.updatePodStatus(ctx, p, nil, &none); err != nil && !apierrors.IsNotFound(err) {
			logger.Error(err, "Could not clear a nomination", "pod", klog.KObj(p), "node", node)
		}
	}
}
