package job

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/controllers/podstate"
)

// setPodStatus plays the node agent: it writes a pod's status in the fake
// API.
func (h *harness) setPodStatus(t *testing.T, name string, edits ...func(*corev1.Pod)) {
	t.Helper()
	ctx := context.Background()
	p, err := h.client.CoreV1().Pods("ns").Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range edits {
		e(p)
	}
	if _, err := h.client.CoreV1().Pods("ns").UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// activePodNames lists the pods in the fake API that have not finished.
func (h *harness) activePodNames(t *testing.T) []string {
	t.Helper()
	list, err := h.client.CoreV1().Pods("ns").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range list.Items {
		if podstate.Active(&p) {
			out = append(out, p.Name)
		}
	}
	return out
}

func (h *harness) sync(t *testing.T) time.Duration {
	t.Helper()
	d, err := h.c.sync(context.Background(), "ns/pi")
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	return d
}

func failedAt(at time.Time) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		p.Status.Phase = corev1.PodFailed
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "main", State: corev1.ContainerState{
			Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, FinishedAt: metav1.NewTime(at)},
		}}}
	}
}

// TestBackoffDoubles follows a job whose pods keep failing: each
// replacement waits twice as long as the one before, counted from the
// latest failure.
func TestBackoffDoubles(t *testing.T) {
	h := newHarness(t, newJob())
	h.sync(t)
	h.refresh(t)
	var waits []time.Duration
	for i := range 3 {
		names := h.activePodNames(t)
		if len(names) != 1 {
			t.Fatalf("round %d: pods %v, want one", i, names)
		}
		h.setPodStatus(t, names[0], failedAt(h.clock.Now()))
		h.refresh(t)
		wait := h.sync(t)
		waits = append(waits, wait)
		h.refresh(t)
		if got := h.activePodNames(t); len(got) != 0 {
			t.Fatalf("round %d: pods %v replace the failed one before the back-off, want none", i, got)
		}
		h.clock.Step(wait)
		h.sync(t)
		h.refresh(t)
	}
	if diff := cmp.Diff([]time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second}, waits); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
	if got := h.job(t).Status.Failed; got != 3 {
		t.Errorf("status.failed = %d, want 3", got)
	}
}

// TestFailedAfterPodsGone follows a FailJob decision to its end: the
// interim FailureTarget first, Failed with the event once the deleted pods
// are gone, and nothing more from a sync that runs on the stale cache in
// between.
func TestFailedAfterPodsGone(t *testing.T) {
	job := newJob(failurePolicy(onExitCodes(batchv1.PodFailurePolicyActionFailJob, 42)), func(j *batchv1.Job) {
		j.Spec.Parallelism, j.Spec.Completions = ptr.To[int32](2), ptr.To[int32](2)
	})
	h := newHarness(t, job, newPod("a", corev1.PodFailed, exited(42, time.Minute)), newPod("b", corev1.PodRunning))
	h.sync(t)
	h.refresh(t)
	msg := "Container main for pod ns/a failed with exit code 42 matching FailJob rule at index 0"
	h.events()
	h.sync(t)
	want := []batchv1.JobCondition{
		cond(batchv1.JobFailureTarget, batchv1.JobReasonPodFailurePolicy, msg),
		cond(batchv1.JobFailed, batchv1.JobReasonPodFailurePolicy, msg),
	}
	if diff := cmp.Diff(want, h.job(t).Status.Conditions); diff != "" {
		t.Errorf("conditions (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Warning PodFailurePolicy " + msg}, h.events()); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	// The cache still shows the job running: the sync must not decide
	// again.
	h.sync(t)
	if got := h.events(); len(got) != 0 {
		t.Errorf("events of a sync on the stale cache: %v", got)
	}
	h.refresh(t)
	if _, ok := h.c.finishing.Load(jobUID); ok {
		t.Errorf("job still marked finishing after the cache showed it finished")
	}
}

// TestExpectationsHoldCreates: until the informer shows the pods a sync
// created, another sync must not create them again.
func TestExpectationsHoldCreates(t *testing.T) {
	h := newHarness(t, newJob(func(j *batchv1.Job) { j.Spec.Parallelism, j.Spec.Completions = ptr.To[int32](3), ptr.To[int32](3) }))
	h.sync(t)
	h.sync(t)
	if got := len(h.activePodNames(t)); got != 3 {
		t.Fatalf("%d pods after two syncs on a stale cache, want 3", got)
	}
	h.refresh(t)
	if !h.c.exp.Satisfied("ns/pi") {
		t.Errorf("expectations unsatisfied after the informer showed the creates")
	}
	h.sync(t)
	if got := len(h.activePodNames(t)); got != 3 {
		t.Errorf("%d pods, want 3", got)
	}
}

func TestSyncOrphans(t *testing.T) {
	finished := newJob(func(j *batchv1.Job) {
		j.Status.Conditions = []batchv1.JobCondition{cond(batchv1.JobComplete, "", "")}
	})
	otherOwner := func(p *corev1.Pod) {
		p.OwnerReferences[0].APIVersion, p.OwnerReferences[0].Kind = "apps/v1", "ReplicaSet"
	}
	tests := []struct {
		name    string
		job     *batchv1.Job
		pod     *corev1.Pod
		key     string
		tracked bool
	}{
		{name: "orphan", job: newJob(), pod: newPod("a", corev1.PodRunning, func(p *corev1.Pod) { p.OwnerReferences = nil }), key: "pod/ns/a"},
		{name: "owner gone", job: newJob(func(j *batchv1.Job) { j.UID = "other" }), pod: newPod("a", corev1.PodRunning), key: "pod/ns/a"},
		{name: "owner finished", job: finished, pod: newPod("a", corev1.PodRunning), key: "pod/ns/a"},
		{name: "owner finished, by selector", job: finished, pod: newPod("a", corev1.PodRunning), key: "selector/ns/" + batchv1.ControllerUidLabel + "=" + string(jobUID)},
		{name: "owner running", job: newJob(), pod: newPod("a", corev1.PodRunning), key: "pod/ns/a", tracked: true},
		{name: "owner running, by selector", job: newJob(), pod: newPod("a", corev1.PodRunning), key: "selector/ns/" + batchv1.ControllerUidLabel + "=" + string(jobUID), tracked: true},
		{name: "owner of another kind", job: newJob(), pod: newPod("a", corev1.PodRunning, otherOwner), key: "pod/ns/a", tracked: true},
		{
			name: "owner managed elsewhere", pod: newPod("a", corev1.PodRunning), key: "pod/ns/a", tracked: true,
			job: newJob(func(j *batchv1.Job) {
				j.Spec.ManagedBy = ptr.To("example.com/other")
				j.Status.Conditions = []batchv1.JobCondition{cond(batchv1.JobComplete, "", "")}
			}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.job, tt.pod)
			if _, err := h.c.syncOrphans(context.Background(), tt.key); err != nil {
				t.Fatal(err)
			}
			p, err := h.client.CoreV1().Pods("ns").Get(context.Background(), "a", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got := hasTrackingFinalizer(p); got != tt.tracked {
				t.Errorf("tracking finalizer %v, want %v", got, tt.tracked)
			}
		})
	}
}

// TestPodDeletedExpectations: the start of a pod's deletion and its end
// count once, and only pods the job deleted count.
func TestPodDeletedExpectations(t *testing.T) {
	h := newHarness(t, newJob(), newPod("a", corev1.PodRunning))
	h.c.exp.ExpectDeletions("ns/pi", []string{"ns/a", "ns/b"})
	h.c.podDeleted(newPod("a", corev1.PodRunning, deleting), false)
	h.c.podDeleted(newPod("a", corev1.PodRunning, deleting), true)
	if h.c.exp.Satisfied("ns/pi") {
		t.Errorf("satisfied after two events for one of two deletes")
	}
	h.c.podDeleted(newPod("b", corev1.PodRunning), true)
	if !h.c.exp.Satisfied("ns/pi") {
		t.Errorf("unsatisfied after both deletes were seen")
	}
}
