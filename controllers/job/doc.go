// Package job runs the pods of batch/v1 Jobs to completion, as upstream's
// job controller (pkg/controller/job) does.
//
// A sync reads one Job and the pods it controls (adopting matching orphans,
// releasing pods that stopped matching) and:
//
//   - creates pods up to parallelism and the remaining completions, with
//     upstream's exponential back-off after pod failures (10s doubling, at most
//     10m; per index with backoffLimitPerIndex); Indexed jobs get one pod per
//     pending completion index, named <job>-<index>-<random>, with hostname
//     <job>-<index>, the batch.kubernetes.io/job-completion-index annotation
//     and label, and JOB_COMPLETION_INDEX in every container's environment;
//   - deletes surplus pods, all pods of a suspended job, and the active pods of
//     a job that has failed or met its success criteria;
//   - counts finished pods exactly once through the batch.kubernetes.io/job-tracking
//     finalizer: a finished pod's UID goes to status.uncountedTerminatedPods,
//     then its finalizer is removed, then it moves to succeeded or failed;
//   - decides the outcome in upstream's order: podFailurePolicy (FailJob,
//     Ignore, Count, FailIndex), backoffLimit, activeDeadlineSeconds,
//     backoffLimitPerIndex and maxFailedIndexes, successPolicy, completions.
//     A failure is first written as FailureTarget and a success as
//     SuccessCriteriaMet; Failed or Complete follow once no pod is left
//     running or uncounted.
//
// Pods whose Job is gone, finished or no longer their controller lose the
// tracking finalizer through a second queue, so that deleting a Job (the
// garbage collector deletes its pods) never leaves pods stuck.
//
// Jobs whose spec.managedBy names another controller are left alone.
package job
