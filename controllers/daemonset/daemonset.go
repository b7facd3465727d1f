package daemonset

import (
	"context"
	"fmt"
	"reflect"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	appsinformers "k8s.io/client-go/informers/apps/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/flowcontrol"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/kubeshim/kubeshim/controllers/expectations"
	"github.com/kubeshim/kubeshim/controllers/owner"
	"github.com/kubeshim/kubeshim/controllers/queue"
)

const (
	// BurstReplicas caps the pod creates or deletes of one sync, as
	// upstream: a DaemonSet on thousands of nodes must not flood the API.
	BurstReplicas = 250

	// Upstream's event reasons.
	SelectingAllReason       = "SelectingAll"
	FailedDaemonPodReason    = "FailedDaemonPod"
	SucceededDaemonPodReason = "SucceededDaemonPod"
	SuccessfulCreateReason   = "SuccessfulCreate"
	FailedCreateReason       = "FailedCreate"
	SuccessfulDeleteReason   = "SuccessfulDelete"
	FailedDeleteReason       = "FailedDelete"

	// failedPodsBackoffInitial and failedPodsBackoffMax are
	// kube-controller-manager's back-off for replacing failed daemon pods.
	failedPodsBackoffInitial = time.Second
	failedPodsBackoffMax     = 15 * time.Minute
	backoffGCInterval        = time.Minute

	// podOwnerIndex indexes pods a DaemonSet controls by "<namespace>/<uid>"
	// and orphans by "<namespace>": the pods a DaemonSet may claim.
	podOwnerIndex = "kubeshim.io/daemonset-pod-owner"
	// podNodeIndex indexes pods a DaemonSet controls by the node they are
	// for, bound or not.
	podNodeIndex = "kubeshim.io/daemonset-pod-node"
)

// controllerKind names DaemonSets in their pods' and revisions' ownerReferences.
var controllerKind = appsv1.SchemeGroupVersion.WithKind("DaemonSet")

// Controller runs DaemonSets' pods.
type Controller struct {
	client      kubernetes.Interface
	daemonSets  appslisters.DaemonSetLister
	revisions   appslisters.ControllerRevisionLister
	pods        cache.Indexer
	nodes       corelisters.NodeLister
	synced      []cache.InformerSynced
	clock       clock.Clock
	exp         *expectations.Counting
	burst       int
	recorder    record.EventRecorder
	broadcaster record.EventBroadcaster // nil when the recorder came from the caller (tests)
	// failedPods spaces out the replacements of failed pods per DaemonSet,
	// generation and node.
	failedPods *flowcontrol.Backoff
	queue      *queue.Queue
	// nodeQueue holds node names whose labels or taints changed; its sync
	// enqueues the DaemonSets that must act on the change.
	nodeQueue *queue.Queue
}

// New returns a daemon set controller on the shared informers. Call it
// before the informers start: it adds indexes to the pod informer.
func New(client kubernetes.Interface, daemonSets appsinformers.DaemonSetInformer, revisions appsinformers.ControllerRevisionInformer,
	pods coreinformers.PodInformer, nodes coreinformers.NodeInformer) *Controller {
	broadcaster := record.NewBroadcaster()
	c := newController(client, daemonSets, revisions, pods, nodes, clock.RealClock{},
		broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "daemonset-controller"}))
	c.broadcaster = broadcaster
	return c
}

func newController(client kubernetes.Interface, daemonSets appsinformers.DaemonSetInformer, revisions appsinformers.ControllerRevisionInformer,
	pods coreinformers.PodInformer, nodes coreinformers.NodeInformer, clk clock.Clock, recorder record.EventRecorder) *Controller {
	c := &Controller{
		client:     client,
		daemonSets: daemonSets.Lister(),
		revisions:  revisions.Lister(),
		pods:       pods.Informer().GetIndexer(),
		nodes:      nodes.Lister(),
		synced: []cache.InformerSynced{daemonSets.Informer().HasSynced, revisions.Informer().HasSynced,
			pods.Informer().HasSynced, nodes.Informer().HasSynced},
		clock:      clk,
		exp:        expectations.NewCounting(clk),
		burst:      BurstReplicas,
		recorder:   recorder,
		failedPods: flowcontrol.NewBackOff(failedPodsBackoffInitial, failedPodsBackoffMax),
	}
	c.failedPods.Clock = clk
	c.queue = queue.New("daemonset", c.sync)
	c.nodeQueue = queue.New("daemonset-node", c.syncNode)
	// An error means the informer already started; the controller cannot
	// work then, and that is a programming error.
	if err := pods.Informer().AddIndexers(cache.Indexers{podOwnerIndex: podOwnerKeys, podNodeIndex: podNodeKeys}); err != nil {
		panic(fmt.Sprintf("add daemon set pod indexes: %v", err))
	}
	_, _ = daemonSets.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueue,
		UpdateFunc: c.daemonSetUpdated,
		DeleteFunc: c.daemonSetDeleted,
	})
	_, _ = revisions.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.revisionAdded,
		UpdateFunc: c.revisionUpdated,
		DeleteFunc: c.revisionDeleted,
	})
	_, _ = pods.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.podAdded,
		UpdateFunc: c.podUpdated,
		DeleteFunc: c.podDeleted,
	})
	_, _ = nodes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.nodeAdded,
		UpdateFunc: c.nodeUpdated,
		DeleteFunc: c.nodeDeleted,
	})
	return c
}

// Run processes DaemonSets until ctx is done.
func (c *Controller) Run(ctx context.Context, workers int) {
	if c.broadcaster != nil {
		c.broadcaster.StartStructuredLogging(3)
		c.broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: c.client.CoreV1().Events("")})
		defer c.broadcaster.Shutdown()
	}
	klog.FromContext(ctx).Info("Starting controller", "controller", "daemonset")
	go c.nodeQueue.Run(ctx, workers, c.synced...)
	go wait.Until(c.failedPods.GC, backoffGCInterval, ctx.Done())
	c.queue.Run(ctx, workers, c.synced...)
}

func ownerKey(namespace string, uid types.UID) string { return namespace + "/" + string(uid) }

func podOwnerKeys(obj any) ([]string, error) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return nil, nil
	}
	ref := metav1.GetControllerOfNoCopy(pod)
	switch {
	case ref == nil:
		return []string{pod.Namespace}, nil
	case ref.Kind == controllerKind.Kind:
		return []string{ownerKey(pod.Namespace, ref.UID)}, nil
	}
	return nil, nil
}

func podNodeKeys(obj any) ([]string, error) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return nil, nil
	}
	if ref := metav1.GetControllerOfNoCopy(pod); ref == nil || ref.Kind != controllerKind.Kind {
		return nil, nil
	}
	node, err := targetNode(pod)
	if err != nil {
		// Not a pod this controller made: it cannot be on a node yet.
		return nil, nil
	}
	return []string{node}, nil
}

func (c *Controller) enqueue(obj any) {
	if ds, ok := queue.Unwrap(obj).(*appsv1.DaemonSet); ok {
		c.queue.Add(queue.Key(ds.Namespace, ds.Name))
	}
}

func (c *Controller) daemonSetUpdated(oldObj, newObj any) {
	old, cur := oldObj.(*appsv1.DaemonSet), newObj.(*appsv1.DaemonSet)
	if old.UID != cur.UID {
		// Deleted and recreated under the same name between two
		// observations: what was expected of the old one is moot.
		c.exp.Forget(queue.Key(old.Namespace, old.Name))
	}
	// Resyncs are not filtered: they are the last resort that brings
	// status up to date with nodes deleted meanwhile.
	c.enqueue(cur)
}

func (c *Controller) daemonSetDeleted(obj any) {
	ds, ok := queue.Unwrap(obj).(*appsv1.DaemonSet)
	if !ok {
		return
	}
	c.exp.Forget(queue.Key(ds.Namespace, ds.Name))
	c.enqueue(ds)
}

// resolve returns the DaemonSet a controllerRef names, if it still is the
// same object.
func (c *Controller) resolve(namespace string, ref *metav1.OwnerReference) *appsv1.DaemonSet {
	return owner.Resolve(ref, controllerKind.Kind, c.daemonSets.DaemonSets(namespace).Get)
}

func (c *Controller) revisionAdded(obj any) {
	cr := obj.(*appsv1.ControllerRevision)
	if cr.DeletionTimestamp != nil {
		c.revisionDeleted(cr)
		return
	}
	if ref := metav1.GetControllerOfNoCopy(cr); ref != nil {
		// The DaemonSet made it itself, or will see it on its next sync.
		return
	}
	// An orphan: the DaemonSets selecting it may adopt it.
	dss, _ := c.daemonSets.GetHistoryDaemonSets(cr)
	for _, ds := range dss {
		c.enqueue(ds)
	}
}

func (c *Controller) revisionUpdated(oldObj, newObj any) {
	old, cur := oldObj.(*appsv1.ControllerRevision), newObj.(*appsv1.ControllerRevision)
	if old.ResourceVersion == cur.ResourceVersion {
		return
	}
	curRef, oldRef := metav1.GetControllerOfNoCopy(cur), metav1.GetControllerOfNoCopy(old)
	refChanged := !reflect.DeepEqual(curRef, oldRef)
	if refChanged && oldRef != nil {
		if ds := c.resolve(old.Namespace, oldRef); ds != nil {
			c.enqueue(ds)
		}
	}
	if curRef != nil {
		if ds := c.resolve(cur.Namespace, curRef); ds != nil {
			c.enqueue(ds)
		}
		return
	}
	if refChanged || !reflect.DeepEqual(cur.Labels, old.Labels) {
		dss, _ := c.daemonSets.GetHistoryDaemonSets(cur)
		for _, ds := range dss {
			c.enqueue(ds)
		}
	}
}

func (c *Controller) revisionDeleted(obj any) {
	cr, ok := queue.Unwrap(obj).(*appsv1.ControllerRevision)
	if !ok {
		return
	}
	if ref := metav1.GetControllerOfNoCopy(cr); ref != nil {
		if ds := c.resolve(cr.Namespace, ref); ds != nil {
			c.enqueue(ds)
		}
	}
}

func (c *Controller) podAdded(obj any) {
	pod := obj.(*corev1.Pod)
	if pod.DeletionTimestamp != nil {
		// Seen for the first time already terminating (an informer
		// restart): it must not count as a create of ours.
		c.podDeleted(pod)
		return
	}
	if ref := metav1.GetControllerOfNoCopy(pod); ref != nil {
		if ds := c.resolve(pod.Namespace, ref); ds != nil {
			c.exp.CreationObserved(queue.Key(ds.Namespace, ds.Name))
			c.enqueue(ds)
		}
		return
	}
	dss, _ := c.daemonSets.GetPodDaemonSets(pod)
	for _, ds := range dss {
		c.enqueue(ds)
	}
}

func (c *Controller) podUpdated(oldObj, newObj any) {
	old, cur := oldObj.(*corev1.Pod), newObj.(*corev1.Pod)
	if old.ResourceVersion == cur.ResourceVersion {
		return
	}
	if cur.DeletionTimestamp != nil {
		// A graceful delete began: count it as the delete the DaemonSet
		// expects, so that it goes on without waiting for the grace period.
		c.podDeleted(cur)
		return
	}
	curRef, oldRef := metav1.GetControllerOfNoCopy(cur), metav1.GetControllerOfNoCopy(old)
	refChanged := !reflect.DeepEqual(curRef, oldRef)
	if refChanged && oldRef != nil {
		if ds := c.resolve(old.Namespace, oldRef); ds != nil {
			c.enqueue(ds)
		}
	}
	if curRef != nil {
		// A pod that became ready with minReadySeconds is followed up by
		// the sync itself, which asks to come back when it is available.
		if ds := c.resolve(cur.Namespace, curRef); ds != nil {
			c.enqueue(ds)
		}
		return
	}
	if refChanged || !reflect.DeepEqual(cur.Labels, old.Labels) {
		dss, _ := c.daemonSets.GetPodDaemonSets(cur)
		for _, ds := range dss {
			c.enqueue(ds)
		}
	}
}

func (c *Controller) podDeleted(obj any) {
	pod, ok := queue.Unwrap(obj).(*corev1.Pod)
	if !ok {
		return
	}
	ref := metav1.GetControllerOfNoCopy(pod)
	if ref == nil {
		return
	}
	if ds := c.resolve(pod.Namespace, ref); ds != nil {
		c.exp.DeletionObserved(queue.Key(ds.Namespace, ds.Name))
		c.enqueue(ds)
	}
}

func (c *Controller) nodeAdded(obj any) {
	if node, ok := obj.(*corev1.Node); ok {
		c.nodeQueue.Add(node.Name)
	}
}

// nodeUpdated looks at labels and taints only: they are all eligibility
// depends on. Readiness and heartbeats change nothing here.
func (c *Controller) nodeUpdated(oldObj, newObj any) {
	old, cur := oldObj.(*corev1.Node), newObj.(*corev1.Node)
	if apiequality.Semantic.DeepEqual(old.Labels, cur.Labels) && apiequality.Semantic.DeepEqual(old.Spec.Taints, cur.Spec.Taints) {
		return
	}
	c.nodeQueue.Add(cur.Name)
}

// nodeDeleted syncs every DaemonSet: each that counted the node must count
// it no more, and unscheduled pods for it are deleted. Upstream has no
// handler and waits for the next event, usually the pod garbage collector
// deleting the node's pods; node deletions are rare enough to sync all.
func (c *Controller) nodeDeleted(obj any) {
	if _, ok := queue.Unwrap(obj).(*corev1.Node); !ok {
		return
	}
	dss, err := c.daemonSets.List(labels.Everything())
	if err != nil {
		return
	}
	for _, ds := range dss {
		c.enqueue(ds)
	}
}

// syncNode enqueues the DaemonSets that must act on a node's new labels or
// taints: those that should start a pod there and have none, those whose
// pod there should not be (it must go, or at least count as
// misscheduled), and those whose misscheduled count may drop. Upstream
// leaves out a pod that may stay but no longer should run (a new NoSchedule
// taint), whose status then waits for another event.
func (c *Controller) syncNode(ctx context.Context, name string) (time.Duration, error) {
	logger := klog.FromContext(ctx)
	node, err := c.nodes.Get(name)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("get node %s: %w", name, err)
	}
	dss, err := c.daemonSets.List(labels.Everything())
	if err != nil {
		return 0, fmt.Errorf("list daemon sets: %w", err)
	}
	objs, err := c.pods.ByIndex(podNodeIndex, name)
	if err != nil {
		return 0, fmt.Errorf("list pods on node %s: %w", name, err)
	}
	owners := map[types.UID]bool{}
	for _, o := range objs {
		if ref := metav1.GetControllerOfNoCopy(o.(*corev1.Pod)); ref != nil {
			owners[ref.UID] = true
		}
	}
	for _, ds := range dss {
		shouldRun, _ := newPlacement(ds).check(logger, node)
		scheduled := owners[ds.UID]
		if shouldRun != scheduled || (scheduled && ds.Status.NumberMisscheduled > 0) {
			c.enqueue(ds)
		}
	}
	return 0, nil
}

// sync reconciles one DaemonSet: its revisions, then (unless earlier writes
// are still unseen) its pods node by node and the rolling update, the
// revision history, and always its status.
func (c *Controller) sync(ctx context.Context, k string) (time.Duration, error) {
	logger := klog.FromContext(ctx)
	namespace, name, err := cache.SplitMetaNamespaceKey(k)
	if err != nil {
		return 0, nil
	}
	ds, err := c.daemonSets.DaemonSets(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		c.exp.Forget(k)
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if reflect.DeepEqual(ds.Spec.Selector, &metav1.LabelSelector{}) {
		// Validation refuses this; a DaemonSet that has it anyway must not
		// take over every pod of its namespace.
		c.recorder.Eventf(ds, corev1.EventTypeWarning, SelectingAllReason, "This daemon set is selecting all pods. A non-empty selector is required.")
		return 0, nil
	}
	if ds.DeletionTimestamp != nil {
		// Its revisions may be gone already (the garbage collector does
		// not order them after the pods): no status can be trusted.
		return 0, nil
	}
	nodes, err := c.nodes.List(labels.Everything())
	if err != nil {
		return 0, fmt.Errorf("list nodes: %w", err)
	}
	// Claimed once for the whole sync: adoptions are not patched again
	// for every step, and the cache would not show this sync's own
	// creates and deletes anyway.
	pods, err := c.claimPods(ctx, ds)
	if err != nil {
		return 0, fmt.Errorf("claim pods of daemon set %s: %w", k, err)
	}
	cur, old, err := c.constructHistory(ctx, ds, pods)
	if err != nil {
		return 0, fmt.Errorf("construct revisions of daemon set %s: %w", k, err)
	}
	hash := cur.Labels[appsv1.DefaultDaemonSetUniqueLabelKey]

	if !c.exp.Satisfied(k) {
		// Only status, and without observedGeneration: this generation
		// was not acted on.
		after, err := c.updateStatus(ctx, ds, pods, nodes, hash, false)
		if err != nil {
			return 0, fmt.Errorf("update status of daemon set %s: %w", k, err)
		}
		return after, nil
	}
	after, err := c.reconcile(ctx, ds, pods, nodes, hash, k, old)
	statusAfter, statusErr := c.updateStatus(ctx, ds, pods, nodes, hash, true)
	switch {
	case apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause):
		// Nothing can be created in a terminating namespace; retrying
		// would not help.
		err = nil
	case err != nil && statusErr != nil:
		logger.Error(statusErr, "Failed to update status", "daemonset", klog.KObj(ds))
	}
	if err != nil {
		return 0, fmt.Errorf("sync daemon set %s: %w", k, err)
	}
	if statusErr != nil {
		return 0, fmt.Errorf("update status of daemon set %s: %w", k, statusErr)
	}
	return earliest(after, statusAfter), nil
}

// reconcile creates and deletes pods node by node, then rolls out the
// current revision if the pods are settled, then deletes old revisions.
func (c *Controller) reconcile(ctx context.Context, ds *appsv1.DaemonSet, pods []*corev1.Pod, nodes []*corev1.Node, hash, k string, old []*appsv1.ControllerRevision) (time.Duration, error) {
	after, err := c.manage(ctx, ds, pods, nodes, hash)
	if err != nil {
		return 0, err
	}
	// Only once manage has nothing in flight: the rollout's arithmetic
	// assumes one settled pod per node.
	if c.exp.Satisfied(k) && ds.Spec.UpdateStrategy.Type == appsv1.RollingUpdateDaemonSetStrategyType {
		if err := c.rollingUpdate(ctx, ds, pods, nodes, hash); err != nil {
			return 0, err
		}
	}
	if err := c.cleanupHistory(ctx, ds, pods, old); err != nil {
		return 0, fmt.Errorf("clean up revisions: %w", err)
	}
	return after, nil
}

// earliest is the shorter of two positive requeue delays; 0 means none.
func earliest(a, b time.Duration) time.Duration {
	switch {
	case a <= 0:
		return b
	case b <= 0:
		return a
	}
	return min(a, b)
}
