package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/client-go/util/retry"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/scheduler/framework"
	"github.com/kubeshim/kubeshim/scheduler/queue"
)

// noteLengthLimit is the longest note events.k8s.io accepts.
const noteLengthLimit = 1024

// scheduleOne runs one pass for a popped pod: choose a node on the latest
// snapshot, assume the pod there, reserve what it needs there (Reserve
// plugins), and bind it in the background so the next pass can start at
// once.
func (s *Scheduler) scheduleOne(ctx context.Context, p *queue.QueuedPodInfo) {
	logger := klog.FromContext(ctx)
	pod := p.Pod
	if pod.DeletionTimestamp != nil || s.cache.IsAssumed(pod) {
		logger.V(3).Info("Skipping a pod being deleted or already being bound", "pod", klog.KObj(pod))
		s.queue.Done(pod)
		return
	}
	start := time.Now()
	s.snapshot = s.cache.UpdateSnapshot(s.snapshot)
	state := framework.NewCycleState()
	result, err := s.framework.SchedulePod(ctx, state, pod, s.snapshot)
	if err != nil {
		s.handleFailure(ctx, p, err)
		return
	}
	// A shallow copy: the pod's parts are shared and nobody changes them.
	assumed := *pod
	assumed.Spec.NodeName = result.Node
	if err := s.cache.AssumePod(&assumed); err != nil {
		s.handleFailure(ctx, p, fmt.Errorf("assume pod: %w", err))
		return
	}
	// giveBack undoes the assumption and the reservations of a pod that
	// will not be bound now.
	giveBack := func() {
		s.framework.RunReservePluginsUnreserve(ctx, state, &assumed, result.Node)
		if err := s.cache.ForgetPod(&assumed); err != nil {
			logger.Error(err, "Cache could not forget a pod left unbound", "pod", klog.KObj(pod))
		}
	}
	if sts := s.framework.RunReservePluginsReserve(ctx, state, &assumed, result.Node); !sts.IsSuccess() {
		giveBack()
		s.handleFailure(ctx, p, statusError(pod, result.Node, sts))
		return
	}
	// Counted on its node now: no longer as a nominee.
	s.nominator.Delete(pod)
	logger.V(4).Info("Chose a node", "pod", klog.KObj(pod), "node", result.Node, "evaluatedNodes", result.Evaluated, "feasibleNodes", result.Feasible, "duration", time.Since(start))
	preflight := s.framework.RunPreBindPreFlights(ctx, state, &assumed, result.Node)
	if preflight.Code() == framework.Error {
		giveBack()
		s.handleFailure(ctx, p, preflight.AsError())
		return
	}
	if !preflight.IsSkip() {
		// PreBind may wait long (volumes being provisioned): it must not
		// hold a binding slot, or a few such pods would stop the loop.
		// The slot is taken for the binding write alone.
		s.writes.Add(1)
		go func() {
			defer s.writes.Done()
			s.bind(ctx, p, state, &assumed, true)
		}()
		return
	}
	select {
	case s.bindSlots <- struct{}{}:
	case <-ctx.Done():
		giveBack()
		s.handleFailure(ctx, p, ctx.Err())
		return
	}
	s.writes.Add(1)
	go func() {
		defer s.writes.Done()
		s.bind(ctx, p, state, &assumed, false)
	}()
}

// statusError is the error a failed Reserve or PreBind gives the pod: a
// rejection is a FitError naming the node and the plugin (so that only
// events the plugin cares about retry the pod), anything else an error.
func statusError(pod *corev1.Pod, node string, sts *framework.Status) error {
	if !sts.IsRejected() {
		return sts.AsError()
	}
	nodes := framework.NewNodeToStatus()
	nodes.Nodes[node] = sts
	d := framework.Diagnosis{NodeToStatus: nodes}
	if sts.Plugin() != "" {
		d.UnschedulablePlugins = sets.New(sts.Plugin())
	}
	return &framework.FitError{Pod: pod, NumAllNodes: 1, Diagnosis: d}
}

// bind runs the PreBind plugins (when preBind is set) and writes the
// decision; it holds a binding slot for the write, taken here when preBind
// is set and by the caller otherwise. On failure the reservations and the
// room the pod held are given back and the pod retried.
func (s *Scheduler) bind(ctx context.Context, p *queue.QueuedPodInfo, state *framework.CycleState, assumed *corev1.Pod, preBind bool) {
	logger := klog.FromContext(ctx)
	node := assumed.Spec.NodeName
	fail := func(err error) {
		s.framework.RunReservePluginsUnreserve(ctx, state, assumed, node)
		if err := s.cache.ForgetPod(assumed); err != nil {
			logger.Error(err, "Cache could not forget a pod whose binding failed", "pod", klog.KObj(assumed))
		}
		s.queue.MoveAllToActiveOrBackoff(logger, framework.ClusterEvent{Resource: framework.AssignedPod, ActionType: framework.Delete, Label: "AssumedPodDelete"}, assumed, nil)
		s.handleFailure(ctx, p, err)
	}
	if preBind {
		if sts := s.framework.RunPreBindPlugins(ctx, state, assumed, node); !sts.IsSuccess() {
			fail(statusError(p.Pod, node, sts))
			return
		}
		select {
		case s.bindSlots <- struct{}{}:
		case <-ctx.Done():
			fail(ctx.Err())
			return
		}
	}
	err := s.binder.Bind(ctx, assumed, node)
	<-s.bindSlots
	if err != nil {
		fail(fmt.Errorf("binding rejected: %w", err))
		return
	}
	s.queue.Done(p.Pod)
	logger.V(2).Info("Successfully bound pod to node", "pod", klog.KObj(assumed), "node", node)
	s.recorder.Eventf(assumed, nil, corev1.EventTypeNormal, "Scheduled", "Binding", "Successfully assigned %v/%v to %v", assumed.Namespace, assumed.Name, node)
}

// handleFailure sends the pod back to the queue and, unless the scheduler
// is stopping, tells users why: a FailedScheduling event and the
// PodScheduled=False condition, with kube-scheduler's reasons (Unschedulable
// when it fits nowhere, SchedulerError otherwise).
func (s *Scheduler) handleFailure(ctx context.Context, p *queue.QueuedPodInfo, err error) {
	logger := klog.FromContext(ctx)
	pod := p.Pod
	stopping := ctx.Err() != nil
	reason := corev1.PodReasonSchedulerError
	p.UnschedulablePlugins = nil
	var fitErr *framework.FitError
	switch {
	case errors.Is(err, framework.ErrNoNodesAvailable):
		reason = corev1.PodReasonUnschedulable
		logger.V(2).Info("Unable to schedule pod; no nodes are registered to the cluster; waiting", "pod", klog.KObj(pod))
	case errors.As(err, &fitErr):
		reason = corev1.PodReasonUnschedulable
		p.UnschedulablePlugins = fitErr.Diagnosis.UnschedulablePlugins
		logger.V(2).Info("Unable to schedule pod; no fit; waiting", "pod", klog.KObj(pod), "err", err.Error())
	case stopping:
		logger.V(3).Info("Scheduling stopped before the pod was bound; requeued", "pod", klog.KObj(pod))
	default:
		logger.Error(err, "Error scheduling pod; retrying", "pod", klog.KObj(pod))
	}

	// Requeue the latest version of the pod, unless it is gone, was
	// replaced, or got bound meanwhile (by another scheduler, say).
	cached, getErr := s.podLister.Pods(pod.Namespace).Get(pod.Name)
	switch {
	case getErr != nil:
		logger.V(3).Info("Pod is gone; not requeued", "pod", klog.KObj(pod))
		s.queue.Done(pod)
		return
	case cached.UID != pod.UID:
		logger.V(3).Info("Pod was replaced; not requeued", "pod", klog.KObj(pod))
		s.queue.Done(pod)
		return
	case cached.Spec.NodeName != "":
		logger.V(3).Info("Pod is already bound; not requeued", "pod", klog.KObj(pod), "node", cached.Spec.NodeName)
		s.queue.Done(pod)
		return
	}
	p.Pod = cached
	s.queue.AddUnschedulableIfNotPresent(logger, p)
	s.queue.Done(pod)
	if stopping {
		return
	}

	// Preemption's decision: the pod is nominated to a node (or its
	// nomination cleared), and victims are evicted in the background.
	var nominated *string
	if fitErr != nil && fitErr.PostFilterResult != nil {
		res := fitErr.PostFilterResult
		nominated = &res.NominatedNode
		s.nominator.Set(cached, res.NominatedNode)
		if len(res.Victims) > 0 {
			s.writes.Add(1)
			go func() {
				defer s.writes.Done()
				s.evict(ctx, cached, res)
			}()
		}
	}

	msg := err.Error()
	s.recorder.Eventf(cached, nil, corev1.EventTypeWarning, "FailedScheduling", "Scheduling", "%s", truncate(msg))
	condition := &corev1.PodCondition{
		Type:               corev1.PodScheduled,
		Status:             corev1.ConditionFalse,
		Reason:             reason,
		Message:            msg,
		ObservedGeneration: cached.Generation,
	}
	// The status write is off the scheduling goroutine: the next pass
	// need not wait for it.
	s.writes.Add(1)
	go func() {
		defer s.writes.Done()
		if err := s.updatePodStatus(ctx, cached, condition, nominated); err != nil && ctx.Err() == nil {
			logger.Error(err, "Could not update the pod's PodScheduled condition", "pod", klog.KObj(cached))
		}
	}()
}

func truncate(msg string) string {
	if len(msg) <= noteLengthLimit {
		return msg
	}
	const suffix = " ..."
	return msg[:noteLengthLimit-len(suffix)] + suffix
}

// updatePodStatus patches the pod's status with condition (if not nil) and
// nominatedNodeName (if not nil), where that changes it, as kube-scheduler
// does: a strategic merge patch of the status subresource, retried on
// conflicts.
func (s *Scheduler) updatePodStatus(ctx context.Context, pod *corev1.Pod, condition *corev1.PodCondition, nominated *string) error {
	status := pod.Status.DeepCopy()
	changed := condition != nil && setPodCondition(status, *condition, metav1.Now())
	if nominated != nil && status.NominatedNodeName != *nominated {
		status.NominatedNodeName = *nominated
		changed = true
	}
	if !changed {
		return nil
	}
	oldData, err := json.Marshal(corev1.Pod{Status: pod.Status})
	if err != nil {
		return err
	}
	newData, err := json.Marshal(corev1.Pod{Status: *status})
	if err != nil {
		return err
	}
	patch, err := strategicpatch.CreateTwoWayMergePatch(oldData, newData, &corev1.Pod{})
	if err != nil {
		return fmt.Errorf("status patch for pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	if string(patch) == "{}" {
		return nil
	}
	retriable := func(err error) bool {
		return apierrors.IsConflict(err) || apierrors.IsServerTimeout(err) || apierrors.IsTooManyRequests(err)
	}
	return retry.OnError(retry.DefaultBackoff, retriable, func() error {
		_, err := s.client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "status")
		return err
	})
}

// setPodCondition puts condition into status, keeping its transition time
// when its status did not change, and reports whether anything changed.
func setPodCondition(status *corev1.PodStatus, condition corev1.PodCondition, now metav1.Time) bool {
	condition.LastTransitionTime = now
	for i := range status.Conditions {
		old := &status.Conditions[i]
		if old.Type != condition.Type {
			continue
		}
		if old.Status == condition.Status {
			condition.LastTransitionTime = old.LastTransitionTime
		}
		changed := old.Status != condition.Status || old.Reason != condition.Reason || old.Message != condition.Message ||
			old.ObservedGeneration != condition.ObservedGeneration || !old.LastProbeTime.Equal(&condition.LastProbeTime) ||
			!old.LastTransitionTime.Equal(&condition.LastTransitionTime)
		status.Conditions[i] = condition
		return changed
	}
	status.Conditions = append(status.Conditions, condition)
	return true
}
