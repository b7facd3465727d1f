package persistentvolume

import (
	"context"
	"fmt"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/wait"
	coreinformers "k8s.io/client-go/informers/core/v1"
	storageinformers "k8s.io/client-go/informers/storage/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	storagelisters "k8s.io/client-go/listers/storage/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/controllers/podclaims"
	"github.com/kubeshim/kubeshim/controllers/queue"
)

// Name is upstream's controller name; Component the events' source.
const (
	Name      = "persistentvolume-binder-controller"
	Component = "persistentvolume-controller"
)

// DefaultResyncPeriod is how often every claim and volume is synced again
// (kube-controller-manager's --pvclaimbinder-sync-period): a claim waits for
// a matching volume or a default class without any event on the claim.
const DefaultResyncPeriod = 15 * time.Second

// Event reasons, upstream's.
const (
	reasonFailedBinding        = "FailedBinding"
	reasonVolumeMismatch       = "VolumeMismatch"
	reasonVolumeFailedRecycle  = "VolumeFailedRecycle"
	reasonVolumeFailedDelete   = "VolumeFailedDelete"
	reasonExternalProvisioning = "ExternalProvisioning"
	reasonProvisioningFailed   = "ProvisioningFailed"
	reasonWaitForFirstConsumer = "WaitForFirstConsumer"
	reasonWaitForPodScheduled  = "WaitForPodScheduled"
	reasonClaimLost            = "ClaimLost"
	reasonClaimMisbound        = "ClaimMisbound"
	reasonUnknownReclaimPolicy = "VolumeUnknownReclaimPolicy"
)

// Controller binds claims to volumes and reclaims released volumes.
type Controller struct {
	client      kubernetes.Interface
	volumeList  corelisters.PersistentVolumeLister
	claimList   corelisters.PersistentVolumeClaimLister
	classes     storagelisters.StorageClassLister
	pods        cache.Indexer
	synced      []cache.InformerSynced
	recorder    record.EventRecorder
	broadcaster record.EventBroadcaster // nil when the recorder is a test's
	resync      time.Duration

	// volumes and claims are the last versions the controller knows, from
	// the informers or from its own writes, whichever is newer. Objects in
	// them are shared and never modified: copy before changing one.
	volumes volumeIndex
	claims  cache.Store

	claimQueue  *queue.Queue
	volumeQueue *queue.Queue
}

// New returns the controller on the shared informers.
func New(client kubernetes.Interface, volumes coreinformers.PersistentVolumeInformer, claims coreinformers.PersistentVolumeClaimInformer,
	classes storageinformers.StorageClassInformer, pods coreinformers.PodInformer) (*Controller, error) {
	b := record.NewBroadcaster()
	c, err := newController(client, volumes, claims, classes, pods, b.NewRecorder(scheme.Scheme, corev1.EventSource{Component: Component}), DefaultResyncPeriod)
	if err != nil {
		return nil, err
	}
	c.broadcaster = b
	return c, nil
}

func newController(client kubernetes.Interface, volumes coreinformers.PersistentVolumeInformer, claims coreinformers.PersistentVolumeClaimInformer,
	classes storageinformers.StorageClassInformer, pods coreinformers.PodInformer, recorder record.EventRecorder, resync time.Duration) (*Controller, error) {
	if err := podclaims.AddIndex(pods.Informer()); err != nil {
		return nil, err
	}
	c := &Controller{
		client:     client,
		volumeList: volumes.Lister(),
		claimList:  claims.Lister(),
		classes:    classes.Lister(),
		pods:       pods.Informer().GetIndexer(),
		synced: []cache.InformerSynced{volumes.Informer().HasSynced, claims.Informer().HasSynced,
			classes.Informer().HasSynced, pods.Informer().HasSynced},
		recorder: recorder,
		resync:   resync,
		volumes:  newVolumeIndex(),
		claims:   cache.NewStore(cache.DeletionHandlingMetaNamespaceKeyFunc),
	}
	c.claimQueue = queue.New("claims", quietConflicts(c.syncClaimKey))
	c.volumeQueue = queue.New("volumes", quietConflicts(c.syncVolumeKey))
	// Every event is a reason to look again; a deletion is found by the
	// key's absence from the informer.
	_, err := volumes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { c.enqueue(c.volumeQueue, obj) },
		UpdateFunc: func(_, obj any) { c.enqueue(c.volumeQueue, obj) },
		DeleteFunc: func(obj any) { c.enqueue(c.volumeQueue, obj) },
	})
	if err != nil {
		return nil, fmt.Errorf("volume event handler: %w", err)
	}
	_, err = claims.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { c.enqueue(c.claimQueue, obj) },
		UpdateFunc: func(_, obj any) { c.enqueue(c.claimQueue, obj) },
		DeleteFunc: func(obj any) { c.enqueue(c.claimQueue, obj) },
	})
	if err != nil {
		return nil, fmt.Errorf("claim event handler: %w", err)
	}
	return c, nil
}

// Run binds and reclaims until ctx is done. The workers argument is
// ignored: each queue has one worker, as upstream, because two concurrent
// syncs could bind one volume to two claims.
func (c *Controller) Run(ctx context.Context, _ int) {
	logger := klog.FromContext(ctx)
	logger.Info("Starting controller", "controller", Name)
	if c.broadcaster != nil {
		c.broadcaster.StartStructuredLogging(3)
		c.broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: c.client.CoreV1().Events("")})
		defer c.broadcaster.Shutdown()
	}
	if !cache.WaitForNamedCacheSync(Name, ctx.Done(), c.synced...) {
		return
	}
	c.initializeCaches(logger)
	go c.claimQueue.Run(ctx, 1)
	go c.volumeQueue.Run(ctx, 1)
	wait.Until(func() { c.resyncAll(logger) }, c.resync, ctx.Done())
}

func (c *Controller) initializeCaches(logger klog.Logger) {
	volumes, err := c.volumeList.List(labels.Everything())
	if err != nil {
		logger.Error(err, "List volumes")
	}
	for _, v := range volumes {
		if _, err := storeObjectUpdate(c.volumes.store, v); err != nil {
			logger.Error(err, "Cache volume", "volume", v.Name)
		}
	}
	claims, err := c.claimList.List(labels.Everything())
	if err != nil {
		logger.Error(err, "List claims")
	}
	for _, claim := range claims {
		if _, err := storeObjectUpdate(c.claims, claim); err != nil {
			logger.Error(err, "Cache claim", "claim", klog.KObj(claim))
		}
	}
}

func (c *Controller) resyncAll(logger klog.Logger) {
	claims, err := c.claimList.List(labels.Everything())
	if err != nil {
		logger.Error(err, "List claims for resync")
		return
	}
	for _, claim := range claims {
		c.enqueue(c.claimQueue, claim)
	}
	volumes, err := c.volumeList.List(labels.Everything())
	if err != nil {
		logger.Error(err, "List volumes for resync")
		return
	}
	for _, v := range volumes {
		c.enqueue(c.volumeQueue, v)
	}
}

func (c *Controller) enqueue(q *queue.Queue, obj any) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		return
	}
	q.Add(key)
}

// syncVolumeKey syncs the volume the informer has, or forgets one it no
// longer has.
func (c *Controller) syncVolumeKey(ctx context.Context, key string) (time.Duration, error) {
	_, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, nil
	}
	volume, err := c.volumeList.Get(name)
	if err == nil {
		isNew, err := storeObjectUpdate(c.volumes.store, volume)
		if err != nil || !isNew {
			return 0, err
		}
		return 0, c.syncVolume(ctx, volume)
	}
	if !apierrors.IsNotFound(err) {
		return 0, err
	}
	obj, found, err := c.volumes.store.GetByKey(key)
	if err != nil || !found {
		return 0, err
	}
	volume = obj.(*corev1.PersistentVolume)
	if err := c.volumes.store.Delete(volume); err != nil {
		return 0, fmt.Errorf("forget volume %s: %w", name, err)
	}
	klog.FromContext(ctx).V(4).Info("Volume deleted", "volume", name)
	// The claim bound to it is now Lost, or may bind to another volume.
	if volume.Spec.ClaimRef != nil {
		c.claimQueue.Add(claimRefKey(volume.Spec.ClaimRef))
	}
	return 0, nil
}

// syncClaimKey syncs the claim the informer has, or forgets one it no
// longer has.
func (c *Controller) syncClaimKey(ctx context.Context, key string) (time.Duration, error) {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, nil
	}
	claim, err := c.claimList.PersistentVolumeClaims(namespace).Get(name)
	if err == nil {
		isNew, err := storeObjectUpdate(c.claims, claim)
		if err != nil || !isNew {
			return 0, err
		}
		return 0, c.syncClaim(ctx, claim)
	}
	if !apierrors.IsNotFound(err) {
		return 0, err
	}
	obj, found, err := c.claims.GetByKey(key)
	if err != nil || !found {
		return 0, err
	}
	claim = obj.(*corev1.PersistentVolumeClaim)
	if err := c.claims.Delete(claim); err != nil {
		return 0, fmt.Errorf("forget claim %s: %w", key, err)
	}
	klog.FromContext(ctx).V(4).Info("Claim deleted", "claim", klog.KObj(claim))
	// Its volume is now released.
	if claim.Spec.VolumeName != "" {
		c.volumeQueue.Add(claim.Spec.VolumeName)
	}
	return 0, nil
}

// conflictRetry is how soon a sync that lost a write race runs again.
const conflictRetry = 100 * time.Millisecond

// quietConflicts retries a sync that hit a conflict soon, without an
// error: the claim and volume workers, the scheduler and provisioners
// write the same objects, and a conflict only means that the informer has
// not caught up yet (upstream logs them at V(3) too).
func quietConflicts(sync queue.SyncFunc) queue.SyncFunc {
	return func(ctx context.Context, key string) (time.Duration, error) {
		after, err := sync(ctx, key)
		if apierrors.IsConflict(err) {
			klog.FromContext(ctx).V(3).Info("Sync lost a write race, retrying", "key", key, "err", err)
			return conflictRetry, nil
		}
		return after, err
	}
}

// storeObjectUpdate puts obj in store unless the store has a newer
// version, and says whether it did. The informer can be behind the
// controller's own writes; acting on its older copy would undo them.
func storeObjectUpdate(store cache.Store, obj any) (bool, error) {
	old, found, err := store.Get(obj)
	if err != nil {
		return false, err
	}
	if !found {
		return true, store.Add(obj)
	}
	newVersion, err := resourceVersion(obj)
	if err != nil {
		return false, err
	}
	oldVersion, err := resourceVersion(old)
	if err != nil {
		return false, err
	}
	if oldVersion > newVersion {
		return false, nil
	}
	return true, store.Update(obj)
}

func resourceVersion(obj any) (int64, error) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseInt(m.GetResourceVersion(), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("resourceVersion %q of %s: %w", m.GetResourceVersion(), m.GetName(), err)
	}
	return v, nil
}

// storeVolume and storeClaim record the controller's own writes.
func (c *Controller) storeVolume(ctx context.Context, v *corev1.PersistentVolume) {
	if _, err := storeObjectUpdate(c.volumes.store, v); err != nil {
		// The informer's event will bring it.
		klog.FromContext(ctx).V(4).Info("Cannot cache volume", "volume", v.Name, "err", err)
	}
}

func (c *Controller) storeClaim(ctx context.Context, claim *corev1.PersistentVolumeClaim) {
	if _, err := storeObjectUpdate(c.claims, claim); err != nil {
		klog.FromContext(ctx).V(4).Info("Cannot cache claim", "claim", klog.KObj(claim), "err", err)
	}
}

func claimKey(claim *corev1.PersistentVolumeClaim) string {
	return queue.Key(claim.Namespace, claim.Name)
}

func claimRefKey(ref *corev1.ObjectReference) string { return queue.Key(ref.Namespace, ref.Name) }
