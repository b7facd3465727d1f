package deployment

import (
	"context"
	"fmt"
	"reflect"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	appsinformers "k8s.io/client-go/informers/apps/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/kubeshim/kubeshim/controllers/owner"
	"github.com/kubeshim/kubeshim/controllers/queue"
)

// controllerKind names Deployments in their ReplicaSets' ownerReferences.
var controllerKind = appsv1.SchemeGroupVersion.WithKind("Deployment")

// Controller rolls Deployments out through ReplicaSets.
type Controller struct {
	client      kubernetes.Interface
	deployments appslisters.DeploymentLister
	replicaSets appslisters.ReplicaSetLister
	pods        corelisters.PodLister
	synced      []cache.InformerSynced
	clock       clock.PassiveClock
	recorder    record.EventRecorder
	// broadcaster is nil when the recorder came from the caller (tests).
	broadcaster record.EventBroadcaster
	queue       *queue.Queue
}

// New returns a deployment controller on the shared informers.
func New(client kubernetes.Interface, deployments appsinformers.DeploymentInformer, replicaSets appsinformers.ReplicaSetInformer, pods coreinformers.PodInformer) *Controller {
	broadcaster := record.NewBroadcaster()
	c := newController(client, deployments, replicaSets, pods, clock.RealClock{},
		broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "deployment-controller"}))
	c.broadcaster = broadcaster
	return c
}

func newController(client kubernetes.Interface, deployments appsinformers.DeploymentInformer, replicaSets appsinformers.ReplicaSetInformer,
	pods coreinformers.PodInformer, clk clock.PassiveClock, recorder record.EventRecorder) *Controller {
	c := &Controller{
		client:      client,
		deployments: deployments.Lister(),
		replicaSets: replicaSets.Lister(),
		pods:        pods.Lister(),
		synced:      []cache.InformerSynced{deployments.Informer().HasSynced, replicaSets.Informer().HasSynced, pods.Informer().HasSynced},
		clock:       clk,
		recorder:    recorder,
	}
	c.queue = queue.New("deployment", c.sync)
	_, _ = deployments.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueue,
		UpdateFunc: func(_, cur any) { c.enqueue(cur) },
		DeleteFunc: c.enqueue,
	})
	_, _ = replicaSets.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.replicaSetAdded,
		UpdateFunc: c.replicaSetUpdated,
		DeleteFunc: c.replicaSetDeleted,
	})
	// Only pod deletions matter, and only to Recreate, which waits for the
	// old pods to be gone before it scales the new ReplicaSet up.
	_, _ = pods.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{DeleteFunc: c.podDeleted})
	return c
}

// Run processes Deployments until ctx is done.
func (c *Controller) Run(ctx context.Context, workers int) {
	if c.broadcaster != nil {
		c.broadcaster.StartStructuredLogging(3)
		c.broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: c.client.CoreV1().Events("")})
		defer c.broadcaster.Shutdown()
	}
	klog.FromContext(ctx).Info("Starting controller", "controller", "deployment")
	c.queue.Run(ctx, workers, c.synced...)
}

func (c *Controller) enqueue(obj any) {
	if d, ok := queue.Unwrap(obj).(*appsv1.Deployment); ok {
		c.queue.Add(d.Namespace + "/" + d.Name)
	}
}

// resolve returns the Deployment a controllerRef names, if it still is the
// same object.
func (c *Controller) resolve(namespace string, ref *metav1.OwnerReference) *appsv1.Deployment {
	return owner.Resolve(ref, controllerKind.Kind, c.deployments.Deployments(namespace).Get)
}

// selecting returns the Deployments whose selector matches rs's labels:
// the candidates to adopt it.
func (c *Controller) selecting(rs *appsv1.ReplicaSet) []*appsv1.Deployment {
	if len(rs.Labels) == 0 {
		return nil
	}
	all, err := c.deployments.Deployments(rs.Namespace).List(labels.Everything())
	if err != nil {
		return nil
	}
	var out []*appsv1.Deployment
	for _, d := range all {
		sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
		// An empty selector must match nothing here, not everything.
		if err != nil || sel.Empty() || !sel.Matches(labels.Set(rs.Labels)) {
			continue
		}
		out = append(out, d)
	}
	return out
}

func (c *Controller) replicaSetAdded(obj any) {
	rs := obj.(*appsv1.ReplicaSet)
	if rs.DeletionTimestamp != nil {
		// Seen for the first time already being deleted (an informer
		// restart): no adoption for it.
		c.replicaSetDeleted(rs)
		return
	}
	if ref := metav1.GetControllerOfNoCopy(rs); ref != nil {
		if d := c.resolve(rs.Namespace, ref); d != nil {
			c.enqueue(d)
		}
		return
	}
	for _, d := range c.selecting(rs) {
		c.enqueue(d)
	}
}

func (c *Controller) replicaSetUpdated(oldObj, newObj any) {
	old, cur := oldObj.(*appsv1.ReplicaSet), newObj.(*appsv1.ReplicaSet)
	if old.ResourceVersion == cur.ResourceVersion {
		// A resync: nothing changed.
		return
	}
	curRef, oldRef := metav1.GetControllerOfNoCopy(cur), metav1.GetControllerOfNoCopy(old)
	refChanged := !reflect.DeepEqual(curRef, oldRef)
	if refChanged && oldRef != nil {
		if d := c.resolve(old.Namespace, oldRef); d != nil {
			c.enqueue(d)
		}
	}
	if curRef != nil {
		if d := c.resolve(cur.Namespace, curRef); d != nil {
			c.enqueue(d)
		}
		return
	}
	if refChanged || !reflect.DeepEqual(cur.Labels, old.Labels) {
		for _, d := range c.selecting(cur) {
			c.enqueue(d)
		}
	}
}

func (c *Controller) replicaSetDeleted(obj any) {
	rs, ok := queue.Unwrap(obj).(*appsv1.ReplicaSet)
	if !ok {
		return
	}
	if ref := metav1.GetControllerOfNoCopy(rs); ref != nil {
		if d := c.resolve(rs.Namespace, ref); d != nil {
			c.enqueue(d)
		}
	}
}

func (c *Controller) podDeleted(obj any) {
	pod, ok := queue.Unwrap(obj).(*corev1.Pod)
	if !ok {
		return
	}
	ref := metav1.GetControllerOfNoCopy(pod)
	if ref == nil || ref.Kind != "ReplicaSet" {
		return
	}
	rs, err := c.replicaSets.ReplicaSets(pod.Namespace).Get(ref.Name)
	if err != nil || rs.UID != ref.UID {
		return
	}
	dref := metav1.GetControllerOfNoCopy(rs)
	if dref == nil {
		return
	}
	if d := c.resolve(rs.Namespace, dref); d != nil && d.Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType {
		c.enqueue(d)
	}
}

// sync reconciles one Deployment: claim its ReplicaSets, then, in upstream's
// order of precedence, only report status (being deleted), scale (paused,
// or spec.replicas changed), or roll out by the strategy.
func (c *Controller) sync(ctx context.Context, key string) (time.Duration, error) {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, nil
	}
	cached, err := c.deployments.Deployments(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		// The garbage collector takes care of its ReplicaSets.
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	after, err := c.syncDeployment(ctx, cached.DeepCopy())
	if apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
		// Nothing can be created in a terminating namespace; retrying
		// would not help.
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("sync deployment %s: %w", key, err)
	}
	return after, nil
}

// syncDeployment works on d, the controller's own copy.
func (c *Controller) syncDeployment(ctx context.Context, d *appsv1.Deployment) (time.Duration, error) {
	if reflect.DeepEqual(d.Spec.Selector, &metav1.LabelSelector{}) {
		// Validation refuses this; a Deployment that has it anyway must
		// not take over every ReplicaSet and pod of its namespace.
		c.recorder.Eventf(d, corev1.EventTypeWarning, "SelectingAll", "This deployment is selecting all pods. A non-empty selector is required.")
		if d.Status.ObservedGeneration < d.Generation {
			d.Status.ObservedGeneration = d.Generation
			if err := c.updateStatus(ctx, d); err != nil {
				return 0, err
			}
		}
		return 0, nil
	}
	rsList, err := c.claimReplicaSets(ctx, d)
	if err != nil {
		return 0, err
	}
	if d.DeletionTimestamp != nil {
		return 0, c.syncStatusOnly(ctx, d, rsList)
	}
	// Paused and resumed are recorded in the Progressing condition first,
	// so that a resumed rollout's deadline counts from the resume, not
	// from before the pause.
	if err := c.checkPausedConditions(ctx, d); err != nil {
		return 0, err
	}
	if d.Spec.Paused {
		return 0, c.syncScale(ctx, d, rsList)
	}
	scaling, err := c.isScalingEvent(ctx, d, rsList)
	if err != nil {
		return 0, err
	}
	if scaling {
		return 0, c.syncScale(ctx, d, rsList)
	}
	switch d.Spec.Strategy.Type {
	case appsv1.RecreateDeploymentStrategyType:
		return c.rolloutRecreate(ctx, d, rsList)
	case appsv1.RollingUpdateDeploymentStrategyType:
		return c.rolloutRolling(ctx, d, rsList)
	}
	return 0, fmt.Errorf("unexpected deployment strategy type %q", d.Spec.Strategy.Type)
}

// updateStatus writes d's status (and metadata: the revision annotation
// travels this way, as upstream) and keeps d's resourceVersion current, so
// that a second write in the same sync does not conflict with the first.
func (c *Controller) updateStatus(ctx context.Context, d *appsv1.Deployment) error {
	updated, err := c.client.AppsV1().Deployments(d.Namespace).UpdateStatus(ctx, d, metav1.UpdateOptions{})
	if err != nil {
		return fmt.Errorf("update status: %w", err)
	}
	d.ResourceVersion = updated.ResourceVersion
	return nil
}
