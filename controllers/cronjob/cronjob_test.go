package cronjob

import (
	"context"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/record"
	testclock "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
)

// now is when the requeue for the 10:00 run fires; the names of the Jobs
// of the runs at 09:59 and 10:00 follow.
var now = at("2026-01-01T10:00:00.1Z")

const (
	run0958 = "hello-29454358"
	run0959 = "hello-29454359"
	run1000 = "hello-29454360"
)

func newCronJob(mutate ...func(*batchv1.CronJob)) *batchv1.CronJob {
	cj := &batchv1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Name: "hello", Namespace: "ns", UID: "hello-uid",
			CreationTimestamp: metav1.NewTime(at("2026-01-01T09:00:00Z")), ResourceVersion: "1"},
		Spec: batchv1.CronJobSpec{
			Schedule:          "* * * * *",
			ConcurrencyPolicy: batchv1.AllowConcurrent,
			JobTemplate: batchv1.JobTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "hello"}},
				Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
					RestartPolicy: corev1.RestartPolicyOnFailure,
					Containers:    []corev1.Container{{Name: "c", Image: "busybox"}},
				}}},
			},
		},
		Status: batchv1.CronJobStatus{LastScheduleTime: ptr.To(metav1.NewTime(at("2026-01-01T09:59:00Z")))},
	}
	for _, m := range mutate {
		m(cj)
	}
	return cj
}

func lastScheduled(s string) func(*batchv1.CronJob) {
	return func(cj *batchv1.CronJob) { cj.Status.LastScheduleTime = ptr.To(metav1.NewTime(at(s))) }
}

func policy(p batchv1.ConcurrencyPolicy) func(*batchv1.CronJob) {
	return func(cj *batchv1.CronJob) { cj.Spec.ConcurrencyPolicy = p }
}

func active(jobs ...*batchv1.Job) func(*batchv1.CronJob) {
	return func(cj *batchv1.CronJob) {
		for _, j := range jobs {
			cj.Status.Active = append(cj.Status.Active, jobRef(j))
		}
	}
}

func historyLimits(succeeded, failed *int32) func(*batchv1.CronJob) {
	return func(cj *batchv1.CronJob) {
		cj.Spec.SuccessfulJobsHistoryLimit, cj.Spec.FailedJobsHistoryLimit = succeeded, failed
	}
}

// job returns a Job of hello (controlled by it unless mutated) that started
// at started (unless empty) and runs.
func job(name, started string, mutate ...func(*batchv1.Job)) *batchv1.Job {
	j := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: types.UID(name + "-uid"), ResourceVersion: "1",
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(newCronJob(), cronJobKind)}},
	}
	if started != "" {
		j.Status.StartTime = ptr.To(metav1.NewTime(at(started)))
	}
	for _, m := range mutate {
		m(j)
	}
	return j
}

func completed(s string) func(*batchv1.Job) {
	return func(j *batchv1.Job) {
		j.Status.Conditions = append(j.Status.Conditions, batchv1.JobCondition{Type: batchv1.JobComplete, Status: corev1.ConditionTrue})
		j.Status.CompletionTime = ptr.To(metav1.NewTime(at(s)))
	}
}

func failed(j *batchv1.Job) {
	j.Status.Conditions = append(j.Status.Conditions, batchv1.JobCondition{Type: batchv1.JobFailed, Status: corev1.ConditionTrue})
}

func orphan(j *batchv1.Job) { j.OwnerReferences = nil }

type harness struct {
	c        *Controller
	client   *fake.Clientset
	clock    *testclock.FakeClock
	recorder *record.FakeRecorder
}

// newHarness builds a controller whose caches hold cached and whose API
// holds stored (the cached objects when stored is nil), without running
// informers: each test drives sync directly.
func newHarness(t *testing.T, cached, stored []runtime.Object) *harness {
	t.Helper()
	if stored == nil {
		stored = cached
	}
	client := fake.NewClientset(stored...)
	// The fake tracker assigns no UIDs; the controller refers to Jobs by UID.
	client.PrependReactor("create", "jobs", func(a clienttesting.Action) (bool, runtime.Object, error) {
		j := a.(clienttesting.CreateAction).GetObject().(*batchv1.Job)
		j.UID = types.UID(j.Name + "-uid")
		return false, nil, nil
	})
	factory := informers.NewSharedInformerFactory(client, 0)
	clk := testclock.NewFakeClock(now)
	rec := record.NewFakeRecorder(100)
	c := newController(client, factory.Batch().V1().CronJobs(), factory.Batch().V1().Jobs(), clk, rec)
	for _, o := range cached {
		var err error
		switch o := o.(type) {
		case *batchv1.CronJob:
			err = factory.Batch().V1().CronJobs().Informer().GetIndexer().Add(o)
		case *batchv1.Job:
			err = factory.Batch().V1().Jobs().Informer().GetIndexer().Add(o)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return &harness{c: c, client: client, clock: clk, recorder: rec}
}

// writes summarises the client's writes as "verb resource[/subresource] name".
func (h *harness) writes() []string {
	var out []string
	for _, a := range h.client.Actions() {
		res := a.GetResource().Resource
		if a.GetSubresource() != "" {
			res += "/" + a.GetSubresource()
		}
		switch a.GetVerb() {
		case "create":
			out = append(out, "create "+res+" "+a.(clienttesting.CreateAction).GetObject().(metav1.Object).GetName())
		case "update":
			out = append(out, "update "+res+" "+a.(clienttesting.UpdateAction).GetObject().(metav1.Object).GetName())
		case "delete":
			out = append(out, "delete "+res+" "+a.(clienttesting.DeleteAction).GetName())
		}
	}
	return out
}

func (h *harness) events() []string {
	var out []string
	for {
		select {
		case e := <-h.recorder.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}

// result is what one sync did.
type result struct {
	Requeue            time.Duration
	Err                string
	Writes             []string
	Events             []string
	Active             []string
	LastScheduleTime   string
	LastSuccessfulTime string
}

func (h *harness) sync(t *testing.T) result {
	t.Helper()
	requeue, err := h.c.sync(context.Background(), "ns/hello")
	r := result{Requeue: requeue, Writes: h.writes(), Events: h.events()}
	if err != nil {
		r.Err = err.Error()
	}
	cj, err := h.client.BatchV1().CronJobs("ns").Get(context.Background(), "hello", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get cronjob: %v", err)
	}
	for _, ref := range cj.Status.Active {
		r.Active = append(r.Active, ref.Name)
	}
	sort.Strings(r.Active)
	if s := cj.Status.LastScheduleTime; s != nil {
		r.LastScheduleTime = s.UTC().Format(time.RFC3339)
	}
	if s := cj.Status.LastSuccessfulTime; s != nil {
		r.LastSuccessfulTime = s.UTC().Format(time.RFC3339)
	}
	return r
}

func objs(cj *batchv1.CronJob, jobs ...*batchv1.Job) []runtime.Object {
	out := []runtime.Object{cj}
	for _, j := range jobs {
		out = append(out, j)
	}
	return out
}

func TestSync(t *testing.T) {
	running0959 := job(run0959, "2026-01-01T09:59:01Z")
	done0959 := job(run0959, "2026-01-01T09:59:01Z", completed("2026-01-01T09:59:30Z"))
	running1000 := job(run1000, "2026-01-01T10:00:01Z")
	created1000 := "create jobs " + run1000
	statusWrite := "update cronjobs/status hello"
	createdEvent := "Normal SuccessfulCreate Created job " + run1000

	cases := []struct {
		name   string
		cached []runtime.Object
		// stored is what the API holds when it differs from the cache.
		stored    []runtime.Object
		createErr error
		want      result
	}{
		{
			name:   "due: starts the job",
			cached: objs(newCronJob()),
			want: result{Requeue: time.Minute, Writes: []string{created1000, statusWrite}, Events: []string{createdEvent},
				Active: []string{run1000}, LastScheduleTime: "2026-01-01T10:00:00Z"},
		},
		{
			name:   "not due",
			cached: objs(newCronJob(lastScheduled("2026-01-01T10:00:00Z"))),
			want:   result{Requeue: time.Minute, LastScheduleTime: "2026-01-01T10:00:00Z"},
		},
		{
			name:   "suspended: nothing, and no requeue",
			cached: objs(newCronJob(func(cj *batchv1.CronJob) { cj.Spec.Suspend = ptr.To(true) })),
			want:   result{LastScheduleTime: "2026-01-01T09:59:00Z"},
		},
		{
			name:   "being deleted: nothing",
			cached: objs(newCronJob(func(cj *batchv1.CronJob) { cj.DeletionTimestamp = ptr.To(metav1.NewTime(now)) })),
			want:   result{LastScheduleTime: "2026-01-01T09:59:00Z"},
		},
		{
			name:   "Allow: a second job beside the running one",
			cached: objs(newCronJob(active(running0959)), running0959),
			want: result{Requeue: time.Minute, Writes: []string{created1000, statusWrite}, Events: []string{createdEvent},
				Active: []string{run0959, run1000}, LastScheduleTime: "2026-01-01T10:00:00Z"},
		},
		{
			name:   "Forbid: no job while one runs",
			cached: objs(newCronJob(policy(batchv1.ForbidConcurrent), active(running0959)), running0959),
			want: result{Requeue: time.Minute,
				Events: []string{"Normal JobAlreadyActive Not starting job because prior execution is running and concurrency policy is Forbid"},
				Active: []string{run0959}, LastScheduleTime: "2026-01-01T09:59:00Z"},
		},
		{
			name:   "Forbid: starts once the previous job completed",
			cached: objs(newCronJob(policy(batchv1.ForbidConcurrent), active(done0959)), done0959),
			want: result{Requeue: time.Minute, Writes: []string{created1000, statusWrite},
				Events: []string{"Normal SawCompletedJob Saw completed job: " + run0959 + ", condition: Complete", createdEvent},
				Active: []string{run1000}, LastScheduleTime: "2026-01-01T10:00:00Z", LastSuccessfulTime: "2026-01-01T09:59:30Z"},
		},
		{
			name:   "Replace: deletes the running job, then starts",
			cached: objs(newCronJob(policy(batchv1.ReplaceConcurrent), active(running0959)), running0959),
			want: result{Requeue: time.Minute, Writes: []string{"delete jobs " + run0959, created1000, statusWrite},
				Events: []string{"Normal SuccessfulDelete Deleted job " + run0959, createdEvent},
				Active: []string{run1000}, LastScheduleTime: "2026-01-01T10:00:00Z"},
		},
		{
			name:   "missed runs: starts only the latest",
			cached: objs(newCronJob(lastScheduled("2026-01-01T09:55:00Z"))),
			want: result{Requeue: time.Minute, Writes: []string{created1000, statusWrite}, Events: []string{createdEvent},
				Active: []string{run1000}, LastScheduleTime: "2026-01-01T10:00:00Z"},
		},
		{
			name: "more than 100 missed: warns, and starts the latest",
			cached: objs(newCronJob(func(cj *batchv1.CronJob) {
				cj.CreationTimestamp = metav1.NewTime(at("2025-12-31T00:00:00Z"))
				cj.Status.LastScheduleTime = nil
			})),
			want: result{Requeue: time.Minute, Writes: []string{created1000, statusWrite},
				Events: []string{"Warning TooManyMissedTimes too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew", createdEvent},
				Active: []string{run1000}, LastScheduleTime: "2026-01-01T10:00:00Z"},
		},
		{
			name: "startingDeadlineSeconds: a run within the deadline starts",
			cached: objs(newCronJob(lastScheduled("2026-01-01T09:50:00Z"), func(cj *batchv1.CronJob) {
				cj.Spec.StartingDeadlineSeconds = ptr.To[int64](5)
			})),
			want: result{Requeue: time.Minute, Writes: []string{created1000, statusWrite}, Events: []string{createdEvent},
				Active: []string{run1000}, LastScheduleTime: "2026-01-01T10:00:00Z"},
		},
		{
			name: "startingDeadlineSeconds: a run past the deadline is skipped",
			cached: objs(newCronJob(lastScheduled("2026-01-01T09:50:00Z"), func(cj *batchv1.CronJob) {
				cj.Spec.StartingDeadlineSeconds = ptr.To[int64](0)
			})),
			want: result{Requeue: time.Minute, LastScheduleTime: "2026-01-01T09:50:00Z"},
		},
		{
			name:   "a completed job leaves status.active and sets lastSuccessfulTime",
			cached: objs(newCronJob(lastScheduled("2026-01-01T10:00:00Z"), active(done0959)), done0959),
			want: result{Requeue: time.Minute, Writes: []string{statusWrite},
				Events:           []string{"Normal SawCompletedJob Saw completed job: " + run0959 + ", condition: Complete"},
				LastScheduleTime: "2026-01-01T10:00:00Z", LastSuccessfulTime: "2026-01-01T09:59:30Z"},
		},
		{
			name: "a failed job leaves status.active, lastSuccessfulTime stays",
			cached: objs(newCronJob(lastScheduled("2026-01-01T10:00:00Z"), active(job(run0959, "2026-01-01T09:59:01Z", failed))),
				job(run0959, "2026-01-01T09:59:01Z", failed)),
			want: result{Requeue: time.Minute, Writes: []string{statusWrite},
				Events:           []string{"Normal SawCompletedJob Saw completed job: " + run0959 + ", condition: Failed"},
				LastScheduleTime: "2026-01-01T10:00:00Z"},
		},
		{
			name: "lastSuccessfulTime only moves forward",
			cached: objs(newCronJob(lastScheduled("2026-01-01T10:00:00Z"), func(cj *batchv1.CronJob) {
				cj.Status.LastSuccessfulTime = ptr.To(metav1.NewTime(at("2026-01-01T09:59:50Z")))
			}), done0959),
			want: result{Requeue: time.Minute, LastScheduleTime: "2026-01-01T10:00:00Z", LastSuccessfulTime: "2026-01-01T09:59:50Z"},
		},
		{
			name:   "an active job that is gone leaves status.active",
			cached: objs(newCronJob(lastScheduled("2026-01-01T10:00:00Z"), active(running0959))),
			want: result{Requeue: time.Minute, Writes: []string{statusWrite},
				Events: []string{"Normal MissingJob Active job went missing: " + run0959}, LastScheduleTime: "2026-01-01T10:00:00Z"},
		},
		{
			name:   "an active job not yet in the cache stays",
			cached: objs(newCronJob(lastScheduled("2026-01-01T10:00:00Z"), active(running0959))),
			stored: objs(newCronJob(lastScheduled("2026-01-01T10:00:00Z"), active(running0959)), running0959),
			want:   result{Requeue: time.Minute, Active: []string{run0959}, LastScheduleTime: "2026-01-01T10:00:00Z"},
		},
		{
			name:   "a running job of ours missing from status.active is reported, not adopted",
			cached: objs(newCronJob(lastScheduled("2026-01-01T10:00:00Z")), job("hello-manual", "2026-01-01T09:59:01Z")),
			want: result{Requeue: time.Minute,
				Events:           []string{"Warning UnexpectedJob Saw a job that the controller did not create or forgot: hello-manual"},
				LastScheduleTime: "2026-01-01T10:00:00Z"},
		},
		{
			name:   "the cache lags behind our status write: wait for it",
			cached: objs(newCronJob(), running1000),
			stored: objs(newCronJob(lastScheduled("2026-01-01T10:00:00Z"), active(running1000)), running1000),
			want:   result{Requeue: staleRetry, Active: []string{run1000}, LastScheduleTime: "2026-01-01T10:00:00Z"},
		},
		{
			name:   "the job was created but the status write was lost: it goes back into status.active",
			cached: objs(newCronJob(), running1000),
			want: result{Requeue: time.Minute, Writes: []string{created1000, statusWrite},
				Events: []string{"Warning UnexpectedJob Saw a job that the controller did not create or forgot: " + run1000},
				Active: []string{run1000}, LastScheduleTime: "2026-01-01T10:00:00Z"},
		},
		{
			name:   "a job of that name that is not ours is left alone",
			cached: objs(newCronJob(), job(run1000, "", orphan)),
			want:   result{Requeue: time.Minute, Writes: []string{created1000}, LastScheduleTime: "2026-01-01T09:59:00Z"},
		},
		{
			name:      "create fails",
			cached:    objs(newCronJob()),
			createErr: errors.New("quota exceeded"),
			want: result{Err: "create job ns/" + run1000 + ": quota exceeded", Writes: []string{created1000},
				Events: []string{"Warning FailedCreate Error creating job: quota exceeded"}, LastScheduleTime: "2026-01-01T09:59:00Z"},
		},
		{
			name:   "an unknown time zone stops scheduling",
			cached: objs(newCronJob(func(cj *batchv1.CronJob) { cj.Spec.TimeZone = ptr.To("Mars/Olympus") })),
			want: result{Events: []string{`Warning UnknownTimeZone invalid timeZone: "Mars/Olympus": unknown time zone Mars/Olympus`},
				LastScheduleTime: "2026-01-01T09:59:00Z"},
		},
		{
			name:   "an unparseable stored schedule stops scheduling",
			cached: objs(newCronJob(func(cj *batchv1.CronJob) { cj.Spec.Schedule = "61 * * * *" })),
			want: result{Events: []string{`Warning UnparseableSchedule unparseable schedule: "61 * * * *" : end of range (61) above maximum (59): 61`},
				LastScheduleTime: "2026-01-01T09:59:00Z"},
		},
		{
			name:   "a schedule that never fires twice stops scheduling",
			cached: objs(newCronJob(func(cj *batchv1.CronJob) { cj.Spec.Schedule = "0 0 30 2 *" })),
			want: result{Events: []string{"Warning InvalidSchedule invalid schedule: 0 0 30 2 * : time difference between two schedules is less than 1 second"},
				LastScheduleTime: "2026-01-01T09:59:00Z"},
		},
		{
			name: "a TZ in a stored schedule is used, with a warning",
			// 19:00 in Tokyo is 10:00 UTC: started, and due again tomorrow.
			cached: objs(newCronJob(lastScheduled("2026-01-01T10:00:00Z"), func(cj *batchv1.CronJob) { cj.Spec.Schedule = "CRON_TZ=Asia/Tokyo 0 19 * * *" })),
			want: result{Requeue: 24 * time.Hour,
				Events:           []string{`Warning UnsupportedSchedule CRON_TZ or TZ used in schedule "CRON_TZ=Asia/Tokyo 0 19 * * *" is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details`},
				LastScheduleTime: "2026-01-01T10:00:00Z"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.cached, tc.stored)
			if tc.createErr != nil {
				h.client.PrependReactor("create", "jobs", func(clienttesting.Action) (bool, runtime.Object, error) {
					return true, nil, tc.createErr
				})
			}
			if diff := cmp.Diff(tc.want, h.sync(t)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestHistoryLimits(t *testing.T) {
	// Every Job here finished; none is due (the 10:00 run was started).
	done := func(name, started string) *batchv1.Job {
		return job(name, started, completed("2026-01-01T09:59:30Z"))
	}
	fail := func(name, started string) *batchv1.Job { return job(name, started, failed) }
	cases := []struct {
		name              string
		succeeded, failed *int32
		jobs              []*batchv1.Job
		wantDeleted       []string
	}{
		{
			name:        "no limits: nothing deleted",
			jobs:        []*batchv1.Job{done("a", "2026-01-01T09:00:00Z"), done("b", "2026-01-01T09:10:00Z"), fail("c", "2026-01-01T09:20:00Z")},
			wantDeleted: nil,
		},
		{
			name:        "keeps the newest successful ones, by start time",
			succeeded:   ptr.To[int32](1),
			failed:      ptr.To[int32](1),
			jobs:        []*batchv1.Job{done("c", "2026-01-01T09:00:00Z"), done("a", "2026-01-01T09:20:00Z"), done("b", "2026-01-01T09:10:00Z"), fail("f", "2026-01-01T09:00:00Z")},
			wantDeleted: []string{"c", "b"},
		},
		{
			name:        "a limit of 0 keeps none; the other kind is untouched",
			succeeded:   ptr.To[int32](3),
			failed:      ptr.To[int32](0),
			jobs:        []*batchv1.Job{done("a", "2026-01-01T09:00:00Z"), fail("b", "2026-01-01T09:10:00Z"), fail("c", "2026-01-01T09:20:00Z")},
			wantDeleted: []string{"b", "c"},
		},
		{
			name:        "jobs that never started count as newest; equal start times go by name",
			succeeded:   ptr.To[int32](1),
			jobs:        []*batchv1.Job{done("never", ""), done("y", "2026-01-01T09:00:00Z"), done("x", "2026-01-01T09:00:00Z")},
			wantDeleted: []string{"x", "y"},
		},
		{
			name:        "running jobs are not history",
			succeeded:   ptr.To[int32](0),
			failed:      ptr.To[int32](0),
			jobs:        []*batchv1.Job{job("running", "2026-01-01T09:00:00Z")},
			wantDeleted: nil,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var running []*batchv1.Job
			for _, j := range tc.jobs {
				if finished(j) == "" {
					running = append(running, j)
				}
			}
			cj := newCronJob(lastScheduled("2026-01-01T10:00:00Z"), historyLimits(tc.succeeded, tc.failed), active(running...))
			h := newHarness(t, objs(cj, tc.jobs...), nil)
			if _, err := h.c.sync(context.Background(), "ns/hello"); err != nil {
				t.Fatal(err)
			}
			var deleted, events []string
			for _, w := range h.writes() {
				if name, ok := strings.CutPrefix(w, "delete jobs "); ok {
					deleted = append(deleted, name)
				}
			}
			for _, e := range h.events() {
				if name, ok := strings.CutPrefix(e, "Normal SuccessfulDelete Deleted job "); ok {
					events = append(events, name)
				}
			}
			if diff := cmp.Diff(tc.wantDeleted, deleted); diff != "" {
				t.Errorf("deleted (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantDeleted, events); diff != "" {
				t.Errorf("SuccessfulDelete events (-want +got):\n%s", diff)
			}
		})
	}
}

func TestJobFor(t *testing.T) {
	cases := []struct {
		name     string
		timeZone *string
		want     string // the scheduled-timestamp annotation
	}{
		{name: "no time zone: UTC", want: "2026-01-01T10:00:00Z"},
		{name: "in the CronJob's time zone", timeZone: ptr.To("Asia/Tokyo"), want: "2026-01-01T19:00:00+09:00"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cj := newCronJob(func(cj *batchv1.CronJob) {
				cj.Spec.TimeZone = tc.timeZone
				cj.Spec.JobTemplate.Annotations = map[string]string{"note": "from the template"}
			})
			got, err := jobFor(cj, at("2026-01-01T10:00:00Z"))
			if err != nil {
				t.Fatal(err)
			}
			want := &batchv1.Job{
				ObjectMeta: metav1.ObjectMeta{
					Name:      run1000,
					Namespace: "ns",
					Labels:    map[string]string{"app": "hello"},
					Annotations: map[string]string{
						"note": "from the template",
						"batch.kubernetes.io/cronjob-scheduled-timestamp": tc.want,
					},
					OwnerReferences: []metav1.OwnerReference{{APIVersion: "batch/v1", Kind: "CronJob", Name: "hello", UID: "hello-uid",
						Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true)}},
				},
				Spec: cj.Spec.JobTemplate.Spec,
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestRequeueOnClock runs the controller's loop on a fake clock: a CronJob
// that is not due is looked at again when the clock reaches its next
// schedule time, and the Job is started then.
func TestRequeueOnClock(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cj := newCronJob(lastScheduled("2026-01-01T10:00:00Z"))
	client := fake.NewClientset(cj)
	factory := informers.NewSharedInformerFactory(client, 0)
	clk := testclock.NewFakeClock(now)
	c := newController(client, factory.Batch().V1().CronJobs(), factory.Batch().V1().Jobs(), clk, record.NewFakeRecorder(100))
	synced := make(chan time.Duration, 10)
	c.syncHandler = func(ctx context.Context, key string) (time.Duration, error) {
		after, err := c.sync(ctx, key)
		synced <- after
		return after, err
	}
	factory.Start(ctx.Done())
	stopped := make(chan struct{})
	go func() {
		c.Run(ctx, 1)
		close(stopped)
	}()
	defer func() {
		// Informers stop on ctx; Shutdown waits for them.
		cancel()
		<-stopped
		factory.Shutdown()
	}()

	wait := func() time.Duration {
		select {
		case after := <-synced:
			return after
		case <-ctx.Done():
			t.Fatal("no sync")
			return 0
		}
	}
	if got := wait(); got != time.Minute {
		t.Fatalf("first sync asked to come back after %v, want 1m", got)
	}
	if n := jobCount(t, client); n != 0 {
		t.Fatalf("%d jobs before the schedule time, want 0", n)
	}
	// The sync returns before the worker hands the key to the delaying
	// queue; step only once the queue waits on the clock for it (its
	// heartbeat ticker is the one other waiter), or the wait would start
	// after the step.
	for clk.Waiters() < 2 {
		select {
		case <-ctx.Done():
			t.Fatal("the queue never waited for the next schedule time")
		case <-time.After(time.Millisecond):
		}
	}
	clk.Step(time.Minute)
	wait()
	if n := jobCount(t, client); n != 1 {
		t.Fatalf("%d jobs after the schedule time, want 1", n)
	}
}

func jobCount(t *testing.T, client *fake.Clientset) int {
	t.Helper()
	list, err := client.BatchV1().Jobs("ns").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return len(list.Items)
}
