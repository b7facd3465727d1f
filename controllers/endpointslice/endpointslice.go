package endpointslice

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	coreinformers "k8s.io/client-go/informers/core/v1"
	discoveryinformers "k8s.io/client-go/informers/discovery/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	endpointslicerec "k8s.io/endpointslice"
	endpointslicemetrics "k8s.io/endpointslice/metrics"
	"k8s.io/endpointslice/topologycache"
	endpointsliceutil "k8s.io/endpointslice/util"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/controllers/queue"
)

const (
	// ControllerName is the managed-by label value of this controller's
	// slices; upstream's.
	ControllerName = "endpointslice-controller.k8s.io"
	// MaxEndpointsPerSlice is upstream's default (--max-endpoints-per-slice).
	MaxEndpointsPerSlice = 100
	// topologyKey is the one key of the topology queue: the node set changed.
	topologyKey = "nodes"
)

// errStaleCache fails a sync whose slice cache has not caught up with the
// controller's own writes; the queue retries it.
var errStaleCache = errors.New("endpointslice cache is behind this controller's writes")

// Controller reconciles Services with their EndpointSlices.
type Controller struct {
	client      kubernetes.Interface
	services    corelisters.ServiceLister
	pods        corelisters.PodLister
	nodes       corelisters.NodeLister
	slices      discoverylisters.EndpointSliceLister
	synced      []cache.InformerSynced
	reconciler  *endpointslicerec.Reconciler
	tracker     *endpointsliceutil.EndpointSliceTracker
	triggers    *endpointsliceutil.TriggerTimeTracker
	topology    *topologycache.TopologyCache
	broadcaster record.EventBroadcaster
	recorder    record.EventRecorder
	queue       *queue.Queue
	// nodeQueue recomputes the zones' shares of the cluster for topology
	// hints; one key, so a burst of node events costs one pass.
	nodeQueue *queue.Queue
}

// New returns the controller on the shared informers. Call it before the
// informers start.
func New(client kubernetes.Interface, services coreinformers.ServiceInformer, pods coreinformers.PodInformer,
	nodes coreinformers.NodeInformer, slices discoveryinformers.EndpointSliceInformer) *Controller {
	broadcaster := record.NewBroadcaster()
	endpointslicemetrics.RegisterMetrics()
	c := &Controller{
		client:   client,
		services: services.Lister(),
		pods:     pods.Lister(),
		nodes:    nodes.Lister(),
		slices:   slices.Lister(),
		synced: []cache.InformerSynced{
			services.Informer().HasSynced, pods.Informer().HasSynced, nodes.Informer().HasSynced, slices.Informer().HasSynced,
		},
		tracker:     endpointsliceutil.NewEndpointSliceTracker(),
		triggers:    endpointsliceutil.NewTriggerTimeTracker(),
		topology:    topologycache.NewTopologyCache(),
		broadcaster: broadcaster,
		recorder:    broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "endpoint-slice-controller"}),
	}
	c.reconciler = endpointslicerec.NewReconciler(client, c.nodes, MaxEndpointsPerSlice, c.tracker, c.topology, c.recorder, ControllerName,
		// GA (locked on) since v1.35.
		endpointslicerec.WithPreferSameTrafficDistributionEnabled(true))
	c.queue = queue.New("endpointslice", c.sync)
	c.nodeQueue = queue.New("endpointslice-topology", c.syncNodes)

	_, _ = services.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueue,
		UpdateFunc: func(_, cur any) { c.enqueue(cur) },
		DeleteFunc: c.enqueue,
	})
	_, _ = pods.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { c.podChanged(nil, obj) },
		UpdateFunc: c.podChanged,
		DeleteFunc: func(obj any) { c.podChanged(obj, nil) },
	})
	_, _ = slices.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.sliceAdded,
		UpdateFunc: c.sliceUpdated,
		DeleteFunc: c.sliceDeleted,
	})
	_, _ = nodes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { c.nodeQueue.Add(topologyKey) },
		UpdateFunc: c.nodeUpdated,
		DeleteFunc: func(any) { c.nodeQueue.Add(topologyKey) },
	})
	return c
}

// Run processes services until ctx is done.
func (c *Controller) Run(ctx context.Context, workers int) {
	klog.FromContext(ctx).Info("Starting controller", "controller", "endpointslice")
	c.broadcaster.StartStructuredLogging(3)
	c.broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: c.client.CoreV1().Events("")})
	defer c.broadcaster.Shutdown()
	go c.nodeQueue.Run(ctx, 1, c.synced...)
	c.queue.Run(ctx, workers, c.synced...)
}

func (c *Controller) enqueue(obj any) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		return
	}
	c.queue.Add(key)
}

// podChanged queues the services whose slices a pod event may change.
func (c *Controller) podChanged(old, cur any) {
	key := endpointsliceutil.GetPodUpdateProjectionKey(old, cur)
	if key == nil {
		return
	}
	services, err := endpointsliceutil.GetServicesToUpdate(c.services, key)
	if err != nil {
		return
	}
	for k := range services {
		c.queue.Add(k)
	}
}

// serviceOf queues the service a slice names.
func (c *Controller) serviceOf(slice *discoveryv1.EndpointSlice) {
	if key, err := endpointslicerec.ServiceControllerKey(slice); err == nil {
		c.queue.Add(key)
	}
}

// sliceAdded, sliceUpdated and sliceDeleted react to slice changes this
// controller did not make (its own writes are in the tracker): someone
// edited or deleted one of its slices, or took it over.
func (c *Controller) sliceAdded(obj any) {
	slice, ok := obj.(*discoveryv1.EndpointSlice)
	if ok && c.reconciler.ManagedByController(slice) && c.tracker.ShouldSync(slice) {
		c.serviceOf(slice)
	}
}

func (c *Controller) sliceUpdated(oldObj, newObj any) {
	old, ok1 := oldObj.(*discoveryv1.EndpointSlice)
	cur, ok2 := newObj.(*discoveryv1.EndpointSlice)
	if !ok1 || !ok2 {
		return
	}
	// A relabel does not bump the generation the tracker compares.
	if old.Labels[discoveryv1.LabelServiceName] != cur.Labels[discoveryv1.LabelServiceName] {
		c.serviceOf(old)
		c.serviceOf(cur)
		return
	}
	if c.reconciler.ManagedByChanged(old, cur) || (c.reconciler.ManagedByController(cur) && c.tracker.ShouldSync(cur)) {
		c.serviceOf(cur)
	}
}

func (c *Controller) sliceDeleted(obj any) {
	obj = queue.Unwrap(obj)
	slice, ok := obj.(*discoveryv1.EndpointSlice)
	if !ok || !c.reconciler.ManagedByController(slice) || !c.tracker.Has(slice) {
		return
	}
	// A delete this controller did not expect is undone.
	if !c.tracker.HandleDeletion(slice) {
		c.serviceOf(slice)
	}
}

func (c *Controller) nodeUpdated(oldObj, newObj any) {
	old, ok1 := oldObj.(*corev1.Node)
	cur, ok2 := newObj.(*corev1.Node)
	if !ok1 || !ok2 {
		return
	}
	// The zone label may come after the node (a cloud provider adds it).
	if nodeReady(old) != nodeReady(cur) || old.Labels[corev1.LabelTopologyZone] != cur.Labels[corev1.LabelTopologyZone] {
		c.nodeQueue.Add(topologyKey)
	}
}

func nodeReady(n *corev1.Node) bool {
	for _, cond := range n.Status.Conditions {
		if cond.Type == corev1.NodeReady {
			return cond.Status == corev1.ConditionTrue
		}
	}
	return false
}

// syncNodes feeds the node set to the topology cache and resyncs the
// services whose hints no longer fit it.
func (c *Controller) syncNodes(ctx context.Context, _ string) (time.Duration, error) {
	logger := klog.FromContext(ctx)
	nodes, err := c.nodes.List(labels.Everything())
	if err != nil {
		return 0, fmt.Errorf("list nodes: %w", err)
	}
	c.topology.SetNodes(logger, nodes)
	for _, key := range c.topology.GetOverloadedServices() {
		logger.V(2).Info("Resyncing service after a node change: its zones are overloaded", "service", key)
		c.queue.Add(key)
	}
	return 0, nil
}

func (c *Controller) sync(ctx context.Context, key string) (time.Duration, error) {
	err := c.syncService(ctx, key)
	result := "success"
	switch {
	case errors.Is(err, errStaleCache):
		result = "stale"
	case err != nil:
		result = "error"
	}
	endpointslicemetrics.EndpointSliceSyncs.WithLabelValues(result).Inc()
	return 0, err
}

// syncService makes the slices of the service named key what its pods say.
func (c *Controller) syncService(ctx context.Context, key string) error {
	logger := klog.FromContext(ctx)
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	svc, err := c.services.Services(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		// The garbage collector deletes the slices: the service
		// controls them.
		c.triggers.DeleteService(namespace, name)
		c.reconciler.DeleteService(namespace, name)
		c.tracker.DeleteService(namespace, name)
		return nil
	}
	if err != nil {
		return err
	}
	// ExternalName services have no endpoints; selector-less services
	// have the slices their users write (or the mirroring controller).
	if svc.Spec.Type == corev1.ServiceTypeExternalName || svc.Spec.Selector == nil {
		return nil
	}
	pods, err := c.pods.Pods(namespace).List(labels.Set(svc.Spec.Selector).AsSelectorPreValidated())
	if err != nil {
		return err
	}
	all, err := c.slices.EndpointSlices(namespace).List(labels.Set{
		discoveryv1.LabelServiceName: name,
		discoveryv1.LabelManagedBy:   ControllerName,
	}.AsSelectorPreValidated())
	if err != nil {
		return err
	}
	// A slice being deleted (a foreground deletion waiting on its
	// dependents) cannot be reused; counting it would stall the service.
	var slices []*discoveryv1.EndpointSlice
	for _, s := range all {
		if s.DeletionTimestamp == nil {
			slices = append(slices, s)
		}
	}
	if c.tracker.StaleSlices(svc, slices) {
		return fmt.Errorf("service %s: %w", key, errStaleCache)
	}
	// Computed on every sync, so that the tracker's state moves on even
	// when nothing is written.
	trigger := c.triggers.ComputeEndpointLastChangeTriggerTime(namespace, svc, pods)
	if err := c.reconciler.Reconcile(logger, svc, pods, slices, trigger); err != nil {
		c.recorder.Eventf(svc, corev1.EventTypeWarning, "FailedToUpdateEndpointSlices",
			"Error updating Endpoint Slices for Service %s/%s: %v", namespace, name, err)
		return fmt.Errorf("reconcile endpointslices of %s: %w", key, err)
	}
	return nil
}
