package simulated

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
)

// maxRegisterBackoff caps the retry step of a failing registration, as
// upstream kubelet's.
const maxRegisterBackoff = 7 * time.Second

// Agent is a running set of simulated nodes. Create it with New and run it
// with Run, once.
type Agent struct {
	cfg Config
	// index maps each node name to its i; read-only after New.
	index map[string]int

	nodeInformer cache.SharedIndexInformer
	podInformer  cache.SharedIndexInformer
	nodeLister   corelisters.NodeLister
	podLister    corelisters.PodLister

	leaseQueue workqueue.TypedDelayingInterface[string]
	nodeQueue  workqueue.TypedRateLimitingInterface[string]
	podQueue   workqueue.TypedRateLimitingInterface[string]

	ipam *ipam

	mu sync.Mutex
	// leases are the leases last written, by node name.
	leases map[string]*coordinationv1.Lease
	// waiting holds, by node name, the keys of pods that wait for the
	// node's pod CIDR.
	waiting map[string]map[string]bool
}

// New checks the config, fills in its defaults and returns an Agent.
func New(cfg Config) (*Agent, error) {
	if err := cfg.complete(); err != nil {
		return nil, err
	}
	a := &Agent{
		cfg:     cfg,
		index:   make(map[string]int, cfg.Count),
		ipam:    newIPAM(),
		leases:  make(map[string]*coordinationv1.Lease, cfg.Count),
		waiting: map[string]map[string]bool{},
	}
	for i := range cfg.Count {
		a.index[nodeName(cfg.Prefix, i)] = i
	}
	// Only the agent's own nodes carry the label; other agents' nodes
	// that do are filtered out by name in the handlers.
	nodeFactory := informers.NewSharedInformerFactoryWithOptions(cfg.Client, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.LabelSelector = labels.Set{LabelSimulated: "true"}.String()
		}))
	// One informer for the pods of all nodes: bound pods, filtered by the
	// node names in the handlers. A watch per node would be 5,000 watches.
	podFactory := informers.NewSharedInformerFactoryWithOptions(cfg.Client, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermNotEqualSelector("spec.nodeName", "").String()
		}))
	a.nodeInformer = nodeFactory.Core().V1().Nodes().Informer()
	a.nodeLister = nodeFactory.Core().V1().Nodes().Lister()
	a.podInformer = podFactory.Core().V1().Pods().Informer()
	a.podLister = podFactory.Core().V1().Pods().Lister()
	a.leaseQueue = workqueue.NewTypedDelayingQueueWithConfig(workqueue.TypedDelayingQueueConfig[string]{
		Name: "simulated-leases", Clock: cfg.Clock})
	a.nodeQueue = workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
		workqueue.TypedRateLimitingQueueConfig[string]{Name: "simulated-nodes", Clock: cfg.Clock})
	a.podQueue = workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
		workqueue.TypedRateLimitingQueueConfig[string]{Name: "simulated-pods", Clock: cfg.Clock})
	if _, err := a.nodeInformer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    a.onNode,
		UpdateFunc: func(_, obj any) { a.onNode(obj) },
	}); err != nil {
		return nil, err
	}
	if _, err := a.podInformer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    a.onPod,
		UpdateFunc: func(_, obj any) { a.onPod(obj) },
		DeleteFunc: a.onPodDelete,
	}); err != nil {
		return nil, err
	}
	return a, nil
}

// NodeNames returns the names of the agent's nodes, in order.
func (a *Agent) NodeNames() []string {
	names := make([]string, a.cfg.Count)
	for name, i := range a.index {
		names[i] = name
	}
	return names
}

// Run registers the nodes, then keeps their leases and their pods until
// ctx ends. It returns nil when ctx ends, leaving the Nodes and Leases in
// place.
func (a *Agent) Run(ctx context.Context) error {
	logger := klog.FromContext(ctx).WithValues("prefix", a.cfg.Prefix)
	ctx = klog.NewContext(ctx, logger)
	defer a.leaseQueue.ShutDown()
	defer a.nodeQueue.ShutDown()
	defer a.podQueue.ShutDown()

	start := a.cfg.Clock.Now()
	if !a.registerAll(ctx) {
		return nil
	}
	logger.Info("Registered simulated nodes", "count", a.cfg.Count, "took", a.cfg.Clock.Since(start))

	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { a.nodeInformer.Run(ctx.Done()) })
	wg.Go(func() { a.podInformer.Run(ctx.Done()) })
	if !cache.WaitForCacheSync(ctx.Done(), a.nodeInformer.HasSynced, a.podInformer.HasSynced) {
		return nil
	}
	// Addresses that pods were given by an earlier run are taken before
	// any new pod is given one.
	a.reserveExisting()

	wg.Go(func() { a.runLeases(ctx) })
	wg.Go(func() { runWorkers(ctx, a.cfg.Workers, a.nodeQueue, a.processNode) })
	wg.Go(func() { runWorkers(ctx, a.cfg.Workers, a.podQueue, a.processPod) })
	<-ctx.Done()
	logger.Info("Stopping simulated nodes: their leases are no longer renewed", "count", a.cfg.Count)
	return nil
}

// registerAll registers every node, Workers at a time, each retried with
// backoff until it succeeds. It returns false when ctx ended first.
func (a *Agent) registerAll(ctx context.Context) bool {
	logger := klog.FromContext(ctx)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(a.cfg.Workers, a.cfg.Count) {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < a.cfg.Count; i = int(next.Add(1)) - 1 {
				step := 100 * time.Millisecond
				for {
					_, err := a.register(ctx, i)
					if err == nil {
						break
					}
					if ctx.Err() != nil {
						return
					}
					logger.Error(err, "Unable to register simulated node, will retry", "after", step)
					select {
					case <-ctx.Done():
						return
					case <-a.cfg.Clock.After(step):
					}
					step = min(2*step, maxRegisterBackoff)
				}
			}
		})
	}
	wg.Wait()
	return ctx.Err() == nil
}

// runWorkers runs n workers on q until ctx ends, then shuts q down and
// waits for them.
func runWorkers[T comparable](ctx context.Context, n int, q workqueue.TypedInterface[T], fn func(context.Context, T)) {
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for {
				item, shutdown := q.Get()
				if shutdown {
					return
				}
				fn(ctx, item)
				q.Done(item)
			}
		})
	}
	<-ctx.Done()
	q.ShutDown()
	wg.Wait()
}

func (a *Agent) processNode(ctx context.Context, name string) {
	if err := a.syncNode(ctx, name); err != nil {
		if ctx.Err() == nil {
			klog.FromContext(ctx).Error(err, "Failed to sync simulated node", "node", name)
		}
		a.nodeQueue.AddRateLimited(name)
		return
	}
	a.nodeQueue.Forget(name)
}

func (a *Agent) processPod(ctx context.Context, key string) {
	if err := a.syncPod(ctx, key); err != nil {
		if ctx.Err() == nil {
			klog.FromContext(ctx).V(2).Info("Failed to sync pod on a simulated node, will retry", "pod", key, "err", err)
		}
		a.podQueue.AddRateLimited(key)
		return
	}
	a.podQueue.Forget(key)
}

func (a *Agent) onNode(obj any) {
	node, ok := obj.(*corev1.Node)
	if !ok {
		return
	}
	if _, ours := a.index[node.Name]; !ours {
		return
	}
	if needsStatus(node) {
		a.nodeQueue.Add(node.Name)
	}
	if podCIDR(node) == "" {
		return
	}
	a.mu.Lock()
	waiting := a.waiting[node.Name]
	delete(a.waiting, node.Name)
	a.mu.Unlock()
	for key := range waiting {
		a.podQueue.Add(key)
	}
}

func (a *Agent) onPod(obj any) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	if _, ours := a.index[pod.Spec.NodeName]; !ours {
		return
	}
	key, err := cache.MetaNamespaceKeyFunc(pod)
	if err == nil {
		a.podQueue.Add(key)
	}
}

func (a *Agent) onPodDelete(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	if _, ours := a.index[pod.Spec.NodeName]; ours {
		a.ipam.release(string(pod.UID))
	}
}

// reserveExisting records the addresses of the running pods on the
// agent's nodes.
func (a *Agent) reserveExisting() {
	pods, _ := a.podLister.List(labels.Everything())
	for _, pod := range pods {
		if _, ours := a.index[pod.Spec.NodeName]; !ours || pod.Spec.HostNetwork || pod.Status.PodIP == "" {
			continue
		}
		node, err := a.nodeLister.Get(pod.Spec.NodeName)
		if err != nil || podCIDR(node) == "" {
			continue
		}
		if ip, err := parseAddr(pod.Status.PodIP); err == nil {
			a.ipam.reserve(node.Name, podCIDR(node), string(pod.UID), ip)
		}
	}
}

// wait records that the pod key waits for node's pod CIDR.
func (a *Agent) wait(node, key string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.waiting[node] == nil {
		a.waiting[node] = map[string]bool{}
	}
	a.waiting[node][key] = true
}
