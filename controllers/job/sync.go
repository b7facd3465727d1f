package job

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/controllers/podstate"
	"github.com/kubeshim/kubeshim/controllers/queue"
)

const (
	// maxUncountedPods caps status.uncountedTerminatedPods (about 20 KB of
	// UIDs) and so the finalizer removals of one sync, so that a big job
	// does not starve the others. Upstream's value.
	maxUncountedPods = 500
	// maxPodCreateDeletePerSync caps the creates or deletes of one sync.
	maxPodCreateDeletePerSync = 500
)

// syncState is what one sync knows of one job.
type syncState struct {
	key string
	// job is the sync's own copy; its status is what gets written.
	job *batchv1.Job
	// pods are the pods the job controls, active and finished.
	pods   []*corev1.Pod
	active []*corev1.Pod
	// finished is the condition the job is heading for: FailureTarget or
	// SuccessCriteriaMet when decided in this sync, Failed when an earlier
	// sync decided the failure, then Failed or Complete once written as
	// the interim condition.
	finished *batchv1.JobCondition

	succeeded, failed      int32
	ready, terminating     int32
	prevSucceededIndexes   intervals
	succeededIndexes       intervals
	failedIndexes          *intervals // set with backoffLimitPerIndex
	backoff                backoffRecord
	uncounted              uncounted
	finalizersBeingRemoved sets.Set[types.UID]
	// delayedDeletion holds, per index, the failed pod whose finalizer stays
	// until its replacement is created: the replacement's failure count
	// annotation is computed from it.
	delayedDeletion map[int]*corev1.Pod

	requeueAfter time.Duration
}

type uncounted struct {
	succeeded, failed sets.Set[types.UID]
}

// requeue asks for the job to be synced again after d at the latest.
func (s *syncState) requeue(d time.Duration) {
	if d > 0 && (s.requeueAfter == 0 || d < s.requeueAfter) {
		s.requeueAfter = d
	}
}

// tracked says whether the pod is still to be counted: it has the tracking
// finalizer (no removal pending) and, for an Indexed job, a valid index.
func (s *syncState) tracked(p *corev1.Pod) bool {
	if !hasTrackingFinalizer(p) || s.finalizersBeingRemoved.Has(p.UID) {
		return false
	}
	return !isIndexed(s.job) || validIndex(s.job, p) != noIndex
}

// sync reconciles one job with its pods. It is level-triggered: everything
// it needs is in the job's status, the pods and their finalizers, except
// the back-off record and the expectations, which only delay work.
func (c *Controller) sync(ctx context.Context, key string) (time.Duration, error) {
	logger := klog.FromContext(ctx)
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, nil
	}
	shared, err := c.jobs.Jobs(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		c.exp.Forget(key)
		c.backoff.remove(key)
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if m := managedBy(shared); m != "" {
		logger.V(2).Info("Skipping a job managed by another controller", "job", klog.KObj(shared), "managedBy", m)
		return 0, nil
	}
	if isFinished(shared) {
		c.backoff.remove(key)
		c.finishing.Delete(shared.UID)
		c.counted.Delete(shared.UID)
		return 0, nil
	}
	if w, ok := c.counted.Load(shared.UID); ok {
		if w := w.(countedStatus); shared.Status.Succeeded < w.succeeded || shared.Status.Failed < w.failed {
			logger.V(4).Info("Waiting for the cache to show the counts written", "job", klog.KObj(shared))
			return staleStatusRetry, nil
		}
	}
	if _, ok := c.finishing.Load(shared.UID); ok {
		logger.V(2).Info("Skipping a job written as finished that the cache does not show so yet", "job", klog.KObj(shared))
		return 0, nil
	}
	if m := shared.Spec.CompletionMode; m != nil && *m != batchv1.NonIndexedCompletion && *m != batchv1.IndexedCompletion {
		c.recorder.Event(shared, corev1.EventTypeWarning, "UnknownCompletionMode", "Skipped Job sync because completion mode is unknown")
		return 0, nil
	}
	job := shared.DeepCopy()
	if job.Status.UncountedTerminatedPods == nil {
		job.Status.UncountedTerminatedPods = &batchv1.UncountedTerminatedPods{}
	}
	// Read before the pods are listed: a pod created in between then only
	// defers the work to the sync its event brings.
	satisfied := c.exp.Satisfied(key)
	pods, err := c.podsForJob(ctx, job)
	if err != nil {
		return 0, err
	}

	now := c.clock.Now()
	s := &syncState{
		key:                    key,
		job:                    job,
		pods:                   pods,
		uncounted:              uncounted{sets.New(job.Status.UncountedTerminatedPods.Succeeded...), sets.New(job.Status.UncountedTerminatedPods.Failed...)},
		finalizersBeingRemoved: c.exp.finalizersBeingRemoved(key),
	}
	for _, p := range pods {
		switch {
		case podstate.Active(p):
			s.active = append(s.active, p)
			if podstate.Ready(p) {
				s.ready++
			}
		case podstate.Terminating(p):
			s.terminating++
		}
	}
	active := int32(len(s.active))
	newSucceeded, newFailed := s.newFinishedPods()
	s.succeeded = job.Status.Succeeded + int32(len(newSucceeded)) + int32(s.uncounted.succeeded.Len())
	s.failed = job.Status.Failed + countedFailures(job, newFailed) + int32(s.uncounted.failed.Len())
	if job.Status.StartTime == nil && !isSuspended(job) {
		job.Status.StartTime = ptr.To(metav1.NewTime(now))
	}
	s.backoff = c.backoff.get(key).next(newSucceeded, newFailed)

	c.decide(logger, s, now)

	var manageErr error
	suspendChanged := false
	if s.finished != nil {
		deletedReady, deleted, err := c.deleteActivePods(ctx, job, s.active)
		if deleted != active || !satisfied {
			// Pods may remain that the cache does not show yet: the end
			// is written by a later sync.
			s.finished = nil
		}
		active -= deleted
		s.terminating += deleted
		s.ready -= deletedReady
		manageErr = err
	} else {
		managed := false
		if satisfied && job.DeletionTimestamp == nil {
			active, manageErr = c.manage(ctx, s)
			managed = true
		}
		complete := false
		if job.Spec.Completions == nil {
			// A work queue: done when one pod succeeded and the rest
			// have stopped (their failures no longer matter).
			complete = s.succeeded > 0 && active == 0
		} else {
			complete = s.succeeded >= *job.Spec.Completions && active == 0
		}
		switch {
		case complete:
			s.finished = newCondition(batchv1.JobSuccessCriteriaMet, corev1.ConditionTrue, batchv1.JobReasonCompletionsReached, "Reached expected number of succeeded pods", now)
		case managed:
			// Only a sync that acted on suspend reports it.
			suspendChanged = c.updateSuspended(job, now)
		}
	}

	needsFlush := suspendChanged || active != job.Status.Active || !ptr.Equal(job.Status.Ready, &s.ready) || !ptr.Equal(job.Status.Terminating, &s.terminating)
	job.Status.Active = active
	job.Status.Ready = ptr.To(s.ready)
	job.Status.Terminating = ptr.To(s.terminating)
	if err := c.trackStatus(ctx, s, needsFlush); err != nil {
		return 0, fmt.Errorf("track status of job %s: %w", key, err)
	}
	return s.requeueAfter, manageErr
}

// podsForJob returns the pods the job controls after adopting and
// releasing by its selector.
func (c *Controller) podsForJob(ctx context.Context, job *batchv1.Job) ([]*corev1.Pod, error) {
	selector, err := metav1.LabelSelectorAsSelector(job.Spec.Selector)
	if err != nil {
		return nil, fmt.Errorf("selector of job %s/%s: %w", job.Namespace, job.Name, err)
	}
	candidates, err := c.ownedAndOrphans(job)
	if err != nil {
		return nil, err
	}
	return c.claim(ctx, job, selector, candidates)
}

// decide sets s.finished from the failure and success criteria, in
// upstream's order: an outcome an earlier sync recorded stands; failures
// come before successes.
func (c *Controller) decide(logger klog.Logger, s *syncState, now time.Time) {
	job := s.job
	if met := trueCondition(job, batchv1.JobSuccessCriteriaMet); met != nil {
		s.finished = met.DeepCopy()
	} else if target := trueCondition(job, batchv1.JobFailureTarget); target != nil {
		s.finished = newCondition(batchv1.JobFailed, corev1.ConditionTrue, target.Reason, target.Message, now)
	} else if msg := failJobMessage(job, s.pods); msg != "" {
		s.finished = newCondition(batchv1.JobFailureTarget, corev1.ConditionTrue, batchv1.JobReasonPodFailurePolicy, msg, now)
	}
	if s.finished == nil {
		switch {
		case s.failed > *job.Spec.BackoffLimit || pastBackoffLimitOnFailure(job, s.pods):
			s.finished = newCondition(batchv1.JobFailureTarget, corev1.ConditionTrue, batchv1.JobReasonBackoffLimitExceeded, "Job has reached the specified backoff limit", now)
		case pastActiveDeadline(job, now):
			s.finished = newCondition(batchv1.JobFailureTarget, corev1.ConditionTrue, batchv1.JobReasonDeadlineExceeded, "Job was active longer than specified deadline", now)
		case job.Spec.ActiveDeadlineSeconds != nil && !isSuspended(job) && job.Status.StartTime != nil:
			s.requeue(time.Duration(*job.Spec.ActiveDeadlineSeconds)*time.Second - now.Sub(job.Status.StartTime.Time))
		}
	}
	if !isIndexed(job) {
		return
	}
	s.prevSucceededIndexes, s.succeededIndexes = succeededIndexes(logger, job, s.pods)
	s.succeeded = int32(s.succeededIndexes.total())
	if job.Spec.BackoffLimitPerIndex != nil {
		failed := failedIndexes(logger, job, s.pods)
		s.failedIndexes = &failed
		if s.finished == nil {
			switch {
			case job.Spec.MaxFailedIndexes != nil && failed.total() > int(*job.Spec.MaxFailedIndexes):
				s.finished = newCondition(batchv1.JobFailureTarget, corev1.ConditionTrue, batchv1.JobReasonMaxFailedIndexesExceeded, "Job has exceeded the specified maximal number of failed indexes", now)
			case failed.total() > 0 && failed.total()+s.succeededIndexes.total() >= int(*job.Spec.Completions):
				s.finished = newCondition(batchv1.JobFailureTarget, corev1.ConditionTrue, batchv1.JobReasonFailedIndexes, "Job has failed indexes", now)
			}
		}
		s.delayedDeletion = s.podsWithDelayedDeletion(logger)
	}
	if s.finished == nil {
		if msg, ok := matchSuccessPolicy(logger, job.Spec.SuccessPolicy, *job.Spec.Completions, s.succeededIndexes); ok {
			s.finished = newCondition(batchv1.JobSuccessCriteriaMet, corev1.ConditionTrue, batchv1.JobReasonSuccessPolicy, msg, now)
		}
	}
}

// updateSuspended keeps the Suspended condition in step with
// spec.suspend and reports whether it changed. Suspending clears
// startTime and resuming restarts it: activeDeadlineSeconds counts the time
// a job is continuously allowed to run.
func (c *Controller) updateSuspended(job *batchv1.Job, now time.Time) bool {
	if isSuspended(job) {
		if !ensureCondition(&job.Status.Conditions, batchv1.JobSuspended, corev1.ConditionTrue, "JobSuspended", "Job suspended", now) {
			return false
		}
		c.recorder.Event(job, corev1.EventTypeNormal, "Suspended", "Job suspended")
		job.Status.StartTime = nil
		return true
	}
	if !ensureCondition(&job.Status.Conditions, batchv1.JobSuspended, corev1.ConditionFalse, "JobResumed", "Job resumed", now) {
		return false
	}
	c.recorder.Event(job, corev1.EventTypeNormal, "Resumed", "Job resumed")
	job.Status.StartTime = ptr.To(metav1.NewTime(now))
	return true
}

// newFinishedPods returns the tracked pods that finished since the last
// counted status.
func (s *syncState) newFinishedPods() (succeeded, failed []*corev1.Pod) {
	for _, p := range s.pods {
		if !s.tracked(p) {
			continue
		}
		switch {
		case p.Status.Phase == corev1.PodSucceeded && !s.uncounted.succeeded.Has(p.UID):
			succeeded = append(succeeded, p)
		case isPodFailed(p, s.job) && !s.uncounted.failed.Has(p.UID):
			failed = append(failed, p)
		}
	}
	return succeeded, failed
}

// countedFailures counts the failed pods the pod failure policy does not
// ignore.
func countedFailures(job *batchv1.Job, failed []*corev1.Pod) int32 {
	var n int32
	for _, p := range failed {
		if matchPodFailurePolicy(job.Spec.PodFailurePolicy, p).count {
			n++
		}
	}
	return n
}

// failJobMessage is the message of the first failed pod that a FailJob rule
// matches.
func failJobMessage(job *batchv1.Job, pods []*corev1.Pod) string {
	if job.Spec.PodFailurePolicy == nil {
		return ""
	}
	for _, p := range pods {
		if isPodFailed(p, job) {
			if v := matchPodFailurePolicy(job.Spec.PodFailurePolicy, p); v.failJobMessage != "" {
				return v.failJobMessage
			}
		}
	}
	return ""
}

func pastActiveDeadline(job *batchv1.Job, now time.Time) bool {
	if job.Spec.ActiveDeadlineSeconds == nil || job.Status.StartTime == nil || isSuspended(job) {
		return false
	}
	return now.Sub(job.Status.StartTime.Time) >= time.Duration(*job.Spec.ActiveDeadlineSeconds)*time.Second
}

// succeededIndexes returns the indexes status records and those plus the
// indexes of succeeded pods not counted yet.
func succeededIndexes(logger klog.Logger, job *batchv1.Job, pods []*corev1.Pod) (prev, all intervals) {
	prev = parseIntervals(logger, job.Status.CompletedIndexes, int(*job.Spec.Completions))
	added := sets.New[int]()
	for _, p := range pods {
		if ix := validIndex(job, p); ix != noIndex && p.Status.Phase == corev1.PodSucceeded && hasTrackingFinalizer(p) {
			added.Insert(ix)
		}
	}
	return prev, prev.withIndexes(sets.List(added))
}

// failedIndexes returns the indexes status records as failed and those of
// uncounted pods whose failure fails their index.
func failedIndexes(logger klog.Logger, job *batchv1.Job, pods []*corev1.Pod) intervals {
	var prev intervals
	if job.Status.FailedIndexes != nil {
		prev = parseIntervals(logger, *job.Status.FailedIndexes, int(*job.Spec.Completions))
	}
	added := sets.New[int]()
	for _, p := range pods {
		if ix := validIndex(job, p); ix != noIndex && hasTrackingFinalizer(p) && isIndexFailed(logger, job, p) {
			added.Insert(ix)
		}
	}
	return prev.withIndexes(sets.List(added))
}

// isIndexFailed: a FailIndex rule fails the index at once; otherwise a
// counted failure does when the index has used up backoffLimitPerIndex.
func isIndexFailed(logger klog.Logger, job *batchv1.Job, p *corev1.Pod) bool {
	if !isPodFailed(p, job) {
		return false
	}
	v := matchPodFailurePolicy(job.Spec.PodFailurePolicy, p)
	if v.action != nil && *v.action == batchv1.PodFailurePolicyActionFailIndex {
		return true
	}
	return v.count && indexFailures(logger, p) >= *job.Spec.BackoffLimitPerIndex
}

// podsWithDelayedDeletion picks, for each index that is neither done nor
// running, its latest failed pod still tracked.
func (s *syncState) podsWithDelayedDeletion(logger klog.Logger) map[int]*corev1.Pod {
	running := indexesOf(s.active)
	out := map[int]*corev1.Pod{}
	for _, p := range s.pods {
		if !s.tracked(p) || !isPodFailed(p, s.job) {
			continue
		}
		ix := validIndex(s.job, p)
		if s.succeededIndexes.has(ix) || s.failedIndexes.has(ix) || running.Has(ix) {
			continue
		}
		last, ok := out[ix]
		if !ok || (indexAbsoluteFailures(logger, last) <= indexAbsoluteFailures(logger, p) && !finishTime(p).Before(finishTime(last))) {
			out[ix] = p
		}
	}
	return out
}

// firstPendingIndexes returns up to n indexes that no pod has succeeded in,
// is running or (with podReplacementPolicy Failed) is terminating, and that
// have not failed for good.
func (s *syncState) firstPendingIndexes(n int) []int {
	if n == 0 {
		return nil
	}
	taken := s.succeededIndexes.withIndexes(sets.List(indexesOf(s.active)))
	if onlyReplaceFailedPods(s.job) {
		var terminating []*corev1.Pod
		for _, p := range s.pods {
			if podstate.Terminating(p) {
				terminating = append(terminating, p)
			}
		}
		taken = taken.withIndexes(sets.List(indexesOf(terminating)))
	}
	if s.failedIndexes != nil {
		taken = taken.merge(*s.failedIndexes)
	}
	completions := int(*s.job.Spec.Completions)
	var out []int
	next := 0
	for _, iv := range taken {
		for ; next < completions && len(out) < n && next < iv.first; next++ {
			out = append(out, next)
		}
		next = max(next, iv.last+1)
	}
	for ; next < completions && len(out) < n; next++ {
		out = append(out, next)
	}
	return out
}

// indexesReadyNow keeps the indexes whose per-index back-off is over; when
// none is, it returns the shortest wait.
func (c *Controller) indexesReadyNow(logger klog.Logger, s *syncState, indexes []int) ([]int, time.Duration) {
	now := c.clock.Now()
	var ready []int
	var wait time.Duration
	for _, ix := range indexes {
		var d time.Duration
		if p := s.delayedDeletion[ix]; p != nil {
			d = backoffRemaining(now, indexAbsoluteFailures(logger, p)+1, finishTime(p))
		}
		switch {
		case d == 0:
			ready = append(ready, ix)
		case wait == 0 || d < wait:
			wait = d
		}
	}
	if len(ready) > 0 {
		return ready, 0
	}
	return nil, wait
}

// manage creates and deletes pods to have as many running as parallelism and
// the remaining completions allow, and none for a suspended job. It returns
// the number of active pods after its writes. One sync either creates or
// deletes, never both; deletes come first.
func (c *Controller) manage(ctx context.Context, s *syncState) (int32, error) {
	logger := klog.FromContext(ctx)
	job := s.job
	active := int32(len(s.active))
	if isSuspended(job) {
		logger.V(4).Info("Deleting all active pods of a suspended job", "job", klog.KObj(job), "active", active)
		return c.deleteSurplus(ctx, s, podsForRemoval(job, s.active, len(s.active)))
	}
	want := *job.Spec.Parallelism
	switch {
	case job.Spec.Completions == nil && s.succeeded > 0:
		// A work queue with a success: let the running pods finish, start
		// no more.
		want = active
	case job.Spec.Completions != nil:
		want = max(0, min(*job.Spec.Completions-s.succeeded, want))
	}
	victims := podsForRemoval(job, s.active, int(max(0, active-want)))
	if len(victims) > 0 {
		logger.V(4).Info("Too many pods running for job", "job", klog.KObj(job), "deleting", len(victims), "want", want)
		return c.deleteSurplus(ctx, s, victims[:min(len(victims), maxPodCreateDeletePerSync)])
	}
	var terminating int32
	if onlyReplaceFailedPods(job) {
		terminating = s.terminating
	}
	diff := want - terminating - active
	if diff <= 0 {
		return active, nil
	}
	if job.Spec.BackoffLimitPerIndex == nil {
		if wait := s.backoff.remaining(c.clock.Now()); wait > 0 {
			logger.V(4).Info("Delaying pod creation after failures", "job", klog.KObj(job), "wait", wait)
			s.requeue(wait)
			return active, nil
		}
	}
	diff = min(diff, maxPodCreateDeletePerSync)
	indexes := []int(nil)
	if isIndexed(job) {
		indexes = s.firstPendingIndexes(int(diff))
		if job.Spec.BackoffLimitPerIndex != nil {
			var wait time.Duration
			if indexes, wait = c.indexesReadyNow(logger, s, indexes); wait > 0 {
				s.requeue(wait)
				return active, nil
			}
		}
		diff = int32(len(indexes))
	}
	if diff == 0 {
		return active, nil
	}
	return c.createPods(ctx, s, int(diff), indexes)
}

// createPods creates n pods (for the given indexes, if Indexed) in slow-start
// batches of 1, 2, 4, ..., stopping after a batch with a failure: what fails
// one create (quota, admission) likely fails all of them.
func (c *Controller) createPods(ctx context.Context, s *syncState, n int, indexes []int) (int32, error) {
	logger := klog.FromContext(ctx)
	job := s.job
	template := job.Spec.Template.DeepCopy()
	if isIndexed(job) {
		addCompletionIndexEnv(&template.Spec)
	}
	if !slices.Contains(template.Finalizers, batchv1.JobTrackingFinalizer) {
		template.Finalizers = append(template.Finalizers, batchv1.JobTrackingFinalizer)
	}
	logger.V(4).Info("Too few pods running for job", "job", klog.KObj(job), "creating", n)
	c.exp.ExpectCreations(s.key, n)
	active := int32(len(s.active))
	var (
		mu   sync.Mutex
		errs []error
	)
	create := func(i int) {
		t, generateName := template, ""
		if indexes != nil {
			ix := indexes[i]
			t = template.DeepCopy()
			if t.Annotations == nil {
				t.Annotations = map[string]string{}
			}
			if t.Labels == nil {
				t.Labels = map[string]string{}
			}
			t.Annotations[batchv1.JobCompletionIndexAnnotation] = strconv.Itoa(ix)
			t.Labels[batchv1.JobCompletionIndexAnnotation] = strconv.Itoa(ix)
			t.Spec.Hostname = fmt.Sprintf("%s-%d", job.Name, ix)
			generateName = podGenerateName(job.Name, ix)
			if job.Spec.BackoffLimitPerIndex != nil {
				setIndexFailureCounts(logger, t, job, s.delayedDeletion[ix])
			}
		}
		err := c.createPod(ctx, job, t, generateName)
		mu.Lock()
		defer mu.Unlock()
		if err == nil {
			active++
			return
		}
		// The informer will never show this pod.
		c.exp.CreationObserved(s.key)
		if !apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
			errs = append(errs, err)
		}
	}
	done := 0
	for batch := 1; done < n; batch = min(2*batch, n-done) {
		batch = min(batch, n-done)
		var wg sync.WaitGroup
		for i := done; i < done+batch; i++ {
			wg.Go(func() { create(i) })
		}
		wg.Wait()
		done += batch
		if len(errs) > 0 {
			break
		}
	}
	for ; done < n; done++ {
		// Skipped creates will not be observed either.
		c.exp.CreationObserved(s.key)
	}
	return active, errors.Join(errs...)
}

// setIndexFailureCounts carries an index's failure counts to the pod that
// replaces failed, adding failed's own failure.
func setIndexFailureCounts(logger klog.Logger, t *corev1.PodTemplateSpec, job *batchv1.Job, failed *corev1.Pod) {
	var count, ignored int32
	if failed != nil {
		count = indexFailures(logger, failed)
		ignored = annotationCount(logger, failed, batchv1.JobIndexIgnoredFailureCountAnnotation)
		if matchPodFailurePolicy(job.Spec.PodFailurePolicy, failed).count {
			count++
		} else {
			ignored++
		}
	}
	t.Annotations[batchv1.JobIndexFailureCountAnnotation] = strconv.Itoa(int(count))
	if ignored > 0 {
		t.Annotations[batchv1.JobIndexIgnoredFailureCountAnnotation] = strconv.Itoa(int(ignored))
	}
}

// deleteSurplus deletes pods the job no longer wants. Their finalizer goes
// first: a pod deleted for surplus or suspend is not a failure and is not
// counted. It returns the active count after the deletes.
func (c *Controller) deleteSurplus(ctx context.Context, s *syncState, victims []*corev1.Pod) (int32, error) {
	keys := make([]string, len(victims))
	for i, p := range victims {
		keys[i] = queue.Key(p.Namespace, p.Name)
	}
	c.exp.ExpectDeletions(s.key, keys)
	ready, deleted, err := c.parallelDelete(victims, func(p *corev1.Pod) error {
		err := c.removeFinalizer(ctx, p)
		if err == nil {
			err = c.deletePod(ctx, s.job, p)
		}
		if err != nil {
			// No delete event will come.
			c.exp.DeletionObserved(s.key, queue.Key(p.Namespace, p.Name))
		}
		return err
	})
	s.terminating += deleted
	s.ready -= ready
	return int32(len(s.active)) - deleted, err
}

// deleteActivePods deletes the running pods of a job that has reached its
// end. They keep their finalizer: trackStatus removes it and counts them.
func (c *Controller) deleteActivePods(ctx context.Context, job *batchv1.Job, pods []*corev1.Pod) (ready, deleted int32, err error) {
	return c.parallelDelete(pods, func(p *corev1.Pod) error { return c.deletePod(ctx, job, p) })
}

// parallelDelete runs del on every pod and returns how many ready pods and
// how many pods in all are gone or going, and the first error. A pod that
// was already gone counts as deleted.
func (c *Controller) parallelDelete(pods []*corev1.Pod, del func(*corev1.Pod) error) (ready, deleted int32, err error) {
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	for _, p := range pods {
		wg.Go(func() {
			err := del(p)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && !apierrors.IsNotFound(err) {
				errs = append(errs, err)
				return
			}
			deleted++
			if podstate.Ready(p) {
				ready++
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		err = errs[0]
	}
	return ready, deleted, err
}

// trackStatus counts finished pods exactly once: it records the UIDs of
// newly finished pods in status.uncountedTerminatedPods (or, for Indexed
// jobs, their index in completedIndexes), writes that, removes their
// finalizers, then moves the UIDs whose finalizer is gone into the
// counters. A crash between any two steps repeats work but never counts a
// pod twice or loses one. When the job's end is decided it writes the
// interim condition first and the final one once nothing is left to count.
func (c *Controller) trackStatus(ctx context.Context, s *syncState, needsFlush bool) error {
	logger := klog.FromContext(ctx)
	job := s.job
	indexed := isIndexed(job)
	if indexed {
		// Completed indexes are then added in order.
		sortByIndex(s.pods)
	}
	withFinalizer := sets.New[types.UID]()
	for _, p := range s.pods {
		if hasTrackingFinalizer(p) && !s.finalizersBeingRemoved.Has(p.UID) {
			withFinalizer.Insert(p.UID)
		}
	}
	if countUncounted(&job.Status, withFinalizer) {
		needsFlush = true
	}
	uncounted := job.Status.UncountedTerminatedPods
	var (
		toRemove     []*corev1.Pod
		newIndexes   []int
		reachedLimit bool
	)
	for _, p := range s.pods {
		if !hasTrackingFinalizer(p) || s.finalizersBeingRemoved.Has(p.UID) {
			continue
		}
		failed := isPodFailed(p, job)
		if !s.canRemoveFinalizer(logger, p, failed) {
			continue
		}
		toRemove = append(toRemove, p)
		switch {
		case p.Status.Phase == corev1.PodSucceeded && !s.uncounted.failed.Has(p.UID):
			if indexed {
				// The index alone keeps a success from counting twice.
				if ix := validIndex(job, p); ix != noIndex && !s.prevSucceededIndexes.has(ix) {
					newIndexes = append(newIndexes, ix)
					needsFlush = true
				}
			} else if !s.uncounted.succeeded.Has(p.UID) {
				uncounted.Succeeded = append(uncounted.Succeeded, p.UID)
				needsFlush = true
			}
		case failed || (s.finished != nil && !isSuccessCriteriaMet(s.finished)):
			// A failing job counts every pod that did not succeed as
			// failed.
			if s.uncounted.failed.Has(p.UID) || (indexed && validIndex(job, p) == noIndex) {
				break
			}
			if matchPodFailurePolicy(job.Spec.PodFailurePolicy, p).count {
				uncounted.Failed = append(uncounted.Failed, p.UID)
				needsFlush = true
			}
		}
		if len(newIndexes)+len(uncounted.Succeeded)+len(uncounted.Failed) >= maxUncountedPods {
			// The status and pod updates bring the job back for the rest.
			reachedLimit = true
			break
		}
	}
	if indexed {
		s.succeededIndexes = s.succeededIndexes.withIndexes(newIndexes)
		completed := s.succeededIndexes.String()
		if completed != job.Status.CompletedIndexes {
			needsFlush = true
		}
		job.Status.Succeeded = int32(s.succeededIndexes.total())
		job.Status.CompletedIndexes = completed
		var failed *string
		if s.failedIndexes != nil {
			failed = ptr.To(s.failedIndexes.String())
		}
		if !ptr.Equal(job.Status.FailedIndexes, failed) {
			job.Status.FailedIndexes = failed
			needsFlush = true
		}
	}
	now := c.clock.Now()
	if s.finished != nil && s.finished.Type == batchv1.JobFailureTarget {
		job.Status.Conditions = append(job.Status.Conditions, *s.finished)
		needsFlush = true
		s.finished = newCondition(batchv1.JobFailed, corev1.ConditionTrue, s.finished.Reason, s.finished.Message, now)
	}
	if isSuccessCriteriaMet(s.finished) {
		if trueCondition(job, batchv1.JobSuccessCriteriaMet) == nil {
			job.Status.Conditions = append(job.Status.Conditions, *s.finished)
			needsFlush = true
		}
		s.finished = newCondition(batchv1.JobComplete, corev1.ConditionTrue, s.finished.Reason, s.finished.Message, now)
	}
	needsFlush, err := c.flushAndRemoveFinalizers(ctx, s, toRemove, withFinalizer, needsFlush)
	if err != nil {
		return err
	}
	finished := !reachedLimit && s.enactFinished(logger, now)
	if !needsFlush && !finished {
		return nil
	}
	if _, err := c.updateStatus(ctx, s.job); err != nil {
		return fmt.Errorf("remove uncounted pods from status: %w", err)
	}
	if finished {
		c.recordFinished(s.job, s.finished)
		c.finishing.Store(s.job.UID, struct{}{})
	}
	return nil
}

// canRemoveFinalizer: a pod is done being tracked when the job is being
// deleted or has reached its end, when it succeeded, or when it failed,
// unless it is the failed pod its index's replacement is to be counted
// from.
func (s *syncState) canRemoveFinalizer(logger klog.Logger, p *corev1.Pod, failed bool) bool {
	if s.job.DeletionTimestamp != nil || s.finished != nil || p.Status.Phase == corev1.PodSucceeded {
		return true
	}
	if !failed {
		return false
	}
	if s.job.Spec.BackoffLimitPerIndex != nil {
		if d, ok := s.delayedDeletion[completionIndex(p)]; ok && d.UID == p.UID {
			logger.V(3).Info("Keeping the finalizer of a failed pod until its index's replacement exists", "pod", klog.KObj(p))
			return false
		}
	}
	return true
}

// flushAndRemoveFinalizers writes the status with the new uncounted UIDs
// (and any interim condition), then removes the finalizers, then moves the
// UIDs whose finalizer is gone into the counters. It returns whether status
// changes remain to be written.
func (c *Controller) flushAndRemoveFinalizers(ctx context.Context, s *syncState, toRemove []*corev1.Pod, withFinalizer sets.Set[types.UID], needsFlush bool) (bool, error) {
	if needsFlush {
		updated, err := c.updateStatus(ctx, s.job)
		if err != nil {
			return needsFlush, fmt.Errorf("add uncounted pods to status: %w", err)
		}
		s.job = updated
		// The failures that set the back-off are in status now.
		c.backoff.set(s.key, s.backoff)
		needsFlush = false
	}
	var rmErr error
	if len(toRemove) > 0 {
		var removed []bool
		removed, rmErr = c.removeFinalizers(ctx, s.key, toRemove)
		for i, p := range toRemove {
			if removed[i] {
				withFinalizer.Delete(p.UID)
			}
		}
	}
	if countUncounted(&s.job.Status, withFinalizer) {
		needsFlush = true
	}
	if rmErr != nil && needsFlush {
		// Keep what was counted before reporting the failure.
		updated, err := c.updateStatus(ctx, s.job)
		if err != nil {
			return needsFlush, fmt.Errorf("remove uncounted pods from status: %w", errors.Join(err, rmErr))
		}
		s.job = updated
		needsFlush = false
	}
	return needsFlush, rmErr
}

// removeFinalizers removes the tracking finalizer from pods in parallel and
// says which removals succeeded (a pod already gone counts).
func (c *Controller) removeFinalizers(ctx context.Context, key string, pods []*corev1.Pod) ([]bool, error) {
	uids := make([]types.UID, len(pods))
	for i, p := range pods {
		uids[i] = p.UID
	}
	c.exp.expectFinalizersRemoved(key, uids)
	removed := make([]bool, len(pods))
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	for i, p := range pods {
		wg.Go(func() {
			if err := c.removeFinalizer(ctx, p); err != nil {
				// No update event will show this removal.
				c.exp.finalizerRemovalObserved(key, p.UID)
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
				return
			}
			removed[i] = true
		})
	}
	wg.Wait()
	return removed, errors.Join(errs...)
}

// countUncounted moves the uncounted UIDs whose pods no longer hold the
// finalizer into the counters; it reports whether anything moved.
func countUncounted(status *batchv1.JobStatus, withFinalizer sets.Set[types.UID]) bool {
	u := status.UncountedTerminatedPods
	keep := func(uids []types.UID) []types.UID {
		var out []types.UID
		for _, uid := range uids {
			if withFinalizer.Has(uid) {
				out = append(out, uid)
			}
		}
		return out
	}
	succeeded, failed := keep(u.Succeeded), keep(u.Failed)
	changed := len(succeeded) != len(u.Succeeded) || len(failed) != len(u.Failed)
	status.Succeeded += int32(len(u.Succeeded) - len(succeeded))
	status.Failed += int32(len(u.Failed) - len(failed))
	u.Succeeded, u.Failed = succeeded, failed
	return changed
}

// enactFinished writes the final condition once no pod is left uncounted or
// terminating, and reports whether it did.
func (s *syncState) enactFinished(logger klog.Logger, now time.Time) bool {
	if s.finished == nil {
		return false
	}
	job := s.job
	if u := job.Status.UncountedTerminatedPods; u != nil && len(u.Succeeded)+len(u.Failed) > 0 {
		logger.V(4).Info("Delaying the end of a job with uncounted pods", "job", klog.KObj(job), "condition", s.finished.Type)
		return false
	}
	if s.terminating > 0 {
		logger.V(4).Info("Delaying the end of a job with terminating pods", "job", klog.KObj(job), "condition", s.finished.Type, "terminating", s.terminating)
		return false
	}
	ensureCondition(&job.Status.Conditions, s.finished.Type, s.finished.Status, s.finished.Reason, s.finished.Message, now)
	if s.finished.Type == batchv1.JobComplete {
		job.Status.CompletionTime = ptr.To(metav1.NewTime(now))
	}
	return true
}

func (c *Controller) recordFinished(job *batchv1.Job, finished *batchv1.JobCondition) {
	if finished.Type != batchv1.JobComplete {
		c.recorder.Event(job, corev1.EventTypeWarning, finished.Reason, finished.Message)
		return
	}
	if job.Spec.Completions != nil && job.Status.Succeeded > *job.Spec.Completions {
		c.recorder.Event(job, corev1.EventTypeWarning, "TooManySucceededPods", "Too many succeeded pods running after completion count reached")
	}
	c.recorder.Event(job, corev1.EventTypeNormal, "Completed", "Job completed")
}

func (c *Controller) updateStatus(ctx context.Context, job *batchv1.Job) (*batchv1.Job, error) {
	updated, err := c.client.BatchV1().Jobs(job.Namespace).UpdateStatus(ctx, job, metav1.UpdateOptions{})
	if err == nil {
		c.counted.Store(updated.UID, countedStatus{succeeded: updated.Status.Succeeded, failed: updated.Status.Failed})
	}
	return updated, err
}

// countedStatus are the counts of a status write (see Controller.counted).
type countedStatus struct{ succeeded, failed int32 }

// staleStatusRetry is how soon a sync that read a job from before its
// last status write tries again; the job's update event usually comes
// first.
const staleStatusRetry = 100 * time.Millisecond

func isIndexed(job *batchv1.Job) bool {
	return ptr.Deref(job.Spec.CompletionMode, batchv1.NonIndexedCompletion) == batchv1.IndexedCompletion
}

func isSuspended(job *batchv1.Job) bool { return ptr.Deref(job.Spec.Suspend, false) }

// isFinished: Complete or Failed is True.
func isFinished(job *batchv1.Job) bool {
	return trueCondition(job, batchv1.JobComplete) != nil || trueCondition(job, batchv1.JobFailed) != nil
}

func trueCondition(job *batchv1.Job, t batchv1.JobConditionType) *batchv1.JobCondition {
	for i := range job.Status.Conditions {
		if c := &job.Status.Conditions[i]; c.Type == t && c.Status == corev1.ConditionTrue {
			return c
		}
	}
	return nil
}

func isSuccessCriteriaMet(c *batchv1.JobCondition) bool {
	return c != nil && c.Type == batchv1.JobSuccessCriteriaMet && c.Status == corev1.ConditionTrue
}

func newCondition(t batchv1.JobConditionType, status corev1.ConditionStatus, reason, message string, now time.Time) *batchv1.JobCondition {
	return &batchv1.JobCondition{
		Type:               t,
		Status:             status,
		LastProbeTime:      metav1.NewTime(now),
		LastTransitionTime: metav1.NewTime(now),
		Reason:             reason,
		Message:            message,
	}
}

// ensureCondition sets a condition of type t, replacing one with a
// different status, reason or message, and reports whether it changed
// anything. A condition that would be added as False is not added: from
// nothing to False says nothing.
func ensureCondition(list *[]batchv1.JobCondition, t batchv1.JobConditionType, status corev1.ConditionStatus, reason, message string, now time.Time) bool {
	for i := range *list {
		c := &(*list)[i]
		if c.Type != t {
			continue
		}
		if c.Status == status && c.Reason == reason && c.Message == message {
			return false
		}
		*c = *newCondition(t, status, reason, message, now)
		return true
	}
	if status == corev1.ConditionFalse {
		return false
	}
	*list = append(*list, *newCondition(t, status, reason, message, now))
	return true
}
