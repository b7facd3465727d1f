package ttlafterfinished

import (
	"context"
	"fmt"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	batchinformers "k8s.io/client-go/informers/batch/v1"
	"k8s.io/client-go/kubernetes"
	batchlisters "k8s.io/client-go/listers/batch/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/controllers/queue"
)

// Controller deletes finished Jobs whose TTL has passed.
type Controller struct {
	client kubernetes.Interface
	jobs   batchlisters.JobLister
	synced cache.InformerSynced
	clock  clock.PassiveClock
	queue  *queue.Queue
}

// New returns the controller on the shared job informer.
func New(client kubernetes.Interface, jobs batchinformers.JobInformer) *Controller {
	return newController(client, jobs, clock.RealClock{})
}

func newController(client kubernetes.Interface, jobs batchinformers.JobInformer, clk clock.PassiveClock) *Controller {
	c := &Controller{client: client, jobs: jobs.Lister(), synced: jobs.Informer().HasSynced, clock: clk}
	c.queue = queue.New("ttl-after-finished", c.sync)
	// Deletes need no handler: a deleted job needs no cleanup.
	_, _ = jobs.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueue,
		UpdateFunc: func(_, obj any) { c.enqueue(obj) },
	})
	return c
}

// Run processes jobs until ctx is done.
func (c *Controller) Run(ctx context.Context, workers int) {
	klog.FromContext(ctx).Info("Starting controller", "controller", "ttl-after-finished")
	c.queue.Run(ctx, workers, c.synced)
}

func (c *Controller) enqueue(obj any) {
	if job, ok := obj.(*batchv1.Job); ok && job.DeletionTimestamp == nil && needsCleanup(job) {
		c.queue.Add(job.Namespace + "/" + job.Name)
	}
}

// sync deletes the job if its TTL has passed, or asks to come back when it
// will have.
func (c *Controller) sync(ctx context.Context, key string) (time.Duration, error) {
	logger := klog.FromContext(ctx)
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, nil
	}
	job, err := c.jobs.Jobs(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if left, due, err := c.timeLeft(logger, job); err != nil || !due {
		return left, err
	}
	// The cache may be behind a TTL change or a recreation: decide again on
	// the live object, and delete only that one.
	fresh, err := c.client.BatchV1().Jobs(namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("get job %s: %w", key, err)
	}
	if left, due, err := c.timeLeft(logger, fresh); err != nil || !due {
		return left, err
	}
	logger.V(4).Info("Deleting job whose TTL after finished has passed", "job", klog.KObj(fresh))
	err = c.client.BatchV1().Jobs(namespace).Delete(ctx, name, metav1.DeleteOptions{
		PropagationPolicy: ptr.To(metav1.DeletePropagationForeground),
		Preconditions:     &metav1.Preconditions{UID: &fresh.UID},
	})
	if err != nil && !apierrors.IsNotFound(err) {
		return 0, fmt.Errorf("delete job %s: %w", key, err)
	}
	return 0, nil
}

// timeLeft reports whether the job is due for deletion and, if it needs
// cleanup later, how long until then. A job being deleted or not finished,
// or without a TTL, is neither.
func (c *Controller) timeLeft(logger klog.Logger, job *batchv1.Job) (time.Duration, bool, error) {
	if job.DeletionTimestamp != nil || !needsCleanup(job) {
		return 0, false, nil
	}
	finishedAt, err := finishTime(job)
	if err != nil {
		return 0, false, err
	}
	now := c.clock.Now()
	if finishedAt.After(now) {
		logger.Info("Found a job finished in the future, likely clock skew; deferring its cleanup", "job", klog.KObj(job))
	}
	left := finishedAt.Add(time.Duration(*job.Spec.TTLSecondsAfterFinished) * time.Second).Sub(now)
	if left > 0 {
		return left, false, nil
	}
	return 0, true, nil
}

// needsCleanup: the job has a TTL and has finished.
func needsCleanup(job *batchv1.Job) bool {
	return job.Spec.TTLSecondsAfterFinished != nil && finishedCondition(job) != nil
}

func finishedCondition(job *batchv1.Job) *batchv1.JobCondition {
	for i := range job.Status.Conditions {
		c := &job.Status.Conditions[i]
		if (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) && c.Status == corev1.ConditionTrue {
			return c
		}
	}
	return nil
}

// finishTime is when the job finished. Without a transition time it cannot
// be known, and the job is retried rather than deleted at a guess.
func finishTime(job *batchv1.Job) (time.Time, error) {
	c := finishedCondition(job)
	if c == nil || c.LastTransitionTime.IsZero() {
		return time.Time{}, fmt.Errorf("unable to find the time when the Job %s/%s finished", job.Namespace, job.Name)
	}
	return c.LastTransitionTime.Time, nil
}
