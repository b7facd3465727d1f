package scheduler

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/scheduler/framework"
)

// addEventHandlers routes informer events: assigned pods and nodes to the
// cache (and, when they may free room, to the queue as cluster events),
// this scheduler's unassigned pods to the queue.
func (s *Scheduler) addEventHandlers(ctx context.Context) error {
	logger := klog.FromContext(ctx)
	pods := s.informers.Core().V1().Pods().Informer()
	// Run waits for these handlers to have seen the informers' initial
	// lists, not only for the lists: else a pending pod could be
	// scheduled before the node handler has filled the cache.
	synced := func(reg cache.ResourceEventHandlerRegistration) {
		s.handlersSynced = append(s.handlersSynced, reg.HasSynced)
	}
	if reg, err := pods.AddEventHandler(cache.FilteringResourceEventHandler{
		FilterFunc: func(obj any) bool {
			pod := podOf(obj)
			return pod != nil && pod.Spec.NodeName != ""
		},
		Handler: cache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { s.addAssignedPod(logger, obj.(*corev1.Pod)) },
			UpdateFunc: func(oldObj, newObj any) { s.updateAssignedPod(logger, oldObj.(*corev1.Pod), newObj.(*corev1.Pod)) },
			DeleteFunc: func(obj any) { s.deleteAssignedPod(logger, podOf(obj)) },
		},
	}); err != nil {
		return fmt.Errorf("assigned pod handler: %w", err)
	} else {
		synced(reg)
	}
	if reg, err := pods.AddEventHandler(cache.FilteringResourceEventHandler{
		FilterFunc: func(obj any) bool {
			pod := podOf(obj)
			return pod != nil && pod.Spec.NodeName == "" && pod.Spec.SchedulerName == s.schedulerName
		},
		Handler: cache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { s.addPendingPod(logger, obj.(*corev1.Pod)) },
			UpdateFunc: func(oldObj, newObj any) { s.updatePendingPod(logger, oldObj.(*corev1.Pod), newObj.(*corev1.Pod)) },
			DeleteFunc: func(obj any) { s.deletePendingPod(logger, podOf(obj)) },
		},
	}); err != nil {
		return fmt.Errorf("pending pod handler: %w", err)
	} else {
		synced(reg)
	}
	if reg, err := s.informers.Core().V1().Nodes().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { s.addNode(logger, obj.(*corev1.Node)) },
		UpdateFunc: func(oldObj, newObj any) { s.updateNode(logger, oldObj.(*corev1.Node), newObj.(*corev1.Node)) },
		DeleteFunc: func(obj any) { s.deleteNode(logger, obj) },
	}); err != nil {
		return fmt.Errorf("node handler: %w", err)
	} else {
		synced(reg)
	}
	// Volume binding's inputs: a claim, volume or class that appears or
	// changes may make a pod that waits for it schedulable. Watched only
	// when a plugin asks, so a profile without volume binding lists none.
	volumeInputs := []struct {
		resource framework.EventResource
		// informer is a func: asking the factory for an informer makes it
		// start one.
		informer func() cache.SharedIndexInformer
	}{
		{framework.PersistentVolumeClaim, func() cache.SharedIndexInformer { return s.informers.Core().V1().PersistentVolumeClaims().Informer() }},
		{framework.PersistentVolume, func() cache.SharedIndexInformer { return s.informers.Core().V1().PersistentVolumes().Informer() }},
		{framework.StorageClass, func() cache.SharedIndexInformer { return s.informers.Storage().V1().StorageClasses().Informer() }},
	}
	for _, in := range volumeInputs {
		if !s.framework.Watches(in.resource) {
			continue
		}
		label := strings.TrimPrefix(string(in.resource), "storage.k8s.io/")
		add := framework.ClusterEvent{Resource: in.resource, ActionType: framework.Add, Label: label + "Add"}
		update := framework.ClusterEvent{Resource: in.resource, ActionType: framework.Update, Label: label + "Update"}
		if _, err := in.informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc: func(obj any) { s.queue.MoveAllToActiveOrBackoff(logger, add, nil, obj) },
			UpdateFunc: func(oldObj, newObj any) {
				s.queue.MoveAllToActiveOrBackoff(logger, update, oldObj, newObj)
			},
		}); err != nil {
			return fmt.Errorf("%s handler: %w", label, err)
		}
	}
	return nil
}

// podOf unwraps a pod from an informer event, including the tombstone of a
// delete the informer missed.
func podOf(obj any) *corev1.Pod {
	switch t := obj.(type) {
	case *corev1.Pod:
		return t
	case cache.DeletedFinalStateUnknown:
		p, _ := t.Obj.(*corev1.Pod)
		return p
	}
	return nil
}

func (s *Scheduler) addAssignedPod(logger klog.Logger, pod *corev1.Pod) {
	if err := s.cache.AddPod(pod); err != nil {
		logger.Error(err, "Cache could not add an assigned pod", "pod", klog.KObj(pod))
	}
	// A pod that was pending here and is now bound, by us or by someone
	// else, leaves the queue (the filter turned the update into this add).
	s.queue.Delete(pod)
	s.nominator.Delete(pod)
	// It may be the pod another one's affinity waits for, or change a
	// spread.
	s.queue.MoveAllToActiveOrBackoff(logger, framework.ClusterEvent{Resource: framework.AssignedPod, ActionType: framework.Add, Label: "AssignedPodAdd"}, nil, pod)
}

func (s *Scheduler) updateAssignedPod(logger klog.Logger, oldPod, newPod *corev1.Pod) {
	if err := s.cache.UpdatePod(oldPod, newPod); err != nil {
		logger.Error(err, "Cache could not update an assigned pod", "pod", klog.KObj(newPod))
	}
	if scaledDown(oldPod, newPod) {
		s.queue.MoveAllToActiveOrBackoff(logger, framework.ClusterEvent{Resource: framework.AssignedPod, ActionType: framework.UpdatePodScaleDown, Label: "AssignedPodScaleDown"}, oldPod, newPod)
	}
	if !reflect.DeepEqual(oldPod.Labels, newPod.Labels) {
		s.queue.MoveAllToActiveOrBackoff(logger, framework.ClusterEvent{Resource: framework.AssignedPod, ActionType: framework.UpdatePodLabel, Label: "AssignedPodUpdateLabel"}, oldPod, newPod)
	}
}

// scaledDown reports an assigned pod resized to request less.
func scaledDown(oldPod, newPod *corev1.Pod) bool {
	before, after := framework.NewPodInfo(oldPod).Requests, framework.NewPodInfo(newPod).Requests
	if after.MilliCPU < before.MilliCPU || after.Memory < before.Memory || after.EphemeralStorage < before.EphemeralStorage {
		return true
	}
	for name, v := range before.ScalarResources {
		if after.ScalarResources[name] < v {
			return true
		}
	}
	return false
}

func (s *Scheduler) deleteAssignedPod(logger klog.Logger, pod *corev1.Pod) {
	if pod == nil {
		return
	}
	if err := s.cache.RemovePod(pod); err != nil {
		logger.Error(err, "Cache could not remove an assigned pod", "pod", klog.KObj(pod))
	}
	s.queue.MoveAllToActiveOrBackoff(logger, framework.ClusterEvent{Resource: framework.AssignedPod, ActionType: framework.Delete, Label: "AssignedPodDelete"}, pod, nil)
}

func (s *Scheduler) addPendingPod(logger klog.Logger, pod *corev1.Pod) {
	s.nominator.Update(pod)
	s.queue.Add(logger, pod)
}

func (s *Scheduler) updatePendingPod(logger klog.Logger, oldPod, newPod *corev1.Pod) {
	// The binding of an assumed pod is on its way; its updates meanwhile
	// (our own status write among them) change nothing.
	if s.cache.IsAssumed(newPod) {
		return
	}
	s.nominator.Update(newPod)
	s.queue.Update(logger, oldPod, newPod)
}

func (s *Scheduler) deletePendingPod(logger klog.Logger, pod *corev1.Pod) {
	if pod == nil {
		return
	}
	s.queue.Delete(pod)
	s.nominator.Delete(pod)
	// The pod left this handler either because it was bound (the informer
	// still has it, now assigned: the cache keeps it) or because it was
	// deleted while its binding was on its way: then the informer may
	// never show it bound, so the cache must not keep it.
	if cur, err := s.podLister.Pods(pod.Namespace).Get(pod.Name); err == nil && cur.UID == pod.UID {
		return
	}
	if err := s.cache.ForgetPod(pod); err != nil {
		logger.Error(err, "Cache could not forget a deleted pod", "pod", klog.KObj(pod))
	}
}

func (s *Scheduler) addNode(logger klog.Logger, node *corev1.Node) {
	s.cache.AddNode(node)
	s.queue.MoveAllToActiveOrBackoff(logger, framework.ClusterEvent{Resource: framework.Node, ActionType: framework.Add, Label: "NodeAdd"}, nil, node)
}

func (s *Scheduler) updateNode(logger klog.Logger, oldNode, newNode *corev1.Node) {
	s.cache.UpdateNode(oldNode, newNode)
	if action := nodeChange(oldNode, newNode); action != 0 {
		s.queue.MoveAllToActiveOrBackoff(logger, framework.ClusterEvent{Resource: framework.Node, ActionType: action, Label: "NodeUpdate"}, oldNode, newNode)
	}
}

func (s *Scheduler) deleteNode(logger klog.Logger, obj any) {
	node, ok := obj.(*corev1.Node)
	if !ok {
		if t, isTombstone := obj.(cache.DeletedFinalStateUnknown); isTombstone {
			node, ok = t.Obj.(*corev1.Node)
		}
	}
	if !ok {
		logger.Error(nil, "Node delete event without a node", "object", obj)
		return
	}
	s.cache.RemoveNode(node)
	// A node leaving can lower a spread's skew (PodTopologySpread).
	s.queue.MoveAllToActiveOrBackoff(logger, framework.ClusterEvent{Resource: framework.Node, ActionType: framework.Delete, Label: "NodeDelete"}, node, nil)
}

// nodeChange is what changed in a node update that scheduling can see, as
// kube-scheduler splits it; 0 for heartbeats and the like. A cordon counts
// as a taint change, as upstream.
func nodeChange(oldNode, newNode *corev1.Node) framework.ActionType {
	var a framework.ActionType
	if !reflect.DeepEqual(oldNode.Status.Allocatable, newNode.Status.Allocatable) {
		a |= framework.UpdateNodeAllocatable
	}
	if !reflect.DeepEqual(oldNode.Labels, newNode.Labels) {
		a |= framework.UpdateNodeLabel
	}
	if !reflect.DeepEqual(oldNode.Spec.Taints, newNode.Spec.Taints) || oldNode.Spec.Unschedulable != newNode.Spec.Unschedulable {
		a |= framework.UpdateNodeTaint
	}
	if !reflect.DeepEqual(conditionStatuses(oldNode), conditionStatuses(newNode)) {
		a |= framework.UpdateNodeCondition
	}
	if !reflect.DeepEqual(oldNode.Annotations, newNode.Annotations) {
		a |= framework.UpdateNodeAnnotation
	}
	return a
}

func conditionStatuses(node *corev1.Node) map[corev1.NodeConditionType]corev1.ConditionStatus {
	m := make(map[corev1.NodeConditionType]corev1.ConditionStatus, len(node.Status.Conditions))
	for _, c := range node.Status.Conditions {
		m[c.Type] = c.Status
	}
	return m
}
