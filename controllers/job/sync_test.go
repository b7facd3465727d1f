package job

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

var t0 = metav1.NewTime(now)

func cond(t batchv1.JobConditionType, reason, message string) batchv1.JobCondition {
	return batchv1.JobCondition{Type: t, Status: corev1.ConditionTrue, LastProbeTime: t0, LastTransitionTime: t0, Reason: reason, Message: message}
}

// status is the status a sync writes for a job started now with nothing
// running, changed by edit.
func status(edit func(*batchv1.JobStatus)) batchv1.JobStatus {
	s := batchv1.JobStatus{
		StartTime:               ptr.To(t0),
		Ready:                   ptr.To[int32](0),
		Terminating:             ptr.To[int32](0),
		UncountedTerminatedPods: &batchv1.UncountedTerminatedPods{},
	}
	if edit != nil {
		edit(&s)
	}
	return s
}

const indexEnv = "metadata.labels['batch.kubernetes.io/job-completion-index']"

func failurePolicy(rules ...batchv1.PodFailurePolicyRule) func(*batchv1.Job) {
	return func(j *batchv1.Job) {
		j.Spec.PodFailurePolicy = &batchv1.PodFailurePolicy{Rules: rules}
		j.Spec.PodReplacementPolicy = ptr.To(batchv1.Failed)
	}
}

func onExitCodes(action batchv1.PodFailurePolicyAction, codes ...int32) batchv1.PodFailurePolicyRule {
	return batchv1.PodFailurePolicyRule{Action: action, OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{
		ContainerName: ptr.To("main"), Operator: batchv1.PodFailurePolicyOnExitCodesOpIn, Values: codes,
	}}
}

func perIndex(limit int32) func(*batchv1.Job) {
	return func(j *batchv1.Job) {
		j.Spec.BackoffLimitPerIndex = ptr.To(limit)
		j.Spec.BackoffLimit = ptr.To[int32](math.MaxInt32)
	}
}

func TestSync(t *testing.T) {
	const backoffMsg = "Job has reached the specified backoff limit"
	tests := []struct {
		name        string
		job         *batchv1.Job
		pods        []*corev1.Pod
		wantStatus  batchv1.JobStatus
		wantPods    []podSummary
		wantRequeue time.Duration
		wantEvents  []string
	}{
		{
			name: "creates pods up to parallelism",
			job: newJob(func(j *batchv1.Job) {
				j.Spec.Completions, j.Spec.Parallelism = ptr.To[int32](5), ptr.To[int32](2)
			}),
			wantStatus: status(func(s *batchv1.JobStatus) { s.Active = 2 }),
			wantPods:   []podSummary{{Name: "pi-*", Owned: true, Tracked: true}, {Name: "pi-*", Owned: true, Tracked: true}},
			wantEvents: []string{"Normal SuccessfulCreate Created pod: pi-*", "Normal SuccessfulCreate Created pod: pi-*"},
		},
		{
			name: "no more pods than completions remain",
			job:  newJob(func(j *batchv1.Job) { j.Spec.Completions, j.Spec.Parallelism = ptr.To[int32](3), ptr.To[int32](5) }, started(time.Minute)),
			pods: []*corev1.Pod{newPod("a", corev1.PodSucceeded, exited(0, time.Second)), newPod("b", corev1.PodRunning)},
			wantStatus: status(func(s *batchv1.JobStatus) {
				s.StartTime = ptr.To(metav1.NewTime(now.Add(-time.Minute)))
				s.Active = 2
				s.Succeeded = 1
			}),
			wantPods:   []podSummary{{Name: "a", Owned: true}, {Name: "b", Owned: true, Tracked: true}, {Name: "pi-*", Owned: true, Tracked: true}},
			wantEvents: []string{"Normal SuccessfulCreate Created pod: pi-*"},
		},
		{
			name: "a success completes the job",
			job:  newJob(),
			pods: []*corev1.Pod{newPod("a", corev1.PodSucceeded, exited(0, time.Minute))},
			wantStatus: status(func(s *batchv1.JobStatus) {
				s.Succeeded = 1
				s.CompletionTime = ptr.To(t0)
				s.Conditions = []batchv1.JobCondition{
					cond(batchv1.JobSuccessCriteriaMet, batchv1.JobReasonCompletionsReached, "Reached expected number of succeeded pods"),
					cond(batchv1.JobComplete, batchv1.JobReasonCompletionsReached, "Reached expected number of succeeded pods"),
				}
			}),
			wantPods:   []podSummary{{Name: "a", Owned: true}},
			wantEvents: []string{"Normal Completed Job completed"},
		},
		{
			name: "a work queue completes when one pod succeeded and the rest stopped",
			job:  newJob(func(j *batchv1.Job) { j.Spec.Completions, j.Spec.Parallelism = nil, ptr.To[int32](2) }),
			pods: []*corev1.Pod{newPod("a", corev1.PodSucceeded, exited(0, time.Minute)), newPod("b", corev1.PodFailed, exited(1, time.Minute))},
			wantStatus: status(func(s *batchv1.JobStatus) {
				s.Succeeded, s.Failed = 1, 1
				s.CompletionTime = ptr.To(t0)
				s.Conditions = []batchv1.JobCondition{
					cond(batchv1.JobSuccessCriteriaMet, batchv1.JobReasonCompletionsReached, "Reached expected number of succeeded pods"),
					cond(batchv1.JobComplete, batchv1.JobReasonCompletionsReached, "Reached expected number of succeeded pods"),
				}
			}),
			wantPods:   []podSummary{{Name: "a", Owned: true}, {Name: "b", Owned: true}},
			wantEvents: []string{"Normal Completed Job completed"},
		},
		{
			name: "exceeding backoffLimit fails the job",
			job:  newJob(func(j *batchv1.Job) { j.Spec.BackoffLimit = ptr.To[int32](0) }, started(2*time.Minute)),
			pods: []*corev1.Pod{newPod("a", corev1.PodFailed, exited(1, time.Minute))},
			wantStatus: status(func(s *batchv1.JobStatus) {
				s.StartTime = ptr.To(metav1.NewTime(now.Add(-2 * time.Minute)))
				s.Failed = 1
				s.Conditions = []batchv1.JobCondition{
					cond(batchv1.JobFailureTarget, batchv1.JobReasonBackoffLimitExceeded, backoffMsg),
					cond(batchv1.JobFailed, batchv1.JobReasonBackoffLimitExceeded, backoffMsg),
				}
			}),
			wantPods:   []podSummary{{Name: "a", Owned: true}},
			wantEvents: []string{"Warning BackoffLimitExceeded " + backoffMsg},
		},
		{
			name: "restartPolicy OnFailure holds container restarts against backoffLimit",
			job: newJob(func(j *batchv1.Job) {
				j.Spec.BackoffLimit = ptr.To[int32](2)
				j.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
			}),
			pods: []*corev1.Pod{newPod("a", corev1.PodRunning, func(p *corev1.Pod) {
				p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "main", RestartCount: 2}}
			})},
			// The running pod is deleted and counted failed; Failed
			// follows once it is gone.
			wantStatus: status(func(s *batchv1.JobStatus) {
				s.Failed = 1
				s.Terminating = ptr.To[int32](1)
				s.Conditions = []batchv1.JobCondition{cond(batchv1.JobFailureTarget, batchv1.JobReasonBackoffLimitExceeded, backoffMsg)}
			}),
			wantEvents: []string{"Normal SuccessfulDelete Deleted pod: a"},
		},
		{
			name:        "a failure delays the replacement by the back-off",
			job:         newJob(started(time.Minute)),
			pods:        []*corev1.Pod{newPod("a", corev1.PodFailed, exited(1, 3*time.Second))},
			wantStatus:  status(func(s *batchv1.JobStatus) { s.StartTime = ptr.To(metav1.NewTime(now.Add(-time.Minute))); s.Failed = 1 }),
			wantPods:    []podSummary{{Name: "a", Owned: true}},
			wantRequeue: 7 * time.Second,
		},
		{
			name: "the replacement comes once the back-off has passed",
			job:  newJob(started(time.Minute)),
			pods: []*corev1.Pod{newPod("a", corev1.PodFailed, exited(1, 11*time.Second))},
			wantStatus: status(func(s *batchv1.JobStatus) {
				s.StartTime = ptr.To(metav1.NewTime(now.Add(-time.Minute)))
				s.Failed = 1
				s.Active = 1
			}),
			wantPods:   []podSummary{{Name: "a", Owned: true}, {Name: "pi-*", Owned: true, Tracked: true}},
			wantEvents: []string{"Normal SuccessfulCreate Created pod: pi-*"},
		},
		{
			name: "a pod deleted while running counts as failed",
			job:  newJob(),
			pods: []*corev1.Pod{newPod("a", corev1.PodRunning, deleting)},
			wantStatus: status(func(s *batchv1.JobStatus) {
				s.Failed = 1
				s.Terminating = ptr.To[int32](1)
			}),
			wantPods:    []podSummary{{Name: "a", Owned: true}},
			wantRequeue: 9 * time.Second,
		},
		{
			name:       "podReplacementPolicy Failed waits for a terminating pod",
			job:        newJob(func(j *batchv1.Job) { j.Spec.PodReplacementPolicy = ptr.To(batchv1.Failed) }),
			pods:       []*corev1.Pod{newPod("a", corev1.PodRunning, deleting)},
			wantStatus: status(func(s *batchv1.JobStatus) { s.Terminating = ptr.To[int32](1) }),
			wantPods:   []podSummary{{Name: "a", Owned: true, Tracked: true}},
		},
		{
			name: "a FailJob rule on an exit code fails the job",
			job:  newJob(failurePolicy(onExitCodes(batchv1.PodFailurePolicyActionFailJob, 42)), func(j *batchv1.Job) { j.Spec.Parallelism = ptr.To[int32](2); j.Spec.Completions = ptr.To[int32](2) }),
			pods: []*corev1.Pod{newPod("a", corev1.PodFailed, exited(42, time.Minute)), newPod("b", corev1.PodRunning, readyPod)},
			wantStatus: status(func(s *batchv1.JobStatus) {
				s.Failed = 2
				s.Terminating = ptr.To[int32](1)
				s.Conditions = []batchv1.JobCondition{cond(batchv1.JobFailureTarget, batchv1.JobReasonPodFailurePolicy,
					"Container main for pod ns/a failed with exit code 42 matching FailJob rule at index 0")}
			}),
			wantPods:   []podSummary{{Name: "a", Owned: true}},
			wantEvents: []string{"Normal SuccessfulDelete Deleted pod: b"},
		},
		{
			name: "an earlier FailureTarget becomes Failed",
			job: newJob(func(j *batchv1.Job) {
				j.Status.Failed = 1
				j.Status.Conditions = []batchv1.JobCondition{cond(batchv1.JobFailureTarget, batchv1.JobReasonPodFailurePolicy, "some pod failed")}
			}, started(time.Minute)),
			wantStatus: status(func(s *batchv1.JobStatus) {
				s.StartTime = ptr.To(metav1.NewTime(now.Add(-time.Minute)))
				s.Failed = 1
				s.Conditions = []batchv1.JobCondition{
					cond(batchv1.JobFailureTarget, batchv1.JobReasonPodFailurePolicy, "some pod failed"),
					cond(batchv1.JobFailed, batchv1.JobReasonPodFailurePolicy, "some pod failed"),
				}
			}),
			wantEvents: []string{"Warning PodFailurePolicy some pod failed"},
		},
		{
			name: "an Ignore rule on DisruptionTarget does not count the failure",
			job: newJob(func(j *batchv1.Job) { j.Spec.BackoffLimit = ptr.To[int32](0) }, failurePolicy(batchv1.PodFailurePolicyRule{
				Action:          batchv1.PodFailurePolicyActionIgnore,
				OnPodConditions: []batchv1.PodFailurePolicyOnPodConditionsPattern{{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue}},
			})),
			pods:       []*corev1.Pod{newPod("a", corev1.PodFailed, withCondition(corev1.DisruptionTarget), exited(137, 3*time.Second))},
			wantStatus: status(nil),
			wantPods:   []podSummary{{Name: "a", Owned: true}},
			// Ignored failures still delay the replacement, as upstream.
			wantRequeue: 7 * time.Second,
		},
		{
			name: "a FailIndex rule fails only its index",
			job:  newJob(indexed(2, 2), perIndex(1), failurePolicy(onExitCodes(batchv1.PodFailurePolicyActionFailIndex, 3))),
			pods: []*corev1.Pod{
				newPod("a", corev1.PodFailed, atIndex(0), exited(3, time.Minute)),
				newPod("b", corev1.PodRunning, atIndex(1)),
			},
			wantStatus: status(func(s *batchv1.JobStatus) { s.Active = 1; s.Failed = 1; s.FailedIndexes = ptr.To("0") }),
			wantPods:   []podSummary{{Name: "a", Owned: true, Index: "0"}, {Name: "b", Owned: true, Index: "1", Tracked: true}},
		},
		{
			name: "exceeding maxFailedIndexes fails the job",
			job:  newJob(indexed(3, 3), perIndex(0), func(j *batchv1.Job) { j.Spec.MaxFailedIndexes = ptr.To[int32](0) }),
			pods: []*corev1.Pod{
				newPod("a", corev1.PodFailed, atIndex(0), exited(1, time.Minute), annotated(batchv1.JobIndexFailureCountAnnotation, "0")),
				newPod("b", corev1.PodRunning, atIndex(1)),
			},
			wantStatus: status(func(s *batchv1.JobStatus) {
				s.Failed = 2
				s.Terminating = ptr.To[int32](1)
				s.FailedIndexes = ptr.To("0")
				s.Conditions = []batchv1.JobCondition{cond(batchv1.JobFailureTarget, batchv1.JobReasonMaxFailedIndexesExceeded,
					"Job has exceeded the specified maximal number of failed indexes")}
			}),
			wantPods:   []podSummary{{Name: "a", Owned: true, Index: "0", FailedCount: "0"}},
			wantEvents: []string{"Normal SuccessfulDelete Deleted pod: b"},
		},
		{
			name: "with backoffLimitPerIndex the replacement carries the index's failure count",
			job:  newJob(indexed(1, 1), perIndex(2)),
			pods: []*corev1.Pod{newPod("a", corev1.PodFailed, atIndex(0), exited(1, 11*time.Second), annotated(batchv1.JobIndexFailureCountAnnotation, "0"))},
			// a keeps its finalizer until the replacement is seen.
			wantStatus: status(func(s *batchv1.JobStatus) { s.Active = 1; s.FailedIndexes = ptr.To("") }),
			wantPods: []podSummary{
				{Name: "a", Owned: true, Index: "0", Tracked: true, FailedCount: "0"},
				{Name: "pi-0-*", Owned: true, Index: "0", Hostname: "pi-0", Tracked: true, FailedCount: "1", Env: indexEnv},
			},
			wantEvents: []string{"Normal SuccessfulCreate Created pod: pi-0-*"},
		},
		{
			name:        "with backoffLimitPerIndex the index waits for its own back-off",
			job:         newJob(indexed(1, 1), perIndex(2)),
			pods:        []*corev1.Pod{newPod("a", corev1.PodFailed, atIndex(0), exited(1, 3*time.Second), annotated(batchv1.JobIndexFailureCountAnnotation, "1"))},
			wantStatus:  status(func(s *batchv1.JobStatus) { s.FailedIndexes = ptr.To("") }),
			wantPods:    []podSummary{{Name: "a", Owned: true, Index: "0", Tracked: true, FailedCount: "1"}},
			wantRequeue: 17 * time.Second, // the second failure of the index: 20s
		},
		{
			name: "activeDeadlineSeconds passed fails the job",
			job:  newJob(func(j *batchv1.Job) { j.Spec.ActiveDeadlineSeconds = ptr.To[int64](60) }, started(61*time.Second)),
			pods: []*corev1.Pod{newPod("a", corev1.PodRunning, readyPod)},
			wantStatus: status(func(s *batchv1.JobStatus) {
				s.StartTime = ptr.To(metav1.NewTime(now.Add(-61 * time.Second)))
				s.Failed = 1
				s.Terminating = ptr.To[int32](1)
				s.Conditions = []batchv1.JobCondition{cond(batchv1.JobFailureTarget, batchv1.JobReasonDeadlineExceeded, "Job was active longer than specified deadline")}
			}),
			wantEvents: []string{"Normal SuccessfulDelete Deleted pod: a"},
		},
		{
			name: "activeDeadlineSeconds ahead: sync again when it passes",
			job:  newJob(func(j *batchv1.Job) { j.Spec.ActiveDeadlineSeconds = ptr.To[int64](60) }, started(20*time.Second)),
			pods: []*corev1.Pod{newPod("a", corev1.PodRunning, readyPod)},
			wantStatus: status(func(s *batchv1.JobStatus) {
				s.StartTime = ptr.To(metav1.NewTime(now.Add(-20 * time.Second)))
				s.Active = 1
				s.Ready = ptr.To[int32](1)
			}),
			wantPods:    []podSummary{{Name: "a", Owned: true, Tracked: true}},
			wantRequeue: 40 * time.Second,
		},
		{
			name: "suspending deletes the pods and clears startTime",
			job:  newJob(func(j *batchv1.Job) { j.Spec.Suspend = ptr.To(true); j.Status.Active = 1 }, started(time.Minute)),
			pods: []*corev1.Pod{newPod("a", corev1.PodRunning, readyPod)},
			wantStatus: status(func(s *batchv1.JobStatus) {
				s.StartTime = nil
				s.Terminating = ptr.To[int32](1)
				s.Conditions = []batchv1.JobCondition{cond(batchv1.JobSuspended, "JobSuspended", "Job suspended")}
			}),
			wantEvents: []string{"Normal SuccessfulDelete Deleted pod: a", "Normal Suspended Job suspended"},
		},
		{
			name: "a job created suspended starts nothing",
			job:  newJob(func(j *batchv1.Job) { j.Spec.Suspend = ptr.To(true) }),
			wantStatus: status(func(s *batchv1.JobStatus) {
				s.StartTime = nil
				s.Conditions = []batchv1.JobCondition{cond(batchv1.JobSuspended, "JobSuspended", "Job suspended")}
			}),
			wantEvents: []string{"Normal Suspended Job suspended"},
		},
		{
			name: "resuming restarts startTime and creates pods",
			job: newJob(func(j *batchv1.Job) {
				j.Status.Conditions = []batchv1.JobCondition{{Type: batchv1.JobSuspended, Status: corev1.ConditionTrue, Reason: "JobSuspended", Message: "Job suspended"}}
			}),
			wantStatus: status(func(s *batchv1.JobStatus) {
				s.Active = 1
				c := cond(batchv1.JobSuspended, "JobResumed", "Job resumed")
				c.Status = corev1.ConditionFalse
				s.Conditions = []batchv1.JobCondition{c}
			}),
			wantPods:   []podSummary{{Name: "pi-*", Owned: true, Tracked: true}},
			wantEvents: []string{"Normal Resumed Job resumed", "Normal SuccessfulCreate Created pod: pi-*"},
		},
		{
			name: "an Indexed job runs one pod per pending index",
			job:  newJob(indexed(3, 3)),
			pods: []*corev1.Pod{newPod("a", corev1.PodSucceeded, atIndex(1), exited(0, time.Minute))},
			wantStatus: status(func(s *batchv1.JobStatus) {
				s.Active = 2
				s.Succeeded = 1
				s.CompletedIndexes = "1"
			}),
			wantPods: []podSummary{
				{Name: "a", Owned: true, Index: "1"},
				{Name: "pi-0-*", Owned: true, Index: "0", Hostname: "pi-0", Tracked: true, Env: indexEnv},
				{Name: "pi-2-*", Owned: true, Index: "2", Hostname: "pi-2", Tracked: true, Env: indexEnv},
			},
			wantEvents: []string{"Normal SuccessfulCreate Created pod: pi-0-*", "Normal SuccessfulCreate Created pod: pi-2-*"},
		},
		{
			name: "an Indexed job keeps one pod of a repeated index",
			job:  newJob(indexed(2, 2)),
			pods: []*corev1.Pod{
				newPod("a", corev1.PodRunning, atIndex(0), readyPod),
				newPod("b", corev1.PodPending, atIndex(0)),
				newPod("c", corev1.PodRunning, atIndex(1)),
			},
			wantStatus: status(func(s *batchv1.JobStatus) { s.Active = 2; s.Ready = ptr.To[int32](1); s.Terminating = ptr.To[int32](1) }),
			wantPods:   []podSummary{{Name: "a", Owned: true, Index: "0", Tracked: true}, {Name: "c", Owned: true, Index: "1", Tracked: true}},
			wantEvents: []string{"Normal SuccessfulDelete Deleted pod: b"},
		},
		{
			name: "a success policy ends the job early",
			job: newJob(indexed(3, 3), func(j *batchv1.Job) {
				j.Spec.SuccessPolicy = &batchv1.SuccessPolicy{Rules: []batchv1.SuccessPolicyRule{{SucceededIndexes: ptr.To("0")}}}
			}),
			pods: []*corev1.Pod{
				newPod("a", corev1.PodSucceeded, atIndex(0), exited(0, time.Minute)),
				newPod("b", corev1.PodRunning, atIndex(1)),
			},
			wantStatus: status(func(s *batchv1.JobStatus) {
				s.Succeeded = 1
				s.CompletedIndexes = "0"
				s.Terminating = ptr.To[int32](1)
				s.Conditions = []batchv1.JobCondition{cond(batchv1.JobSuccessCriteriaMet, batchv1.JobReasonSuccessPolicy, "Matched rules at index 0")}
			}),
			wantPods:   []podSummary{{Name: "a", Owned: true, Index: "0"}},
			wantEvents: []string{"Normal SuccessfulDelete Deleted pod: b"},
		},
		{
			name:       "a job managed by another controller is left alone",
			job:        newJob(func(j *batchv1.Job) { j.Spec.ManagedBy = ptr.To("example.com/other") }),
			pods:       []*corev1.Pod{newPod("a", corev1.PodSucceeded, exited(0, time.Minute))},
			wantStatus: batchv1.JobStatus{},
			wantPods:   []podSummary{{Name: "a", Owned: true, Tracked: true}},
		},
		{
			name:       "a matching orphan is adopted and tracked",
			job:        newJob(),
			pods:       []*corev1.Pod{newPod("a", corev1.PodRunning, orphaned)},
			wantStatus: status(func(s *batchv1.JobStatus) { s.Active = 1 }),
			wantPods:   []podSummary{{Name: "a", Owned: true, Tracked: true}},
		},
		{
			name:       "a pod that stopped matching is released and replaced",
			job:        newJob(),
			pods:       []*corev1.Pod{newPod("a", corev1.PodRunning, func(p *corev1.Pod) { p.Labels = map[string]string{"app": "other"} })},
			wantStatus: status(func(s *batchv1.JobStatus) { s.Active = 1 }),
			wantPods:   []podSummary{{Name: "a"}, {Name: "pi-*", Owned: true, Tracked: true}},
			wantEvents: []string{"Normal SuccessfulCreate Created pod: pi-*"},
		},
		{
			name: "uncounted pods are counted once their finalizer is gone",
			job: newJob(func(j *batchv1.Job) {
				j.Spec.Completions = ptr.To[int32](2)
				j.Status.UncountedTerminatedPods = &batchv1.UncountedTerminatedPods{Succeeded: []types.UID{"a-uid"}}
			}, started(time.Minute)),
			pods: []*corev1.Pod{newPod("a", corev1.PodSucceeded, untracked, exited(0, time.Minute))},
			wantStatus: status(func(s *batchv1.JobStatus) {
				s.StartTime = ptr.To(metav1.NewTime(now.Add(-time.Minute)))
				s.Active = 1
				s.Succeeded = 1
			}),
			wantPods:   []podSummary{{Name: "a", Owned: true}, {Name: "pi-*", Owned: true, Tracked: true}},
			wantEvents: []string{"Normal SuccessfulCreate Created pod: pi-*"},
		},
		{
			name:       "a job being deleted lets its pods go",
			job:        newJob(func(j *batchv1.Job) { j.DeletionTimestamp = ptr.To(t0) }),
			pods:       []*corev1.Pod{newPod("a", corev1.PodRunning)},
			wantStatus: status(func(s *batchv1.JobStatus) { s.Active = 1 }),
			wantPods:   []podSummary{{Name: "a", Owned: true}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.job, tt.pods...)
			requeue, err := h.c.sync(context.Background(), "ns/pi")
			if err != nil {
				t.Fatalf("sync: %v", err)
			}
			if diff := cmp.Diff(tt.wantStatus, h.job(t).Status); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantPods, h.pods(t)); diff != "" {
				t.Errorf("pods (-want +got):\n%s", diff)
			}
			if requeue != tt.wantRequeue {
				t.Errorf("requeue after %v, want %v", requeue, tt.wantRequeue)
			}
			if diff := cmp.Diff(tt.wantEvents, h.events()); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}
