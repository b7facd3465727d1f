package controllers

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/test/integration/framework"
)

// TestCronJob runs a CronJob every minute on the shared server: its first
// Job appears at the next minute, and once Jobs are marked Complete (no
// node agent runs them) the history limit deletes the older one. Only one
// schedule time is waited for; the second finished Job is one made as
// `kubectl create job --from=cronjob/...` makes it.
func TestCronJob(t *testing.T) {
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ns := framework.Namespace(t, client)
	ctx := context.Background()

	cj, err := client.BatchV1().CronJobs(ns).Create(ctx, &batchv1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Name: "tick"},
		Spec: batchv1.CronJobSpec{
			Schedule:                   "* * * * *",
			SuccessfulJobsHistoryLimit: ptr.To[int32](1),
			JobTemplate: batchv1.JobTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "tick"}, Annotations: map[string]string{"note": "from the template"}},
				Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
					RestartPolicy: corev1.RestartPolicyNever,
					Containers:    []corev1.Container{{Name: "c", Image: "registry.k8s.io/pause:3.10"}},
				}}},
			},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create cronjob: %v", err)
	}

	// The first schedule time is at most a minute away.
	var scheduled *batchv1.Job
	eventuallyWithin(t, "the scheduled job", 90*time.Second, func(ctx context.Context) (string, bool) {
		list, err := client.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return err.Error(), false
		}
		for i := range list.Items {
			if metav1.IsControlledBy(&list.Items[i], cj) {
				scheduled = &list.Items[i]
				return "", true
			}
		}
		return fmt.Sprintf("%d jobs, none of the cronjob's", len(list.Items)), false
	})
	at, err := time.Parse(time.RFC3339, scheduled.Annotations[batchv1.CronJobScheduledTimestampAnnotation])
	if err != nil {
		t.Fatalf("scheduled-timestamp annotation of %s: %v", scheduled.Name, err)
	}
	if want := fmt.Sprintf("tick-%d", at.Unix()/60); scheduled.Name != want {
		t.Errorf("job name %q, want %q (from its scheduled time %s)", scheduled.Name, want, at)
	}
	if scheduled.Labels["app"] != "tick" || scheduled.Annotations["note"] != "from the template" {
		t.Errorf("job labels %v, annotations %v: want the template's", scheduled.Labels, scheduled.Annotations)
	}
	eventuallyWithin(t, "status.active and lastScheduleTime", 30*time.Second, func(ctx context.Context) (string, bool) {
		cur, err := client.BatchV1().CronJobs(ns).Get(ctx, cj.Name, metav1.GetOptions{})
		if err != nil {
			return err.Error(), false
		}
		last := cur.Status.LastScheduleTime
		found := false
		for _, ref := range cur.Status.Active {
			found = found || ref.UID == scheduled.UID
		}
		return fmt.Sprintf("active %v, lastScheduleTime %v", cur.Status.Active, last), found && last != nil && last.Time.Equal(at)
	})

	// kubectl create job --from=cronjob/tick: controlled by the CronJob,
	// not in its status.active. It started earlier, so it is the older.
	manual, err := client.BatchV1().Jobs(ns).Create(ctx, &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{
			Name:            "tick-manual",
			Annotations:     map[string]string{"cronjob.kubernetes.io/instantiate": "manual"},
			Labels:          cj.Spec.JobTemplate.Labels,
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "batch/v1", Kind: "CronJob", Name: cj.Name, UID: cj.UID, Controller: ptr.To(true)}},
		},
		Spec: cj.Spec.JobTemplate.Spec,
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create manual job: %v", err)
	}
	markCronJobRunComplete(t, client, manual, at.Add(-30*time.Second))
	markCronJobRunComplete(t, client, scheduled, at)

	eventuallyWithin(t, "the older finished job deleted", 30*time.Second, func(ctx context.Context) (string, bool) {
		j, err := client.BatchV1().Jobs(ns).Get(ctx, manual.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return "", true
		}
		if err != nil {
			return err.Error(), false
		}
		return fmt.Sprintf("%s still there (deletionTimestamp %v)", j.Name, j.DeletionTimestamp), j.DeletionTimestamp != nil
	})
	if _, err := client.BatchV1().Jobs(ns).Get(ctx, scheduled.Name, metav1.GetOptions{}); err != nil {
		t.Errorf("the newest finished job, within the limit: %v", err)
	}
	eventuallyWithin(t, "the completed job out of status.active, lastSuccessfulTime set", 30*time.Second, func(ctx context.Context) (string, bool) {
		cur, err := client.BatchV1().CronJobs(ns).Get(ctx, cj.Name, metav1.GetOptions{})
		if err != nil {
			return err.Error(), false
		}
		for _, ref := range cur.Status.Active {
			if ref.UID == scheduled.UID {
				return fmt.Sprintf("%s still active", ref.Name), false
			}
		}
		return fmt.Sprintf("lastSuccessfulTime %v", cur.Status.LastSuccessfulTime), cur.Status.LastSuccessfulTime != nil
	})
	eventuallyWithin(t, "events", 30*time.Second, func(ctx context.Context) (string, bool) {
		list, err := client.CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: fields.Set{
			"involvedObject.kind": "CronJob", "involvedObject.name": cj.Name}.String()})
		if err != nil {
			return err.Error(), false
		}
		got := sets.New[string]()
		for _, e := range list.Items {
			got.Insert(e.Reason + ": " + e.Message)
		}
		want := sets.New(
			"SuccessfulCreate: Created job "+scheduled.Name,
			"SawCompletedJob: Saw completed job: "+scheduled.Name+", condition: Complete",
			"SuccessfulDelete: Deleted job "+manual.Name,
		)
		return fmt.Sprintf("missing %v in %v", sets.List(want.Difference(got)), strings.Join(sets.List(got), "; ")), got.IsSuperset(want)
	})
}

// markCronJobRunComplete writes the status the job controller would on success.
func markCronJobRunComplete(t *testing.T, client kubernetes.Interface, j *batchv1.Job, started time.Time) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := client.BatchV1().Jobs(j.Namespace).Get(context.Background(), j.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		now := metav1.Now()
		cur.Status.StartTime = ptr.To(metav1.NewTime(started))
		cur.Status.CompletionTime = &now
		cur.Status.Active, cur.Status.Ready, cur.Status.Succeeded = 0, ptr.To[int32](0), 1
		cur.Status.Conditions = []batchv1.JobCondition{
			{Type: batchv1.JobSuccessCriteriaMet, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: batchv1.JobComplete, Status: corev1.ConditionTrue, LastTransitionTime: now},
		}
		_, err = client.BatchV1().Jobs(j.Namespace).UpdateStatus(context.Background(), cur, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatalf("mark %s complete: %v", j.Name, err)
	}
}

// eventuallyWithin is eventually with a timeout of its own: a schedule
// time can be a minute away.
func eventuallyWithin(t *testing.T, what string, timeout time.Duration, cond func(ctx context.Context) (string, bool)) {
	t.Helper()
	var last string
	err := wait.PollUntilContextTimeout(context.Background(), 200*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		var ok bool
		last, ok = cond(ctx)
		return ok, nil
	})
	if err != nil {
		t.Fatalf("%s: %v; last: %s", what, err, last)
	}
}
