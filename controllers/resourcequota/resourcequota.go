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
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/kubeshim/kubeshim/controllers/queue"
)

// resync recomputes every quota this often, as upstream's controller does,
// to catch what no event announced.
const resync = 5 * time.Minute

// Controller keeps quotas' status.
type Controller struct {
	client kubernetes.Interface
	listers
	synced []cache.InformerSynced
	// queue holds quota keys (namespace/name).
	queue *queue.Queue
}

// New returns a controller on the factory's informers.
func New(client kubernetes.Interface, f informers.SharedInformerFactory) *Controller {
	core := f.Core().V1()
	c := &Controller{client: client, listers: listers{
		pods: core.Pods().Lister(), services: core.Services().Lister(), configMaps: core.ConfigMaps().Lister(),
		secrets: core.Secrets().Lister(), claims: core.PersistentVolumeClaims().Lister(),
		rcs: core.ReplicationControllers().Lister(), quotas: core.ResourceQuotas().Lister(),
	}}
	c.queue = queue.New("resourcequota", c.sync)
	quotas := core.ResourceQuotas().Informer()
	_, _ = quotas.AddEventHandlerWithResyncPeriod(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueueQuota,
		UpdateFunc: func(_, obj any) { c.enqueueQuota(obj) },
	}, resync)
	c.synced = append(c.synced, quotas.HasSynced)
	// A change to anything a quota counts recomputes the namespace's quotas.
	for _, inf := range []cache.SharedIndexInformer{
		core.Pods().Informer(), core.Services().Informer(), core.ConfigMaps().Informer(), core.Secrets().Informer(),
		core.PersistentVolumeClaims().Informer(), core.ReplicationControllers().Informer(),
	} {
		_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    c.enqueueNamespaceOf,
			UpdateFunc: func(_, obj any) { c.enqueueNamespaceOf(obj) },
			DeleteFunc: c.enqueueNamespaceOf,
		})
		c.synced = append(c.synced, inf.HasSynced)
	}
	return c
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
	used, err := c.usage(ns, quota.Spec.Hard)
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
