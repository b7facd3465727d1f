package resourcequota

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/kubeshim/kubeshim/controllers/queue"
)

// resync recomputes every quota this often, as upstream's controller does,
// to catch what no event announced.
const resync = 5 * time.Minute

// Controller keeps quotas' status.
type Controller struct {
	client kubernetes.Interface
	quotas corelisters.ResourceQuotaLister
	*counter
	synced []cache.InformerSynced
	// queue holds quota keys (namespace/name).
	queue *queue.Queue
}

// New returns a controller on the factory's informers.
func New(client kubernetes.Interface, f informers.SharedInformerFactory) *Controller {
	core := f.Core().V1()
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(client.Discovery()))
	c := &Controller{client: client, quotas: core.ResourceQuotas().Lister(), counter: newCounter(f, mapper, clock.RealClock{})}
	c.queue = queue.New("resourcequota", c.sync)
	quotas := core.ResourceQuotas().Informer()
	_, _ = quotas.AddEventHandlerWithResyncPeriod(cache.ResourceEventHandlerFuncs{
		AddFunc: c.enqueueQuota,
		// Only a change of spec.hard, or the periodic resync (same
		// resourceVersion), recomputes a quota, as upstream: a status
		// update is mostly the admission plugin charging a new object,
		// which listers may not show yet, and recomputing then would
		// take the charge back.
		UpdateFunc: func(old, cur any) {
			o, ok1 := old.(*corev1.ResourceQuota)
			n, ok2 := cur.(*corev1.ResourceQuota)
			if !ok1 || !ok2 || o.ResourceVersion == n.ResourceVersion || !apiequality.Semantic.DeepEqual(o.Spec, n.Spec) {
				c.enqueueQuota(cur)
			}
		},
	}, resync)
	c.synced = append(c.synced, quotas.HasSynced)
	// A change to anything a quota counts recomputes the namespace's
	// quotas. A pod's update matters as it finishes or changes scope.
	c.counter.onWatch = c.handle
	for _, inf := range []cache.SharedIndexInformer{
		core.Pods().Informer(), core.Services().Informer(), core.ConfigMaps().Informer(), core.Secrets().Informer(),
		core.PersistentVolumeClaims().Informer(), core.ReplicationControllers().Informer(),
		f.Resource().V1().ResourceClaims().Informer(),
	} {
		c.handle(inf)
		c.synced = append(c.synced, inf.HasSynced)
	}
	return c
}

func (c *Controller) handle(inf cache.SharedIndexInformer) {
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueueNamespaceOf,
		UpdateFunc: func(_, obj any) { c.enqueueNamespaceOf(obj) },
		DeleteFunc: c.enqueueNamespaceOf,
	})
}

func (c *Controller) enqueueQuota(obj any) {
	if key, err := cache.MetaNamespaceKeyFunc(obj); err == nil {
		c.queue.Add(key)
	}
}

func (c *Controller) enqueueNamespaceOf(obj any) {
	obj = queue.Unwrap(obj)
	accessor, err := meta.Accessor(obj)
	if err != nil {
		return
	}
	quotas, err := c.quotas.ResourceQuotas(accessor.GetNamespace()).List(labels.Everything())
	if err != nil {
		return
	}
	for _, q := range quotas {
		c.enqueueQuota(q)
	}
}

// Run processes quotas until ctx is done.
func (c *Controller) Run(ctx context.Context, workers int) {
	c.counter.mu.Lock()
	c.counter.stop = ctx.Done()
	c.counter.mu.Unlock()
	c.queue.Run(ctx, workers, c.synced...)
}

func (c *Controller) sync(ctx context.Context, key string) (time.Duration, error) {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, nil
	}
	quota, err := c.quotas.ResourceQuotas(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	synced, err := c.watch(quota.Spec.Hard)
	if err != nil {
		klog.FromContext(ctx).Error(err, "Quota names resources that cannot be counted", "resourceQuota", klog.KObj(quota))
	}
	if !synced {
		return time.Second, nil
	}
	used, err := c.usage(quota)
	if err != nil {
		return 0, fmt.Errorf("usage of %s: %w", key, err)
	}
	if apiequality.Semantic.DeepEqual(quota.Status.Hard, quota.Spec.Hard) && apiequality.Semantic.DeepEqual(quota.Status.Used, used) {
		return 0, nil
	}
	updated := quota.DeepCopy()
	updated.Status = corev1.ResourceQuotaStatus{Hard: quota.Spec.Hard, Used: used}
	_, err = c.client.CoreV1().ResourceQuotas(ns).UpdateStatus(ctx, updated, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	return 0, err
}
