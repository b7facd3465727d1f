package horizontalpodautoscaler

import (
	"context"
	"fmt"
	"sync"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	autoscalinginformers "k8s.io/client-go/informers/autoscaling/v2"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	autoscalinglisters "k8s.io/client-go/listers/autoscaling/v2"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/scale"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
	resourceclient "k8s.io/metrics/pkg/client/clientset/versioned/typed/metrics/v1beta1"
	customclient "k8s.io/metrics/pkg/client/custom_metrics"
	externalclient "k8s.io/metrics/pkg/client/external_metrics"
	"k8s.io/utils/clock"
)

// Name is upstream's controller name.
const Name = "horizontal-pod-autoscaler"

// Upstream's defaults (kube-controller-manager's --horizontal-pod-autoscaler-* flags).
const (
	DefaultSyncPeriod              = 15 * time.Second
	DefaultDownscaleStabilization  = 5 * time.Minute
	DefaultTolerance               = 0.1
	DefaultCPUInitializationPeriod = 5 * time.Minute
	DefaultInitialReadinessDelay   = 30 * time.Second
)

// mapperResetPeriod is how often the discovery RESTMapper forgets what it
// learned, so that a scale target whose kind was installed later (a CRD) is
// found; kube-controller-manager resets its shared mapper as often.
const mapperResetPeriod = 30 * time.Second

// Options are the controller's knobs; zero values take upstream's defaults.
type Options struct {
	// SyncPeriod is how often every HPA is reconciled
	// (--horizontal-pod-autoscaler-sync-period).
	SyncPeriod time.Duration
	// DownscaleStabilization is the window whose highest recommendation a
	// scale-down may not go below (--horizontal-pod-autoscaler-downscale-stabilization).
	DownscaleStabilization time.Duration
	// Tolerance is how far from 1 a usage ratio must be to change the
	// replicas (--horizontal-pod-autoscaler-tolerance); an HPA's
	// behavior.scaleUp/scaleDown.tolerance overrides it.
	Tolerance float64
	// CPUInitializationPeriod and InitialReadinessDelay tell starting
	// pods' CPU samples apart (--horizontal-pod-autoscaler-cpu-initialization-period,
	// --horizontal-pod-autoscaler-initial-readiness-delay).
	CPUInitializationPeriod time.Duration
	InitialReadinessDelay   time.Duration
}

func (o Options) withDefaults() Options {
	if o.SyncPeriod <= 0 {
		o.SyncPeriod = DefaultSyncPeriod
	}
	if o.DownscaleStabilization <= 0 {
		o.DownscaleStabilization = DefaultDownscaleStabilization
	}
	if o.Tolerance <= 0 {
		o.Tolerance = DefaultTolerance
	}
	if o.CPUInitializationPeriod <= 0 {
		o.CPUInitializationPeriod = DefaultCPUInitializationPeriod
	}
	if o.InitialReadinessDelay <= 0 {
		o.InitialReadinessDelay = DefaultInitialReadinessDelay
	}
	return o
}

// Controller is the horizontal pod autoscaler.
type Controller struct {
	opts     Options
	client   kubernetes.Interface
	scales   scale.ScalesGetter
	mapper   apimeta.RESTMapper
	hpas     autoscalinglisters.HorizontalPodAutoscalerLister
	pods     corelisters.PodLister
	synced   []cache.InformerSynced
	clock    clock.PassiveClock
	recorder record.EventRecorder
	calc     *calculator
	history  *history
	tracked  *selectors
	queue    workqueue.TypedRateLimitingInterface[string]

	// Set by New only: the event broadcaster, and the caches Run keeps fresh.
	broadcaster record.EventBroadcaster
	customAPIs  customclient.AvailableAPIsGetter
}

// New returns the controller on the shared informers. rc reaches the API
// server for the clients the typed clientset lacks: the scale subresource of
// any kind (through a discovery RESTMapper), and the resource, custom and
// external metrics APIs.
func New(rc *rest.Config, client kubernetes.Interface, hpas autoscalinginformers.HorizontalPodAutoscalerInformer, pods coreinformers.PodInformer, opts Options) (*Controller, error) {
	// The scale kind resolver caches what it learns itself; the mapper
	// goes through a memory cache that Run resets.
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(client.Discovery()))
	scales, err := scale.NewForConfig(rc, mapper, dynamic.LegacyAPIPathResolverFunc, scale.NewDiscoveryScaleKindResolver(client.Discovery()))
	if err != nil {
		return nil, fmt.Errorf("scale client: %w", err)
	}
	resources, err := resourceclient.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("resource metrics client: %w", err)
	}
	external, err := externalclient.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("external metrics client: %w", err)
	}
	customAPIs := customclient.NewAvailableAPIsGetter(client.Discovery())
	metrics := NewMetricsClient(resources, customclient.NewForConfig(rc, mapper, customAPIs), external)
	b := record.NewBroadcaster()
	c := newController(client, scales, mapper, metrics, hpas, pods, opts, clock.RealClock{},
		b.NewRecorder(scheme.Scheme, corev1.EventSource{Component: Name}))
	c.broadcaster, c.customAPIs = b, customAPIs
	return c, nil
}

func newController(client kubernetes.Interface, scales scale.ScalesGetter, mapper apimeta.RESTMapper, metrics MetricsClient,
	hpas autoscalinginformers.HorizontalPodAutoscalerInformer, pods coreinformers.PodInformer, opts Options,
	clk clock.PassiveClock, recorder record.EventRecorder) *Controller {
	opts = opts.withDefaults()
	c := &Controller{
		opts:     opts,
		client:   client,
		scales:   scales,
		mapper:   mapper,
		hpas:     hpas.Lister(),
		pods:     pods.Lister(),
		synced:   []cache.InformerSynced{hpas.Informer().HasSynced, pods.Informer().HasSynced},
		clock:    clk,
		recorder: recorder,
		calc: &calculator{
			metrics:                 metrics,
			pods:                    pods.Lister(),
			clock:                   clk,
			cpuInitializationPeriod: opts.CPUInitializationPeriod,
			initialReadinessDelay:   opts.InitialReadinessDelay,
		},
		history: newHistory(clk, opts.DownscaleStabilization),
		tracked: newSelectors(),
		// Every key comes back one sync period after it was processed,
		// failed or not, as upstream's fixed-interval limiter does: a
		// failing HPA is retried at the sync period, not in a tight
		// backoff that would flood its events.
		queue: workqueue.NewTypedRateLimitingQueueWithConfig[string](fixedInterval(opts.SyncPeriod),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "horizontalpodautoscaler"}),
	}
	_, _ = hpas.Informer().AddEventHandlerWithResyncPeriod(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.add,
		UpdateFunc: c.update,
		DeleteFunc: c.remove,
	}, opts.SyncPeriod)
	return c
}

// fixedInterval is a rate limiter that always waits the same.
type fixedInterval time.Duration

func (f fixedInterval) When(string) time.Duration { return time.Duration(f) }
func (fixedInterval) NumRequeues(string) int      { return 1 }
func (fixedInterval) Forget(string)               {}

func hpaKey(obj any) (*autoscalingv2.HorizontalPodAutoscaler, string, bool) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	hpa, ok := obj.(*autoscalingv2.HorizontalPodAutoscaler)
	if !ok {
		return nil, "", false
	}
	return hpa, hpa.Namespace + "/" + hpa.Name, true
}

// add registers the HPA's selector slot before its first reconcile and
// reconciles it at once.
func (c *Controller) add(obj any) {
	hpa, key, ok := hpaKey(obj)
	if !ok {
		return
	}
	c.tracked.add(hpa.Namespace, hpa.Name)
	c.queue.Add(key)
}

// update reconciles at once on a spec change (a new generation); anything
// else, the controller's own status writes and the resyncs included, waits
// for the sync period, or every status write would trigger another
// reconcile.
func (c *Controller) update(oldObj, obj any) {
	old, _, ok := hpaKey(oldObj)
	hpa, key, ok2 := hpaKey(obj)
	if !ok || !ok2 {
		return
	}
	if old.Generation != hpa.Generation {
		c.add(hpa)
		return
	}
	c.queue.AddRateLimited(key)
}

func (c *Controller) remove(obj any) {
	hpa, key, ok := hpaKey(obj)
	if !ok {
		return
	}
	c.queue.Forget(key)
	c.tracked.remove(hpa.Namespace, hpa.Name)
}

// Run reconciles HPAs until ctx is done.
func (c *Controller) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrash()
	logger := klog.FromContext(ctx)
	if c.broadcaster != nil {
		c.broadcaster.StartStructuredLogging(3)
		c.broadcaster.StartRecordingToSink(&corev1client.EventSinkImpl{Interface: c.client.CoreV1().Events("")})
		defer c.broadcaster.Shutdown()
	}
	defer c.queue.ShutDown()
	logger.Info("Starting controller", "controller", Name)
	if !cache.WaitForNamedCacheSyncWithContext(ctx, c.synced...) {
		return
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	if r, ok := c.mapper.(apimeta.ResettableRESTMapper); ok {
		wg.Go(func() { wait.UntilWithContext(ctx, func(context.Context) { r.Reset() }, mapperResetPeriod) })
	}
	if c.customAPIs != nil {
		// The custom metrics API may be installed, or go, at any time.
		wg.Go(func() {
			wait.UntilWithContext(ctx, func(context.Context) { c.customAPIs.Invalidate() }, c.opts.SyncPeriod)
		})
	}
	for range workers {
		wg.Go(func() { wait.UntilWithContext(ctx, c.work, time.Second) })
	}
	<-ctx.Done()
	c.queue.ShutDown()
}

func (c *Controller) work(ctx context.Context) {
	for {
		key, quit := c.queue.Get()
		if quit {
			return
		}
		deleted, err := c.sync(ctx, key)
		if err != nil {
			utilruntime.HandleErrorWithContext(ctx, err, "Reconciling HPA failed", "controller", Name, "key", key)
		}
		// Back in one sync period, whatever happened: the resync of
		// the informer would requeue it too, but may race with this
		// processing and be dropped.
		if !deleted {
			c.queue.AddRateLimited(key)
		}
		c.queue.Done(key)
	}
}

// sync reconciles one HPA; deleted reports that it is gone.
func (c *Controller) sync(ctx context.Context, key string) (deleted bool, err error) {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return true, err
	}
	hpa, err := c.hpas.HorizontalPodAutoscalers(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		klog.FromContext(ctx).Info("Horizontal Pod Autoscaler has been deleted", "HPA", klog.KRef(namespace, name))
		c.history.forget(key)
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return false, c.reconcile(ctx, hpa, key)
}
