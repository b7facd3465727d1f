package printers

import (
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
)

func TestJobs(t *testing.T) {
	job := func(f func(*batchv1.Job)) *batchv1.Job {
		j := &batchv1.Job{ObjectMeta: objectMeta("backup"), Spec: batchv1.JobSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"batch.kubernetes.io/job-name": "backup"}},
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "dump", Image: "pg:17"}}}},
		}}
		f(j)
		return j
	}
	condition := func(t batchv1.JobConditionType, s corev1.ConditionStatus) []batchv1.JobCondition {
		return []batchv1.JobCondition{{Type: t, Status: s}}
	}
	row := func(status, completions, took string) []any {
		return []any{"backup", status, completions, took, "3h", "dump", "pg:17", "batch.kubernetes.io/job-name=backup"}
	}
	testRows(t, schema.GroupResource{Group: "batch", Resource: "jobs"},
		[]string{"Name", "Status", "Completions", "Duration", "Age", "Containers (wide)", "Images (wide)", "Selector (wide)"},
		[]rowCase{
			{
				name: "not started",
				obj:  job(func(j *batchv1.Job) {}),
				row:  row("Running", "0/1", ""),
			},
			{
				name: "running in parallel",
				obj: job(func(j *batchv1.Job) {
					j.Spec.Parallelism = ptr.To[int32](3)
					j.Status.StartTime = ptr.To(ago(150 * time.Second))
				}),
				row: row("Running", "0/1 of 3", "2m30s"),
			},
			{
				name: "complete",
				obj: job(func(j *batchv1.Job) {
					j.Spec.Completions = ptr.To[int32](5)
					j.Status.Succeeded = 5
					j.Status.StartTime, j.Status.CompletionTime = ptr.To(ago(2*time.Hour)), ptr.To(ago(time.Hour))
					j.Status.Conditions = condition(batchv1.JobComplete, corev1.ConditionTrue)
				}),
				row: row("Complete", "5/5", "60m"),
			},
			{
				name: "failed",
				obj: job(func(j *batchv1.Job) {
					j.Status.Conditions = condition(batchv1.JobFailed, corev1.ConditionTrue)
				}),
				row: row("Failed", "0/1", ""),
			},
			{
				name: "terminating",
				obj: job(func(j *batchv1.Job) {
					j.DeletionTimestamp = ptr.To(ago(0))
					j.Status.Conditions = condition(batchv1.JobSuspended, corev1.ConditionTrue)
				}),
				row: row("Terminating", "0/1", ""),
			},
			{
				name: "suspended",
				obj: job(func(j *batchv1.Job) {
					j.Status.Conditions = condition(batchv1.JobSuspended, corev1.ConditionTrue)
				}),
				row: row("Suspended", "0/1", ""),
			},
			{
				name: "failure target",
				obj: job(func(j *batchv1.Job) {
					j.Status.Conditions = condition(batchv1.JobFailureTarget, corev1.ConditionTrue)
				}),
				row: row("FailureTarget", "0/1", ""),
			},
			{
				name: "success criteria met",
				obj: job(func(j *batchv1.Job) {
					j.Status.Conditions = condition(batchv1.JobSuccessCriteriaMet, corev1.ConditionTrue)
				}),
				row: row("SuccessCriteriaMet", "0/1", ""),
			},
			{
				name: "a false condition does not count",
				obj: job(func(j *batchv1.Job) {
					j.Status.Conditions = condition(batchv1.JobSuspended, corev1.ConditionFalse)
				}),
				row: row("Running", "0/1", ""),
			},
		})
}

func TestCronJobs(t *testing.T) {
	jobTemplate := batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{
		Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "dump", Image: "pg:17"}}}},
	}}
	testRows(t, schema.GroupResource{Group: "batch", Resource: "cronjobs"},
		[]string{"Name", "Schedule", "Timezone", "Suspend", "Active", "Last Schedule", "Age",
			"Containers (wide)", "Images (wide)", "Selector (wide)"},
		[]rowCase{
			{
				name: "never scheduled",
				obj: &batchv1.CronJob{ObjectMeta: objectMeta("nightly"),
					Spec: batchv1.CronJobSpec{Schedule: "0 3 * * *", JobTemplate: jobTemplate}},
				row: []any{"nightly", "0 3 * * *", "<none>", "<unset>", int64(0), "<none>", "3h", "dump", "pg:17", "<none>"},
			},
			{
				name: "active",
				obj: &batchv1.CronJob{ObjectMeta: objectMeta("nightly"),
					Spec: batchv1.CronJobSpec{Schedule: "@hourly", TimeZone: ptr.To("Europe/Paris"), Suspend: ptr.To(false),
						JobTemplate: jobTemplate},
					Status: batchv1.CronJobStatus{Active: []corev1.ObjectReference{{Name: "nightly-1"}},
						LastScheduleTime: ptr.To(ago(42 * time.Minute))}},
				row: []any{"nightly", "@hourly", "Europe/Paris", "False", int64(1), "42m", "3h", "dump", "pg:17", "<none>"},
			},
		})
}
