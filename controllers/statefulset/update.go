package statefulset

import (
	"context"
	"errors"
	"sort"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
)

// maxBatch caps the pod writes of one Parallel batch, as upstream.
const maxBatch = 500

// manage creates, fixes and deletes set's pods towards its spec, in the
// order its pod management policy and update strategy ask, and returns the
// status that results. set is the controller's copy; pods are the pods it
// owns. A non-nil status comes back with an error too, and is written.
func (c *Controller) manage(ctx context.Context, set *appsv1.StatefulSet, current, update *appsv1.ControllerRevision,
	collisionCount int32, pods []*corev1.Pod, now time.Time) (*appsv1.StatefulSetStatus, error) {
	logger := klog.FromContext(ctx)
	currentSet, err := applyRevision(set, current)
	if err != nil {
		return nil, err
	}
	updateSet, err := applyRevision(set, update)
	if err != nil {
		return nil, err
	}
	minReady := set.Spec.MinReadySeconds
	status := &appsv1.StatefulSetStatus{
		ObservedGeneration: set.Generation,
		CurrentRevision:    current.Name,
		UpdateRevision:     update.Name,
		CollisionCount:     ptr.To(collisionCount),
		Conditions:         append([]appsv1.StatefulSetCondition(nil), set.Status.Conditions...),
	}
	countReplicas(status, minReady, current, update, now, pods)

	// replicas holds a pod for each ordinal set keeps, made up where none
	// exists; condemned the pods beyond, highest ordinal first. Pods whose
	// ordinal does not parse are left alone.
	start := startOrdinal(set)
	replicas := make([]*corev1.Pod, int(ptr.Deref(set.Spec.Replicas, 1)))
	var condemned []*corev1.Pod
	for _, pod := range pods {
		switch o := ordinal(pod); {
		case inOrdinalRange(pod, set):
			replicas[o-start] = pod
		case o >= 0:
			condemned = append(condemned, pod)
		}
	}
	for i := range replicas {
		if replicas[i] == nil {
			replicas[i] = newVersionedPod(currentSet, updateSet, current.Name, update.Name, start+i)
		}
	}
	sort.SliceStable(condemned, func(i, j int) bool { return ordinal(condemned[i]) > ordinal(condemned[j]) })

	// The first unhealthy pod, in ordinal order, may be deleted even by
	// OrderedReady: scaling down must not wait for the pod it removes.
	var firstUnhealthy *corev1.Pod
	unavailable := 0
	for _, p := range replicas {
		if isUnavailable(p, minReady, now) {
			unavailable++
			if firstUnhealthy == nil {
				firstUnhealthy = p
			}
		}
	}
	for i := len(condemned) - 1; i >= 0; i-- {
		if isUnavailable(condemned[i], minReady, now) {
			unavailable++
			if firstUnhealthy == nil {
				firstUnhealthy = condemned[i]
			}
		}
	}
	if unavailable > 0 {
		logger.V(4).Info("StatefulSet has unavailable Pods", "statefulSet", klog.KObj(set), "unavailableReplicas", unavailable, "pod", klog.KObj(firstUnhealthy))
	}

	// A set being deleted only reports; the garbage collector deletes or
	// orphans its pods.
	if set.DeletionTimestamp != nil {
		return status, nil
	}
	monotonic := set.Spec.PodManagementPolicy != appsv1.ParallelPodManagement
	recount := func() { countReplicas(status, minReady, current, update, now, replicas, condemned) }

	// First the pods set keeps: create, recreate and fix them. OrderedReady
	// stops at the first that is not yet Running, Ready and available.
	if stop, err := runForAll(replicas, monotonic, func(i int) (bool, error) {
		return c.processReplica(ctx, set, updateSet, monotonic, replicas[i], now)
	}); stop || err != nil {
		recount()
		return status, err
	}
	// Then the claims of the pods about to go get the owners the
	// retention policy gives scaled-down pods, before the pods go.
	if stop, err := runForAll(condemned, monotonic, func(i int) (bool, error) {
		match, err := c.claimsMatchPolicy(ctx, updateSet, condemned[i])
		if err != nil {
			return true, err
		}
		if !match {
			if err := c.updateClaimOwners(ctx, updateSet, condemned[i]); err != nil {
				return true, err
			}
		}
		return false, nil
	}); stop || err != nil {
		recount()
		return status, err
	}
	// Then scale down: OrderedReady one pod at a time from the highest
	// ordinal, each once the pods before it are healthy. Scaling comes
	// before updates.
	if stop, err := runForAll(condemned, monotonic, func(i int) (bool, error) {
		return c.processCondemned(ctx, set, firstUnhealthy, monotonic, condemned[i], now)
	}); stop || err != nil {
		recount()
		return status, err
	}
	recount()
	if set.Spec.UpdateStrategy.Type == appsv1.OnDeleteStatefulSetStrategyType {
		return status, nil
	}
	return status, c.rollingUpdate(ctx, set, replicas, update, status, now)
}

// processReplica brings one pod set keeps towards its spec. It reports
// whether OrderedReady must stop here.
func (c *Controller) processReplica(ctx context.Context, set, updateSet *appsv1.StatefulSet, monotonic bool, pod *corev1.Pod, now time.Time) (bool, error) {
	logger := klog.FromContext(ctx)
	if isTerminal(pod) {
		// Deleted now, created again once it is gone.
		if !isTerminating(pod) {
			logger.V(2).Info("Deleting terminated pod to recreate it", "pod", klog.KObj(pod), "statefulSet", klog.KObj(set), "phase", pod.Status.Phase)
			if err := c.deletePod(ctx, set, pod); err != nil {
				return true, err
			}
		}
		return true, nil
	}
	if !isCreated(pod) {
		stale, err := c.claimIsStale(set, pod)
		if err != nil || stale {
			if stale {
				logger.V(4).Info("StatefulSet is waiting for a stale claim to be deleted", "statefulSet", klog.KObj(set), "pod", klog.KObj(pod))
			}
			return true, err
		}
		if err := c.createPod(ctx, set, pod); err != nil {
			return true, err
		}
		if monotonic {
			return true, nil
		}
	}
	if isPending(pod) {
		// A claim deleted under a pod that has not started comes back.
		logger.V(4).Info("StatefulSet is triggering PVC creation for pending Pod", "statefulSet", klog.KObj(set), "pod", klog.KObj(pod))
		if err := c.createClaims(ctx, set, pod); err != nil {
			return true, err
		}
		if err := c.updateClaimOwners(ctx, set, pod); err != nil {
			c.recordPodEvent(verbUpdate, set, pod, err)
			return true, err
		}
	}
	if monotonic {
		switch {
		case isTerminating(pod):
			logger.V(4).Info("StatefulSet is waiting for Pod to Terminate", "statefulSet", klog.KObj(set), "pod", klog.KObj(pod))
			return true, nil
		case !isRunningAndReady(pod):
			logger.V(4).Info("StatefulSet is waiting for Pod to be Running and Ready", "statefulSet", klog.KObj(set), "pod", klog.KObj(pod))
			return true, nil
		case !isAvailable(pod, set.Spec.MinReadySeconds, now):
			logger.V(4).Info("StatefulSet is waiting for Pod to be Available", "statefulSet", klog.KObj(set), "pod", klog.KObj(pod))
			return true, nil
		}
	}
	// An error here means the pod is about to be fixed anyway.
	match, err := c.claimsMatchPolicy(ctx, updateSet, pod)
	if err != nil {
		match = true
	}
	if identityMatches(set, pod) && storageMatches(set, pod) && match {
		return false, nil
	}
	return false, c.updatePod(ctx, updateSet, pod.DeepCopy())
}

// processCondemned deletes one pod beyond set's ordinals. It reports
// whether OrderedReady must stop here.
func (c *Controller) processCondemned(ctx context.Context, set *appsv1.StatefulSet, firstUnhealthy *corev1.Pod, monotonic bool, pod *corev1.Pod, now time.Time) (bool, error) {
	logger := klog.FromContext(ctx)
	if isTerminating(pod) {
		if monotonic {
			logger.V(4).Info("StatefulSet is waiting for Pod to Terminate prior to scale down", "statefulSet", klog.KObj(set), "pod", klog.KObj(pod))
		}
		return monotonic, nil
	}
	if monotonic && pod != firstUnhealthy {
		if !isRunningAndReady(pod) {
			logger.V(4).Info("StatefulSet is waiting for Pod to be Running and Ready prior to scale down", "statefulSet", klog.KObj(set), "pod", klog.KObj(firstUnhealthy))
			return true, nil
		}
		if !isAvailable(pod, set.Spec.MinReadySeconds, now) {
			logger.V(4).Info("StatefulSet is waiting for Pod to be Available prior to scale down", "statefulSet", klog.KObj(set), "pod", klog.KObj(firstUnhealthy))
			return true, nil
		}
	}
	logger.V(2).Info("Pod of StatefulSet is terminating for scale down", "statefulSet", klog.KObj(set), "pod", klog.KObj(pod))
	return true, c.deletePod(ctx, set, pod)
}

// rollingUpdate deletes pods not at the update revision, at ordinals at or
// above the partition, from the highest down, so that no more than
// maxUnavailable of the set's pods are unavailable; processReplica
// recreates them at the update revision. It is upstream's algorithm with
// MaxUnavailableStatefulSet, on by default since 1.37.
func (c *Controller) rollingUpdate(ctx context.Context, set *appsv1.StatefulSet, replicas []*corev1.Pod,
	update *appsv1.ControllerRevision, status *appsv1.StatefulSetStatus, now time.Time) error {
	logger := klog.FromContext(ctx)
	minReady := set.Spec.MinReadySeconds
	partition, maxUnavailable := 0, 1
	if ru := set.Spec.UpdateStrategy.RollingUpdate; ru != nil {
		partition = int(ptr.Deref(ru.Partition, 0))
		var err error
		if maxUnavailable, err = scaledMaxUnavailable(ru.MaxUnavailable, len(replicas)); err != nil {
			return err
		}
	}
	parallel := set.Spec.PodManagementPolicy == appsv1.ParallelPodManagement
	outdated := func(p *corev1.Pod) bool { return podRevision(p) != update.Name }

	unavailable, unavailableOutdated := 0, 0
	for _, p := range replicas {
		if isUnavailable(p, minReady, now) {
			unavailable++
			if parallel && outdated(p) && !isTerminating(p) {
				unavailableOutdated++
			}
		}
	}
	// Parallel may still replace outdated pods that are down anyway.
	if unavailable >= maxUnavailable && unavailableOutdated == 0 {
		if unavailable > maxUnavailable {
			logger.V(4).Info("StatefulSet found unavailablePods, more than the allowed maxUnavailable", "statefulSet", klog.KObj(set),
				"unavailablePods", unavailable, "maxUnavailable", maxUnavailable)
		}
		return nil
	}
	del := func(p *corev1.Pod) error {
		logger.V(2).Info("StatefulSet terminating Pod for update", "statefulSet", klog.KObj(set), "pod", klog.KObj(p))
		if err := c.deletePod(ctx, set, p); err != nil {
			return err
		}
		status.CurrentReplicas--
		return nil
	}
	if parallel {
		// First the outdated pods that are down already, then, within
		// what is left of the budget, available ones: one pass from the
		// top could spend the budget on healthy pods and never reach the
		// broken ones below.
		for i := len(replicas) - 1; i >= partition; i-- {
			if p := replicas[i]; outdated(p) && !isAvailable(p, minReady, now) && !isTerminating(p) {
				if err := del(p); err != nil {
					return err
				}
			}
		}
		budget := maxUnavailable - unavailable
		for i := len(replicas) - 1; i >= partition && budget > 0; i-- {
			if p := replicas[i]; outdated(p) && !isUnavailable(p, minReady, now) {
				if err := del(p); err != nil {
					return err
				}
				budget--
			}
		}
		return nil
	}
	budget := maxUnavailable - unavailable
	for i := len(replicas) - 1; i >= partition && budget > 0; i-- {
		if p := replicas[i]; outdated(p) && !isTerminating(p) {
			if err := del(p); err != nil {
				return err
			}
			budget--
		}
	}
	return nil
}

// scaledMaxUnavailable is maxUnavailable (1 when unset) of replicas,
// percentages rounded down, and never below 1.
func scaledMaxUnavailable(maxUnavailable *intstr.IntOrString, replicas int) (int, error) {
	n, err := intstr.GetScaledValueFromIntOrPercent(intstr.ValueOrDefault(maxUnavailable, intstr.FromInt32(1)), replicas, false)
	if err != nil {
		return 0, err
	}
	return max(n, 1), nil
}

// runForAll calls fn for each pod: OrderedReady in order, stopping at the
// first that asks to stop or fails; Parallel in slow-start batches, stopping
// only at a batch with errors.
func runForAll(pods []*corev1.Pod, monotonic bool, fn func(i int) (bool, error)) (bool, error) {
	if monotonic {
		for i := range pods {
			if stop, err := fn(i); stop || err != nil {
				return true, err
			}
		}
		return false, nil
	}
	if err := slowStartBatch(len(pods), 1, fn); err != nil {
		return true, err
	}
	return false, nil
}

// slowStartBatch calls fn for 0..count-1 in parallel batches of initial,
// 2*initial, ... (at most maxBatch), and stops after the first batch with
// errors: a failing create (quota, admission) costs few calls.
func slowStartBatch(count, initial int, fn func(i int) (bool, error)) error {
	next := 0
	for batch := min(count, initial); batch > 0; batch = min(2*batch, count-next, maxBatch) {
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			errs []error
		)
		for i := next; i < next+batch; i++ {
			wg.Go(func() {
				if _, err := fn(i); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		next += batch
		if len(errs) > 0 {
			return errors.Join(errs...)
		}
	}
	return nil
}
