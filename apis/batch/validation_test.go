package batch

import (
	"testing"
	_ "time/tzdata" // timeZone validation needs the zone database, as kube-apiserver embeds it

	"github.com/google/go-cmp/cmp"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
)

// Expected errors are written as the API reports them.

func check(t *testing.T, want []string, got field.ErrorList) {
	t.Helper()
	var gotStrings []string
	for _, e := range got {
		gotStrings = append(gotStrings, e.Error())
	}
	if diff := cmp.Diff(want, gotStrings); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

func jobPodSpec() corev1.PodSpec {
	return corev1.PodSpec{
		Containers: []corev1.Container{{
			Name: "work", Image: "busybox", ImagePullPolicy: corev1.PullIfNotPresent,
			TerminationMessagePolicy: corev1.TerminationMessageReadFile,
		}},
		RestartPolicy:                 corev1.RestartPolicyNever,
		DNSPolicy:                     corev1.DNSClusterFirst,
		TerminationGracePeriodSeconds: ptr.To[int64](30),
		SecurityContext:               &corev1.PodSecurityContext{},
	}
}

// validJob is a job after upstream's create preparation: selector and
// template labels generated from the uid.
func validJob() *batchv1.Job {
	uid := "1c8b3c2a-0000-4000-8000-000000000001"
	lbls := map[string]string{
		"controller-uid": uid, "job-name": "pi",
		batchv1.ControllerUidLabel: uid, batchv1.JobNameLabel: "pi",
	}
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "pi", Namespace: "default", UID: "1c8b3c2a-0000-4000-8000-000000000001", ResourceVersion: "1"},
		Spec: batchv1.JobSpec{
			Parallelism:          ptr.To[int32](1),
			Completions:          ptr.To[int32](1),
			BackoffLimit:         ptr.To[int32](6),
			Selector:             &metav1.LabelSelector{MatchLabels: map[string]string{batchv1.ControllerUidLabel: uid}},
			Template:             corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: lbls}, Spec: jobPodSpec()},
			CompletionMode:       ptr.To(batchv1.NonIndexedCompletion),
			Suspend:              ptr.To(false),
			PodReplacementPolicy: ptr.To(batchv1.TerminatingOrFailed),
			ManualSelector:       nil,
		},
	}
}

func TestValidateJob(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*batchv1.Job)
		want   []string
	}{
		{name: "valid", mutate: func(*batchv1.Job) {}},
		{
			name:   "restart policy Always",
			mutate: func(j *batchv1.Job) { j.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyAlways },
			want:   []string{`spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"`},
		},
		{
			name: "negative counts",
			mutate: func(j *batchv1.Job) {
				j.Spec.Parallelism = ptr.To[int32](-1)
				j.Spec.BackoffLimit = ptr.To[int32](-1)
			},
			want: []string{
				`spec.parallelism: Invalid value: -1: must be greater than or equal to 0`,
				`spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0`,
			},
		},
		{
			name: "selector not generated",
			mutate: func(j *batchv1.Job) {
				j.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "pi"}}
				j.Spec.Template.Labels["app"] = "pi"
			},
			want: []string{`spec.selector: Invalid value: {"matchLabels":{"app":"pi"}}: ` + "`selector` not auto-generated"},
		},
		{
			name: "manual selector must match template",
			mutate: func(j *batchv1.Job) {
				j.Spec.ManualSelector = ptr.To(true)
				j.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "pi"}}
			},
			want: []string{"spec.template.metadata.labels: Invalid value: {\"batch.kubernetes.io/controller-uid\":\"1c8b3c2a-0000-4000-8000-000000000001\",\"batch.kubernetes.io/job-name\":\"pi\",\"controller-uid\":\"1c8b3c2a-0000-4000-8000-000000000001\",\"job-name\":\"pi\"}: `selector` does not match template `labels`"},
		},
		{
			name: "indexed without completions",
			mutate: func(j *batchv1.Job) {
				j.Spec.CompletionMode, j.Spec.Completions = ptr.To(batchv1.IndexedCompletion), nil
			},
			want: []string{`spec.completions: Required value: when completion mode is Indexed`},
		},
		{
			name:   "backoff per index needs indexed",
			mutate: func(j *batchv1.Job) { j.Spec.BackoffLimitPerIndex = ptr.To[int32](1) },
			want:   []string{`spec.backoffLimitPerIndex: Invalid value: 1: requires indexed completion mode`},
		},
		{
			name: "pod failure policy",
			mutate: func(j *batchv1.Job) {
				j.Spec.PodReplacementPolicy = ptr.To(batchv1.Failed)
				j.Spec.PodFailurePolicy = &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{
					{Action: batchv1.PodFailurePolicyActionFailJob, OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{
						ContainerName: ptr.To("other"), Operator: batchv1.PodFailurePolicyOnExitCodesOpIn, Values: []int32{3, 0, 3}}},
					{Action: "Retry"},
				}}
			},
			want: []string{
				`spec.podFailurePolicy.rules[0].onExitCodes.containerName: Invalid value: "other": must be one of the container or initContainer names in the pod template`,
				`spec.podFailurePolicy.rules[0].onExitCodes.values[1]: Invalid value: 0: must not be 0 for the In operator`,
				`spec.podFailurePolicy.rules[0].onExitCodes.values[2]: Duplicate value: 3`,
				`spec.podFailurePolicy.rules[0].onExitCodes.values: Invalid value: [3,0,3]: must be ordered`,
				`spec.podFailurePolicy.rules[1].action: Unsupported value: "Retry": supported values: "Count", "FailIndex", "FailJob", "Ignore"`,
				`spec.podFailurePolicy.rules[1]: Invalid value: specifying one of OnExitCodes and OnPodConditions is required`,
			},
		},
		{
			name: "indexed job name too long for hostnames",
			mutate: func(j *batchv1.Job) {
				j.Name = "a-very-long-job-name-that-is-exactly-sixty-three-characters-xyz"
				j.Spec.CompletionMode, j.Spec.Completions = ptr.To(batchv1.IndexedCompletion), ptr.To[int32](10)
				j.Spec.Template.Labels[batchv1.JobNameLabel] = j.Name
				j.Spec.Template.Labels["job-name"] = j.Name
			},
			want: []string{`metadata.name: Invalid value: "a-very-long-job-name-that-is-exactly-sixty-three-characters-xyz": will not able to create pod with invalid DNS label: a-very-long-job-name-that-is-exactly-sixty-three-characters-xyz-9`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := validJob()
			tc.mutate(j)
			check(t, tc.want, ValidateJob(j))
		})
	}
}

// TestValidateJobUpdate compares (field, type) pairs: an immutable
// template is reported with the whole template as its value.
func TestValidateJobUpdate(t *testing.T) {
	cases := []struct {
		name   string
		old    func(*batchv1.Job)
		mutate func(*batchv1.Job)
		want   []string
	}{
		{name: "unchanged", old: func(*batchv1.Job) {}, mutate: func(*batchv1.Job) {}},
		{
			name:   "completions of non-indexed job",
			old:    func(*batchv1.Job) {},
			mutate: func(j *batchv1.Job) { j.Spec.Completions = ptr.To[int32](2) },
			want:   []string{"spec.completions FieldValueInvalid"},
		},
		{
			name:   "template of a running job",
			old:    func(*batchv1.Job) {},
			mutate: func(j *batchv1.Job) { j.Spec.Template.Spec.NodeSelector = map[string]string{"zone": "a"} },
			want:   []string{"spec.template FieldValueInvalid"},
		},
		{
			name: "scheduling directives of a suspended job that never started",
			old:  func(j *batchv1.Job) { j.Spec.Suspend = ptr.To(true) },
			mutate: func(j *batchv1.Job) {
				j.Spec.Suspend = ptr.To(true)
				j.Spec.Template.Spec.NodeSelector = map[string]string{"zone": "a"}
			},
		},
		{
			name: "image of a suspended job",
			old:  func(j *batchv1.Job) { j.Spec.Suspend = ptr.To(true) },
			mutate: func(j *batchv1.Job) {
				j.Spec.Suspend = ptr.To(true)
				j.Spec.Template.Spec.Containers[0].Image = "alpine"
			},
			want: []string{"spec.template.spec FieldValueInvalid"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			old, j := validJob(), validJob()
			tc.old(old)
			tc.mutate(j)
			var got []string
			for _, e := range ValidateJobUpdate(j, old) {
				got = append(got, e.Field+" "+string(e.Type))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateJobStatusUpdate(t *testing.T) {
	now := metav1.Now()
	complete := []batchv1.JobCondition{
		{Type: batchv1.JobSuccessCriteriaMet, Status: corev1.ConditionTrue},
		{Type: batchv1.JobComplete, Status: corev1.ConditionTrue},
	}
	cases := []struct {
		name      string
		old, next batchv1.JobStatus
		want      []string
	}{
		{name: "progress", old: batchv1.JobStatus{Active: 1}, next: batchv1.JobStatus{Active: 1, Ready: ptr.To[int32](1)}},
		{
			name: "failed counter decreases",
			old:  batchv1.JobStatus{Failed: 2},
			next: batchv1.JobStatus{Failed: 1},
			want: []string{`status.failed: Invalid value: 1: cannot decrease the failed counter`},
		},
		{
			name: "complete without completion time",
			old:  batchv1.JobStatus{StartTime: &now},
			next: batchv1.JobStatus{StartTime: &now, Conditions: complete},
			want: []string{`status.completionTime: Required value: completionTime is required for Complete jobs`},
		},
		{
			name: "terminal condition removed",
			old:  batchv1.JobStatus{StartTime: &now, CompletionTime: &now, Conditions: complete},
			next: batchv1.JobStatus{StartTime: &now, CompletionTime: &now, Conditions: complete[:1]},
			want: []string{
				`status.completionTime: Invalid value: "` + now.UTC().Format("2006-01-02T15:04:05Z") + `": cannot set completionTime when there is no Complete=True condition`,
				`status.conditions: Invalid value: cannot disable the terminal Complete=True condition`,
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			old, j := validJob(), validJob()
			old.Status, j.Status = tc.old, tc.next
			check(t, tc.want, ValidateJobStatusUpdate(j, old))
		})
	}
}

func validCronJob() *batchv1.CronJob {
	return &batchv1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Name: "nightly", Namespace: "default", ResourceVersion: "1"},
		Spec: batchv1.CronJobSpec{
			Schedule:                   "0 3 * * mon-fri",
			ConcurrencyPolicy:          batchv1.AllowConcurrent,
			SuccessfulJobsHistoryLimit: ptr.To[int32](3),
			FailedJobsHistoryLimit:     ptr.To[int32](1),
			JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{
				BackoffLimit: ptr.To[int32](6),
				Template:     corev1.PodTemplateSpec{Spec: jobPodSpec()},
			}},
		},
	}
}

func TestValidateCronJob(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*batchv1.CronJob)
		want   []string
	}{
		{name: "valid", mutate: func(*batchv1.CronJob) {}},
		{name: "descriptor", mutate: func(c *batchv1.CronJob) { c.Spec.Schedule = "@every 1h30m" }},
		{name: "steps and lists", mutate: func(c *batchv1.CronJob) { c.Spec.Schedule = "*/15 0-6,22 1,15 */2 ?" }},
		{name: "time zone", mutate: func(c *batchv1.CronJob) { c.Spec.TimeZone = ptr.To("Europe/Berlin") }},
		{
			name:   "missing schedule",
			mutate: func(c *batchv1.CronJob) { c.Spec.Schedule = "" },
			want:   []string{`spec.schedule: Required value`},
		},
		{
			name:   "wrong field count",
			mutate: func(c *batchv1.CronJob) { c.Spec.Schedule = "0 3 * *" },
			want:   []string{`spec.schedule: Invalid value: "0 3 * *": expected exactly 5 fields, found 4: [0 3 * *]`},
		},
		{
			name:   "minute out of range",
			mutate: func(c *batchv1.CronJob) { c.Spec.Schedule = "60 * * * *" },
			want:   []string{`spec.schedule: Invalid value: "60 * * * *": end of range (60) above maximum (59): 60`},
		},
		{
			name:   "not a number",
			mutate: func(c *batchv1.CronJob) { c.Spec.Schedule = "x * * * *" },
			want:   []string{`spec.schedule: Invalid value: "x * * * *": failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax`},
		},
		{
			name:   "bad descriptor",
			mutate: func(c *batchv1.CronJob) { c.Spec.Schedule = "@fortnightly" },
			want:   []string{`spec.schedule: Invalid value: "@fortnightly": unrecognized descriptor: @fortnightly`},
		},
		{
			name:   "TZ in schedule",
			mutate: func(c *batchv1.CronJob) { c.Spec.Schedule = "CRON_TZ=UTC 0 3 * * *" },
			want:   []string{`spec.schedule: Invalid value: "CRON_TZ=UTC 0 3 * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead`},
		},
		{
			name:   "unknown time zone",
			mutate: func(c *batchv1.CronJob) { c.Spec.TimeZone = ptr.To("Mars/Olympus") },
			want:   []string{`spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus`},
		},
		{
			name:   "local time zone",
			mutate: func(c *batchv1.CronJob) { c.Spec.TimeZone = ptr.To("Local") },
			want:   []string{`spec.timeZone: Invalid value: "Local": timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones`},
		},
		{
			name:   "concurrency policy",
			mutate: func(c *batchv1.CronJob) { c.Spec.ConcurrencyPolicy = "Queue" },
			want:   []string{`spec.concurrencyPolicy: Unsupported value: "Queue": supported values: "Allow", "Forbid", "Replace"`},
		},
		{
			name:   "name longer than 52",
			mutate: func(c *batchv1.CronJob) { c.Name = "n1234567890123456789012345678901234567890123456789012" },
			want:   []string{`metadata.name: Invalid value: "n1234567890123456789012345678901234567890123456789012": must be no more than 52 characters`},
		},
		{
			name: "selector in job template",
			mutate: func(c *batchv1.CronJob) {
				c.Spec.JobTemplate.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"a": "b"}}
			},
			want: []string{`spec.jobTemplate.spec.selector: Invalid value: {"matchLabels":{"a":"b"}}: ` + "`selector` will be auto-generated"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := validCronJob()
			tc.mutate(c)
			check(t, tc.want, ValidateCronJob(c))
		})
	}
}

func TestParseCronSchedule(t *testing.T) {
	cases := []struct {
		spec, err string
	}{
		{spec: "5 4 * * 0"},
		{spec: "@hourly"},
		{spec: "TZ=UTC 0 0 * * *"},
		{spec: "TZ=UTC", err: "invalid schedule format: runtime error: slice bounds out of range [:-1]"},
		{spec: "CRON_TZ=Nowhere/City 0 0 * * *", err: "provided bad location Nowhere/City: unknown time zone Nowhere/City"},
		{spec: "1-2-3 * * * *", err: "too many hyphens: 1-2-3"},
		{spec: "*/0 * * * *", err: "step of range should be a positive number: */0"},
		{spec: "5-3 * * * *", err: "beginning of range (5) beyond end of range (3): 5-3"},
		{spec: "* * 0 * *", err: "beginning of range (0) below minimum (1): 0"},
		{spec: "* * * * 1/-1", err: "negative number (-1) not allowed: -1"},
		{spec: "@every 1x", err: `failed to parse duration @every 1x: time: unknown unit "x" in duration "1x"`},
	}
	for _, tc := range cases {
		t.Run(tc.spec, func(t *testing.T) {
			err := parseCronSchedule(tc.spec)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.err {
				t.Errorf("parseCronSchedule(%q) = %q, want %q", tc.spec, got, tc.err)
			}
		})
	}
}
