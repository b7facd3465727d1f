package endpointslicemirroring

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	coreinformers "k8s.io/client-go/informers/core/v1"
	discoveryinformers "k8s.io/client-go/informers/discovery/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/client-go/tools/record"
	endpointsliceutil "k8s.io/endpointslice/util"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/controllers/queue"
)

const (
	// ControllerName is the managed-by label value of mirrored slices;
	// upstream's.
	ControllerName = "endpointslicemirroring-controller.k8s.io"
	// MaxEndpointsPerSubset is upstream's default
	// (--mirroring-max-endpoints-per-subset): the most addresses of one
	// subset that are mirrored.
	MaxEndpointsPerSubset = 1000
)

// errStaleCache fails a sync whose slice cache has not caught up with the
// controller's own writes; the queue retries it.
var errStaleCache = errors.New("endpointslice cache is behind this controller's writes")

// Controller mirrors custom Endpoints into EndpointSlices.
type Controller struct {
	client      kubernetes.Interface
	endpoints   corelisters.EndpointsLister
	services    corelisters.ServiceLister
	slices      discoverylisters.EndpointSliceLister
	synced      []cache.InformerSynced
	tracker     *endpointsliceutil.EndpointSliceTracker
	max         int
	broadcaster record.EventBroadcaster
	recorder    record.EventRecorder
	queue       *queue.Queue
}

// New returns the controller on the shared informers. Call it before the
// informers start.
func New(client kubernetes.Interface, endpoints coreinformers.EndpointsInformer, services coreinformers.ServiceInformer, slices discoveryinformers.EndpointSliceInformer) *Controller {
	broadcaster := record.NewBroadcaster()
	c := &Controller{
		client:    client,
		endpoints: endpoints.Lister(),
		services:  services.Lister(),
		slices:    slices.Lister(),
		synced: []cache.InformerSynced{
			endpoints.Informer().HasSynced, services.Informer().HasSynced, slices.Informer().HasSynced,
		},
		tracker:     endpointsliceutil.NewEndpointSliceTracker(),
		max:         MaxEndpointsPerSubset,
		broadcaster: broadcaster,
		recorder:    broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "endpoint-slice-mirroring-controller"}),
	}
	c.queue = queue.New("endpointslicemirroring", c.sync)
	_, _ = endpoints.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) {
			if ep, ok := obj.(*corev1.Endpoints); ok && shouldMirror(ep) {
				c.enqueue(ep)
			}
		},
		UpdateFunc: func(oldObj, newObj any) {
			old, ok1 := oldObj.(*corev1.Endpoints)
			cur, ok2 := newObj.(*corev1.Endpoints)
			// Also when mirroring stops (skip-mirror added): the slices go.
			if ok1 && ok2 && (shouldMirror(old) || shouldMirror(cur)) {
				c.enqueue(cur)
			}
		},
		DeleteFunc: func(obj any) {
			if ep, ok := queue.Unwrap(obj).(*corev1.Endpoints); ok && shouldMirror(ep) {
				c.enqueue(ep)
			}
		},
	})
	// Only whether a service has a selector matters here.
	_, _ = services.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) {
			if svc, ok := obj.(*corev1.Service); ok && svc.Spec.Selector == nil {
				c.enqueue(svc)
			}
		},
		UpdateFunc: func(oldObj, newObj any) {
			old, ok1 := oldObj.(*corev1.Service)
			cur, ok2 := newObj.(*corev1.Service)
			if ok1 && ok2 && (old.Spec.Selector == nil) != (cur.Spec.Selector == nil) {
				c.enqueue(cur)
			}
		},
		DeleteFunc: func(obj any) {
			if svc, ok := queue.Unwrap(obj).(*corev1.Service); ok && svc.Spec.Selector == nil {
				c.enqueue(svc)
			}
		},
	})
	_, _ = slices.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.sliceAdded,
		UpdateFunc: c.sliceUpdated,
		DeleteFunc: c.sliceDeleted,
	})
	return c
}

// Run mirrors until ctx is done.
func (c *Controller) Run(ctx context.Context, workers int) {
	klog.FromContext(ctx).Info("Starting controller", "controller", "endpointslicemirroring")
	c.broadcaster.StartStructuredLogging(3)
	c.broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: c.client.CoreV1().Events("")})
	defer c.broadcaster.Shutdown()
	c.queue.Run(ctx, workers, c.synced...)
}

func (c *Controller) enqueue(obj metav1.Object) {
	c.queue.Add(obj.GetNamespace() + "/" + obj.GetName())
}

// shouldMirror reports whether ep is mirrored at all (its service decides
// the rest): not when labelled skip-mirror, nor a leader-election record.
func shouldMirror(ep *corev1.Endpoints) bool {
	if ep.Labels[discoveryv1.LabelSkipMirror] == "true" {
		return false
	}
	_, election := ep.Annotations[resourcelock.LeaderElectionRecordAnnotationKey]
	return !election
}

func managed(s *discoveryv1.EndpointSlice) bool {
	return s.Labels[discoveryv1.LabelManagedBy] == ControllerName
}

func (c *Controller) endpointsOf(s *discoveryv1.EndpointSlice) {
	if name := s.Labels[discoveryv1.LabelServiceName]; name != "" {
		c.queue.Add(s.Namespace + "/" + name)
	}
}

// sliceAdded, sliceUpdated and sliceDeleted react to slice changes this
// controller did not make (its own writes are in the tracker).
func (c *Controller) sliceAdded(obj any) {
	if s, ok := obj.(*discoveryv1.EndpointSlice); ok && managed(s) && c.tracker.ShouldSync(s) {
		c.endpointsOf(s)
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
		c.endpointsOf(old)
		c.endpointsOf(cur)
		return
	}
	if managed(old) != managed(cur) || (managed(cur) && c.tracker.ShouldSync(cur)) {
		c.endpointsOf(cur)
	}
}

func (c *Controller) sliceDeleted(obj any) {
	s, ok := queue.Unwrap(obj).(*discoveryv1.EndpointSlice)
	if !ok || !managed(s) || !c.tracker.Has(s) {
		return
	}
	// A delete this controller did not expect is undone.
	if !c.tracker.HandleDeletion(s) {
		c.endpointsOf(s)
	}
}

// sync makes the slices mirrored from the Endpoints named key what it says,
// or deletes them when it is not (or no longer) to be mirrored.
func (c *Controller) sync(ctx context.Context, key string) (time.Duration, error) {
	logger := klog.FromContext(ctx)
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, nil
	}
	ep, err := c.endpoints.Endpoints(namespace).Get(name) //nolint:staticcheck // Endpoints are still served
	if apierrors.IsNotFound(err) {
		return 0, c.deleteMirrored(ctx, namespace, name, "endpoints gone")
	}
	if err != nil {
		return 0, err
	}
	if !shouldMirror(ep) {
		return 0, c.deleteMirrored(ctx, namespace, name, "endpoints not to be mirrored")
	}
	svc, err := c.services.Services(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return 0, c.deleteMirrored(ctx, namespace, name, "service gone")
	}
	if err != nil {
		return 0, err
	}
	if svc.Spec.Selector != nil {
		// The endpointslice controller makes this service's slices.
		return 0, c.deleteMirrored(ctx, namespace, name, "service has a selector")
	}
	existing, err := c.mirrored(namespace, name)
	if err != nil {
		return 0, err
	}
	if c.tracker.StaleSlices(svc, existing) {
		return 0, fmt.Errorf("endpoints %s: %w", key, errStaleCache)
	}

	d := desiredFor(ep, c.max)
	if d.invalid > 0 {
		c.recorder.Eventf(ep, corev1.EventTypeWarning, "InvalidIPAddress", "Skipped %d invalid IP addresses when mirroring to EndpointSlices", d.invalid)
	}
	if d.skipped > 0 {
		logger.Info("Addresses beyond the per-subset maximum were not mirrored", "endpoints", klog.KObj(ep), "skipped", d.skipped)
		c.recorder.Eventf(ep, corev1.EventTypeWarning, "TooManyAddressesToMirror",
			"A max of %d addresses can be mirrored to EndpointSlices per Endpoints subset. %d addresses were skipped", c.max, d.skipped)
	}
	p := planFor(ep, existing, d, c.max)
	for _, s := range p.unchanged {
		// Slices found at start-up are tracked from their first sync on.
		if !c.tracker.Has(s) {
			c.tracker.Update(s)
		}
	}
	return 0, c.apply(ctx, ep, p)
}

// mirrored lists the slices this controller made for the named Endpoints,
// but those already being deleted.
func (c *Controller) mirrored(namespace, name string) ([]*discoveryv1.EndpointSlice, error) {
	all, err := c.slices.EndpointSlices(namespace).List(labels.Set{
		discoveryv1.LabelServiceName: name,
		discoveryv1.LabelManagedBy:   ControllerName,
	}.AsSelectorPreValidated())
	if err != nil {
		return nil, err
	}
	var out []*discoveryv1.EndpointSlice
	for _, s := range all {
		if s.DeletionTimestamp == nil {
			out = append(out, s)
		}
	}
	return out, nil
}

func (c *Controller) apply(ctx context.Context, ep *corev1.Endpoints, p plan) error {
	client := c.client.DiscoveryV1().EndpointSlices(ep.Namespace)
	// No creates for an Endpoints being deleted: the garbage collector
	// would race to delete them.
	if ep.DeletionTimestamp == nil {
		for _, s := range p.create {
			created, err := client.Create(ctx, s, metav1.CreateOptions{})
			if err != nil {
				if apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
					return nil
				}
				return fmt.Errorf("create endpointslice for endpoints %s/%s: %w", ep.Namespace, ep.Name, err)
			}
			c.tracker.Update(created)
		}
	}
	for _, s := range p.update {
		updated, err := client.Update(ctx, s, metav1.UpdateOptions{})
		if err != nil {
			return fmt.Errorf("update endpointslice %s of endpoints %s/%s: %w", s.Name, ep.Namespace, ep.Name, err)
		}
		c.tracker.Update(updated)
	}
	for _, s := range p.remove {
		if err := client.Delete(ctx, s.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete endpointslice %s of endpoints %s/%s: %w", s.Name, ep.Namespace, ep.Name, err)
		}
		c.tracker.ExpectDeletion(s)
	}
	if n := len(p.create) + len(p.update) + len(p.remove); n > 0 {
		klog.FromContext(ctx).V(4).Info("Mirrored endpoints", "endpoints", klog.KObj(ep),
			"created", len(p.create), "updated", len(p.update), "deleted", len(p.remove))
	}
	return nil
}

// deleteMirrored deletes every slice mirrored from the named Endpoints.
func (c *Controller) deleteMirrored(ctx context.Context, namespace, name, why string) error {
	c.tracker.DeleteService(namespace, name)
	existing, err := c.mirrored(namespace, name)
	if err != nil {
		return err
	}
	var errs []error
	for _, s := range existing {
		err := c.client.DiscoveryV1().EndpointSlices(namespace).Delete(ctx, s.Name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("delete endpointslice %s/%s: %w", namespace, s.Name, err))
		}
	}
	if len(existing) > 0 {
		klog.FromContext(ctx).V(2).Info("Deleted mirrored endpointslices", "endpoints", klog.KRef(namespace, name), "reason", why, "count", len(existing))
	}
	return errors.Join(errs...)
}
