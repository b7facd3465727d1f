package pvprotection

import (
	"context"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/controllers/queue"
)

// Name is upstream's controller name.
const Name = "persistentvolume-protection-controller"

// Finalizer is the volume's protection finalizer.
const Finalizer = "kubernetes.io/pv-protection"

// Controller guards bound volumes.
type Controller struct {
	client  kubernetes.Interface
	volumes corelisters.PersistentVolumeLister
	synced  cache.InformerSynced
	queue   *queue.Queue
}

// New returns the controller on the shared volume informer.
func New(client kubernetes.Interface, volumes coreinformers.PersistentVolumeInformer) (*Controller, error) {
	c := &Controller{client: client, volumes: volumes.Lister(), synced: volumes.Informer().HasSynced}
	c.queue = queue.New("pvprotection", c.sync)
	_, err := volumes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueue,
		UpdateFunc: func(_, obj any) { c.enqueue(obj) },
	})
	if err != nil {
		return nil, fmt.Errorf("volume event handler: %w", err)
	}
	return c, nil
}

// Run protects volumes until ctx is done.
func (c *Controller) Run(ctx context.Context, workers int) {
	klog.FromContext(ctx).Info("Starting controller", "controller", Name)
	c.queue.Run(ctx, workers, c.synced)
}

func (c *Controller) enqueue(obj any) {
	if pv, ok := obj.(*corev1.PersistentVolume); ok && (needsFinalizer(pv) || deletionCandidate(pv)) {
		c.queue.Add(pv.Name)
	}
}

func (c *Controller) sync(ctx context.Context, name string) (time.Duration, error) {
	pv, err := c.volumes.Get(name)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if deletionCandidate(pv) {
		// A volume is in use exactly while it is Bound: the persistent
		// volume controller releases it when its claim goes.
		if pv.Status.Phase != corev1.VolumeBound {
			return 0, c.update(ctx, pv, slices.DeleteFunc(slices.Clone(pv.Finalizers), func(f string) bool { return f == Finalizer }), "Removed")
		}
		klog.FromContext(ctx).V(4).Info("Keeping PV because it is being used", "volume", pv.Name)
	}
	if needsFinalizer(pv) {
		return 0, c.update(ctx, pv, append(slices.Clone(pv.Finalizers), Finalizer), "Added")
	}
	return 0, nil
}

func (c *Controller) update(ctx context.Context, pv *corev1.PersistentVolume, finalizers []string, verb string) error {
	clone := pv.DeepCopy()
	clone.Finalizers = finalizers
	if _, err := c.client.CoreV1().PersistentVolumes().Update(ctx, clone, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("update protection finalizer of volume %s: %w", pv.Name, err)
	}
	klog.FromContext(ctx).V(3).Info(verb+" protection finalizer of PV", "volume", pv.Name)
	return nil
}

func needsFinalizer(pv *corev1.PersistentVolume) bool {
	return pv.DeletionTimestamp == nil && !slices.Contains(pv.Finalizers, Finalizer)
}

func deletionCandidate(pv *corev1.PersistentVolume) bool {
	return pv.DeletionTimestamp != nil && slices.Contains(pv.Finalizers, Finalizer)
}
