package cronjob

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	batchinformers "k8s.io/client-go/informers/batch/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	batchlisters "k8s.io/client-go/listers/batch/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/controllers/owner"
	"github.com/kubeshim/kubeshim/controllers/queue"
)

const (
	// jobControllerIndex indexes Jobs by the UID of their controller.
	jobControllerIndex = "kubeshim.io/cronjob-job-controller-uid"
	// staleRetry is how soon a CronJob is looked at again when the cache
	// has not yet caught up with this controller's own status write.
	staleRetry = time.Second
)

// Controller starts the Jobs of CronJobs.
type Controller struct {
	client      kubernetes.Interface
	cronJobs    batchlisters.CronJobLister
	jobs        cache.Indexer
	synced      []cache.InformerSynced
	clock       clock.WithTicker
	recorder    record.EventRecorder
	broadcaster record.EventBroadcaster
	// queue is a workqueue of its own rather than controllers/queue: the
	// requeue at the next schedule time has to run on the injected clock.
	queue workqueue.TypedRateLimitingInterface[string]
	// syncHandler is sync; tests wrap it to observe the loop.
	syncHandler func(ctx context.Context, key string) (time.Duration, error)
}

// New returns a controller on the shared CronJob and Job informers. Call it
// before the informers start: it adds an index to the Job informer.
func New(client kubernetes.Interface, cronJobs batchinformers.CronJobInformer, jobs batchinformers.JobInformer) *Controller {
	b := record.NewBroadcaster()
	c := newController(client, cronJobs, jobs, clock.RealClock{},
		b.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "cronjob-controller"}))
	c.broadcaster = b
	return c
}

func newController(client kubernetes.Interface, cronJobs batchinformers.CronJobInformer, jobs batchinformers.JobInformer, clk clock.WithTicker, recorder record.EventRecorder) *Controller {
	c := &Controller{
		client:   client,
		cronJobs: cronJobs.Lister(),
		jobs:     jobs.Informer().GetIndexer(),
		synced:   []cache.InformerSynced{cronJobs.Informer().HasSynced, jobs.Informer().HasSynced},
		clock:    clk,
		recorder: recorder,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "cronjob", Clock: clk}),
	}
	c.syncHandler = c.sync
	if _, ok := c.jobs.GetIndexers()[jobControllerIndex]; !ok {
		// An error means the informer already started; the controller
		// cannot work then, and that is a programming error.
		if err := jobs.Informer().AddIndexers(cache.Indexers{jobControllerIndex: jobControllerUID}); err != nil {
			panic(fmt.Sprintf("add job controller index: %v", err))
		}
	}
	_, _ = cronJobs.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueue,
		UpdateFunc: c.cronJobUpdated,
		DeleteFunc: c.enqueue,
	})
	_, _ = jobs.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.jobChanged,
		UpdateFunc: c.jobUpdated,
		DeleteFunc: c.jobChanged,
	})
	return c
}

func jobControllerUID(obj any) ([]string, error) {
	j, ok := obj.(*batchv1.Job)
	if !ok {
		return nil, nil
	}
	if ref := metav1.GetControllerOfNoCopy(j); ref != nil {
		return []string{string(ref.UID)}, nil
	}
	return nil, nil
}

// Run processes CronJobs until ctx is done.
func (c *Controller) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrash()
	logger := klog.FromContext(ctx)
	if c.broadcaster != nil {
		c.broadcaster.StartStructuredLogging(3)
		c.broadcaster.StartRecordingToSink(&corev1client.EventSinkImpl{Interface: c.client.CoreV1().Events("")})
		defer c.broadcaster.Shutdown()
	}
	defer c.queue.ShutDown()
	logger.Info("Starting controller", "controller", "cronjob")
	if !cache.WaitForNamedCacheSyncWithContext(ctx, c.synced...) {
		return
	}
	for range workers {
		go wait.UntilWithContext(ctx, c.work, time.Second)
	}
	<-ctx.Done()
}

func (c *Controller) work(ctx context.Context) {
	for {
		key, quit := c.queue.Get()
		if quit {
			return
		}
		after, err := c.syncHandler(ctx, key)
		switch {
		case err != nil:
			klog.FromContext(ctx).Error(err, "Sync failed", "controller", "cronjob", "key", key)
			c.queue.AddRateLimited(key)
		case after > 0:
			c.queue.Forget(key)
			c.queue.AddAfter(key, after)
		default:
			c.queue.Forget(key)
		}
		c.queue.Done(key)
	}
}

func (c *Controller) enqueue(obj any) {
	if cj, ok := queue.Unwrap(obj).(*batchv1.CronJob); ok {
		c.queue.Add(cj.Namespace + "/" + cj.Name)
	}
}

// cronJobUpdated looks at a changed CronJob now, except when only its
// schedule or time zone changed: then at the new schedule's next time. A
// wait already queued for an earlier time still fires, and that sync
// merely queues the CronJob again.
func (c *Controller) cronJobUpdated(oldObj, newObj any) {
	old, ok1 := oldObj.(*batchv1.CronJob)
	cur, ok2 := newObj.(*batchv1.CronJob)
	if !ok1 || !ok2 {
		return
	}
	if old.Spec.Schedule != cur.Spec.Schedule || !ptr.Equal(old.Spec.TimeZone, cur.Spec.TimeZone) {
		if sched, err := parseSchedule(scheduleSpec(cur)); err == nil {
			if after := requeueAfter(cur, c.clock.Now(), sched); after > 0 {
				c.queue.AddAfter(cur.Namespace+"/"+cur.Name, after)
			}
			return
		}
		// An unparseable schedule: the sync reports it.
	}
	c.enqueue(cur)
}

// resolve returns the CronJob a Job's controllerRef names, if it still
// exists as the same object.
func (c *Controller) resolve(namespace string, ref *metav1.OwnerReference) *batchv1.CronJob {
	return owner.Resolve(ref, cronJobKind.Kind, c.cronJobs.CronJobs(namespace).Get)
}

func (c *Controller) jobChanged(obj any) {
	j, ok := queue.Unwrap(obj).(*batchv1.Job)
	if !ok {
		return
	}
	if cj := c.resolve(j.Namespace, metav1.GetControllerOfNoCopy(j)); cj != nil {
		c.enqueue(cj)
	}
}

func (c *Controller) jobUpdated(oldObj, newObj any) {
	old, cur := oldObj.(*batchv1.Job), newObj.(*batchv1.Job)
	if old.ResourceVersion == cur.ResourceVersion {
		// A resync: nothing changed.
		return
	}
	oldRef, curRef := metav1.GetControllerOfNoCopy(old), metav1.GetControllerOfNoCopy(cur)
	if oldRef != nil && !reflect.DeepEqual(oldRef, curRef) {
		c.jobChanged(old)
	}
	c.jobChanged(cur)
}

// jobsOf returns the Jobs a CronJob controls.
func (c *Controller) jobsOf(cj *batchv1.CronJob) ([]*batchv1.Job, error) {
	objs, err := c.jobs.ByIndex(jobControllerIndex, string(cj.UID))
	if err != nil {
		return nil, fmt.Errorf("list jobs of cronjob %s/%s: %w", cj.Namespace, cj.Name, err)
	}
	out := make([]*batchv1.Job, 0, len(objs))
	for _, o := range objs {
		if j, ok := o.(*batchv1.Job); ok {
			out = append(out, j)
		}
	}
	return out, nil
}

// sync reconciles one CronJob: it forgets finished and vanished Jobs,
// deletes history beyond the limits, starts the Job that is due, writes
// status when it changed, and asks to come back at the next schedule time.
func (c *Controller) sync(ctx context.Context, key string) (time.Duration, error) {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, nil
	}
	cached, err := c.cronJobs.CronJobs(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	jobs, err := c.jobsOf(cached)
	if err != nil {
		return 0, err
	}
	unexpected, stale, err := c.unexpectedJobs(ctx, cached, jobs)
	if err != nil {
		return 0, err
	}
	if stale {
		// Running Jobs missing from the cached status.active but present
		// in the stored one: the cache lags behind our own write, and
		// acting on it would report our Jobs as unexpected or start one
		// twice.
		return staleRetry, nil
	}
	cj := cached.DeepCopy()
	c.cleanupFinishedJobs(ctx, cj, jobs)
	after, syncErr := c.reconcile(ctx, cj, jobs, unexpected)
	if !apiequality.Semantic.DeepEqual(cached.Status, cj.Status) {
		if _, err := c.client.BatchV1().CronJobs(cj.Namespace).UpdateStatus(ctx, cj, metav1.UpdateOptions{}); err != nil {
			return 0, fmt.Errorf("update status of cronjob %s: %w", key, err)
		}
	}
	if syncErr != nil {
		return 0, syncErr
	}
	return after, nil
}

// unexpectedJobs returns the running Jobs a CronJob controls that are not
// in its status.active. Before calling them unexpected it reads the
// CronJob from the API: stale is true when the stored status lists one.
func (c *Controller) unexpectedJobs(ctx context.Context, cj *batchv1.CronJob, jobs []*batchv1.Job) (unexpected []*batchv1.Job, stale bool, err error) {
	for _, j := range jobs {
		// A Job being deleted (one this controller replaced, say) is on
		// its way out, not unexpected.
		if !isActive(cj, j.UID) && finished(j) == "" && j.DeletionTimestamp == nil {
			unexpected = append(unexpected, j)
		}
	}
	if len(unexpected) == 0 {
		return nil, false, nil
	}
	live, err := c.client.BatchV1().CronJobs(cj.Namespace).Get(ctx, cj.Name, metav1.GetOptions{})
	if err != nil {
		return nil, false, fmt.Errorf("get cronjob %s/%s: %w", cj.Namespace, cj.Name, err)
	}
	if live.UID != cj.UID {
		return unexpected, false, nil
	}
	for _, j := range unexpected {
		if isActive(live, j.UID) {
			return nil, true, nil
		}
	}
	return unexpected, false, nil
}

// reconcile updates cj's status from its Jobs and starts the Job that is
// due. It returns when to look at cj again (0: not until it changes).
func (c *Controller) reconcile(ctx context.Context, cj *batchv1.CronJob, jobs []*batchv1.Job, unexpected []*batchv1.Job) (time.Duration, error) {
	logger := klog.FromContext(ctx)
	now := c.clock.Now()

	for _, j := range unexpected {
		// Upstream reports such Jobs (made by `kubectl create job
		// --from=cronjob/...`, or left by a crash between create and
		// status write) but does not adopt them into status.active.
		c.recorder.Eventf(cj, corev1.EventTypeWarning, "UnexpectedJob", "Saw a job that the controller did not create or forgot: %s", j.Name)
	}
	children := make(map[types.UID]bool, len(jobs))
	for _, j := range jobs {
		children[j.UID] = true
		cond := finished(j)
		if cond == "" {
			continue
		}
		if isActive(cj, j.UID) {
			removeActive(cj, j.UID)
			c.recorder.Eventf(cj, corev1.EventTypeNormal, "SawCompletedJob", "Saw completed job: %s, condition: %v", j.Name, cond)
		}
		// A Job need not be active to count: it may have finished before
		// this controller saw it run.
		if ct := j.Status.CompletionTime; cond == batchv1.JobComplete && ct != nil &&
			(cj.Status.LastSuccessfulTime == nil || ct.After(cj.Status.LastSuccessfulTime.Time)) {
			cj.Status.LastSuccessfulTime = ct.DeepCopy()
		}
	}
	// An active Job that is neither in the cache nor in the API is gone;
	// left in status.active it would block a Forbid CronJob forever.
	for _, ref := range slices.Clone(cj.Status.Active) {
		if children[ref.UID] {
			continue
		}
		_, err := c.client.BatchV1().Jobs(ref.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			c.recorder.Eventf(cj, corev1.EventTypeNormal, "MissingJob", "Active job went missing: %v", ref.Name)
			removeActive(cj, ref.UID)
		case err != nil:
			return 0, fmt.Errorf("get job %s/%s: %w", ref.Namespace, ref.Name, err)
		}
	}

	if cj.DeletionTimestamp != nil {
		return 0, nil
	}
	if tz := cj.Spec.TimeZone; tz != nil {
		if _, err := time.LoadLocation(*tz); err != nil {
			logger.V(4).Info("Not starting job: unknown time zone", "cronjob", klog.KObj(cj), "timeZone", *tz, "err", err)
			c.recorder.Eventf(cj, corev1.EventTypeWarning, "UnknownTimeZone", "invalid timeZone: %q: %s", *tz, err)
			return 0, nil
		}
	}
	if ptr.Deref(cj.Spec.Suspend, false) {
		logger.V(4).Info("Not starting job: suspended", "cronjob", klog.KObj(cj))
		return 0, nil
	}
	if strings.Contains(cj.Spec.Schedule, "TZ") {
		c.recorder.Eventf(cj, corev1.EventTypeWarning, "UnsupportedSchedule", "CRON_TZ or TZ used in schedule %q is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details", cj.Spec.Schedule)
	}
	sched, err := parseSchedule(scheduleSpec(cj))
	if err != nil {
		// Validation refuses such schedules; a stored one waits for an
		// update of the spec.
		logger.V(2).Info("Unparseable schedule", "cronjob", klog.KObj(cj), "schedule", cj.Spec.Schedule, "err", err)
		c.recorder.Eventf(cj, corev1.EventTypeWarning, "UnparseableSchedule", "unparseable schedule: %q : %s", cj.Spec.Schedule, err)
		return 0, nil
	}
	// Schedule times older than startingDeadlineSeconds are not even
	// considered, so they pass without an event. Upstream has a
	// MissSchedule event for them, behind a check that the same bound
	// makes unreachable; kubeshim leaves it out.
	scheduled, missed, err := nextRun(cj, now, sched)
	if err != nil {
		logger.V(2).Info("Invalid schedule", "cronjob", klog.KObj(cj), "schedule", cj.Spec.Schedule, "err", err)
		c.recorder.Eventf(cj, corev1.EventTypeWarning, "InvalidSchedule", "invalid schedule: %s : %s", cj.Spec.Schedule, err)
		return 0, nil
	}
	next := requeueAfter(cj, now, sched)
	if scheduled.IsZero() {
		return next, nil
	}
	if missed > tooManyMissed {
		logger.Info("Too many missed start times", "cronjob", klog.KObj(cj), "missed", missed)
		c.recorder.Eventf(cj, corev1.EventTypeWarning, "TooManyMissedTimes", "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew")
	}
	if isActiveByName(cj, jobName(cj, scheduled)) || (cj.Status.LastScheduleTime != nil && cj.Status.LastScheduleTime.Time.Equal(scheduled)) {
		logger.V(4).Info("Not starting job: schedule time already processed", "cronjob", klog.KObj(cj), "scheduled", scheduled)
		return next, nil
	}
	switch cj.Spec.ConcurrencyPolicy {
	case batchv1.ForbidConcurrent:
		if len(cj.Status.Active) > 0 {
			// The cache may not show a Job that runs, so Forbid can still
			// overlap runs that are scheduled very close together.
			logger.V(4).Info("Not starting job: a previous one is active and concurrency is forbidden", "cronjob", klog.KObj(cj))
			c.recorder.Eventf(cj, corev1.EventTypeNormal, "JobAlreadyActive", "Not starting job because prior execution is running and concurrency policy is Forbid")
			return next, nil
		}
	case batchv1.ReplaceConcurrent:
		for _, ref := range slices.Clone(cj.Status.Active) {
			j, err := c.client.BatchV1().Jobs(ref.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
			if err != nil {
				c.recorder.Eventf(cj, corev1.EventTypeWarning, "FailedGet", "Get job: %v", err)
				return 0, fmt.Errorf("get job %s/%s to replace: %w", ref.Namespace, ref.Name, err)
			}
			if err := c.deleteJob(ctx, cj, j); err != nil {
				return 0, fmt.Errorf("replace job %s/%s: %w", j.Namespace, j.Name, err)
			}
		}
	}

	job, err := jobFor(cj, scheduled)
	if err != nil {
		return 0, err
	}
	created, err := c.client.BatchV1().Jobs(cj.Namespace).Create(ctx, job, metav1.CreateOptions{})
	switch {
	case apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause):
		return 0, fmt.Errorf("create job %s/%s: %w", job.Namespace, job.Name, err)
	case apierrors.IsAlreadyExists(err):
		// Created before, by us (then the status write that should have
		// followed failed) or by someone else.
		existing, err := c.client.BatchV1().Jobs(cj.Namespace).Get(ctx, job.Name, metav1.GetOptions{})
		if err != nil {
			return 0, fmt.Errorf("get existing job %s/%s: %w", job.Namespace, job.Name, err)
		}
		if !metav1.IsControlledBy(existing, cj) || isActive(cj, existing.UID) {
			return next, nil
		}
		logger.Info("Job already exists", "cronjob", klog.KObj(cj), "job", klog.KObj(existing))
		created = existing
	case err != nil:
		c.recorder.Eventf(cj, corev1.EventTypeWarning, "FailedCreate", "Error creating job: %v", err)
		return 0, fmt.Errorf("create job %s/%s: %w", job.Namespace, job.Name, err)
	default:
		logger.V(4).Info("Created job", "cronjob", klog.KObj(cj), "job", klog.KObj(created))
		c.recorder.Eventf(cj, corev1.EventTypeNormal, "SuccessfulCreate", "Created job %v", created.Name)
	}
	cj.Status.Active = append(cj.Status.Active, jobRef(created))
	cj.Status.LastScheduleTime = &metav1.Time{Time: scheduled}
	return next, nil
}

// cleanupFinishedJobs deletes the oldest finished Jobs beyond the
// CronJob's history limits.
func (c *Controller) cleanupFinishedJobs(ctx context.Context, cj *batchv1.CronJob, jobs []*batchv1.Job) {
	if cj.Spec.SuccessfulJobsHistoryLimit == nil && cj.Spec.FailedJobsHistoryLimit == nil {
		return
	}
	var succeeded, failed []*batchv1.Job
	for _, j := range jobs {
		switch finished(j) {
		case batchv1.JobComplete:
			succeeded = append(succeeded, j)
		case batchv1.JobFailed:
			failed = append(failed, j)
		}
	}
	for _, h := range []struct {
		jobs  []*batchv1.Job
		limit *int32
	}{{succeeded, cj.Spec.SuccessfulJobsHistoryLimit}, {failed, cj.Spec.FailedJobsHistoryLimit}} {
		if h.limit == nil || len(h.jobs) <= int(*h.limit) {
			continue
		}
		slices.SortFunc(h.jobs, byStartTime)
		for _, j := range h.jobs[:len(h.jobs)-int(*h.limit)] {
			// A failed delete is tried again at the next sync.
			_ = c.deleteJob(ctx, cj, j)
		}
	}
}

// deleteJob deletes a Job with its pods (in the background) and forgets it
// in status.active.
func (c *Controller) deleteJob(ctx context.Context, cj *batchv1.CronJob, j *batchv1.Job) error {
	err := c.client.BatchV1().Jobs(j.Namespace).Delete(ctx, j.Name, metav1.DeleteOptions{PropagationPolicy: ptr.To(metav1.DeletePropagationBackground)})
	if err != nil && !apierrors.IsNotFound(err) {
		klog.FromContext(ctx).Error(err, "Deleting job failed", "cronjob", klog.KObj(cj), "job", klog.KObj(j))
		c.recorder.Eventf(cj, corev1.EventTypeWarning, "FailedDelete", "Deleted job: %v", err)
		return fmt.Errorf("delete job %s/%s: %w", j.Namespace, j.Name, err)
	}
	removeActive(cj, j.UID)
	c.recorder.Eventf(cj, corev1.EventTypeNormal, "SuccessfulDelete", "Deleted job %v", j.Name)
	return nil
}
