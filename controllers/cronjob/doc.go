// Package cronjob starts Jobs on a schedule, as upstream's cronjob
// controller (v2) does.
//
// A CronJob's schedule is parsed with github.com/robfig/cron/v3's standard
// parser (five fields or a descriptor such as @hourly), in spec.timeZone
// when set and otherwise in the zone of the controller's clock (the host's
// local zone, as kube-controller-manager's). At each schedule time the
// controller creates the Job <cronjob>-<scheduled time in minutes since the
// epoch> from spec.jobTemplate, controlled by the CronJob and annotated
// with batch.kubernetes.io/cronjob-scheduled-timestamp; the deterministic
// name is the lock that keeps a restart from starting the same run twice.
// It honours concurrencyPolicy (Allow, Forbid, Replace),
// startingDeadlineSeconds, suspend and the job history limits, and reports
// status.active, lastScheduleTime and lastSuccessfulTime.
//
// Jobs are run by the job controller; this one only reads their Complete
// and Failed conditions. After each sync a CronJob is queued again for the
// moment its next schedule time passes, on a delaying queue whose clock is
// injected so that tests can step time.
package cronjob
