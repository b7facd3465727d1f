package disruption

import (
	"context"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	appsinformers "k8s.io/client-go/informers/apps/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	policyinformers "k8s.io/client-go/informers/policy/v1"
	"k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	policylisters "k8s.io/client-go/listers/policy/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/kubeshim/kubeshim/controllers/queue"
)

// DeletionTimeout is how long a pod the eviction subresource let go may
// linger in status.disruptedPods before it is presumed not deleted after all
// and counts as healthy again, as upstream.
const DeletionTimeout = 2 * time.Minute

// Controller writes PodDisruptionBudget status.
type Controller struct {
	client  kubernetes.Interface
	budgets policylisters.PodDisruptionBudgetLister
	pods    corelisters.PodLister
	rcs     corelisters.ReplicationControllerLister
	rss     appslisters.ReplicaSetLister
	deploys appslisters.DeploymentLister
	sets    appslisters.StatefulSetLister
	synced  []cache.InformerSynced
	clock   clock.PassiveClock
	queue   *queue.Queue
}

// New returns the controller on the shared informers.
func New(client kubernetes.Interface, budgets policyinformers.PodDisruptionBudgetInformer, pods coreinformers.PodInformer,
	rcs coreinformers.ReplicationControllerInformer, rss appsinformers.ReplicaSetInformer,
	deploys appsinformers.DeploymentInformer, sets appsinformers.StatefulSetInformer) *Controller {
	return newController(client, budgets, pods, rcs, rss, deploys, sets, clock.RealClock{})
}

func newController(client kubernetes.Interface, budgets policyinformers.PodDisruptionBudgetInformer, pods coreinformers.PodInformer,
	rcs coreinformers.ReplicationControllerInformer, rss appsinformers.ReplicaSetInformer,
	deploys appsinformers.DeploymentInformer, sets appsinformers.StatefulSetInformer, clk clock.PassiveClock) *Controller {
	c := &Controller{
		client:  client,
		budgets: budgets.Lister(),
		pods:    pods.Lister(),
		rcs:     rcs.Lister(),
		rss:     rss.Lister(),
		deploys: deploys.Lister(),
		sets:    sets.Lister(),
		synced: []cache.InformerSynced{
			budgets.Informer().HasSynced, pods.Informer().HasSynced, rcs.Informer().HasSynced,
			rss.Informer().HasSynced, deploys.Informer().HasSynced, sets.Informer().HasSynced,
		},
		clock: clk,
	}
	c.queue = queue.New("disruption", c.sync)
	_, _ = budgets.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueueBudget,
		UpdateFunc: func(_, obj any) { c.enqueueBudget(obj) },
		DeleteFunc: c.enqueueBudget,
	})
	// A pod whose labels changed may have left one budget for another:
	// both hear of it. As upstream, the workload controllers are not
	// watched: a change of replicas reaches the budget through its pods.
	_, _ = pods.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: c.enqueuePod,
		UpdateFunc: func(old, obj any) {
			c.enqueuePod(old)
			c.enqueuePod(obj)
		},
		DeleteFunc: c.enqueuePod,
	})
	return c
}

// Run processes budgets until ctx is done.
func (c *Controller) Run(ctx context.Context, workers int) {
	klog.FromContext(ctx).Info("Starting controller", "controller", "disruption")
	c.queue.Run(ctx, workers, c.synced...)
}

func (c *Controller) enqueueBudget(obj any) {
	if pdb, ok := queue.Unwrap(obj).(*policyv1.PodDisruptionBudget); ok {
		c.queue.Add(queue.Key(pdb.Namespace, pdb.Name))
	}
}

// enqueuePod queues every budget that selects the pod. Upstream queues one
// of them; queueing all costs only a sync each.
func (c *Controller) enqueuePod(obj any) {
	pod, ok := queue.Unwrap(obj).(*corev1.Pod)
	if !ok {
		return
	}
	budgets, err := c.budgets.PodDisruptionBudgets(pod.Namespace).List(labels.Everything())
	if err != nil {
		return
	}
	for _, pdb := range budgets {
		sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
		if err == nil && sel.Matches(labels.Set(pod.Labels)) {
			c.queue.Add(queue.Key(pdb.Namespace, pdb.Name))
		}
	}
}

// sync recomputes one budget's status. A budget whose status cannot be
// computed is written as allowing no disruption (SyncFailed), as upstream,
// so that evictions stop rather than trust stale counts.
func (c *Controller) sync(ctx context.Context, key string) (time.Duration, error) {
	logger := klog.FromContext(ctx)
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, nil
	}
	pdb, err := c.budgets.PodDisruptionBudgets(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	recheck, err := c.trySync(ctx, pdb)
	if apierrors.IsConflict(err) {
		return 0, err
	}
	if err != nil {
		logger.Error(err, "Failed to sync PodDisruptionBudget", "podDisruptionBudget", klog.KObj(pdb))
		return 0, c.failSafe(ctx, pdb, err)
	}
	return recheck, nil
}

// trySync writes the budget's status if it changed, and returns when the
// earliest disruptedPods entry expires so the budget is looked at again then.
func (c *Controller) trySync(ctx context.Context, pdb *policyv1.PodDisruptionBudget) (time.Duration, error) {
	sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
	if err != nil {
		return 0, fmt.Errorf("selector: %w", err)
	}
	pods, err := c.pods.Pods(pdb.Namespace).List(sel)
	if err != nil {
		return 0, err
	}
	expected, desired, unmanaged, err := c.expectedPods(pdb, pods)
	if err != nil {
		return 0, err
	}
	if len(unmanaged) > 0 {
		klog.FromContext(ctx).V(4).Info("Found unmanaged pods for PodDisruptionBudget", "podDisruptionBudget", klog.KObj(pdb), "pods", unmanaged)
	}
	now := c.clock.Now()
	disrupted, recheck := disruptedPods(pdb, pods, now)
	status := computeStatus(pdb, healthy(pods, disrupted, now), desired, expected, disrupted)
	if upToDate(pdb, status) {
		return recheck, nil
	}
	fresh := pdb.DeepCopy()
	fresh.Status = status
	if _, err := c.client.PolicyV1().PodDisruptionBudgets(pdb.Namespace).UpdateStatus(ctx, fresh, metav1.UpdateOptions{}); err != nil {
		return 0, fmt.Errorf("update status of %s/%s: %w", pdb.Namespace, pdb.Name, err)
	}
	return recheck, nil
}

// computeStatus is the budget's new status; conditions other than
// DisruptionAllowed are kept.
func computeStatus(pdb *policyv1.PodDisruptionBudget, current, desired, expected int32, disrupted map[string]metav1.Time) policyv1.PodDisruptionBudgetStatus {
	allowed := current - desired
	if expected <= 0 || allowed < 0 {
		allowed = 0
	}
	s := policyv1.PodDisruptionBudgetStatus{
		ObservedGeneration: pdb.Generation,
		DisruptedPods:      disrupted,
		DisruptionsAllowed: allowed,
		CurrentHealthy:     current,
		DesiredHealthy:     desired,
		ExpectedPods:       expected,
		Conditions:         slices.Clone(pdb.Status.Conditions),
	}
	if s.Conditions == nil {
		s.Conditions = []metav1.Condition{}
	}
	cond := metav1.Condition{
		Type:               policyv1.DisruptionAllowedCondition,
		Status:             metav1.ConditionFalse,
		Reason:             policyv1.InsufficientPodsReason,
		ObservedGeneration: pdb.Generation,
	}
	if allowed > 0 {
		cond.Status, cond.Reason = metav1.ConditionTrue, policyv1.SufficientPodsReason
	}
	apimeta.SetStatusCondition(&s.Conditions, cond)
	return s
}

// upToDate reports whether writing status would change nothing that
// matters; the condition's timestamps and message are not compared.
func upToDate(pdb *policyv1.PodDisruptionBudget, s policyv1.PodDisruptionBudgetStatus) bool {
	old := pdb.Status
	if old.ObservedGeneration != s.ObservedGeneration || old.CurrentHealthy != s.CurrentHealthy ||
		old.DesiredHealthy != s.DesiredHealthy || old.ExpectedPods != s.ExpectedPods ||
		old.DisruptionsAllowed != s.DisruptionsAllowed || !equality.Semantic.DeepEqual(old.DisruptedPods, s.DisruptedPods) {
		return false
	}
	have := apimeta.FindStatusCondition(old.Conditions, policyv1.DisruptionAllowedCondition)
	want := apimeta.FindStatusCondition(s.Conditions, policyv1.DisruptionAllowedCondition)
	return have != nil && have.Status == want.Status && have.Reason == want.Reason
}

// failSafe records that the budget's status could not be computed and
// allows no disruption. It keeps observedGeneration, so an eviction of a
// budget never synced is still told to come back later.
func (c *Controller) failSafe(ctx context.Context, pdb *policyv1.PodDisruptionBudget, cause error) error {
	fresh := pdb.DeepCopy()
	fresh.Status.DisruptionsAllowed = 0
	if fresh.Status.Conditions == nil {
		fresh.Status.Conditions = []metav1.Condition{}
	}
	apimeta.SetStatusCondition(&fresh.Status.Conditions, metav1.Condition{
		Type:               policyv1.DisruptionAllowedCondition,
		Status:             metav1.ConditionFalse,
		Reason:             policyv1.SyncFailedReason,
		Message:            cause.Error(),
		ObservedGeneration: fresh.Status.ObservedGeneration,
	})
	_, err := c.client.PolicyV1().PodDisruptionBudgets(pdb.Namespace).UpdateStatus(ctx, fresh, metav1.UpdateOptions{})
	return err
}

// expectedPods returns how many pods the budget expects and how many of them
// must be healthy. Only minAvailable as a number is met without the pods'
// controllers; unmanaged lists the pods without one, which a scaled budget
// cannot account for.
func (c *Controller) expectedPods(pdb *policyv1.PodDisruptionBudget, pods []*corev1.Pod) (expected, desired int32, unmanaged []string, err error) {
	switch {
	case pdb.Spec.MaxUnavailable != nil:
		expected, unmanaged, err = c.scale(pods)
		if err != nil {
			return 0, 0, nil, err
		}
		maxUnavailable, err := intstr.GetScaledValueFromIntOrPercent(pdb.Spec.MaxUnavailable, int(expected), true)
		if err != nil {
			return 0, 0, nil, err
		}
		return expected, max(expected-int32(maxUnavailable), 0), unmanaged, nil
	case pdb.Spec.MinAvailable != nil && pdb.Spec.MinAvailable.Type == intstr.Int:
		return int32(len(pods)), pdb.Spec.MinAvailable.IntVal, nil, nil
	case pdb.Spec.MinAvailable != nil:
		expected, unmanaged, err = c.scale(pods)
		if err != nil {
			return 0, 0, nil, err
		}
		minAvailable, err := intstr.GetScaledValueFromIntOrPercent(pdb.Spec.MinAvailable, int(expected), true)
		if err != nil {
			return 0, 0, nil, err
		}
		return expected, int32(minAvailable), unmanaged, nil
	}
	return 0, 0, nil, nil
}

// scale sums the replicas of the pods' controllers, each counted once.
func (c *Controller) scale(pods []*corev1.Pod) (int32, []string, error) {
	replicas := map[types.UID]int32{}
	var unmanaged []string
	for _, pod := range pods {
		ref := metav1.GetControllerOf(pod)
		if ref == nil {
			unmanaged = append(unmanaged, pod.Name)
			continue
		}
		if _, seen := replicas[ref.UID]; seen {
			continue
		}
		uid, n, found, err := c.controllerScale(ref, pod.Namespace)
		if err != nil {
			return 0, nil, err
		}
		if !found {
			return 0, nil, fmt.Errorf("found no controllers for pod %q", pod.Name)
		}
		replicas[uid] = n
	}
	var total int32
	for _, n := range replicas {
		total += n
	}
	return total, unmanaged, nil
}

// controllerScale finds the workload a pod's controller reference leads to
// and its desired replicas. A ReplicaSet owned by a Deployment stands for
// the Deployment, whose replicas are what the user asked for during a
// rollout. A reference to an object that is gone or was recreated finds
// nothing.
func (c *Controller) controllerScale(ref *metav1.OwnerReference, namespace string) (types.UID, int32, bool, error) {
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil {
		return "", 0, false, err
	}
	switch {
	case ref.Kind == "ReplicationController" && gv.Group == "":
		rc, err := c.rcs.ReplicationControllers(namespace).Get(ref.Name)
		if err != nil || rc.UID != ref.UID {
			return "", 0, false, nil
		}
		return rc.UID, replicas(rc.Spec.Replicas), true, nil
	case ref.Kind == "StatefulSet" && gv.Group == "apps":
		ss, err := c.sets.StatefulSets(namespace).Get(ref.Name)
		if err != nil || ss.UID != ref.UID {
			return "", 0, false, nil
		}
		return ss.UID, replicas(ss.Spec.Replicas), true, nil
	case ref.Kind == "ReplicaSet" && (gv.Group == "apps" || gv.Group == "extensions"):
		rs, err := c.rss.ReplicaSets(namespace).Get(ref.Name)
		if err != nil || rs.UID != ref.UID {
			return "", 0, false, nil
		}
		owner := metav1.GetControllerOf(rs)
		if owner == nil {
			return rs.UID, replicas(rs.Spec.Replicas), true, nil
		}
		if owner.Kind != "Deployment" {
			return rs.UID, replicas(rs.Spec.Replicas), true, nil
		}
		ogv, err := schema.ParseGroupVersion(owner.APIVersion)
		if err != nil {
			return "", 0, false, err
		}
		if ogv.Group != "apps" && ogv.Group != "extensions" {
			return "", 0, false, nil
		}
		d, err := c.deploys.Deployments(namespace).Get(owner.Name)
		if err != nil || d.UID != owner.UID {
			return "", 0, false, nil
		}
		return d.UID, replicas(d.Spec.Replicas), true, nil
	}
	return "", 0, false, nil
}

// replicas defaults an unset count to 1, as the API server would have.
func replicas(n *int32) int32 {
	if n == nil {
		return 1
	}
	return *n
}

// disruptedPods keeps the budget's disruptedPods entries for pods that still
// exist, are not yet being deleted and were evicted less than
// DeletionTimeout ago, and returns how long until the first of them expires.
func disruptedPods(pdb *policyv1.PodDisruptionBudget, pods []*corev1.Pod, now time.Time) (map[string]metav1.Time, time.Duration) {
	out := map[string]metav1.Time{}
	var recheck time.Duration
	for _, pod := range pods {
		if pod.DeletionTimestamp != nil {
			continue
		}
		at, ok := pdb.Status.DisruptedPods[pod.Name]
		if !ok {
			continue
		}
		left := at.Add(DeletionTimeout).Sub(now)
		if left <= 0 {
			continue
		}
		out[pod.Name] = at
		if recheck == 0 || left < recheck {
			recheck = left
		}
	}
	return out, recheck
}

// healthy counts the pods that are Ready, not terminating and not on their
// way out through an eviction.
func healthy(pods []*corev1.Pod, disrupted map[string]metav1.Time, now time.Time) int32 {
	var n int32
	for _, pod := range pods {
		if pod.DeletionTimestamp != nil {
			continue
		}
		if at, ok := disrupted[pod.Name]; ok && at.Add(DeletionTimeout).After(now) {
			continue
		}
		if ready(pod) {
			n++
		}
	}
	return n
}

func ready(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
