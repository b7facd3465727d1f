package cronjob

import (
	"errors"
	"testing"
	"time"
	_ "time/tzdata" // the zones below, whatever the host has; the kubeshim binary embeds them too

	"github.com/google/go-cmp/cmp"
	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// at parses an RFC 3339 time. Every time in these tests is in UTC: a
// schedule without a time zone is read in the zone of the times it is
// given, so UTC keeps the tests independent of the host's zone.
func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func TestSchedule(t *testing.T) {
	type want struct {
		// Run is the schedule time a Job is due for, zero if none.
		Run    time.Time
		Missed int64
		// Requeue is how long until the next sync.
		Requeue time.Duration
		Err     error
	}
	cases := []struct {
		name     string
		schedule string
		timeZone string
		created  string
		last     string // status.lastScheduleTime
		deadline *int64
		now      string
		want     want
	}{
		{
			name:     "not yet due",
			schedule: "*/1 * * * *",
			created:  "2026-01-01T10:00:30Z",
			now:      "2026-01-01T10:00:30Z",
			want:     want{Requeue: 30*time.Second + nextScheduleDelta},
		},
		{
			name:     "due at the minute",
			schedule: "* * * * *",
			created:  "2026-01-01T09:59:30Z",
			now:      "2026-01-01T10:00:00.1Z",
			want:     want{Run: at("2026-01-01T10:00:00Z"), Missed: 1, Requeue: time.Minute},
		},
		{
			name:     "already started: wait for the next",
			schedule: "* * * * *",
			created:  "2026-01-01T09:00:00Z",
			last:     "2026-01-01T10:00:00Z",
			now:      "2026-01-01T10:00:20Z",
			want:     want{Requeue: 40*time.Second + nextScheduleDelta},
		},
		{
			name:     "missed runs: only the latest is due",
			schedule: "0 * * * *",
			created:  "2026-01-01T09:00:00Z",
			last:     "2026-01-01T10:00:00Z",
			now:      "2026-01-01T12:30:00Z",
			want:     want{Run: at("2026-01-01T12:00:00Z"), Missed: 2, Requeue: 30*time.Minute + nextScheduleDelta},
		},
		{
			name:     "descriptor @hourly",
			schedule: "@hourly",
			created:  "2026-01-01T09:00:00Z",
			last:     "2026-01-01T10:00:00Z",
			now:      "2026-01-01T12:30:00Z",
			want:     want{Run: at("2026-01-01T12:00:00Z"), Missed: 2, Requeue: 30*time.Minute + nextScheduleDelta},
		},
		{
			name:     "@every counts from the last run, not the clock",
			schedule: "@every 90m",
			created:  "2026-01-01T09:00:00Z",
			last:     "2026-01-01T10:00:00Z",
			now:      "2026-01-01T14:00:00Z",
			want:     want{Run: at("2026-01-01T13:00:00Z"), Missed: 2, Requeue: 30*time.Minute + nextScheduleDelta},
		},
		{
			name:     "irregular hours",
			schedule: "30 6-16/4 * * *",
			created:  "2026-01-01T00:00:00Z",
			last:     "2026-01-01T06:30:00Z",
			now:      "2026-01-01T15:00:00Z",
			want:     want{Run: at("2026-01-01T14:30:00Z"), Missed: 2, Requeue: 15*time.Hour + 30*time.Minute + nextScheduleDelta},
		},
		{
			name:     "startingDeadlineSeconds: a missed run within the deadline is due",
			schedule: "* * * * *",
			created:  "2026-01-01T09:00:00Z",
			last:     "2026-01-01T10:00:00Z",
			deadline: ptr.To[int64](60),
			now:      "2026-01-01T10:05:30Z",
			want:     want{Run: at("2026-01-01T10:05:00Z"), Missed: 1, Requeue: 30*time.Second + nextScheduleDelta},
		},
		{
			name:     "startingDeadlineSeconds: runs older than the deadline are skipped",
			schedule: "* * * * *",
			created:  "2026-01-01T09:00:00Z",
			last:     "2026-01-01T10:00:00Z",
			deadline: ptr.To[int64](10),
			now:      "2026-01-01T10:05:30Z",
			want:     want{Requeue: 30*time.Second + nextScheduleDelta},
		},
		{
			name:     "more than 100 missed: the latest is still due",
			schedule: "* * * * *",
			created:  "2025-12-30T10:00:00Z",
			now:      "2026-01-01T10:00:30Z",
			want:     want{Run: at("2026-01-01T10:00:00Z"), Missed: 2880, Requeue: 30*time.Second + nextScheduleDelta},
		},
		{
			name:     "a deadline bounds the missed count",
			schedule: "* * * * *",
			created:  "2025-12-30T10:00:00Z",
			deadline: ptr.To[int64](200),
			now:      "2026-01-01T10:00:30Z",
			want:     want{Run: at("2026-01-01T10:00:00Z"), Missed: 3, Requeue: 30*time.Second + nextScheduleDelta},
		},
		{
			name:     "time zone",
			schedule: "0 9 * * *",
			timeZone: "Asia/Tokyo",
			created:  "2026-01-01T00:30:00Z", // 09:30 in Tokyo
			now:      "2026-01-02T00:00:00.1Z",
			want:     want{Run: at("2026-01-02T00:00:00Z"), Missed: 1, Requeue: 24 * time.Hour},
		},
		{
			name:     "time zone: not due at 09:00 UTC",
			schedule: "0 9 * * *",
			timeZone: "Europe/Berlin",
			created:  "2026-01-01T07:00:00Z",
			now:      "2026-01-01T09:00:00Z", // 10:00 in Berlin
			want:     want{Run: at("2026-01-01T08:00:00Z"), Missed: 1, Requeue: 23*time.Hour + nextScheduleDelta},
		},
		{
			// As robfig/cron, and so upstream: 02:30 does not exist on the
			// day clocks spring forward, and that day has no run.
			name:     "DST spring forward: the missing hour has no run",
			schedule: "30 2 * * *",
			timeZone: "America/New_York",
			created:  "2026-03-07T12:00:00Z",
			now:      "2026-03-07T12:00:00Z",
			want:     want{Requeue: 42*time.Hour + 30*time.Minute + nextScheduleDelta},
		},
		{
			// 01:30 happens twice when clocks fall back, and runs twice.
			name:     "DST fall back: the repeated hour runs again",
			schedule: "30 1 * * *",
			timeZone: "America/New_York",
			created:  "2026-10-31T12:00:00Z",
			last:     "2026-11-01T05:30:00Z", // 01:30 EDT
			now:      "2026-11-01T05:31:00Z",
			want:     want{Requeue: 59*time.Minute + nextScheduleDelta}, // 01:30 EST
		},
		{
			name:     "hourly across the spring forward",
			schedule: "0 * * * *",
			timeZone: "America/New_York",
			created:  "2026-03-08T05:30:00Z",
			last:     "2026-03-08T06:00:00Z", // 01:00 EST; 02:00 does not exist
			now:      "2026-03-08T07:00:00.1Z",
			want:     want{Run: at("2026-03-08T07:00:00Z"), Missed: 1, Requeue: time.Hour}, // 03:00 EDT
		},
		{
			name:     "a schedule that never fires twice",
			schedule: "0 0 31 2 *",
			created:  "2026-01-01T00:00:00Z",
			now:      "2026-01-01T00:00:00Z",
			want:     want{Err: errScheduleInterval},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cj := &batchv1.CronJob{
				ObjectMeta: metav1.ObjectMeta{Name: "cj", CreationTimestamp: metav1.NewTime(at(tc.created))},
				Spec:       batchv1.CronJobSpec{Schedule: tc.schedule, StartingDeadlineSeconds: tc.deadline},
			}
			if tc.timeZone != "" {
				cj.Spec.TimeZone = ptr.To(tc.timeZone)
			}
			if tc.last != "" {
				cj.Status.LastScheduleTime = ptr.To(metav1.NewTime(at(tc.last)))
			}
			sched, err := parseSchedule(scheduleSpec(cj))
			if err != nil {
				t.Fatalf("parse %q: %v", scheduleSpec(cj), err)
			}
			now := at(tc.now)
			var got want
			got.Run, got.Missed, got.Err = nextRun(cj, now, sched)
			got.Requeue = requeueAfter(cj, now, sched)
			if !got.Run.IsZero() {
				got.Run = got.Run.UTC()
			}
			if diff := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b error) bool { return errors.Is(a, b) || errors.Is(b, a) })); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseSchedule(t *testing.T) {
	cases := []struct {
		spec    string
		wantErr string
	}{
		{spec: "* * * * *"},
		{spec: "@daily"},
		{spec: "TZ=Europe/Berlin 0 9 * * *"},
		{spec: "0 9 * *", wantErr: "expected exactly 5 fields, found 4: [0 9 * *]"},
		{spec: "TZ=0", wantErr: "invalid schedule format: runtime error: slice bounds out of range [:-1]"},
		{spec: "TZ=Nowhere/City 0 9 * * *", wantErr: "provided bad location Nowhere/City: unknown time zone Nowhere/City"},
	}
	for _, tc := range cases {
		t.Run(tc.spec, func(t *testing.T) {
			_, err := parseSchedule(tc.spec)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.wantErr {
				t.Errorf("parseSchedule(%q) error = %q, want %q", tc.spec, got, tc.wantErr)
			}
		})
	}
}

func TestScheduleSpec(t *testing.T) {
	cases := []struct {
		name     string
		schedule string
		timeZone *string
		want     string
	}{
		{name: "no time zone", schedule: "0 9 * * *", want: "0 9 * * *"},
		{name: "time zone", schedule: "0 9 * * *", timeZone: ptr.To("Asia/Tokyo"), want: "TZ=Asia/Tokyo 0 9 * * *"},
		{name: "TZ in the schedule wins", schedule: "CRON_TZ=UTC 0 9 * * *", timeZone: ptr.To("Asia/Tokyo"), want: "CRON_TZ=UTC 0 9 * * *"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cj := &batchv1.CronJob{Spec: batchv1.CronJobSpec{Schedule: tc.schedule, TimeZone: tc.timeZone}}
			if diff := cmp.Diff(tc.want, scheduleSpec(cj)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
