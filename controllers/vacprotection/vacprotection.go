package vacprotection

import (
	"context"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	storageinformers "k8s.io/client-go/informers/storage/v1"
	"k8s.io/client-go/kubernetes"
	storagelisters "k8s.io/client-go/listers/storage/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/controllers/queue"
)

// Name is upstream's controller name.
const Name = "volumeattributesclass-protection-controller"

// Finalizer is the class's protection finalizer.
const Finalizer = "kubernetes.io/vac-protection"

// classIndex indexes volumes and claims by the classes they name.
const classIndex = "volumeAttributesClassName"

// Controller guards classes in use.
type Controller struct {
	client  kubernetes.Interface
	classes storagelisters.VolumeAttributesClassLister
	volumes cache.Indexer
	claims  cache.Indexer
	synced  []cache.InformerSynced
	queue   *queue.Queue
}

// New returns the controller on the shared informers.
func New(client kubernetes.Interface, claims coreinformers.PersistentVolumeClaimInformer, volumes coreinformers.PersistentVolumeInformer,
	classes storageinformers.VolumeAttributesClassInformer) (*Controller, error) {
	c := &Controller{
		client:  client,
		classes: classes.Lister(),
		volumes: volumes.Informer().GetIndexer(),
		claims:  claims.Informer().GetIndexer(),
		synced:  []cache.InformerSynced{claims.Informer().HasSynced, volumes.Informer().HasSynced, classes.Informer().HasSynced},
	}
	c.queue = queue.New("vacprotection", c.sync)
	if err := volumes.Informer().AddIndexers(cache.Indexers{classIndex: func(obj any) ([]string, error) {
		if pv, ok := obj.(*corev1.PersistentVolume); ok {
			return volumeClasses(pv), nil
		}
		return nil, nil
	}}); err != nil {
		return nil, fmt.Errorf("volume index: %w", err)
	}
	if err := claims.Informer().AddIndexers(cache.Indexers{classIndex: func(obj any) ([]string, error) {
		if pvc, ok := obj.(*corev1.PersistentVolumeClaim); ok {
			return claimClasses(pvc), nil
		}
		return nil, nil
	}}); err != nil {
		return nil, fmt.Errorf("claim index: %w", err)
	}
	_, err := classes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.classChanged,
		UpdateFunc: func(_, obj any) { c.classChanged(obj) },
	})
	if err != nil {
		return nil, fmt.Errorf("class event handler: %w", err)
	}
	// A class may be free once a volume or claim stops naming it.
	_, err = volumes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		UpdateFunc: func(old, obj any) {
			c.released(volumeClasses(old.(*corev1.PersistentVolume)), volumeClasses(obj.(*corev1.PersistentVolume)))
		},
		DeleteFunc: func(obj any) {
			if pv, ok := queue.Unwrap(obj).(*corev1.PersistentVolume); ok {
				c.released(volumeClasses(pv), nil)
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("volume event handler: %w", err)
	}
	_, err = claims.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		UpdateFunc: func(old, obj any) {
			c.released(claimClasses(old.(*corev1.PersistentVolumeClaim)), claimClasses(obj.(*corev1.PersistentVolumeClaim)))
		},
		DeleteFunc: func(obj any) {
			if pvc, ok := queue.Unwrap(obj).(*corev1.PersistentVolumeClaim); ok {
				c.released(claimClasses(pvc), nil)
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("claim event handler: %w", err)
	}
	return c, nil
}

// Run protects classes until ctx is done.
func (c *Controller) Run(ctx context.Context, workers int) {
	klog.FromContext(ctx).Info("Starting controller", "controller", Name)
	c.queue.Run(ctx, workers, c.synced...)
}

func (c *Controller) classChanged(obj any) {
	if vac, ok := obj.(*storagev1.VolumeAttributesClass); ok && (needsFinalizer(vac) || deletionCandidate(vac)) {
		c.queue.Add(vac.Name)
	}
}

// released enqueues the classes named before and no longer.
func (c *Controller) released(before, after []string) {
	for _, name := range before {
		if !slices.Contains(after, name) {
			c.queue.Add(name)
		}
	}
}

func (c *Controller) sync(ctx context.Context, name string) (time.Duration, error) {
	vac, err := c.classes.Get(name)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if deletionCandidate(vac) {
		used, err := c.inUse(name)
		if err != nil {
			return 0, err
		}
		if !used {
			return 0, c.update(ctx, vac, slices.DeleteFunc(slices.Clone(vac.Finalizers), func(f string) bool { return f == Finalizer }), "Removed")
		}
		klog.FromContext(ctx).V(4).Info("Keeping VAC because it is being used", "volumeAttributesClass", name)
	}
	if needsFinalizer(vac) {
		return 0, c.update(ctx, vac, append(slices.Clone(vac.Finalizers), Finalizer), "Added")
	}
	return 0, nil
}

func (c *Controller) inUse(name string) (bool, error) {
	volumes, err := c.volumes.ByIndex(classIndex, name)
	if err != nil {
		return false, fmt.Errorf("volumes of class %s: %w", name, err)
	}
	if len(volumes) > 0 {
		return true, nil
	}
	claims, err := c.claims.ByIndex(classIndex, name)
	if err != nil {
		return false, fmt.Errorf("claims of class %s: %w", name, err)
	}
	return len(claims) > 0, nil
}

func (c *Controller) update(ctx context.Context, vac *storagev1.VolumeAttributesClass, finalizers []string, verb string) error {
	clone := vac.DeepCopy()
	clone.Finalizers = finalizers
	if _, err := c.client.StorageV1().VolumeAttributesClasses().Update(ctx, clone, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("update protection finalizer of volume attributes class %s: %w", vac.Name, err)
	}
	klog.FromContext(ctx).V(3).Info(verb+" protection finalizer of VAC", "volumeAttributesClass", vac.Name)
	return nil
}

func volumeClasses(pv *corev1.PersistentVolume) []string {
	if name := ptr.Deref(pv.Spec.VolumeAttributesClassName, ""); name != "" {
		return []string{name}
	}
	return nil
}

// claimClasses: the class a claim asks for, the one it has and the one it
// is being modified to.
func claimClasses(pvc *corev1.PersistentVolumeClaim) []string {
	var names []string
	add := func(name string) {
		if name != "" && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	add(ptr.Deref(pvc.Spec.VolumeAttributesClassName, ""))
	add(ptr.Deref(pvc.Status.CurrentVolumeAttributesClassName, ""))
	if s := pvc.Status.ModifyVolumeStatus; s != nil {
		add(s.TargetVolumeAttributesClassName)
	}
	return names
}

func needsFinalizer(vac *storagev1.VolumeAttributesClass) bool {
	return vac.DeletionTimestamp == nil && !slices.Contains(vac.Finalizers, Finalizer)
}

func deletionCandidate(vac *storagev1.VolumeAttributesClass) bool {
	return vac.DeletionTimestamp != nil && slices.Contains(vac.Finalizers, Finalizer)
}
