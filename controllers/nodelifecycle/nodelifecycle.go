package nodelifecycle

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/wait"
	coordinationinformers "k8s.io/client-go/informers/coordination/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	coordinationlisters "k8s.io/client-go/listers/coordination/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/kubeshim/kubeshim/controllers/nodepods"
	"github.com/kubeshim/kubeshim/controllers/queue"
)

// Name is upstream's controller name; its events' source is "node-controller".
const Name = "node-lifecycle-controller"

// Options are the controller's knobs; zero values take upstream's defaults
// (kube-controller-manager's flag of the same meaning in parentheses).
type Options struct {
	// MonitorPeriod is how often node health is checked (--node-monitor-period).
	MonitorPeriod time.Duration
	// GracePeriod is how long a node may go without a heartbeat before it
	// is marked Unknown (--node-monitor-grace-period).
	GracePeriod time.Duration
	// StartupGracePeriod replaces GracePeriod for a node that never posted
	// a Ready condition (--node-startup-grace-period).
	StartupGracePeriod time.Duration
	// EvictionRate is how many nodes a second a healthy zone gets
	// NoExecute taints at (--node-eviction-rate).
	EvictionRate float32
	// SecondaryEvictionRate replaces EvictionRate in a partially disrupted
	// zone larger than LargeClusterThreshold (--secondary-node-eviction-rate).
	SecondaryEvictionRate float32
	// LargeClusterThreshold is the zone size above which a partially
	// disrupted zone keeps evicting (--large-cluster-size-threshold).
	LargeClusterThreshold int
	// UnhealthyZoneThreshold is the share of not-Ready nodes that makes a
	// zone partially disrupted (--unhealthy-zone-threshold).
	UnhealthyZoneThreshold float32
}

// Upstream's defaults.
const (
	DefaultMonitorPeriod          = 5 * time.Second
	DefaultGracePeriod            = 50 * time.Second
	DefaultStartupGracePeriod     = 60 * time.Second
	DefaultEvictionRate           = float32(0.1)
	DefaultSecondaryEvictionRate  = float32(0.01)
	DefaultLargeClusterThreshold  = 50
	DefaultUnhealthyZoneThreshold = float32(0.55)
)

func (o Options) complete() Options {
	if o.MonitorPeriod <= 0 {
		o.MonitorPeriod = DefaultMonitorPeriod
	}
	if o.GracePeriod <= 0 {
		o.GracePeriod = DefaultGracePeriod
	}
	if o.StartupGracePeriod <= 0 {
		o.StartupGracePeriod = DefaultStartupGracePeriod
	}
	if o.EvictionRate <= 0 {
		o.EvictionRate = DefaultEvictionRate
	}
	if o.SecondaryEvictionRate <= 0 {
		o.SecondaryEvictionRate = DefaultSecondaryEvictionRate
	}
	if o.LargeClusterThreshold <= 0 {
		o.LargeClusterThreshold = DefaultLargeClusterThreshold
	}
	if o.UnhealthyZoneThreshold <= 0 {
		o.UnhealthyZoneThreshold = DefaultUnhealthyZoneThreshold
	}
	return o
}

// Controller keeps nodes' conditions and taints in line with their
// heartbeats.
type Controller struct {
	opts     Options
	client   kubernetes.Interface
	nodes    corelisters.NodeLister
	leases   coordinationlisters.LeaseLister
	pods     corelisters.PodLister
	byNode   cache.Indexer
	synced   []cache.InformerSynced
	clock    clock.PassiveClock
	recorder record.EventRecorder
	// broadcaster is nil when the recorder is a test's.
	broadcaster record.EventBroadcaster

	// nodeQueue reconciles a node's NoSchedule taints and labels.
	nodeQueue *queue.Queue
	// podQueue marks pods newly bound to a node that is not Ready.
	podQueue *queue.Queue

	// mu guards the monitor's state below, which the pod queue reads.
	mu     sync.Mutex
	health map[string]*health
	zones  map[string]*zone
	// allDisrupted is whether the last pass found no Ready node in any zone.
	allDisrupted bool
	// retry holds nodes whose pods could not all be marked not ready.
	retry map[string]bool
}

// New returns the controller on the shared informers. Call it before the
// informers start: it indexes pods by node.
func New(client kubernetes.Interface, nodes coreinformers.NodeInformer, leases coordinationinformers.LeaseInformer, pods coreinformers.PodInformer, opts Options) *Controller {
	b := record.NewBroadcaster()
	c := newController(client, nodes, leases, pods, opts, clock.RealClock{}, b.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "node-controller"}))
	c.broadcaster = b
	return c
}

func newController(client kubernetes.Interface, nodes coreinformers.NodeInformer, leases coordinationinformers.LeaseInformer, pods coreinformers.PodInformer, opts Options, clk clock.PassiveClock, recorder record.EventRecorder) *Controller {
	c := &Controller{
		opts:     opts.complete(),
		client:   client,
		nodes:    nodes.Lister(),
		leases:   leases.Lister(),
		pods:     pods.Lister(),
		byNode:   nodepods.Index(pods),
		synced:   []cache.InformerSynced{nodes.Informer().HasSynced, leases.Informer().HasSynced, pods.Informer().HasSynced},
		clock:    clk,
		recorder: recorder,
		health:   map[string]*health{},
		zones:    map[string]*zone{},
		retry:    map[string]bool{},
	}
	c.nodeQueue = queue.New("node-lifecycle", c.syncNode)
	c.podQueue = queue.New("node-lifecycle-pods", c.syncPod)
	_, _ = nodes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { c.nodeQueue.Add(obj.(*corev1.Node).Name) },
		UpdateFunc: func(_, obj any) { c.nodeQueue.Add(obj.(*corev1.Node).Name) },
	})
	_, _ = pods.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) { c.podBound(nil, obj.(*corev1.Pod)) },
		UpdateFunc: func(oldObj, newObj any) {
			c.podBound(oldObj.(*corev1.Pod), newObj.(*corev1.Pod))
		},
	})
	return c
}

// Run monitors nodes until ctx is done.
func (c *Controller) Run(ctx context.Context, workers int) {
	logger := klog.FromContext(ctx)
	logger.Info("Starting controller", "controller", Name)
	if c.broadcaster != nil {
		c.broadcaster.StartStructuredLogging(3)
		c.broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: c.client.CoreV1().Events("")})
		defer c.broadcaster.Shutdown()
	}
	go c.podQueue.Run(ctx, workers, c.synced...)
	go c.nodeQueue.Run(ctx, workers, c.synced...)
	if !cache.WaitForNamedCacheSync(Name, ctx.Done(), c.synced...) {
		return
	}
	wait.UntilWithContext(ctx, func(ctx context.Context) {
		if err := c.monitor(ctx); err != nil {
			logger.Error(err, "Monitoring node health failed")
		}
	}, c.opts.MonitorPeriod)
}

// monitor is one pass over every node: health, pods, zones, NoExecute taints.
func (c *Controller) monitor(ctx context.Context) error {
	logger := klog.FromContext(ctx)
	nodes, err := c.nodes.List(labels.Everything())
	if err != nil {
		return fmt.Errorf("list nodes: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.forgetDeleted(ctx, nodes)

	// The Ready conditions after this pass, by zone, for the disruption
	// check; nodes whose health could not be updated are left out, as
	// upstream.
	byZone := map[string][]*corev1.NodeCondition{}
	current := make([]*corev1.Node, 0, len(nodes))
	for _, n := range nodes {
		if _, known := c.health[n.Name]; !known {
			logger.V(1).Info("Controller observed a new Node", "node", klog.KObj(n))
			c.nodeEvent(n, corev1.EventTypeNormal, "RegisteredNode", fmt.Sprintf("Registered Node %v in Controller", n.Name))
		}
		node, observed, ready, err := c.updateHealth(ctx, n)
		if err != nil {
			logger.Error(err, "Updating node health failed; no pods will be evicted", "node", klog.KObj(n))
			continue
		}
		current = append(current, node)
		if _, excluded := node.Labels[labelExcludeDisruption]; !excluded {
			z := zoneKey(node)
			byZone[z] = append(byZone[z], ready)
		}
		if ready == nil {
			continue
		}
		switch {
		case ready.Status != corev1.ConditionTrue && observed.Status == corev1.ConditionTrue:
			c.statusEvent(node, "NodeNotReady")
			c.retry[node.Name] = true
		case ready.Status == corev1.ConditionTrue:
			delete(c.retry, node.Name)
		}
		if c.retry[node.Name] {
			if err := c.markPodsNotReady(ctx, node.Name); err != nil {
				logger.Error(err, "Marking the pods of a node not ready failed; will retry", "node", klog.KObj(node))
			} else {
				delete(c.retry, node.Name)
			}
		}
	}
	c.updateZones(ctx, byZone, current)
	c.taintNoExecute(ctx, current)
	return nil
}

// forgetDeleted drops what the controller knows of nodes that are gone.
func (c *Controller) forgetDeleted(ctx context.Context, nodes []*corev1.Node) {
	present := make(map[string]bool, len(nodes))
	for _, n := range nodes {
		present[n.Name] = true
	}
	for name, h := range c.health {
		if present[name] {
			continue
		}
		klog.FromContext(ctx).V(1).Info("Controller observed a Node deletion", "node", klog.KRef("", name))
		c.nodeEvent(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, UID: h.uid}}, corev1.EventTypeNormal, "RemovingNode", fmt.Sprintf("Removing Node %v from Controller", name))
		delete(c.health, name)
		delete(c.retry, name)
	}
}

// nodeEvent records upstream's "Node <name> event: <message>".
func (c *Controller) nodeEvent(node *corev1.Node, eventType, reason, message string) {
	c.recorder.Eventf(nodeRef(node), eventType, reason, "Node %s event: %s", node.Name, message)
}

// statusEvent records upstream's "Node <name> status is now: <status>".
func (c *Controller) statusEvent(node *corev1.Node, status string) {
	c.recorder.Eventf(nodeRef(node), corev1.EventTypeNormal, status, "Node %s status is now: %s", node.Name, status)
}

func nodeRef(node *corev1.Node) *corev1.ObjectReference {
	return &corev1.ObjectReference{APIVersion: "v1", Kind: "Node", Name: node.Name, UID: node.UID}
}

// byTransition orders nodes by when the controller saw their Ready
// condition change, oldest first, so that the rate limit serves the nodes
// that have waited longest; names break ties.
func (c *Controller) byTransition(nodes []*corev1.Node) []*corev1.Node {
	out := append([]*corev1.Node(nil), nodes...)
	sort.SliceStable(out, func(i, j int) bool {
		hi, hj := c.health[out[i].Name], c.health[out[j].Name]
		if hi != nil && hj != nil && !hi.transition.Equal(hj.transition) {
			return hi.transition.Before(hj.transition)
		}
		return out[i].Name < out[j].Name
	})
	return out
}
