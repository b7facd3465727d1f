package controllers

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/test/integration/framework"
)

// createJob creates job "name" (one pod to one completion, restartPolicy
// Never, no selector: the server generates it) changed by edits.
func createJob(t *testing.T, client kubernetes.Interface, ns, name string, edits ...func(*batchv1.Job)) *batchv1.Job {
	t.Helper()
	j := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyNever,
			Containers:    []corev1.Container{{Name: "main", Image: "registry.k8s.io/e2e-test-images/busybox:1.37.0-1"}},
		}}},
	}
	for _, e := range edits {
		e(j)
	}
	created, err := client.BatchV1().Jobs(ns).Create(context.Background(), j, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create job %s: %v", name, err)
	}
	return created
}

// jobPods lists the job's pods not being deleted, by completion index and
// then name.
func jobPods(ctx context.Context, client kubernetes.Interface, ns, job string) ([]corev1.Pod, error) {
	list, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: labels.Set{batchv1.JobNameLabel: job}.String()})
	if err != nil {
		return nil, err
	}
	var out []corev1.Pod
	for _, p := range list.Items {
		if p.DeletionTimestamp == nil {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].Annotations[batchv1.JobCompletionIndexAnnotation], out[j].Annotations[batchv1.JobCompletionIndexAnnotation]
		if a != b {
			return a < b
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// waitJobPods waits until the job has n pods that have not finished.
func waitJobPods(t *testing.T, client kubernetes.Interface, ns, job string, n int) []corev1.Pod {
	t.Helper()
	var running []corev1.Pod
	eventually(t, fmt.Sprintf("%d running pods of %s", n, job), func(ctx context.Context) (string, bool) {
		pods, err := jobPods(ctx, client, ns, job)
		running = nil
		for _, p := range pods {
			if p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed {
				running = append(running, p)
			}
		}
		return fmt.Sprintf("%d running of %d (err %v)", len(running), len(pods), err), err == nil && len(running) == n
	})
	return running
}

// finishPod plays the node agent: the pod's main container exits with code,
// and the pod ends Succeeded (code 0) or Failed, with the extra conditions.
func finishPod(t *testing.T, client kubernetes.Interface, p corev1.Pod, code int32, conditions ...corev1.PodConditionType) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := client.CoreV1().Pods(p.Namespace).Get(context.Background(), p.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		now := metav1.Now()
		cur.Status.Phase = corev1.PodSucceeded
		reason := "Completed"
		if code != 0 {
			cur.Status.Phase, reason = corev1.PodFailed, "Error"
		}
		cur.Status.ContainerStatuses = []corev1.ContainerStatus{{
			Name: "main", Image: cur.Spec.Containers[0].Image,
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code, Reason: reason, StartedAt: now, FinishedAt: now}},
		}}
		for _, c := range conditions {
			cur.Status.Conditions = append(cur.Status.Conditions, corev1.PodCondition{Type: c, Status: corev1.ConditionTrue, LastTransitionTime: now})
		}
		_, err = client.CoreV1().Pods(p.Namespace).UpdateStatus(context.Background(), cur, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatalf("finish pod %s: %v", p.Name, err)
	}
}

// jobConditions is "Type=Status Reason: Message" of each condition, in
// order.
func jobConditions(j *batchv1.Job) []string {
	var out []string
	for _, c := range j.Status.Conditions {
		out = append(out, fmt.Sprintf("%s=%s %s: %s", c.Type, c.Status, c.Reason, c.Message))
	}
	return out
}

// waitJobConditions waits until the job's conditions are want and returns it.
func waitJobConditions(t *testing.T, client kubernetes.Interface, ns, name string, want ...string) *batchv1.Job {
	t.Helper()
	var job *batchv1.Job
	eventually(t, fmt.Sprintf("job %s conditions %v", name, want), func(ctx context.Context) (string, bool) {
		var err error
		job, err = client.BatchV1().Jobs(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err.Error(), false
		}
		return fmt.Sprintf("conditions %v, status %+v", jobConditions(job), job.Status), slices.Equal(jobConditions(job), want)
	})
	return job
}

// jobEvents returns "Reason: Message" of the events about the job.
func jobEvents(ctx context.Context, client kubernetes.Interface, ns, name string) ([]string, error) {
	list, err := client.CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("involvedObject.name", name).String()})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range list.Items {
		out = append(out, e.Reason+": "+e.Message)
	}
	return out, nil
}

func waitJobEvent(t *testing.T, client kubernetes.Interface, ns, name, want string) {
	t.Helper()
	eventually(t, "event "+want, func(ctx context.Context) (string, bool) {
		got, err := jobEvents(ctx, client, ns, name)
		return fmt.Sprintf("events %q (err %v)", got, err), slices.Contains(got, want)
	})
}

// waitPodsUntracked waits until no pod of the job holds the tracking
// finalizer.
func waitPodsUntracked(t *testing.T, client kubernetes.Interface, ns, job string) {
	t.Helper()
	eventually(t, "no tracking finalizers on "+job+"'s pods", func(ctx context.Context) (string, bool) {
		list, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: labels.Set{batchv1.JobNameLabel: job}.String()})
		if err != nil {
			return err.Error(), false
		}
		var tracked []string
		for _, p := range list.Items {
			if slices.Contains(p.Finalizers, batchv1.JobTrackingFinalizer) {
				tracked = append(tracked, p.Name)
			}
		}
		return fmt.Sprintf("tracked: %v", tracked), len(tracked) == 0
	})
}

func waitNoPods(t *testing.T, client kubernetes.Interface, ns, job string) {
	t.Helper()
	eventually(t, "pods of "+job+" gone", func(ctx context.Context) (string, bool) {
		list, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: labels.Set{batchv1.JobNameLabel: job}.String()})
		if err != nil {
			return err.Error(), false
		}
		var left []string
		for _, p := range list.Items {
			left = append(left, fmt.Sprintf("%s%v", p.Name, p.Finalizers))
		}
		return fmt.Sprintf("left: %v", left), len(left) == 0
	})
}

const (
	completeConditions = "SuccessCriteriaMet=True CompletionsReached: Reached expected number of succeeded pods"
	completeCondition  = "Complete=True CompletionsReached: Reached expected number of succeeded pods"
)

func TestJobCompletesWithParallelism(t *testing.T) {
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ns := framework.Namespace(t, client)
	ctx := context.Background()
	job := createJob(t, client, ns, "para", func(j *batchv1.Job) {
		j.Spec.Completions, j.Spec.Parallelism = ptr.To[int32](3), ptr.To[int32](2)
	})
	// The server generated the selector and the template labels.
	wantSelector := &metav1.LabelSelector{MatchLabels: map[string]string{batchv1.ControllerUidLabel: string(job.UID)}}
	if diff := cmp.Diff(wantSelector, job.Spec.Selector); diff != "" {
		t.Errorf("generated selector (-want +got):\n%s", diff)
	}

	pods := waitJobPods(t, client, ns, "para", 2)
	for _, p := range pods {
		ref := metav1.GetControllerOf(&p)
		if ref == nil || ref.UID != job.UID || ref.Kind != "Job" || !ptr.Deref(ref.BlockOwnerDeletion, false) {
			t.Errorf("pod %s controller = %+v, want job para", p.Name, ref)
		}
		if !slices.Contains(p.Finalizers, batchv1.JobTrackingFinalizer) {
			t.Errorf("pod %s finalizers %v, want the tracking finalizer", p.Name, p.Finalizers)
		}
		if p.GenerateName != "para-" {
			t.Errorf("pod %s generateName %q, want para-", p.Name, p.GenerateName)
		}
	}
	markReady(t, client, &pods[0])
	eventually(t, "active 2, ready 1", func(ctx context.Context) (string, bool) {
		j, err := client.BatchV1().Jobs(ns).Get(ctx, "para", metav1.GetOptions{})
		if err != nil {
			return err.Error(), false
		}
		return fmt.Sprintf("status %+v", j.Status), j.Status.Active == 2 && ptr.Deref(j.Status.Ready, -1) == 1 && j.Status.StartTime != nil
	})

	// Two succeed; one more pod makes the third completion.
	finishPod(t, client, pods[0], 0)
	finishPod(t, client, pods[1], 0)
	third := waitJobPods(t, client, ns, "para", 1)
	finishPod(t, client, third[0], 0)

	done := waitJobConditions(t, client, ns, "para", completeConditions, completeCondition)
	if done.Status.Succeeded != 3 || done.Status.Failed != 0 || done.Status.Active != 0 || done.Status.CompletionTime == nil {
		t.Errorf("finished status %+v, want 3 succeeded and a completion time", done.Status)
	}
	if u := done.Status.UncountedTerminatedPods; u != nil && len(u.Succeeded)+len(u.Failed) > 0 {
		t.Errorf("uncounted pods left: %+v", u)
	}
	waitPodsUntracked(t, client, ns, "para")
	waitJobEvent(t, client, ns, "para", "Completed: Job completed")
	waitJobEvent(t, client, ns, "para", "SuccessfulCreate: Created pod: "+pods[0].Name)

	// Deleting the job lets the garbage collector take its pods.
	if err := client.BatchV1().Jobs(ns).Delete(ctx, "para", metav1.DeleteOptions{PropagationPolicy: ptr.To(metav1.DeletePropagationBackground)}); err != nil {
		t.Fatal(err)
	}
	waitNoPods(t, client, ns, "para")
}

// TestJobDeletedWhileRunning: the pods of a job deleted before it finished
// lose their tracking finalizer, so the garbage collector's deletes
// complete.
func TestJobDeletedWhileRunning(t *testing.T) {
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ns := framework.Namespace(t, client)
	createJob(t, client, ns, "doomed", func(j *batchv1.Job) { j.Spec.Completions, j.Spec.Parallelism = ptr.To[int32](4), ptr.To[int32](2) })
	waitJobPods(t, client, ns, "doomed", 2)
	if err := client.BatchV1().Jobs(ns).Delete(context.Background(), "doomed", metav1.DeleteOptions{PropagationPolicy: ptr.To(metav1.DeletePropagationBackground)}); err != nil {
		t.Fatal(err)
	}
	waitNoPods(t, client, ns, "doomed")
}

func TestJobIndexed(t *testing.T) {
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ns := framework.Namespace(t, client)
	createJob(t, client, ns, "idx", func(j *batchv1.Job) {
		j.Spec.Completions, j.Spec.Parallelism = ptr.To[int32](3), ptr.To[int32](3)
		j.Spec.CompletionMode = ptr.To(batchv1.IndexedCompletion)
	})
	pods := waitJobPods(t, client, ns, "idx", 3)
	for i, p := range pods {
		ix := fmt.Sprint(i)
		if p.Annotations[batchv1.JobCompletionIndexAnnotation] != ix || p.Labels[batchv1.JobCompletionIndexAnnotation] != ix {
			t.Errorf("pod %s index annotation %q label %q, want %s", p.Name, p.Annotations[batchv1.JobCompletionIndexAnnotation], p.Labels[batchv1.JobCompletionIndexAnnotation], ix)
		}
		if want := "idx-" + ix; p.Spec.Hostname != want || !strings.HasPrefix(p.Name, want+"-") {
			t.Errorf("pod %s hostname %q, want %s and the name prefix %s-", p.Name, p.Spec.Hostname, want, want)
		}
		wantEnv := corev1.EnvVar{Name: "JOB_COMPLETION_INDEX", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{
			APIVersion: "v1", FieldPath: "metadata.labels['batch.kubernetes.io/job-completion-index']",
		}}}
		if !slices.ContainsFunc(p.Spec.Containers[0].Env, func(e corev1.EnvVar) bool { return cmp.Equal(e, wantEnv) }) {
			t.Errorf("pod %s env %+v, want %+v", p.Name, p.Spec.Containers[0].Env, wantEnv)
		}
	}
	finishPod(t, client, pods[2], 0)
	eventually(t, "completedIndexes 2", func(ctx context.Context) (string, bool) {
		j, err := client.BatchV1().Jobs(ns).Get(ctx, "idx", metav1.GetOptions{})
		if err != nil {
			return err.Error(), false
		}
		return fmt.Sprintf("completedIndexes %q succeeded %d", j.Status.CompletedIndexes, j.Status.Succeeded), j.Status.CompletedIndexes == "2" && j.Status.Succeeded == 1
	})
	finishPod(t, client, pods[0], 0)
	finishPod(t, client, pods[1], 0)
	done := waitJobConditions(t, client, ns, "idx", completeConditions, completeCondition)
	if done.Status.CompletedIndexes != "0-2" || done.Status.Succeeded != 3 {
		t.Errorf("completedIndexes %q, succeeded %d; want 0-2, 3", done.Status.CompletedIndexes, done.Status.Succeeded)
	}
	waitPodsUntracked(t, client, ns, "idx")
}

func TestJobBackoffLimitExceeded(t *testing.T) {
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ns := framework.Namespace(t, client)
	createJob(t, client, ns, "flaky", func(j *batchv1.Job) { j.Spec.BackoffLimit = ptr.To[int32](0) })
	pods := waitJobPods(t, client, ns, "flaky", 1)
	finishPod(t, client, pods[0], 1)
	const msg = "BackoffLimitExceeded: Job has reached the specified backoff limit"
	failed := waitJobConditions(t, client, ns, "flaky", "FailureTarget=True "+msg, "Failed=True "+msg)
	if failed.Status.Failed != 1 || failed.Status.Succeeded != 0 || failed.Status.CompletionTime != nil {
		t.Errorf("failed status %+v, want failed 1 and no completion time", failed.Status)
	}
	waitJobEvent(t, client, ns, "flaky", msg)
	waitPodsUntracked(t, client, ns, "flaky")
}

func TestJobPodFailurePolicy(t *testing.T) {
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))

	t.Run("FailJob on an exit code", func(t *testing.T) {
		ns := framework.Namespace(t, client)
		createJob(t, client, ns, "failjob", func(j *batchv1.Job) {
			j.Spec.Completions, j.Spec.Parallelism = ptr.To[int32](2), ptr.To[int32](2)
			j.Spec.PodFailurePolicy = &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{{
				Action:      batchv1.PodFailurePolicyActionFailJob,
				OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{ContainerName: ptr.To("main"), Operator: batchv1.PodFailurePolicyOnExitCodesOpIn, Values: []int32{42}},
			}}}
		})
		pods := waitJobPods(t, client, ns, "failjob", 2)
		finishPod(t, client, pods[0], 42)
		msg := fmt.Sprintf("PodFailurePolicy: Container main for pod %s/%s failed with exit code 42 matching FailJob rule at index 0", ns, pods[0].Name)
		// The other pod is deleted (and counted failed); Failed follows
		// once it is gone.
		failed := waitJobConditions(t, client, ns, "failjob", "FailureTarget=True "+msg, "Failed=True "+msg)
		if failed.Status.Failed != 2 || failed.Status.Active != 0 {
			t.Errorf("status %+v, want 2 failed, none active", failed.Status)
		}
		eventually(t, "the running pod deleted", func(ctx context.Context) (string, bool) {
			left, err := jobPods(ctx, client, ns, "failjob")
			var names []string
			for _, p := range left {
				names = append(names, p.Name)
			}
			return fmt.Sprintf("pods %v (err %v)", names, err), err == nil && len(left) == 1 && left[0].Name == pods[0].Name
		})
	})

	t.Run("Ignore on DisruptionTarget", func(t *testing.T) {
		ns := framework.Namespace(t, client)
		// A work queue with no failure allowed: only an ignored failure
		// lets it complete.
		createJob(t, client, ns, "ignore", func(j *batchv1.Job) {
			j.Spec.Completions, j.Spec.Parallelism = nil, ptr.To[int32](2)
			j.Spec.BackoffLimit = ptr.To[int32](0)
			j.Spec.PodFailurePolicy = &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{{
				Action:          batchv1.PodFailurePolicyActionIgnore,
				OnPodConditions: []batchv1.PodFailurePolicyOnPodConditionsPattern{{Type: corev1.DisruptionTarget}},
			}}}
		})
		pods := waitJobPods(t, client, ns, "ignore", 2)
		finishPod(t, client, pods[0], 137, corev1.DisruptionTarget)
		waitPodsUntrackedNamed(t, client, ns, pods[0].Name)
		finishPod(t, client, pods[1], 0)
		done := waitJobConditions(t, client, ns, "ignore", completeConditions, completeCondition)
		if done.Status.Failed != 0 || done.Status.Succeeded != 1 {
			t.Errorf("status %+v, want the disruption ignored: 0 failed, 1 succeeded", done.Status)
		}
	})
}

// waitPodsUntrackedNamed waits until the pod has lost the tracking finalizer:
// the job has counted it.
func waitPodsUntrackedNamed(t *testing.T, client kubernetes.Interface, ns, name string) {
	t.Helper()
	eventually(t, "pod "+name+" counted", func(ctx context.Context) (string, bool) {
		p, err := client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err.Error(), false
		}
		return fmt.Sprintf("finalizers %v", p.Finalizers), !slices.Contains(p.Finalizers, batchv1.JobTrackingFinalizer)
	})
}

func TestJobActiveDeadline(t *testing.T) {
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ns := framework.Namespace(t, client)
	createJob(t, client, ns, "slow", func(j *batchv1.Job) { j.Spec.ActiveDeadlineSeconds = ptr.To[int64](1) })
	const msg = "DeadlineExceeded: Job was active longer than specified deadline"
	failed := waitJobConditions(t, client, ns, "slow", "FailureTarget=True "+msg, "Failed=True "+msg)
	if failed.Status.Active != 0 || failed.Status.Failed != 1 {
		t.Errorf("status %+v, want the running pod deleted and counted failed", failed.Status)
	}
	waitNoPods(t, client, ns, "slow")
	waitJobEvent(t, client, ns, "slow", msg)
}

func TestJobSuspendResume(t *testing.T) {
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ns := framework.Namespace(t, client)
	ctx := context.Background()
	createJob(t, client, ns, "later", func(j *batchv1.Job) {
		j.Spec.Suspend = ptr.To(true)
		j.Spec.Completions, j.Spec.Parallelism = ptr.To[int32](4), ptr.To[int32](2)
	})
	suspended := waitJobConditions(t, client, ns, "later", "Suspended=True JobSuspended: Job suspended")
	if suspended.Status.StartTime != nil {
		t.Errorf("a job created suspended has startTime %v", suspended.Status.StartTime)
	}
	if pods, err := jobPods(ctx, client, ns, "later"); err != nil || len(pods) != 0 {
		t.Errorf("a suspended job has %d pods (err %v), want none", len(pods), err)
	}

	setSuspend := func(suspend bool) {
		t.Helper()
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			j, err := client.BatchV1().Jobs(ns).Get(ctx, "later", metav1.GetOptions{})
			if err != nil {
				return err
			}
			j.Spec.Suspend = ptr.To(suspend)
			_, err = client.BatchV1().Jobs(ns).Update(ctx, j, metav1.UpdateOptions{})
			return err
		})
		if err != nil {
			t.Fatalf("set suspend %v: %v", suspend, err)
		}
	}
	setSuspend(false)
	waitJobPods(t, client, ns, "later", 2)
	resumed := waitJobConditions(t, client, ns, "later", "Suspended=False JobResumed: Job resumed")
	if resumed.Status.StartTime == nil {
		t.Errorf("a resumed job has no startTime")
	}
	waitJobEvent(t, client, ns, "later", "Resumed: Job resumed")

	setSuspend(true)
	waitJobConditions(t, client, ns, "later", "Suspended=True JobSuspended: Job suspended")
	waitNoPods(t, client, ns, "later")
	eventually(t, "suspended status", func(ctx context.Context) (string, bool) {
		j, err := client.BatchV1().Jobs(ns).Get(ctx, "later", metav1.GetOptions{})
		if err != nil {
			return err.Error(), false
		}
		s := j.Status
		return fmt.Sprintf("status %+v", s), s.Active == 0 && s.StartTime == nil && s.Failed == 0 && ptr.Deref(s.Terminating, -1) == 0
	})
}

func TestJobTTLAfterFinished(t *testing.T) {
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ns := framework.Namespace(t, client)
	createJob(t, client, ns, "shortlived", func(j *batchv1.Job) { j.Spec.TTLSecondsAfterFinished = ptr.To[int32](1) })
	pods := waitJobPods(t, client, ns, "shortlived", 1)
	finishPod(t, client, pods[0], 0)
	eventually(t, "job deleted after its TTL", func(ctx context.Context) (string, bool) {
		j, err := client.BatchV1().Jobs(ns).Get(ctx, "shortlived", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return "gone", true
		}
		if err != nil {
			return err.Error(), false
		}
		return fmt.Sprintf("conditions %v, deletionTimestamp %v, finalizers %v", jobConditions(j), j.DeletionTimestamp, j.Finalizers), false
	})
	// Foreground deletion removed the pods before the job.
	waitNoPods(t, client, ns, "shortlived")
}

// TestJobAdoptsAndReleases: an orphaned pod is adopted back (with the
// tracking finalizer) and a pod relabelled out of the selector is released
// (without it), as the conformance test "should adopt matching orphans and
// release non-matching pods" checks.
func TestJobAdoptsAndReleases(t *testing.T) {
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ns := framework.Namespace(t, client)
	ctx := context.Background()
	job := createJob(t, client, ns, "adopt", func(j *batchv1.Job) { j.Spec.Completions, j.Spec.Parallelism = ptr.To[int32](4), ptr.To[int32](2) })
	pods := waitJobPods(t, client, ns, "adopt", 2)
	update := func(name string, change func(*corev1.Pod)) {
		t.Helper()
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			p, err := client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			change(p)
			_, err = client.CoreV1().Pods(ns).Update(ctx, p, metav1.UpdateOptions{})
			return err
		})
		if err != nil {
			t.Fatalf("update pod %s: %v", name, err)
		}
	}
	name := pods[0].Name
	update(name, func(p *corev1.Pod) { p.OwnerReferences = nil })
	eventually(t, "orphan adopted", func(ctx context.Context) (string, bool) {
		p, err := client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err.Error(), false
		}
		ref := metav1.GetControllerOf(p)
		return fmt.Sprintf("controller %+v, finalizers %v", ref, p.Finalizers), ref != nil && ref.UID == job.UID && slices.Contains(p.Finalizers, batchv1.JobTrackingFinalizer)
	})
	update(name, func(p *corev1.Pod) { p.Labels = nil })
	eventually(t, "relabelled pod released", func(ctx context.Context) (string, bool) {
		p, err := client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err.Error(), false
		}
		return fmt.Sprintf("controller %+v, finalizers %v", metav1.GetControllerOf(p), p.Finalizers),
			metav1.GetControllerOf(p) == nil && !slices.Contains(p.Finalizers, batchv1.JobTrackingFinalizer)
	})
	waitJobPods(t, client, ns, "adopt", 2)
}
