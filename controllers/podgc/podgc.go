package podgc

import (
	"context"
	"fmt"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/wait"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/kubeshim/kubeshim/controllers/nodepods"
)

// Name is upstream's controller name.
const Name = "pod-garbage-collector"

// Options are the collector's knobs; zero values take upstream's defaults.
type Options struct {
	// TerminatedPodThreshold is how many terminated pods may exist before
	// the oldest are deleted (--terminated-pod-gc-threshold); negative
	// turns that collection off.
	TerminatedPodThreshold int
	// Period is how often the collector runs.
	Period time.Duration
	// Quarantine is how long a node must be missing from the cache before
	// its pods count as orphaned.
	Quarantine time.Duration
}

// Upstream's defaults.
const (
	DefaultTerminatedPodThreshold = 12500
	DefaultPeriod                 = 20 * time.Second
	DefaultQuarantine             = 40 * time.Second
)

// deleteWorkers bounds the deletes in flight, as each is a round trip.
const deleteWorkers = 8

// Controller is the pod garbage collector.
type Controller struct {
	opts   Options
	client kubernetes.Interface
	pods   corelisters.PodLister
	nodes  corelisters.NodeLister
	synced []cache.InformerSynced
	clock  clock.PassiveClock
	// missing holds when each node pods name was first found missing
	// from the cache; only the collector's goroutine touches it.
	missing map[string]time.Time
}

// New returns the collector on the shared informers.
func New(client kubernetes.Interface, pods coreinformers.PodInformer, nodes coreinformers.NodeInformer, opts Options) *Controller {
	return newController(client, pods, nodes, opts, clock.RealClock{})
}

func newController(client kubernetes.Interface, pods coreinformers.PodInformer, nodes coreinformers.NodeInformer, opts Options, clk clock.PassiveClock) *Controller {
	if opts.TerminatedPodThreshold == 0 {
		opts.TerminatedPodThreshold = DefaultTerminatedPodThreshold
	}
	if opts.Period <= 0 {
		opts.Period = DefaultPeriod
	}
	if opts.Quarantine <= 0 {
		opts.Quarantine = DefaultQuarantine
	}
	return &Controller{
		opts:    opts,
		client:  client,
		pods:    pods.Lister(),
		nodes:   nodes.Lister(),
		synced:  []cache.InformerSynced{pods.Informer().HasSynced, nodes.Informer().HasSynced},
		clock:   clk,
		missing: map[string]time.Time{},
	}
}

// Run collects every Period until ctx is done. The collector has no
// workers: one pass at a time does it all.
func (c *Controller) Run(ctx context.Context) {
	klog.FromContext(ctx).Info("Starting controller", "controller", Name)
	if !cache.WaitForNamedCacheSync(Name, ctx.Done(), c.synced...) {
		return
	}
	wait.UntilWithContext(ctx, c.gc, c.opts.Period)
}

func (c *Controller) gc(ctx context.Context) {
	logger := klog.FromContext(ctx)
	pods, err := c.pods.List(labels.Everything())
	if err != nil {
		logger.Error(err, "Listing pods failed")
		return
	}
	nodes, err := c.nodes.List(labels.Everything())
	if err != nil {
		logger.Error(err, "Listing nodes failed")
		return
	}
	if c.opts.TerminatedPodThreshold > 0 {
		c.gcTerminated(ctx, pods)
	}
	c.gcOutOfService(ctx, pods)
	c.gcOrphaned(ctx, pods, nodes)
	c.gcUnscheduledTerminating(ctx, pods)
}

func isTerminated(pod *corev1.Pod) bool {
	return pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed
}

func isEvicted(pod *corev1.Pod) bool {
	return pod.Status.Phase == corev1.PodFailed && pod.Status.Reason == "Evicted"
}

// gcTerminated deletes the terminated pods beyond the threshold: evicted
// ones first (they are nobody's record of a finished run), then the oldest.
func (c *Controller) gcTerminated(ctx context.Context, pods []*corev1.Pod) {
	var terminated []*corev1.Pod
	for _, p := range pods {
		if isTerminated(p) {
			terminated = append(terminated, p)
		}
	}
	n := len(terminated) - c.opts.TerminatedPodThreshold
	if n <= 0 {
		return
	}
	klog.FromContext(ctx).Info("Garbage collecting pods", "numPods", n)
	sort.Slice(terminated, func(i, j int) bool {
		a, b := terminated[i], terminated[j]
		if ea, eb := isEvicted(a), isEvicted(b); ea != eb {
			return ea
		}
		if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
			return a.CreationTimestamp.Before(&b.CreationTimestamp)
		}
		return a.Name < b.Name
	})
	c.deleteAll(ctx, terminated[:n], nil, "terminated")
}

// gcOutOfService deletes terminating pods on nodes declared out of service
// by an administrator (the node.kubernetes.io/out-of-service taint) that
// are not Ready: their agent will never finish them.
func (c *Controller) gcOutOfService(ctx context.Context, pods []*corev1.Pod) {
	var victims []*corev1.Pod
	for _, p := range pods {
		if p.DeletionTimestamp == nil || p.Spec.NodeName == "" {
			continue
		}
		node, err := c.nodes.Get(p.Spec.NodeName)
		if err != nil {
			continue
		}
		if !isReady(node) && hasTaintKey(node, corev1.TaintNodeOutOfService) {
			victims = append(victims, p)
		}
	}
	c.deleteAll(ctx, victims, nil, "terminating on an out-of-service node")
}

// gcOrphaned deletes the pods of nodes that have been gone for the
// quarantine period. The period lets a node created just now reach the
// cache; the read from the API before deleting rules out a stale cache.
func (c *Controller) gcOrphaned(ctx context.Context, pods []*corev1.Pod, nodes []*corev1.Node) {
	logger := klog.FromContext(ctx)
	exists := make(map[string]bool, len(nodes))
	for _, n := range nodes {
		exists[n.Name] = true
	}
	now := c.clock.Now()
	named := map[string]bool{}
	for _, p := range pods {
		if p.Spec.NodeName == "" || exists[p.Spec.NodeName] {
			continue
		}
		named[p.Spec.NodeName] = true
		if _, ok := c.missing[p.Spec.NodeName]; !ok {
			c.missing[p.Spec.NodeName] = now
		}
	}
	gone := map[string]bool{}
	for name, since := range c.missing {
		if !named[name] {
			// Back, or no pods left on it.
			delete(c.missing, name)
			continue
		}
		if now.Sub(since) < c.opts.Quarantine {
			continue
		}
		_, err := c.client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			gone[name] = true
		case err != nil:
			logger.Error(err, "Checking a missing node failed", "node", klog.KRef("", name))
		default:
			// The cache lags: start the quarantine over.
			delete(c.missing, name)
		}
	}
	var victims []*corev1.Pod
	for _, p := range pods {
		if gone[p.Spec.NodeName] {
			logger.V(2).Info("Found orphaned Pod assigned to the Node, deleting", "pod", klog.KObj(p), "node", klog.KRef("", p.Spec.NodeName))
			victims = append(victims, p)
		}
	}
	c.deleteAll(ctx, victims, &corev1.PodCondition{
		Type:    corev1.DisruptionTarget,
		Status:  corev1.ConditionTrue,
		Reason:  "DeletionByPodGC",
		Message: "PodGC: node no longer exists",
	}, "orphaned")
}

// gcUnscheduledTerminating deletes terminating pods that were never bound
// to a node.
func (c *Controller) gcUnscheduledTerminating(ctx context.Context, pods []*corev1.Pod) {
	var victims []*corev1.Pod
	for _, p := range pods {
		if p.DeletionTimestamp != nil && p.Spec.NodeName == "" {
			victims = append(victims, p)
		}
	}
	c.deleteAll(ctx, victims, nil, "unscheduled terminating")
}

// deleteAll fails and force-deletes pods, a few at a time.
func (c *Controller) deleteAll(ctx context.Context, pods []*corev1.Pod, cond *corev1.PodCondition, why string) {
	logger := klog.FromContext(ctx)
	workqueue.ParallelizeUntil(ctx, deleteWorkers, len(pods), func(i int) {
		p := pods[i]
		if err := c.failAndDelete(ctx, p, cond); err != nil {
			logger.Error(err, "Deleting pod failed", "pod", klog.KObj(p), "reason", why)
			return
		}
		logger.Info("PodGC force-deleted pod", "pod", klog.KObj(p), "reason", why)
	})
}

// failAndDelete moves a pod that has not finished to Failed, with cond if
// any, then deletes it with no grace period. Pods already gone are fine.
func (c *Controller) failAndDelete(ctx context.Context, pod *corev1.Pod, cond *corev1.PodCondition) error {
	if !isTerminated(pod) {
		if cond != nil {
			cc := *cond
			cc.LastTransitionTime = metav1.NewTime(c.clock.Now())
			cond = &cc
		}
		if err := nodepods.Mark(ctx, c.client, pod, cond, true); err != nil {
			if apierrors.IsNotFound(err) {
				return nil
			}
			return err
		}
	}
	err := c.client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{
		GracePeriodSeconds: new(int64),
		Preconditions:      &metav1.Preconditions{UID: &pod.UID},
	})
	// A conflict means the UID changed: the pod meant is gone.
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return fmt.Errorf("delete pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	return nil
}

func isReady(node *corev1.Node) bool {
	for _, c := range node.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func hasTaintKey(node *corev1.Node, key string) bool {
	for _, t := range node.Spec.Taints {
		if t.Key == key {
			return true
		}
	}
	return false
}
