package statefulset

import (
	"context"
	"fmt"
	"reflect"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
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
	"k8s.io/utils/lru"

	"github.com/kubeshim/kubeshim/controllers/owner"
	"github.com/kubeshim/kubeshim/controllers/queue"
)

var (
	// controllerKind names StatefulSets in ownerReferences.
	controllerKind = appsv1.SchemeGroupVersion.WithKind("StatefulSet")
	// podKind names pods in their claims' ownerReferences.
	podKind = corev1.SchemeGroupVersion.WithKind("Pod")
)

// ownerIndex indexes pods and ControllerRevisions controlled by a
// StatefulSet by that set's UID, and orphans by orphanKey of their
// namespace: a set finds what it owns and what it may adopt without listing
// its namespace. Objects of other controllers are not indexed.
const ownerIndex = "kubeshim.io/statefulset-owner"

func orphanKey(namespace string) string { return "orphan/" + namespace }

func ownerKeys(obj any) ([]string, error) {
	o, ok := obj.(metav1.Object)
	if !ok {
		return nil, nil
	}
	ref := metav1.GetControllerOfNoCopy(o)
	switch {
	case ref == nil:
		return []string{orphanKey(o.GetNamespace())}, nil
	case ref.Kind == controllerKind.Kind:
		return []string{string(ref.UID)}, nil
	}
	return nil, nil
}

// Controller runs StatefulSets.
type Controller struct {
	client    kubernetes.Interface
	sets      appslisters.StatefulSetLister
	pods      cache.Indexer
	podLister corelisters.PodLister
	claims    corelisters.PersistentVolumeClaimLister
	revisions cache.Indexer
	synced    []cache.InformerSynced
	clock     clock.PassiveClock

	// writes holds the resource versions of this controller's own writes,
	// per set, until the informers show them.
	writes *writeTracker
	// sameTemplate caches sameAsRevision's positive answers.
	sameTemplate *lru.Cache

	recorder record.EventRecorder
	// broadcaster is nil when the recorder came from the caller (tests).
	broadcaster record.EventBroadcaster
	queue       *queue.Queue
}

// New returns a statefulset controller on the shared informers. Call it
// before the informers start: it adds indexes to the pod and revision
// informers.
func New(client kubernetes.Interface, sets appsinformers.StatefulSetInformer, pods coreinformers.PodInformer,
	claims coreinformers.PersistentVolumeClaimInformer, revisions appsinformers.ControllerRevisionInformer) *Controller {
	b := record.NewBroadcaster()
	c := newController(client, sets, pods, claims, revisions, clock.RealClock{},
		b.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "statefulset-controller"}))
	c.broadcaster = b
	return c
}

func newController(client kubernetes.Interface, sets appsinformers.StatefulSetInformer, pods coreinformers.PodInformer,
	claims coreinformers.PersistentVolumeClaimInformer, revisions appsinformers.ControllerRevisionInformer,
	clk clock.PassiveClock, recorder record.EventRecorder) *Controller {
	c := &Controller{
		client:    client,
		sets:      sets.Lister(),
		pods:      pods.Informer().GetIndexer(),
		podLister: pods.Lister(),
		claims:    claims.Lister(),
		revisions: revisions.Informer().GetIndexer(),
		synced: []cache.InformerSynced{sets.Informer().HasSynced, pods.Informer().HasSynced,
			claims.Informer().HasSynced, revisions.Informer().HasSynced},
		clock: clk,
		writes: newWriteTracker(map[string]cache.Store{
			resourcePods:      pods.Informer().GetStore(),
			resourceClaims:    claims.Informer().GetStore(),
			resourceSets:      sets.Informer().GetStore(),
			resourceRevisions: revisions.Informer().GetStore(),
		}),
		sameTemplate: newSameTemplateCache(),
		recorder:     recorder,
	}
	c.queue = queue.New("statefulset", c.sync)
	for _, i := range []cache.SharedIndexInformer{pods.Informer(), revisions.Informer()} {
		if _, ok := i.GetIndexer().GetIndexers()[ownerIndex]; ok {
			continue
		}
		// An error means the informer already started, a programming
		// error: the controller cannot find what it owns then.
		if err := i.AddIndexers(cache.Indexers{ownerIndex: ownerKeys}); err != nil {
			panic(fmt.Sprintf("add statefulset owner index: %v", err))
		}
	}
	_, _ = sets.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueue,
		UpdateFunc: func(_, cur any) { c.enqueue(cur) },
		DeleteFunc: c.setDeleted,
	})
	_, _ = pods.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.podAdded,
		UpdateFunc: c.podUpdated,
		DeleteFunc: c.podDeleted,
	})
	// Revisions are only read from their cache, as upstream. Of claims,
	// only deletions matter: a pod waiting for its stale claim to go
	// (claimIsStale) can go on once it is gone, where upstream waits for a
	// resync.
	_, _ = claims.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{DeleteFunc: c.claimDeleted})
	return c
}

// Run processes StatefulSets until ctx is done.
func (c *Controller) Run(ctx context.Context, workers int) {
	if c.broadcaster != nil {
		c.broadcaster.StartStructuredLogging(3)
		c.broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: c.client.CoreV1().Events("")})
		defer c.broadcaster.Shutdown()
	}
	klog.FromContext(ctx).Info("Starting controller", "controller", "statefulset")
	c.queue.Run(ctx, workers, c.synced...)
}

func (c *Controller) enqueue(obj any) {
	if set, ok := queue.Unwrap(obj).(*appsv1.StatefulSet); ok {
		c.queue.Add(queue.Key(set.Namespace, set.Name))
	}
}

func (c *Controller) setDeleted(obj any) {
	if set, ok := queue.Unwrap(obj).(*appsv1.StatefulSet); ok {
		c.writes.forget(queue.Key(set.Namespace, set.Name), "")
		c.queue.Add(queue.Key(set.Namespace, set.Name))
	}
}

// resolve returns the set a controllerRef names, if it still is the same
// object.
func (c *Controller) resolve(namespace string, ref *metav1.OwnerReference) *appsv1.StatefulSet {
	return owner.Resolve(ref, controllerKind.Kind, c.sets.StatefulSets(namespace).Get)
}

// selecting returns the sets in namespace whose selector matches lbls: for
// a pod, the candidates to adopt it.
func (c *Controller) selecting(namespace string, lbls map[string]string) []*appsv1.StatefulSet {
	all, err := c.sets.StatefulSets(namespace).List(labels.Everything())
	if err != nil {
		return nil
	}
	var out []*appsv1.StatefulSet
	for _, set := range all {
		sel, err := metav1.LabelSelectorAsSelector(set.Spec.Selector)
		// An empty selector must match nothing here, not everything.
		if err != nil || sel.Empty() || !sel.Matches(labels.Set(lbls)) {
			continue
		}
		out = append(out, set)
	}
	return out
}

func (c *Controller) podAdded(obj any) {
	pod := obj.(*corev1.Pod)
	if pod.DeletionTimestamp != nil {
		// Seen for the first time already terminating (an informer
		// restart): the owner only needs to know it is going.
		c.podDeleted(pod)
		return
	}
	if ref := metav1.GetControllerOfNoCopy(pod); ref != nil {
		if set := c.resolve(pod.Namespace, ref); set != nil {
			c.enqueue(set)
		}
		return
	}
	for _, set := range c.selecting(pod.Namespace, pod.Labels) {
		c.enqueue(set)
	}
}

func (c *Controller) podUpdated(oldObj, newObj any) {
	old, cur := oldObj.(*corev1.Pod), newObj.(*corev1.Pod)
	if old.ResourceVersion == cur.ResourceVersion {
		// A resync: nothing changed.
		return
	}
	curRef, oldRef := metav1.GetControllerOfNoCopy(cur), metav1.GetControllerOfNoCopy(old)
	refChanged := !reflect.DeepEqual(curRef, oldRef)
	if refChanged && oldRef != nil {
		if set := c.resolve(old.Namespace, oldRef); set != nil {
			c.enqueue(set)
		}
	}
	if curRef != nil {
		// A pod becoming ready with minReadySeconds is followed up by the
		// sync itself, which asks to come back when the pod is available.
		if set := c.resolve(cur.Namespace, curRef); set != nil {
			c.enqueue(set)
		}
		return
	}
	if refChanged || !reflect.DeepEqual(cur.Labels, old.Labels) {
		for _, set := range c.selecting(cur.Namespace, cur.Labels) {
			c.enqueue(set)
		}
	}
}

func (c *Controller) podDeleted(obj any) {
	pod, ok := queue.Unwrap(obj).(*corev1.Pod)
	if !ok {
		return
	}
	if ref := metav1.GetControllerOfNoCopy(pod); ref != nil {
		if set := c.resolve(pod.Namespace, ref); set != nil {
			c.enqueue(set)
		}
	}
}

// claimDeleted wakes the sets whose claims (labelled with their selector's
// matchLabels) a deleted claim may have been.
func (c *Controller) claimDeleted(obj any) {
	claim, ok := queue.Unwrap(obj).(*corev1.PersistentVolumeClaim)
	if !ok || len(claim.Labels) == 0 {
		return
	}
	for _, set := range c.selecting(claim.Namespace, claim.Labels) {
		c.enqueue(set)
	}
}
