package job

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	batchinformers "k8s.io/client-go/informers/batch/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	batchlisters "k8s.io/client-go/listers/batch/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/kubeshim/kubeshim/controllers/owner"
	"github.com/kubeshim/kubeshim/controllers/queue"
)

// podOwnerIndex indexes pods by their controller's UID, and orphans by
// orphanIndexKey of their namespace: a job finds its pods and its candidates
// for adoption without listing the namespace.
const podOwnerIndex = "kubeshim.io/job-pod-owner"

func orphanIndexKey(namespace string) string { return "orphan/" + namespace }

func podOwnerKeys(obj any) ([]string, error) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return nil, nil
	}
	if ref := metav1.GetControllerOfNoCopy(pod); ref != nil {
		return []string{string(ref.UID)}, nil
	}
	return []string{orphanIndexKey(pod.Namespace)}, nil
}

// Controller runs Jobs.
type Controller struct {
	client    kubernetes.Interface
	jobs      batchlisters.JobLister
	podLister corelisters.PodLister
	pods      cache.Indexer
	synced    []cache.InformerSynced
	clock     clock.PassiveClock

	exp     *expectations
	backoff *backoffStore
	// finishing holds the UIDs of jobs this controller wrote as finished
	// that the informer still shows running: syncing them from the stale
	// copy would decide and record the end a second time.
	finishing sync.Map
	// counted holds, per job UID, the succeeded and failed counts this
	// controller last wrote. A sync whose cached job shows fewer is
	// reading a status from before that write, while the pods it counted
	// already show their finalizers gone: deciding from that mix would
	// take a counted failure's index for pending and create a duplicate
	// replacement. Such a sync waits for the cache instead.
	counted sync.Map

	broadcaster record.EventBroadcaster
	recorder    record.EventRecorder

	queue *queue.Queue
	// orphans removes the tracking finalizer from pods no running job
	// counts any more; its keys are made by podKey and selectorKey.
	orphans *queue.Queue
}

// New returns the job controller on the shared informers. Call it before
// the informers start: it adds an index to the pod informer.
func New(client kubernetes.Interface, jobs batchinformers.JobInformer, pods coreinformers.PodInformer) *Controller {
	b := record.NewBroadcaster()
	c := newController(client, jobs, pods, clock.RealClock{}, b.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "job-controller"}))
	c.broadcaster = b
	return c
}

func newController(client kubernetes.Interface, jobs batchinformers.JobInformer, pods coreinformers.PodInformer, clk clock.PassiveClock, recorder record.EventRecorder) *Controller {
	c := &Controller{
		client:    client,
		jobs:      jobs.Lister(),
		podLister: pods.Lister(),
		pods:      pods.Informer().GetIndexer(),
		synced:    []cache.InformerSynced{jobs.Informer().HasSynced, pods.Informer().HasSynced},
		clock:     clk,
		exp:       newExpectations(clk),
		backoff:   newBackoffStore(),
		recorder:  recorder,
	}
	c.queue = queue.New("job", c.sync)
	c.orphans = queue.New("job-orphan-pod", c.syncOrphans)
	if _, ok := pods.Informer().GetIndexer().GetIndexers()[podOwnerIndex]; !ok {
		// An error means the informer already started, a programming
		// error: the controller cannot find its pods then.
		if err := pods.Informer().AddIndexers(cache.Indexers{podOwnerIndex: podOwnerKeys}); err != nil {
			panic(fmt.Sprintf("add pod owner index: %v", err))
		}
	}
	_, _ = jobs.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.jobAdded,
		UpdateFunc: c.jobUpdated,
		DeleteFunc: c.jobDeleted,
	})
	_, _ = pods.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.podAdded,
		UpdateFunc: c.podUpdated,
		DeleteFunc: func(obj any) { c.podDeleted(obj, true) },
	})
	return c
}

// Run processes jobs until ctx is done.
func (c *Controller) Run(ctx context.Context, workers int) {
	klog.FromContext(ctx).Info("Starting controller", "controller", "job")
	if c.broadcaster != nil {
		c.broadcaster.StartStructuredLogging(3)
		c.broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: c.client.CoreV1().Events("")})
		defer c.broadcaster.Shutdown()
	}
	go c.orphans.Run(ctx, workers, c.synced...)
	c.queue.Run(ctx, workers, c.synced...)
}

func podKey(p *corev1.Pod) string { return "pod/" + p.Namespace + "/" + p.Name }

func selectorKey(job *batchv1.Job) (string, bool) {
	sel, err := metav1.LabelSelectorAsSelector(job.Spec.Selector)
	if err != nil {
		return "", false
	}
	return "selector/" + job.Namespace + "/" + sel.String(), true
}

// managedBy returns the controller named in spec.managedBy when it is not
// this one; such jobs are someone else's to run.
func managedBy(job *batchv1.Job) string {
	if m := job.Spec.ManagedBy; m != nil && *m != batchv1.JobControllerName {
		return *m
	}
	return ""
}

func (c *Controller) jobAdded(obj any) {
	if job, ok := obj.(*batchv1.Job); ok {
		c.queue.Add(queue.Key(job.Namespace, job.Name))
	}
}

func (c *Controller) jobUpdated(oldObj, newObj any) {
	old, cur := oldObj.(*batchv1.Job), newObj.(*batchv1.Job)
	k := queue.Key(cur.Namespace, cur.Name)
	if old.UID != cur.UID {
		// Deleted and recreated between two observations.
		c.exp.Forget(k)
		c.backoff.remove(k)
	}
	if isFinished(cur) {
		// The finished status is visible now. Any pod still holding the
		// tracking finalizer must lose it; the sync would not look.
		c.finishing.Delete(cur.UID)
		if sk, ok := selectorKey(cur); ok {
			c.orphans.Add(sk)
		}
		return
	}
	c.queue.Add(k)
}

func (c *Controller) jobDeleted(obj any) {
	job, ok := queue.Unwrap(obj).(*batchv1.Job)
	if !ok {
		return
	}
	k := queue.Key(job.Namespace, job.Name)
	c.exp.Forget(k)
	c.backoff.remove(k)
	c.finishing.Delete(job.UID)
	c.counted.Delete(job.UID)
	c.queue.Add(k)
	if sk, ok := selectorKey(job); ok {
		c.orphans.Add(sk)
	}
}

// resolve returns the job a controllerRef names, if it is a Job and still
// the same object.
func (c *Controller) resolve(namespace string, ref *metav1.OwnerReference) *batchv1.Job {
	return owner.Resolve(ref, controllerKind.Kind, c.jobs.Jobs(namespace).Get)
}

// selecting returns the jobs whose selector matches pod: candidates to
// adopt it.
func (c *Controller) selecting(pod *corev1.Pod) []*batchv1.Job {
	all, err := c.jobs.Jobs(pod.Namespace).List(labels.Everything())
	if err != nil {
		return nil
	}
	var out []*batchv1.Job
	for _, job := range all {
		sel, err := metav1.LabelSelectorAsSelector(job.Spec.Selector)
		if err != nil || sel.Empty() || !sel.Matches(labels.Set(pod.Labels)) {
			continue
		}
		out = append(out, job)
	}
	return out
}

func (c *Controller) podAdded(obj any) {
	pod := obj.(*corev1.Pod)
	if pod.DeletionTimestamp != nil {
		// Seen first already terminating (a restarted informer): a create
		// of ours must not wait for it.
		c.podDeleted(pod, false)
		return
	}
	if ref := metav1.GetControllerOfNoCopy(pod); ref != nil {
		if job := c.resolve(pod.Namespace, ref); job != nil {
			k := queue.Key(job.Namespace, job.Name)
			c.exp.CreationObserved(k)
			c.queue.Add(k)
		}
		return
	}
	if hasTrackingFinalizer(pod) {
		c.orphans.Add(podKey(pod))
	}
	for _, job := range c.selecting(pod) {
		c.queue.Add(queue.Key(job.Namespace, job.Name))
	}
}

func (c *Controller) podUpdated(oldObj, newObj any) {
	old, cur := oldObj.(*corev1.Pod), newObj.(*corev1.Pod)
	if old.ResourceVersion == cur.ResourceVersion {
		return
	}
	if cur.DeletionTimestamp != nil {
		// A graceful delete began: count it as the delete the job expects
		// so a replacement need not wait for the grace period.
		c.podDeleted(cur, false)
		return
	}
	// The finalizer may have been removed and added back (an ownership
	// change) between two events; only the latest state counts.
	finalizerGone := !hasTrackingFinalizer(cur)
	curRef, oldRef := metav1.GetControllerOfNoCopy(cur), metav1.GetControllerOfNoCopy(old)
	refChanged := !reflect.DeepEqual(curRef, oldRef)
	if refChanged && oldRef != nil {
		if job := c.resolve(old.Namespace, oldRef); job != nil {
			k := queue.Key(job.Namespace, job.Name)
			if finalizerGone {
				c.exp.finalizerRemovalObserved(k, cur.UID)
			}
			c.queue.Add(k)
		}
	}
	if curRef != nil {
		if job := c.resolve(cur.Namespace, curRef); job != nil {
			k := queue.Key(job.Namespace, job.Name)
			if finalizerGone {
				c.exp.finalizerRemovalObserved(k, cur.UID)
			}
			c.queue.Add(k)
		}
		return
	}
	if hasTrackingFinalizer(cur) {
		c.orphans.Add(podKey(cur))
	}
	if refChanged || !reflect.DeepEqual(old.Labels, cur.Labels) {
		for _, job := range c.selecting(cur) {
			c.queue.Add(queue.Key(job.Namespace, job.Name))
		}
	}
}

// podDeleted handles a pod's deletion; final is false when only its
// deletion began.
func (c *Controller) podDeleted(obj any, final bool) {
	pod, ok := queue.Unwrap(obj).(*corev1.Pod)
	if !ok {
		return
	}
	ref := metav1.GetControllerOfNoCopy(pod)
	var job *batchv1.Job
	if ref != nil {
		job = c.resolve(pod.Namespace, ref)
	}
	if job == nil || isFinished(job) {
		// No running job will sync this pod: its finalizer is the orphan
		// queue's to remove.
		if hasTrackingFinalizer(pod) {
			c.orphans.Add(podKey(pod))
		}
		return
	}
	k := queue.Key(job.Namespace, job.Name)
	c.exp.DeletionObserved(k, queue.Key(pod.Namespace, pod.Name))
	if final || !hasTrackingFinalizer(pod) {
		c.exp.finalizerRemovalObserved(k, pod.UID)
	}
	c.queue.Add(k)
}

// syncOrphans removes the tracking finalizer from one pod ("pod/<ns>/<name>")
// or from every pod a job's selector matches ("selector/<ns>/<selector>")
// when no running job of this controller counts it.
func (c *Controller) syncOrphans(ctx context.Context, key string) (time.Duration, error) {
	parts := strings.SplitN(key, "/", 3)
	if len(parts) != 3 {
		return 0, nil
	}
	kind, namespace, value := parts[0], parts[1], parts[2]
	switch kind {
	case "pod":
		pod, err := c.podLister.Pods(namespace).Get(value)
		if apierrors.IsNotFound(err) {
			return 0, nil
		}
		if err != nil {
			return 0, err
		}
		return 0, c.releaseOrphan(ctx, pod)
	case "selector":
		sel, err := labels.Parse(value)
		if err != nil {
			return 0, nil
		}
		pods, err := c.podLister.Pods(namespace).List(sel)
		if err != nil {
			return 0, err
		}
		for _, pod := range pods {
			if err := c.releaseOrphan(ctx, pod); err != nil {
				// Retry the pod alone: the others are done.
				klog.FromContext(ctx).Error(err, "Removing the tracking finalizer failed", "pod", klog.KObj(pod))
				c.orphans.Add(podKey(pod))
			}
		}
	}
	return 0, nil
}

// releaseOrphan removes the tracking finalizer unless a running job of this
// controller still counts the pod.
func (c *Controller) releaseOrphan(ctx context.Context, pod *corev1.Pod) error {
	if !hasTrackingFinalizer(pod) {
		return nil
	}
	if ref := metav1.GetControllerOfNoCopy(pod); ref != nil {
		if ref.Kind != controllerKind.Kind || ref.APIVersion != batchv1.SchemeGroupVersion.String() {
			// Another kind of owner put the finalizer there; not ours.
			return nil
		}
		if job := c.resolve(pod.Namespace, ref); job != nil && (managedBy(job) != "" || !isFinished(job)) {
			return nil
		}
	}
	// The patch carries the resourceVersion this decision was made on: a job
	// may have adopted the pod since (the adoption keeps the finalizer),
	// and the informer not shown it yet. A conflict retries with the newer
	// pod. (Upstream patches without the precondition and can strip the
	// finalizer of a pod just adopted.)
	_, err := c.client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.StrategicMergePatchType, removeFinalizerPatchAt(pod.ResourceVersion), metav1.PatchOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("remove tracking finalizer of orphan pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	klog.FromContext(ctx).V(4).Info("Removed the tracking finalizer of an orphan pod", "pod", klog.KObj(pod))
	return nil
}

// ownedAndOrphans returns the pods job controls and the namespace's orphans.
func (c *Controller) ownedAndOrphans(job *batchv1.Job) ([]*corev1.Pod, error) {
	var out []*corev1.Pod
	for _, k := range []string{string(job.UID), orphanIndexKey(job.Namespace)} {
		objs, err := c.pods.ByIndex(podOwnerIndex, k)
		if err != nil {
			return nil, fmt.Errorf("list pods of job %s/%s: %w", job.Namespace, job.Name, err)
		}
		for _, o := range objs {
			p, ok := o.(*corev1.Pod)
			if !ok || p.Namespace != job.Namespace {
				continue
			}
			if ref := metav1.GetControllerOfNoCopy(p); ref != nil && ref.Kind != controllerKind.Kind {
				continue
			}
			out = append(out, p)
		}
	}
	return out, nil
}
