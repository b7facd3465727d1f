package endpoint

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/client-go/tools/record"
	endpointsliceutil "k8s.io/endpointslice/util"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/controllers/queue"
)

const (
	// ControllerName is the value of LabelManagedBy on the Endpoints this
	// controller writes, and its events' source; upstream's.
	ControllerName = "endpoint-controller"
	// LabelManagedBy marks Endpoints written by this controller.
	LabelManagedBy = "endpoints.kubernetes.io/managed-by"
)

// Controller reconciles Services with their Endpoints.
type Controller struct {
	client      kubernetes.Interface
	services    corelisters.ServiceLister
	pods        corelisters.PodLister
	endpoints   corelisters.EndpointsLister
	synced      []cache.InformerSynced
	stale       *staleTracker
	triggers    *endpointsliceutil.TriggerTimeTracker
	broadcaster record.EventBroadcaster
	recorder    record.EventRecorder
	queue       *queue.Queue
}

// New returns the controller on the shared informers. Call it before the
// informers start.
func New(client kubernetes.Interface, services coreinformers.ServiceInformer, pods coreinformers.PodInformer, endpoints coreinformers.EndpointsInformer) *Controller {
	broadcaster := record.NewBroadcaster()
	c := &Controller{
		client:    client,
		services:  services.Lister(),
		pods:      pods.Lister(),
		endpoints: endpoints.Lister(),
		synced: []cache.InformerSynced{
			services.Informer().HasSynced, pods.Informer().HasSynced, endpoints.Informer().HasSynced,
		},
		stale:       &staleTracker{rv: map[types.NamespacedName]string{}},
		triggers:    endpointsliceutil.NewTriggerTimeTracker(),
		broadcaster: broadcaster,
		recorder:    broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: ControllerName}),
	}
	c.queue = queue.New("endpoint", c.sync)
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
	// Deleted Endpoints of a live service are written again.
	_, _ = endpoints.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{DeleteFunc: c.enqueue})
	return c
}

// Run processes services until ctx is done.
func (c *Controller) Run(ctx context.Context, workers int) {
	logger := klog.FromContext(ctx)
	logger.Info("Starting controller", "controller", "endpoint")
	c.broadcaster.StartStructuredLogging(3)
	c.broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: c.client.CoreV1().Events("")})
	defer c.broadcaster.Shutdown()
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { c.enqueueLeftovers(ctx) })
	c.queue.Run(ctx, workers, c.synced...)
}

// enqueueLeftovers queues every Endpoints once the caches are synced, so that
// the Endpoints of services deleted while no controller ran are deleted too.
func (c *Controller) enqueueLeftovers(ctx context.Context) {
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		return
	}
	all, err := c.endpoints.List(labels.Everything())
	if err != nil {
		klog.FromContext(ctx).Error(err, "List endpoints; leftover endpoints stay until their name is synced")
		return
	}
	for _, ep := range all {
		// Old leader election records live in Endpoints without a service.
		if _, ok := ep.Annotations[resourcelock.LeaderElectionRecordAnnotationKey]; ok {
			continue
		}
		c.queue.Add(ep.Namespace + "/" + ep.Name)
	}
}

func (c *Controller) enqueue(obj any) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		return
	}
	c.queue.Add(key)
}

// podChanged queues the services whose endpoints a pod event may change: those
// selecting it, and on a relabel those that selected it before.
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

// sync makes the Endpoints named key what its service's pods say.
func (c *Controller) sync(ctx context.Context, key string) (time.Duration, error) {
	logger := klog.FromContext(ctx)
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, nil
	}
	svc, err := c.services.Services(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		// The Endpoints of a deleted service go with it. (Endpoints of a
		// selector-less service have a service too, and are not touched.)
		err := c.client.CoreV1().Endpoints(namespace).Delete(ctx, name, metav1.DeleteOptions{}) //nolint:staticcheck // Endpoints are still served
		if err != nil && !apierrors.IsNotFound(err) {
			return 0, fmt.Errorf("delete endpoints %s: %w", key, err)
		}
		c.triggers.DeleteService(namespace, name)
		c.stale.forget(namespace, name)
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	// ExternalName services have no endpoints; selector-less services
	// have the ones their users write.
	if svc.Spec.Type == corev1.ServiceTypeExternalName || svc.Spec.Selector == nil {
		return 0, nil
	}
	pods, err := c.pods.Pods(namespace).List(labels.Set(svc.Spec.Selector).AsSelectorPreValidated())
	if err != nil {
		return 0, err
	}
	// Computed on every sync, so that the tracker's state moves on even
	// when nothing is written.
	trigger := c.triggers.ComputeEndpointLastChangeTriggerTime(namespace, svc, pods)

	current, err := c.endpoints.Endpoints(namespace).Get(name) //nolint:staticcheck // Endpoints are still served
	switch {
	case apierrors.IsNotFound(err):
		current = nil
	case err != nil:
		return 0, err
	case c.stale.isStale(current):
		return 0, fmt.Errorf("endpoints %s: cache still has resource version %s, already updated", key, current.ResourceVersion)
	}
	want := desired(current, svc, subsetsFor(logger, svc, pods), trigger)
	if current != nil && upToDate(current, want) {
		logger.V(5).Info("Endpoints up to date", "service", klog.KObj(svc))
		return 0, nil
	}
	return 0, c.write(ctx, svc, current, want)
}

func (c *Controller) write(ctx context.Context, svc *corev1.Service, current, want *corev1.Endpoints) error {
	logger := klog.FromContext(ctx)
	client := c.client.CoreV1().Endpoints(svc.Namespace) //nolint:staticcheck // Endpoints are still served
	if current == nil {
		_, err := client.Create(ctx, want, metav1.CreateOptions{})
		switch {
		case err == nil:
			logger.V(4).Info("Created endpoints", "service", klog.KObj(svc))
			return nil
		case apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause):
			// Creates keep failing in a terminating namespace: drop the key.
			return nil
		}
		c.recorder.Eventf(want, corev1.EventTypeWarning, "FailedToCreateEndpoint", "Failed to create endpoint for service %s/%s: %v", svc.Namespace, svc.Name, err)
		return fmt.Errorf("create endpoints %s/%s: %w", svc.Namespace, svc.Name, err)
	}
	updated, err := client.Update(ctx, want, metav1.UpdateOptions{})
	if err != nil {
		c.recorder.Eventf(want, corev1.EventTypeWarning, "FailedToUpdateEndpoint", "Failed to update endpoint %s/%s: %v", svc.Namespace, svc.Name, err)
		return fmt.Errorf("update endpoints %s/%s: %w", svc.Namespace, svc.Name, err)
	}
	// Until the cache shows a newer version, it must not be trusted: a
	// sync on the old one would compare against what is no longer stored.
	// (An update that changed nothing keeps the version, and the cache is
	// then not behind.)
	if updated.ResourceVersion != current.ResourceVersion {
		c.stale.mark(current)
	}
	logger.V(4).Info("Updated endpoints", "service", klog.KObj(svc))
	return nil
}

// desired returns the Endpoints svc should have, given its repacked subsets
// and the time of the change that triggered them: current (if any) with
// the subsets, truncated at capacity, the service's labels plus the
// controller's, and the trigger-time and over-capacity annotations.
// Annotations others wrote are kept.
func desired(current *corev1.Endpoints, svc *corev1.Service, subsets []corev1.EndpointSubset, trigger time.Time) *corev1.Endpoints {
	var ep *corev1.Endpoints
	if current != nil {
		ep = current.DeepCopy()
	} else {
		ep = &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: svc.Name, Namespace: svc.Namespace}}
	}
	ep.Subsets = subsets
	ep.Labels = maps.Clone(svc.Labels)
	if ep.Labels == nil {
		ep.Labels = map[string]string{}
	}
	if isServiceIPSet(svc) {
		delete(ep.Labels, corev1.IsHeadlessService)
	} else {
		ep.Labels[corev1.IsHeadlessService] = ""
	}
	ep.Labels[LabelManagedBy] = ControllerName
	if ep.Annotations == nil {
		ep.Annotations = map[string]string{}
	}
	if trigger.IsZero() {
		delete(ep.Annotations, corev1.EndpointsLastChangeTriggerTime)
	} else {
		ep.Annotations[corev1.EndpointsLastChangeTriggerTime] = trigger.UTC().Format(time.RFC3339Nano)
	}
	if truncate(ep.Subsets) {
		ep.Annotations[corev1.EndpointsOverCapacity] = truncated
	} else {
		delete(ep.Annotations, corev1.EndpointsOverCapacity)
	}
	return ep
}

// upToDate reports whether current already says what want says: the same
// addresses and ports (in any packing), labels and over-capacity mark. A
// changed trigger time alone is no reason to write.
func upToDate(current, want *corev1.Endpoints) bool {
	return semantic.DeepEqual(Repack(current.Subsets), want.Subsets) &&
		maps.Equal(current.Labels, want.Labels) &&
		current.Annotations[corev1.EndpointsOverCapacity] == want.Annotations[corev1.EndpointsOverCapacity]
}

// isServiceIPSet reports whether svc has a cluster IP (is not headless).
func isServiceIPSet(svc *corev1.Service) bool {
	return svc.Spec.ClusterIP != corev1.ClusterIPNone && svc.Spec.ClusterIP != ""
}

// staleTracker remembers, per Endpoints, the resource version this
// controller last replaced: the cache showing it again means the cache is
// behind the controller's own write.
type staleTracker struct {
	mu sync.Mutex
	rv map[types.NamespacedName]string
}

func (t *staleTracker) mark(ep *corev1.Endpoints) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.rv[types.NamespacedName{Namespace: ep.Namespace, Name: ep.Name}] = ep.ResourceVersion
}

func (t *staleTracker) isStale(ep *corev1.Endpoints) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	rv, ok := t.rv[types.NamespacedName{Namespace: ep.Namespace, Name: ep.Name}]
	return ok && rv == ep.ResourceVersion
}

func (t *staleTracker) forget(namespace, name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.rv, types.NamespacedName{Namespace: namespace, Name: name})
}
