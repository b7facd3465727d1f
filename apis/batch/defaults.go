package batch

import (
	"maps"
	"math"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/apis/core"
)

// addDefaultingFuncs registers upstream's defaults for the group's kinds, as
// k8s.io/kubernetes v1.37 pkg/apis/batch/v1 applies them.
func addDefaultingFuncs(s *runtime.Scheme) error {
	s.AddTypeDefaultingFunc(&batchv1.CronJob{}, func(obj any) { SetObjectDefaultsCronJob(obj.(*batchv1.CronJob)) })
	s.AddTypeDefaultingFunc(&batchv1.CronJobList{}, func(obj any) { defaultEach(obj.(*batchv1.CronJobList).Items, SetObjectDefaultsCronJob) })
	s.AddTypeDefaultingFunc(&batchv1.Job{}, func(obj any) { SetObjectDefaultsJob(obj.(*batchv1.Job)) })
	s.AddTypeDefaultingFunc(&batchv1.JobList{}, func(obj any) { defaultEach(obj.(*batchv1.JobList).Items, SetObjectDefaultsJob) })
	return nil
}

// SetObjectDefaultsJob applies upstream's Job defaults.
//
// manualSelector is defaulted to false as upstream v1.37 does; the registry
// still generates the selector and controller-uid labels when it is not true.
func SetObjectDefaultsJob(job *batchv1.Job) {
	spec := &job.Spec
	// A job that sets neither runs one pod to one completion; a job that sets
	// only completions runs one pod at a time; one that sets only parallelism
	// is a work queue and keeps completions nil.
	if spec.Completions == nil && spec.Parallelism == nil {
		spec.Completions = ptr.To[int32](1)
	}
	if spec.Parallelism == nil {
		spec.Parallelism = ptr.To[int32](1)
	}
	if spec.BackoffLimit == nil {
		if spec.BackoffLimitPerIndex != nil {
			// The per-index limit is the one that applies; the global one
			// must not fail the job first.
			spec.BackoffLimit = ptr.To[int32](math.MaxInt32)
		} else {
			spec.BackoffLimit = ptr.To[int32](6)
		}
	}
	// Upstream shares the template's map; a copy keeps a later edit of one
	// from changing the other.
	if labels := spec.Template.Labels; labels != nil && len(job.Labels) == 0 {
		job.Labels = maps.Clone(labels)
	}
	if spec.CompletionMode == nil {
		spec.CompletionMode = ptr.To(batchv1.NonIndexedCompletion)
	}
	if spec.Suspend == nil {
		spec.Suspend = ptr.To(false)
	}
	if spec.PodReplacementPolicy == nil {
		// A pod failure policy must see a pod's final phase before a
		// replacement starts.
		if spec.PodFailurePolicy != nil {
			spec.PodReplacementPolicy = ptr.To(batchv1.Failed)
		} else {
			spec.PodReplacementPolicy = ptr.To(batchv1.TerminatingOrFailed)
		}
	}
	if spec.ManualSelector == nil {
		spec.ManualSelector = ptr.To(false)
	}
	defaultPodFailurePolicy(spec.PodFailurePolicy)
	core.SetDefaultsPodSpec(&spec.Template.Spec)
}

// SetObjectDefaultsCronJob applies upstream's CronJob defaults. The job
// template gets only its pod spec's and pod failure policy's defaults, not a
// Job's: those are applied when the controller creates each Job.
func SetObjectDefaultsCronJob(cj *batchv1.CronJob) {
	spec := &cj.Spec
	if spec.ConcurrencyPolicy == "" {
		spec.ConcurrencyPolicy = batchv1.AllowConcurrent
	}
	if spec.Suspend == nil {
		spec.Suspend = ptr.To(false)
	}
	if spec.SuccessfulJobsHistoryLimit == nil {
		spec.SuccessfulJobsHistoryLimit = ptr.To[int32](3)
	}
	if spec.FailedJobsHistoryLimit == nil {
		spec.FailedJobsHistoryLimit = ptr.To[int32](1)
	}
	defaultPodFailurePolicy(spec.JobTemplate.Spec.PodFailurePolicy)
	core.SetDefaultsPodSpec(&spec.JobTemplate.Spec.Template.Spec)
}

// defaultPodFailurePolicy makes a pod-condition pattern without a status
// match the condition being True.
func defaultPodFailurePolicy(p *batchv1.PodFailurePolicy) {
	if p == nil {
		return
	}
	for i := range p.Rules {
		for j := range p.Rules[i].OnPodConditions {
			if c := &p.Rules[i].OnPodConditions[j]; c.Status == "" {
				c.Status = corev1.ConditionTrue
			}
		}
	}
}

// defaultEach defaults each item of a list in place.
func defaultEach[T any](items []T, setDefaults func(*T)) {
	for i := range items {
		setDefaults(&items[i])
	}
}
