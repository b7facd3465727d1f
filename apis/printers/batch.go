package printers

import (
	"fmt"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/utils/ptr"
)

var jobs = printer[*batchv1.Job]{
	header: []metav1.TableColumnDefinition{
		nameColumn,
		text("Status", "Status of the job."),
		text("Completions", batchv1.JobStatus{}.SwaggerDoc()["succeeded"]),
		text("Duration", "Time required to complete the job."),
		ageColumn,
		containersColumn,
		imagesColumn,
		wide(text("Selector", batchv1.JobSpec{}.SwaggerDoc()["selector"])),
	},
	cells: func(c clock, j *batchv1.Job) []any {
		// Completions is succeeded/wanted; a job without completions is
		// done after one success, however many pods run in parallel.
		completions := fmt.Sprintf("%d/1", j.Status.Succeeded)
		if parallelism := ptr.Deref(j.Spec.Parallelism, 0); parallelism > 1 {
			completions = fmt.Sprintf("%d/1 of %d", j.Status.Succeeded, parallelism)
		}
		if j.Spec.Completions != nil {
			completions = fmt.Sprintf("%d/%d", j.Status.Succeeded, *j.Spec.Completions)
		}
		var took string
		switch start, end := j.Status.StartTime, j.Status.CompletionTime; {
		case start == nil:
		case end == nil:
			took = duration.HumanDuration(c.now.Sub(start.Time))
		default:
			took = duration.HumanDuration(end.Sub(start.Time))
		}
		names, images := containerCells(j.Spec.Template.Spec.Containers)
		return []any{j.Name, jobStatus(j), completions, took, c.since(j.CreationTimestamp),
			names, images, metav1.FormatLabelSelector(j.Spec.Selector)}
	},
}

// jobStatus is the first that holds of: a final condition, deletion, then
// the conditions of a job on its way to one.
func jobStatus(j *batchv1.Job) string {
	has := func(t batchv1.JobConditionType) bool {
		for _, c := range j.Status.Conditions {
			if c.Type == t {
				return c.Status == corev1.ConditionTrue
			}
		}
		return false
	}
	switch {
	case has(batchv1.JobComplete):
		return "Complete"
	case has(batchv1.JobFailed):
		return "Failed"
	case j.DeletionTimestamp != nil:
		return "Terminating"
	case has(batchv1.JobSuspended):
		return "Suspended"
	case has(batchv1.JobFailureTarget):
		return "FailureTarget"
	case has(batchv1.JobSuccessCriteriaMet):
		return "SuccessCriteriaMet"
	}
	return "Running"
}

var cronJobs = printer[*batchv1.CronJob]{
	header: []metav1.TableColumnDefinition{
		nameColumn,
		text("Schedule", batchv1.CronJobSpec{}.SwaggerDoc()["schedule"]),
		text("Timezone", batchv1.CronJobSpec{}.SwaggerDoc()["timeZone"]),
		boolean("Suspend", batchv1.CronJobSpec{}.SwaggerDoc()["suspend"]),
		integer("Active", batchv1.CronJobStatus{}.SwaggerDoc()["active"]),
		text("Last Schedule", batchv1.CronJobStatus{}.SwaggerDoc()["lastScheduleTime"]),
		ageColumn,
		containersColumn,
		imagesColumn,
		wide(text("Selector", batchv1.JobSpec{}.SwaggerDoc()["selector"])),
	},
	cells: func(c clock, cj *batchv1.CronJob) []any {
		last := "<none>"
		if cj.Status.LastScheduleTime != nil {
			last = c.since(*cj.Status.LastScheduleTime)
		}
		job := cj.Spec.JobTemplate.Spec
		names, images := containerCells(job.Template.Spec.Containers)
		// Suspend is declared boolean but printed as True/False/<unset>, as
		// upstream does.
		return []any{cj.Name, cj.Spec.Schedule, ptr.Deref(cj.Spec.TimeZone, "<none>"), boolPtr(cj.Spec.Suspend),
			int64(len(cj.Status.Active)), last, c.since(cj.CreationTimestamp),
			names, images, metav1.FormatLabelSelector(job.Selector)}
	},
}
