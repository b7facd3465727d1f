package tainteviction

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/kubeshim/kubeshim/controllers/nodepods"
	"github.com/kubeshim/kubeshim/controllers/queue"
)

const (
	// Name is upstream's controller name, the source of its events.
	Name = "taint-eviction-controller"
	// EventReason is the reason of the controller's events.
	EventReason = "TaintManagerEviction"
	// DisruptionReason is the DisruptionTarget condition's reason.
	DisruptionReason = "DeletionByTaintManager"
)

// Controller evicts pods from nodes with NoExecute taints.
type Controller struct {
	client   kubernetes.Interface
	pods     corelisters.PodLister
	byNode   cache.Indexer
	nodes    corelisters.NodeLister
	synced   []cache.InformerSynced
	clock    clock.PassiveClock
	recorder record.EventRecorder
	// broadcaster is nil when the recorder is a test's.
	broadcaster record.EventBroadcaster
	queue       *queue.Queue

	mu sync.Mutex
	// scheduled holds the evictions waiting for a toleration to run out,
	// by pod key. An eviction is cancelled by removing it.
	scheduled map[string]eviction
}

// eviction is a pod's pending deletion.
type eviction struct {
	uid types.UID
	// since is when the controller first saw the pod tolerate the taints
	// for a limited time: the tolerations count from then.
	since time.Time
}

// New returns the controller on the shared informers. Call it before the
// informers start: it indexes pods by node.
func New(client kubernetes.Interface, pods coreinformers.PodInformer, nodes coreinformers.NodeInformer) *Controller {
	b := record.NewBroadcaster()
	c := newController(client, pods, nodes, clock.RealClock{}, b.NewRecorder(scheme.Scheme, corev1.EventSource{Component: Name}))
	c.broadcaster = b
	return c
}

func newController(client kubernetes.Interface, pods coreinformers.PodInformer, nodes coreinformers.NodeInformer, clk clock.PassiveClock, recorder record.EventRecorder) *Controller {
	c := &Controller{
		client:    client,
		pods:      pods.Lister(),
		byNode:    nodepods.Index(pods),
		nodes:     nodes.Lister(),
		synced:    []cache.InformerSynced{pods.Informer().HasSynced, nodes.Informer().HasSynced},
		clock:     clk,
		recorder:  recorder,
		scheduled: map[string]eviction{},
	}
	c.queue = queue.New("taint-eviction", c.sync)
	_, _ = pods.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { c.enqueuePod(obj) },
		UpdateFunc: c.podUpdated,
		DeleteFunc: c.enqueuePod,
	})
	_, _ = nodes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueueNodePods,
		UpdateFunc: c.nodeUpdated,
		DeleteFunc: c.enqueueNodePods,
	})
	return c
}

// Run evicts pods until ctx is done.
func (c *Controller) Run(ctx context.Context, workers int) {
	klog.FromContext(ctx).Info("Starting controller", "controller", Name)
	if c.broadcaster != nil {
		c.broadcaster.StartStructuredLogging(3)
		c.broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: c.client.CoreV1().Events("")})
		defer c.broadcaster.Shutdown()
	}
	c.queue.Run(ctx, workers, c.synced...)
}

func (c *Controller) enqueuePod(obj any) {
	if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
		c.queue.Add(key)
	}
}

// podUpdated queues a pod whose node or tolerations changed: nothing else
// about a pod bears on its eviction.
func (c *Controller) podUpdated(oldObj, newObj any) {
	old, cur := oldObj.(*corev1.Pod), newObj.(*corev1.Pod)
	if old.Spec.NodeName == cur.Spec.NodeName && apiequality.Semantic.DeepEqual(old.Spec.Tolerations, cur.Spec.Tolerations) {
		return
	}
	c.enqueuePod(cur)
}

func (c *Controller) nodeUpdated(oldObj, newObj any) {
	old, cur := oldObj.(*corev1.Node), newObj.(*corev1.Node)
	if apiequality.Semantic.DeepEqual(noExecute(old.Spec.Taints), noExecute(cur.Spec.Taints)) {
		return
	}
	c.enqueueNodePods(cur)
}

func (c *Controller) enqueueNodePods(obj any) {
	node, ok := queue.Unwrap(obj).(*corev1.Node)
	if !ok {
		return
	}
	pods, err := nodepods.OnNode(c.byNode, node.Name)
	if err != nil {
		return
	}
	for _, p := range pods {
		c.queue.Add(p.Namespace + "/" + p.Name)
	}
}

// noExecute returns the NoExecute taints among taints.
func noExecute(taints []corev1.Taint) []corev1.Taint {
	var out []corev1.Taint
	for _, t := range taints {
		if t.Effect == corev1.TaintEffectNoExecute {
			out = append(out, t)
		}
	}
	return out
}

// tolerance reports whether tolerations tolerate every taint and, if so,
// for how long: the shortest tolerationSeconds of the tolerations that
// match (each taint's first match, as upstream), zero or less meaning not
// at all, and a negative duration meaning forever.
func tolerance(logger klog.Logger, taints []corev1.Taint, tolerations []corev1.Toleration) (bool, time.Duration) {
	shortest := int64(math.MaxInt64)
	for i := range taints {
		var match *corev1.Toleration
		for j := range tolerations {
			// Gt and Lt (TaintTolerationComparisonOperators) are alpha and
			// off in 1.37: they tolerate nothing.
			if tolerations[j].ToleratesTaint(logger, &taints[i], false) {
				match = &tolerations[j]
				break
			}
		}
		if match == nil {
			return false, 0
		}
		if s := match.TolerationSeconds; s != nil {
			if *s <= 0 {
				return true, 0
			}
			shortest = min(shortest, *s)
		}
	}
	if shortest == math.MaxInt64 {
		return true, -1
	}
	return true, time.Duration(shortest) * time.Second
}

// sync decides one pod's eviction: none, now, or when its shortest
// toleration runs out (asking to come back then).
func (c *Controller) sync(ctx context.Context, key string) (time.Duration, error) {
	logger := klog.FromContext(ctx)
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, nil
	}
	pod, err := c.pods.Pods(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		c.cancel(key)
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if pod.DeletionTimestamp != nil || pod.Spec.NodeName == "" {
		// Already going (perhaps by this controller's hand), or on no
		// node to be evicted from.
		c.forget(key)
		return 0, nil
	}
	node, err := c.nodes.Get(pod.Spec.NodeName)
	if apierrors.IsNotFound(err) {
		// The pod garbage collector deletes pods of a node that is gone.
		c.cancel(key)
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	taints := noExecute(node.Spec.Taints)
	if len(taints) == 0 {
		c.cancel(key)
		return 0, nil
	}
	all, d := tolerance(logger, taints, pod.Spec.Tolerations)
	if all && d < 0 {
		logger.V(4).Info("Pod tolerates its node's taints forever", "pod", klog.KObj(pod), "node", node.Name)
		c.cancel(key)
		return 0, nil
	}
	now := c.clock.Now()
	if all {
		c.mu.Lock()
		e, ok := c.scheduled[key]
		if !ok || e.uid != pod.UID {
			e = eviction{uid: pod.UID, since: now}
			c.scheduled[key] = e
		}
		c.mu.Unlock()
		if due := e.since.Add(d); now.Before(due) {
			if !ok {
				logger.V(2).Info("Pod tolerates its node's taints for a while", "pod", klog.KObj(pod), "node", node.Name, "until", due)
			}
			return due.Sub(now), nil
		}
	} else {
		logger.V(2).Info("Pod does not tolerate its node's NoExecute taints", "pod", klog.KObj(pod), "node", node.Name)
	}
	if err := c.evict(ctx, pod); err != nil {
		return 0, err
	}
	c.forget(key)
	return 0, nil
}

// evict marks the pod as a disruption target and deletes it.
func (c *Controller) evict(ctx context.Context, pod *corev1.Pod) error {
	logger := klog.FromContext(ctx)
	logger.Info("Deleting pod", "controller", Name, "pod", klog.KObj(pod))
	c.recorder.Eventf(podRef(pod.Namespace, pod.Name, pod.UID), corev1.EventTypeNormal, EventReason, "Marking for deletion Pod %s/%s", pod.Namespace, pod.Name)
	err := nodepods.Mark(ctx, c.client, pod, &corev1.PodCondition{
		Type:               corev1.DisruptionTarget,
		Status:             corev1.ConditionTrue,
		Reason:             DisruptionReason,
		Message:            "Taint manager: deleting due to NoExecute taint",
		LastTransitionTime: metav1.NewTime(c.clock.Now()),
	}, false)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	err = c.client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &pod.UID}})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return fmt.Errorf("delete pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	return nil
}

// cancel drops the pod's pending eviction, if any, with an event.
func (c *Controller) cancel(key string) {
	c.mu.Lock()
	e, ok := c.scheduled[key]
	delete(c.scheduled, key)
	c.mu.Unlock()
	if !ok {
		return
	}
	namespace, name, _ := cache.SplitMetaNamespaceKey(key)
	c.recorder.Eventf(podRef(namespace, name, e.uid), corev1.EventTypeNormal, EventReason, "Cancelling deletion of Pod %s", key)
}

// forget drops the pod's pending eviction without an event: the pod is
// going anyway.
func (c *Controller) forget(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.scheduled, key)
}

// podRef is the events' involvedObject; with the UID, `kubectl describe
// pod` finds them.
func podRef(namespace, name string, uid types.UID) *corev1.ObjectReference {
	return &corev1.ObjectReference{APIVersion: "v1", Kind: "Pod", Namespace: namespace, Name: name, UID: uid}
}
