package cronjob

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	_ "time/tzdata" // as the kubeshim binary: zones do not depend on the host

	"github.com/google/go-cmp/cmp"
	"github.com/robfig/cron/v3"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
)

func cronJob(schedule string, timeZone *string) *batchv1.CronJob {
	return &batchv1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Name: "nightly", Namespace: "default", ResourceVersion: "1"},
		Spec: batchv1.CronJobSpec{
			Schedule:                   schedule,
			TimeZone:                   timeZone,
			ConcurrencyPolicy:          batchv1.AllowConcurrent,
			SuccessfulJobsHistoryLimit: ptr.To[int32](3),
			FailedJobsHistoryLimit:     ptr.To[int32](1),
			JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{
				Parallelism:    ptr.To[int32](1),
				Completions:    ptr.To[int32](1),
				BackoffLimit:   ptr.To[int32](6),
				CompletionMode: ptr.To(batchv1.NonIndexedCompletion),
				Suspend:        ptr.To(false),
				Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
					RestartPolicy:                 corev1.RestartPolicyOnFailure,
					DNSPolicy:                     corev1.DNSClusterFirst,
					TerminationGracePeriodSeconds: ptr.To[int64](30),
					SchedulerName:                 corev1.DefaultSchedulerName,
					SecurityContext:               &corev1.PodSecurityContext{},
					Containers: []corev1.Container{{Name: "c", Image: "busybox", ImagePullPolicy: corev1.PullIfNotPresent,
						TerminationMessagePolicy: corev1.TerminationMessageReadFile, TerminationMessagePath: corev1.TerminationMessagePathDefault}},
				}},
			}},
		},
	}
}

func errorStrings(errs field.ErrorList) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}

// robfigError is what upstream's validation says about a schedule: the
// error of robfig/cron's standard parser, with a panic (which it raises on
// some TZ= prefixes) recovered as upstream recovers it.
func robfigError(schedule string) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprintf("invalid schedule format: %v", r)
		}
	}()
	if _, err := cron.ParseStandard(schedule); err != nil {
		return err.Error()
	}
	return ""
}

// TestScheduleValidationMatchesCron checks that the API refuses exactly the
// schedules the cron job controller cannot parse, with upstream's message,
// on a fixed corpus and on random schedules built from cron's tokens.
func TestScheduleValidationMatchesCron(t *testing.T) {
	schedules := []string{
		"* * * * *", "*/1 * * * ?", "0 3 * * mon-fri", "0 0 1 jan,JUL *", "5-55/10 */2 1-31 1-12 0-6",
		"@hourly", "@daily", "@midnight", "@weekly", "@monthly", "@yearly", "@annually", "@every 1h30m", "@every 500ms",
		"", " ", "* * * *", "* * * * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * 32 * *", "* * * 13 *", "* * * * 7",
		"*/0 * * * *", "5-1 * * * *", "1-2-3 * * * *", "1/2/3 * * * *", "a * * * *", "-1 * * * *", "* * * foo *",
		"@fortnightly", "@every", "@every x", "@ hourly", "1,,2 * * * *", ", * * * *", "*-5 * * * *", "?/5 * * * *",
		"0 0 31 2 *", "\t0\t3 * * *", "0 3 * * SUN", "0 3 * * sun-sat",
	}
	schedules = append(schedules, randomSchedules(3000)...)
	validate := Definition().Validate
	for _, s := range schedules {
		var want []string
		switch msg := robfigError(s); {
		case s == "":
			want = []string{"spec.schedule: Required value"}
		case msg != "":
			want = []string{field.Invalid(field.NewPath("spec", "schedule"), s, msg).Error()}
		}
		var got []string
		for _, e := range validate(context.Background(), cronJob(s, nil)) {
			if e.Field == "spec.schedule" {
				got = append(got, e.Error())
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("schedule %q (-want +got):\n%s", s, diff)
		}
	}
}

// randomSchedules builds schedules from cron's grammar with some noise, so
// that some parse and the rest fail in each of the parser's ways: mostly
// five fields of comma-separated ranges with steps.
func randomSchedules(n int) []string {
	rng := rand.New(rand.NewPCG(1, 2))
	bounds := [][2]int{{0, 59}, {0, 23}, {1, 31}, {1, 12}, {0, 6}}
	noise := []string{"jan", "DEC", "mon", "sun", "x", "", "-1"}
	pick := func(p float64) bool { return rng.Float64() < p }
	// base is an endpoint of a range in field i, now and then just outside
	// the field's bounds or not a number at all.
	base := func(i int) string {
		lo, hi := 0, 59
		if i < len(bounds) {
			lo, hi = bounds[i][0], bounds[i][1]
		}
		switch {
		case pick(0.02):
			return noise[rng.IntN(len(noise))]
		case pick(0.02):
			return fmt.Sprint([]int{lo - 1, hi + 1}[rng.IntN(2)])
		case pick(0.1):
			return []string{"*", "?"}[rng.IntN(2)]
		}
		return fmt.Sprint(lo + rng.IntN(hi-lo+1))
	}
	var out []string
	for range n {
		count := 5
		if pick(0.03) {
			count = 4 + 2*rng.IntN(2)
		}
		fields := make([]string, count)
		for i := range fields {
			parts := make([]string, 1+rng.IntN(2))
			for j := range parts {
				p := base(i)
				if pick(0.2) {
					p += "-" + base(i)
				}
				if pick(0.2) {
					p += "/" + fmt.Sprint(rng.IntN(8))
				}
				if pick(0.01) {
					p += []string{"/1", "-1"}[rng.IntN(2)]
				}
				parts[j] = p
			}
			fields[i] = strings.Join(parts, ",")
		}
		out = append(out, strings.Join(fields, " "))
	}
	return out
}

func TestValidateTimeZone(t *testing.T) {
	cases := []struct {
		name     string
		schedule string
		timeZone *string
		old      *batchv1.CronJob // an update when set
		want     []string
	}{
		{name: "valid", schedule: "0 3 * * *", timeZone: ptr.To("Europe/Berlin")},
		{name: "UTC", schedule: "0 3 * * *", timeZone: ptr.To("Etc/UTC")},
		{
			name: "unknown zone", schedule: "0 3 * * *", timeZone: ptr.To("Mars/Olympus"),
			want: []string{`spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus`},
		},
		{
			// The name upstream's e2e test uses.
			name: "bad-time-zone", schedule: "0 3 * * *", timeZone: ptr.To("bad-time-zone"),
			want: []string{`spec.timeZone: Invalid value: "bad-time-zone": unknown time zone bad-time-zone`},
		},
		{
			name: "a path outside the zone database", schedule: "0 3 * * *", timeZone: ptr.To("../etc/passwd"),
			want: []string{`spec.timeZone: Invalid value: "../etc/passwd": unknown time zone ../etc/passwd`},
		},
		{
			name: "empty", schedule: "0 3 * * *", timeZone: ptr.To(""),
			want: []string{`spec.timeZone: Invalid value: "": timeZone must be nil or non-empty string`},
		},
		{
			name: "Local", schedule: "0 3 * * *", timeZone: ptr.To("Local"),
			want: []string{`spec.timeZone: Invalid value: "Local": timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones`},
		},
		{
			name: "TZ= in the schedule", schedule: "TZ=UTC 0 3 * * *",
			want: []string{`spec.schedule: Invalid value: "TZ=UTC 0 3 * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead`},
		},
		{
			name: "CRON_TZ= in the schedule", schedule: "CRON_TZ=UTC 0 3 * * *",
			want: []string{`spec.schedule: Invalid value: "CRON_TZ=UTC 0 3 * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead`},
		},
		{
			name: "a stored TZ= schedule may stay", schedule: "TZ=UTC 0 4 * * *",
			old: cronJob("TZ=UTC 0 3 * * *", nil),
		},
		{
			name: "but not with timeZone", schedule: "TZ=UTC 0 4 * * *", timeZone: ptr.To("UTC"),
			old:  cronJob("TZ=UTC 0 3 * * *", nil),
			want: []string{`spec.schedule: Invalid value: "TZ=UTC 0 4 * * *": cannot use both timeZone field and TZ or CRON_TZ in schedule`},
		},
	}
	d := Definition()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cj := cronJob(tc.schedule, tc.timeZone)
			var errs field.ErrorList
			if tc.old != nil {
				errs = d.ValidateUpdate(context.Background(), cj, tc.old)
			} else {
				errs = d.Validate(context.Background(), cj)
			}
			if diff := cmp.Diff(tc.want, errorStrings(errs)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
