package cronjob

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	batchv1 "k8s.io/api/batch/v1"
)

const (
	// nextScheduleDelta pads every requeue, as upstream's does, so that the
	// sync it triggers sees the schedule time as past despite a little
	// skew between the queue's timer and the clock.
	nextScheduleDelta = 100 * time.Millisecond
	// tooManyMissed is upstream's threshold for warning that a CronJob
	// missed so many runs that the clock or startingDeadlineSeconds is
	// probably wrong. Only the most recent missed run is started either way.
	tooManyMissed = 100
)

// errScheduleInterval reports a schedule that robfig/cron accepts but that
// never fires twice (e.g. "0 0 31 2 *").
var errScheduleInterval = errors.New("time difference between two schedules is less than 1 second")

// scheduleSpec is the text the cron parser is given. spec.timeZone becomes
// a TZ= prefix; a TZ= already in the schedule (only CronJobs stored before
// validation refused it can have one) is kept as it is and wins.
func scheduleSpec(cj *batchv1.CronJob) string {
	if cj.Spec.TimeZone == nil || strings.Contains(cj.Spec.Schedule, "TZ") {
		return cj.Spec.Schedule
	}
	return "TZ=" + *cj.Spec.TimeZone + " " + cj.Spec.Schedule
}

// parseSchedule parses a schedule with robfig/cron's standard parser. The
// parser panics on a TZ= prefix without a following space; that becomes an
// error, with upstream's message.
func parseSchedule(spec string) (s cron.Schedule, err error) {
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, fmt.Errorf("invalid schedule format: %v", r)
		}
	}()
	return cron.ParseStandard(spec)
}

// window is what a schedule says about the time since a CronJob last
// started a Job (or was created).
type window struct {
	// earliest is where counting starts: status.lastScheduleTime, else the
	// creation time, raised to now-startingDeadlineSeconds when the deadline
	// counts.
	earliest time.Time
	// latest is the most recent schedule time in (earliest, now], zero if
	// there is none.
	latest time.Time
	// missed is how many schedule times fall in (earliest, now]: exact for
	// 0 and 1, estimated from the interval between the first two above.
	missed int64
}

// scheduleWindow finds the schedule times a CronJob has not acted on yet.
// It does not walk every missed time: a controller that was down for
// months, or a clock that jumped, would otherwise walk millions. Like
// upstream it estimates the count from the first interval and then walks
// only the last few, which is exact for regular schedules and @every.
func scheduleWindow(cj *batchv1.CronJob, now time.Time, sched cron.Schedule, withDeadline bool) (window, error) {
	w := window{earliest: cj.CreationTimestamp.Time}
	if cj.Status.LastScheduleTime != nil {
		w.earliest = cj.Status.LastScheduleTime.Time
	}
	if d := cj.Spec.StartingDeadlineSeconds; withDeadline && d != nil {
		// Nothing older than the deadline will be started anyway.
		if deadline := now.Add(-time.Duration(*d) * time.Second); deadline.After(w.earliest) {
			w.earliest = deadline
		}
	}
	t1 := sched.Next(w.earliest)
	t2 := sched.Next(t1)
	switch {
	case now.Before(t1):
		return w, nil
	case now.Before(t2):
		w.latest, w.missed = t1, 1
		return w, nil
	}
	interval := int64(t2.Sub(t1).Round(time.Second).Seconds())
	if interval < 1 {
		return w, errScheduleInterval
	}
	w.missed = int64(now.Sub(t1).Seconds())/interval + 1
	// Start one interval before the estimated last time, so that an
	// irregular schedule (e.g. "30 6-16/4 * * 1-5") still lands on it.
	from := t1.Add(time.Duration((w.missed-2)*interval) * time.Second)
	for t := sched.Next(from); !t.IsZero() && !t.After(now); t = sched.Next(t) {
		w.latest = t
	}
	return w, nil
}

// nextRun returns the schedule time to start a Job for now: the most recent
// unmet one within startingDeadlineSeconds, or zero when none is due.
func nextRun(cj *batchv1.CronJob, now time.Time, sched cron.Schedule) (time.Time, int64, error) {
	w, err := scheduleWindow(cj, now, sched, true)
	if err != nil || w.latest.IsZero() {
		return time.Time{}, w.missed, err
	}
	return w.latest, w.missed, nil
}

// requeueAfter returns how long from now until the CronJob's next schedule
// time has passed, or 0 when the schedule never fires again.
func requeueAfter(cj *batchv1.CronJob, now time.Time, sched cron.Schedule) time.Duration {
	w, err := scheduleWindow(cj, now, sched, false)
	from := now
	switch {
	case err != nil:
	case !w.latest.IsZero():
		from = w.latest
	case w.missed == 0:
		from = w.earliest
	}
	next := sched.Next(from)
	if next.IsZero() {
		return 0
	}
	// A next time already past (a sync that ran late) still gets a timer.
	return max(next.Add(nextScheduleDelta).Sub(now), nextScheduleDelta)
}
