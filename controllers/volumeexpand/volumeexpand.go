package volumeexpand

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/controllers/queue"
)

const (
	// Name is upstream's controller name.
	Name = "persistentvolume-expander-controller"
	// Component is the source of the controller's events, as upstream's.
	Component = "volume_expand"

	// ReasonExternalExpanding and MessageExternalExpanding are upstream's
	// event for a volume no in-tree plugin can expand.
	ReasonExternalExpanding  = "ExternalExpanding"
	MessageExternalExpanding = "waiting for an external controller to expand this PVC"
)

// Controller hands growing claims to their external resizers.
type Controller struct {
	client      kubernetes.Interface
	claims      corelisters.PersistentVolumeClaimLister
	volumes     corelisters.PersistentVolumeLister
	synced      []cache.InformerSynced
	recorder    record.EventRecorder
	broadcaster record.EventBroadcaster // nil when the recorder is a test's
	queue       *queue.Queue
}

// New returns the controller on the shared claim and volume informers.
func New(client kubernetes.Interface, claims coreinformers.PersistentVolumeClaimInformer, volumes coreinformers.PersistentVolumeInformer) (*Controller, error) {
	b := record.NewBroadcaster()
	c, err := newController(client, claims, volumes, b.NewRecorder(scheme.Scheme, corev1.EventSource{Component: Component}))
	if err != nil {
		return nil, err
	}
	c.broadcaster = b
	return c, nil
}

func newController(client kubernetes.Interface, claims coreinformers.PersistentVolumeClaimInformer, volumes coreinformers.PersistentVolumeInformer, recorder record.EventRecorder) (*Controller, error) {
	c := &Controller{
		client:   client,
		claims:   claims.Lister(),
		volumes:  volumes.Lister(),
		synced:   []cache.InformerSynced{claims.Informer().HasSynced, volumes.Informer().HasSynced},
		recorder: recorder,
	}
	c.queue = queue.New("volume_expand", c.sync)
	_, err := claims.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: c.enqueue,
		// As upstream: only a request that grew is news; status writes
		// (the resizer's own among them) are not.
		UpdateFunc: func(old, obj any) {
			o, ok1 := old.(*corev1.PersistentVolumeClaim)
			n, ok2 := obj.(*corev1.PersistentVolumeClaim)
			if !ok1 || !ok2 {
				return
			}
			oldReq, newReq := o.Spec.Resources.Requests[corev1.ResourceStorage], n.Spec.Resources.Requests[corev1.ResourceStorage]
			if newReq.Cmp(oldReq) > 0 {
				c.enqueue(n)
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("claim event handler: %w", err)
	}
	return c, nil
}

// Run watches claims until ctx is done.
func (c *Controller) Run(ctx context.Context, workers int) {
	klog.FromContext(ctx).Info("Starting controller", "controller", Name)
	if c.broadcaster != nil {
		c.broadcaster.StartStructuredLogging(3)
		c.broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: c.client.CoreV1().Events("")})
		defer c.broadcaster.Shutdown()
	}
	c.queue.Run(ctx, workers, c.synced...)
}

func (c *Controller) enqueue(obj any) {
	if claim, ok := obj.(*corev1.PersistentVolumeClaim); ok && claim.Status.Phase == corev1.ClaimBound {
		c.queue.Add(queue.Key(claim.Namespace, claim.Name))
	}
}

func (c *Controller) sync(ctx context.Context, key string) (time.Duration, error) {
	namespace, name, _ := strings.Cut(key, "/")
	claim, err := c.claims.PersistentVolumeClaims(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	request := claim.Spec.Resources.Requests[corev1.ResourceStorage]
	capacity := claim.Status.Capacity[corev1.ResourceStorage]
	if claim.Status.Phase != corev1.ClaimBound || request.Cmp(capacity) <= 0 {
		return 0, nil
	}
	volume, err := c.volumes.Get(claim.Spec.VolumeName)
	if err != nil {
		return 0, fmt.Errorf("volume %q of claim %s: %w", claim.Spec.VolumeName, key, err)
	}
	if ref := volume.Spec.ClaimRef; ref == nil || ref.Namespace != claim.Namespace || ref.UID != claim.UID {
		// The binder has not finished with it; upstream retries too.
		return 0, fmt.Errorf("persistent volume %s is not bound to claim %s", volume.Name, key)
	}
	c.recorder.Event(claim, corev1.EventTypeNormal, ReasonExternalExpanding, MessageExternalExpanding)
	klog.FromContext(ctx).Info("Waiting for an external controller to expand the PVC", "pvc", klog.KObj(claim), "volume", volume.Name)
	return 0, nil
}
