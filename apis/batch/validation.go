package batch

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubeshim/kubeshim/apis/core"
)

// Validation of the batch/v1 kinds, with upstream's paths and messages.
// Jobs are expected to have gone through upstream's create preparation: the
// registry generates the selector and the controller-uid and job-name
// template labels unless manualSelector is set.

const (
	maxParallelismForIndexedJob             = 100000
	maxFailedIndexesForIndexedJob           = 100_000
	completionsSoftLimit                    = 100_000
	parallelismLimitForHighCompletions      = 10_000
	maxFailedIndexesLimitForHighCompletions = 10_000
	maxPodFailurePolicyRules                = 20
	maxPodFailurePolicyOnExitCodesValues    = 255
	maxPodFailurePolicyOnPodConditions      = 20
	maxManagedByLength                      = 63
	maxSuccessPolicySucceededIndexesLength  = 64 * 1024
	maxSuccessPolicyRules                   = 20

	// The unprefixed labels the job controller has always set.
	legacyJobNameLabel       = "job-name"
	legacyControllerUIDLabel = "controller-uid"
)

var (
	metaPath = field.NewPath("metadata")
	specPath = field.NewPath("spec")

	podFailurePolicyActions = []batchv1.PodFailurePolicyAction{batchv1.PodFailurePolicyActionCount, batchv1.PodFailurePolicyActionFailIndex,
		batchv1.PodFailurePolicyActionFailJob, batchv1.PodFailurePolicyActionIgnore}
	exitCodesOperators = []batchv1.PodFailurePolicyOnExitCodesOperator{batchv1.PodFailurePolicyOnExitCodesOpIn, batchv1.PodFailurePolicyOnExitCodesOpNotIn}
	conditionStatuses  = []corev1.ConditionStatus{corev1.ConditionFalse, corev1.ConditionTrue, corev1.ConditionUnknown}
)

// Job.

// ValidateJob validates a job on create.
func ValidateJob(job *batchv1.Job) field.ErrorList {
	allErrs := core.ValidateObjectMeta(&job.ObjectMeta, apimachineryvalidation.NameIsDNSSubdomain, metaPath)
	allErrs = append(allErrs, validateGeneratedSelector(job)...)
	allErrs = append(allErrs, validateJobSpecWithSelector(&job.Spec, specPath)...)
	return append(allErrs, validateNameAllowsCompletions(job)...)
}

// ValidateJobUpdate validates an update of a job. Most of the spec is fixed;
// completions may change with parallelism for indexed jobs, and the template
// of a suspended job that has not started may change its scheduling
// directives and resources. The generated selector is not re-checked:
// older jobs lack the prefixed labels.
func ValidateJobUpdate(job, old *batchv1.Job) field.ErrorList {
	allErrs := core.ValidateObjectMetaUpdate(&job.ObjectMeta, &old.ObjectMeta, metaPath)
	allErrs = append(allErrs, core.ValidateObjectMeta(&job.ObjectMeta, apimachineryvalidation.NameIsDNSSubdomain, metaPath)...)
	spec, oldSpec, p := &job.Spec, &old.Spec, specPath
	allErrs = append(allErrs, validateJobSpecWithSelector(spec, p)...)
	allErrs = append(allErrs, validateCompletionsUpdate(spec, oldSpec, p.Child("completions"))...)
	allErrs = append(allErrs, core.ValidateImmutableField(spec.Selector, oldSpec.Selector, p.Child("selector"))...)
	allErrs = append(allErrs, validatePodTemplateUpdate(old, spec, p)...)
	allErrs = append(allErrs, core.ValidateImmutableField(spec.CompletionMode, oldSpec.CompletionMode, p.Child("completionMode"))...)
	allErrs = append(allErrs, core.ValidateImmutableStruct(spec.PodFailurePolicy, oldSpec.PodFailurePolicy, p.Child("podFailurePolicy"))...)
	allErrs = append(allErrs, core.ValidateImmutableField(spec.BackoffLimitPerIndex, oldSpec.BackoffLimitPerIndex, p.Child("backoffLimitPerIndex"))...)
	allErrs = append(allErrs, core.ValidateImmutableField(spec.ManagedBy, oldSpec.ManagedBy, p.Child("managedBy"))...)
	allErrs = append(allErrs, core.ValidateImmutableStruct(spec.SuccessPolicy, oldSpec.SuccessPolicy, p.Child("successPolicy"))...)
	return append(allErrs, validateNameAllowsCompletions(job)...)
}

// ValidateJobStatusUpdate validates an update of a job's status. As
// upstream does for jobs whose status an external controller may write
// (managedBy), terminal states stick, counters do not go back, and rules on
// a field apply only when that field changes, so a bad status unrelated to
// the update does not block it.
func ValidateJobStatusUpdate(job, old *batchv1.Job) field.ErrorList {
	allErrs := core.ValidateObjectMetaUpdate(&job.ObjectMeta, &old.ObjectMeta, metaPath)
	s, os, p := &job.Status, &old.Status, field.NewPath("status")
	allErrs = append(allErrs, core.ValidateNonnegativeField(int64(s.Active), p.Child("active"))...)
	allErrs = append(allErrs, core.ValidateNonnegativeField(int64(s.Succeeded), p.Child("succeeded"))...)
	allErrs = append(allErrs, core.ValidateNonnegativeField(int64(s.Failed), p.Child("failed"))...)
	if s.Ready != nil {
		allErrs = append(allErrs, core.ValidateNonnegativeField(int64(*s.Ready), p.Child("ready"))...)
	}
	if s.Terminating != nil {
		allErrs = append(allErrs, core.ValidateNonnegativeField(int64(*s.Terminating), p.Child("terminating"))...)
	}
	if u := s.UncountedTerminatedPods; u != nil {
		up := p.Child("uncountedTerminatedPods")
		seen := sets.New[types.UID]()
		for _, list := range []struct {
			name string
			uids []types.UID
		}{{"succeeded", u.Succeeded}, {"failed", u.Failed}} {
			for i, uid := range list.uids {
				ip := up.Child(list.name).Index(i)
				switch {
				case uid == "":
					allErrs = append(allErrs, field.Invalid(ip, uid, "must not be empty"))
				case seen.Has(uid):
					allErrs = append(allErrs, field.Duplicate(ip, uid))
				default:
					seen.Insert(uid)
				}
			}
		}
	}

	complete, failed := isConditionTrue(s.Conditions, batchv1.JobComplete), isConditionTrue(s.Conditions, batchv1.JobFailed)
	failureTarget, successMet := isConditionTrue(s.Conditions, batchv1.JobFailureTarget), isConditionTrue(s.Conditions, batchv1.JobSuccessCriteriaMet)
	oldComplete, oldFailed := isConditionTrue(os.Conditions, batchv1.JobComplete), isConditionTrue(os.Conditions, batchv1.JobFailed)
	oldFailureTarget, oldSuccessMet := isConditionTrue(os.Conditions, batchv1.JobFailureTarget), isConditionTrue(os.Conditions, batchv1.JobSuccessCriteriaMet)
	finished, oldFinished := complete || failed, oldComplete || oldFailed
	condPath := p.Child("conditions")
	conditions := func(msg string) {
		allErrs = append(allErrs, field.Invalid(condPath, field.OmitValueType{}, msg))
	}
	completionTimeChanged := !apiequality.Semantic.DeepEqual(s.CompletionTime, os.CompletionTime)
	startTimeChanged := !apiequality.Semantic.DeepEqual(s.StartTime, os.StartTime)

	if (complete != oldComplete || failed != oldFailed) && complete && failed {
		conditions("cannot set Complete=True and Failed=true conditions")
	}
	if (complete != oldComplete || failureTarget != oldFailureTarget) && complete && failureTarget {
		conditions("cannot set Complete=True and FailureTarget=true conditions")
	}
	if (complete != oldComplete || completionTimeChanged) && s.CompletionTime != nil && !complete {
		allErrs = append(allErrs, field.Invalid(p.Child("completionTime"), s.CompletionTime, "cannot set completionTime when there is no Complete=True condition"))
	}
	if (complete != oldComplete || completionTimeChanged) && s.CompletionTime == nil && complete {
		allErrs = append(allErrs, field.Required(p.Child("completionTime"), "completionTime is required for Complete jobs"))
	}
	if (startTimeChanged || completionTimeChanged) && s.StartTime != nil && s.CompletionTime != nil && s.CompletionTime.Before(s.StartTime) {
		allErrs = append(allErrs, field.Invalid(p.Child("completionTime"), s.CompletionTime, "must be equal to or after `startTime`"))
	}
	if failed != oldFailed && failed && !failureTarget {
		conditions("cannot set Failed=True condition without the FailureTarget=true condition")
	}
	if (complete != oldComplete || successMet != oldSuccessMet) && complete && !successMet {
		conditions("cannot set Complete=True condition without the SuccessCriteriaMet=true condition")
	}
	if (finished != oldFinished || s.Active != os.Active) && s.Active > 0 && finished {
		allErrs = append(allErrs, field.Invalid(p.Child("active"), s.Active, "active>0 is invalid for finished job"))
	}
	if (finished != oldFinished || startTimeChanged) && s.StartTime == nil && finished &&
		!(isTrue(job.Spec.Suspend) && job.Spec.Completions != nil && *job.Spec.Completions == 0) {
		allErrs = append(allErrs, field.Required(p.Child("startTime"), "startTime is required for finished job"))
	}
	if s.CompletedIndexes != os.CompletedIndexes {
		if job.Spec.Completions != nil {
			if _, err := parseIndexes(s.CompletedIndexes, *job.Spec.Completions); err != nil {
				allErrs = append(allErrs, field.Invalid(p.Child("completedIndexes"), s.CompletedIndexes, fmt.Sprintf("error parsing completedIndexes: %s", err.Error())))
			}
		}
		if s.CompletedIndexes != "" && !isIndexed(&job.Spec) {
			allErrs = append(allErrs, field.Invalid(p.Child("completedIndexes"), s.CompletedIndexes, "cannot set non-empty completedIndexes when non-indexed completion mode"))
		}
	}
	readyChanged := !apiequality.Semantic.DeepEqual(s.Ready, os.Ready)
	if (readyChanged || s.Active != os.Active) && s.Ready != nil && *s.Ready > s.Active {
		allErrs = append(allErrs, field.Invalid(p.Child("ready"), *s.Ready, "cannot set more ready pods than active"))
	}
	if successMet && failed {
		conditions("cannot set SuccessCriteriaMet=True and Failed=true conditions")
	}
	if successMet && failureTarget {
		conditions("cannot set SuccessCriteriaMet=True and FailureTarget=true conditions")
	}
	if job.Spec.SuccessPolicy != nil && !successMet && complete {
		conditions("cannot set Complete=True for Job with SuccessPolicy unless SuccessCriteriaMet=True")
	}

	for _, c := range []struct {
		cType    batchv1.JobConditionType
		was, now bool
	}{{batchv1.JobFailed, oldFailed, failed}, {batchv1.JobComplete, oldComplete, complete}, {batchv1.JobFailureTarget, oldFailureTarget, failureTarget}} {
		if c.was && !c.now {
			conditions(fmt.Sprintf("cannot disable the terminal %s=True condition", c.cType))
		}
	}
	if s.Failed < os.Failed {
		allErrs = append(allErrs, field.Invalid(p.Child("failed"), s.Failed, "cannot decrease the failed counter"))
	}
	// An indexed job scaled down with parallelism may lose succeeded pods.
	scalable := isIndexed(&job.Spec) && apiequality.Semantic.DeepEqual(job.Spec.Completions, job.Spec.Parallelism)
	if !scalable && s.Succeeded < os.Succeeded {
		allErrs = append(allErrs, field.Invalid(p.Child("succeeded"), s.Succeeded, "cannot decrease the succeeded counter"))
	}
	if s.CompletionTime != nil && os.CompletionTime != nil && !s.CompletionTime.Equal(os.CompletionTime) {
		allErrs = append(allErrs, field.Invalid(p.Child("completionTime"), s.CompletionTime, "field is immutable"))
	}
	if oldSuccessMet && !successMet {
		conditions("cannot disable the SuccessCriteriaMet=True condition")
	}
	if oldComplete && !oldSuccessMet && successMet {
		conditions("cannot set SuccessCriteriaMet=True for Job already has Complete=true conditions")
	}
	return allErrs
}

// validateGeneratedSelector checks the selector the registry generated:
// it must select the job's uid and name labels, which the template carries.
func validateGeneratedSelector(job *batchv1.Job) field.ErrorList {
	if isTrue(job.Spec.ManualSelector) || job.Spec.Selector == nil {
		return nil
	}
	var allErrs field.ErrorList
	if job.UID == "" {
		allErrs = append(allErrs, field.Required(metaPath.Child("uid"), ""))
	}
	tmplMeta := specPath.Child("template", "metadata")
	expected := map[string]string{}
	for _, l := range []struct{ key, value string }{
		{legacyControllerUIDLabel, string(job.UID)}, {legacyJobNameLabel, job.Name},
		{batchv1.ControllerUidLabel, string(job.UID)}, {batchv1.JobNameLabel, job.Name},
	} {
		allErrs = append(allErrs, validateHasLabel(job.Spec.Template.ObjectMeta, tmplMeta, l.key, l.value)...)
		expected[l.key] = l.value
	}
	if selector, err := metav1.LabelSelectorAsSelector(job.Spec.Selector); err == nil && !selector.Matches(labels.Set(expected)) {
		allErrs = append(allErrs, field.Invalid(specPath.Child("selector"), job.Spec.Selector, "`selector` not auto-generated"))
	}
	return allErrs
}

func validateHasLabel(meta metav1.ObjectMeta, p *field.Path, key, value string) field.ErrorList {
	actual, ok := meta.Labels[key]
	if !ok {
		return field.ErrorList{field.Required(p.Child("labels").Key(key), fmt.Sprintf("must be '%s'", value))}
	}
	if actual != value {
		return field.ErrorList{field.Invalid(p.Child("labels").Key(key), meta.Labels, fmt.Sprintf("must be '%s'", value))}
	}
	return nil
}

// validateNameAllowsCompletions: indexed pods are named <job>-<index>, which
// must stay a DNS label for the pods' hostnames.
func validateNameAllowsCompletions(job *batchv1.Job) field.ErrorList {
	if !isIndexed(&job.Spec) || job.Spec.Completions == nil || *job.Spec.Completions <= 0 {
		return nil
	}
	hostname := fmt.Sprintf("%s-%d", job.Name, *job.Spec.Completions-1)
	if len(validation.IsDNS1123Label(hostname)) > 0 {
		return field.ErrorList{field.Invalid(metaPath.Child("name"), job.Name, fmt.Sprintf("will not able to create pod with invalid DNS label: %s", hostname))}
	}
	return nil
}

func validateJobSpecWithSelector(spec *batchv1.JobSpec, p *field.Path) field.ErrorList {
	allErrs := validateJobSpec(spec, p)
	if spec.Selector == nil {
		allErrs = append(allErrs, field.Required(p.Child("selector"), ""))
	} else {
		allErrs = append(allErrs, core.ValidateLabelSelector(spec.Selector, p.Child("selector"))...)
	}
	if selector, err := metav1.LabelSelectorAsSelector(spec.Selector); err == nil && !selector.Matches(labels.Set(spec.Template.Labels)) {
		allErrs = append(allErrs, field.Invalid(p.Child("template", "metadata", "labels"), spec.Template.Labels, "`selector` does not match template `labels`"))
	}
	return allErrs
}

func validateJobSpec(spec *batchv1.JobSpec, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	nonNegative := func(v *int32, name string) {
		if v != nil {
			allErrs = append(allErrs, core.ValidateNonnegativeField(int64(*v), p.Child(name))...)
		}
	}
	nonNegative(spec.Parallelism, "parallelism")
	nonNegative(spec.Completions, "completions")
	if spec.ActiveDeadlineSeconds != nil {
		allErrs = append(allErrs, core.ValidateNonnegativeField(*spec.ActiveDeadlineSeconds, p.Child("activeDeadlineSeconds"))...)
	}
	nonNegative(spec.BackoffLimit, "backoffLimit")
	nonNegative(spec.TTLSecondsAfterFinished, "ttlSecondsAfterFinished")
	nonNegative(spec.BackoffLimitPerIndex, "backoffLimitPerIndex")
	if spec.MaxFailedIndexes != nil {
		nonNegative(spec.MaxFailedIndexes, "maxFailedIndexes")
		if spec.BackoffLimitPerIndex == nil {
			allErrs = append(allErrs, field.Required(p.Child("backoffLimitPerIndex"), "when maxFailedIndexes is specified"))
		}
	}
	if spec.ManagedBy != nil {
		allErrs = append(allErrs, validation.IsDomainPrefixedPath(p.Child("managedBy"), *spec.ManagedBy)...)
		if len(*spec.ManagedBy) > maxManagedByLength {
			allErrs = append(allErrs, field.TooLong(p.Child("managedBy"), "", maxManagedByLength))
		}
	}
	if mode := spec.CompletionMode; mode != nil {
		if *mode != batchv1.NonIndexedCompletion && *mode != batchv1.IndexedCompletion {
			allErrs = append(allErrs, field.NotSupported(p.Child("completionMode"), *mode, []batchv1.CompletionMode{batchv1.NonIndexedCompletion, batchv1.IndexedCompletion}))
		}
		if *mode == batchv1.IndexedCompletion {
			allErrs = append(allErrs, validateIndexedLimits(spec, p)...)
		}
	}
	if !isIndexed(spec) {
		if spec.BackoffLimitPerIndex != nil {
			allErrs = append(allErrs, field.Invalid(p.Child("backoffLimitPerIndex"), *spec.BackoffLimitPerIndex, "requires indexed completion mode"))
		}
		if spec.MaxFailedIndexes != nil {
			allErrs = append(allErrs, field.Invalid(p.Child("maxFailedIndexes"), *spec.MaxFailedIndexes, "requires indexed completion mode"))
		}
	}
	if spec.PodFailurePolicy != nil {
		allErrs = append(allErrs, validatePodFailurePolicy(spec, p.Child("podFailurePolicy"))...)
	}
	if spec.SuccessPolicy != nil {
		if !isIndexed(spec) {
			allErrs = append(allErrs, field.Invalid(p.Child("successPolicy"), core.AsInternal(*spec.SuccessPolicy), "requires indexed completion mode"))
		} else {
			allErrs = append(allErrs, validateSuccessPolicy(spec, p.Child("successPolicy"))...)
		}
	}
	if rp := spec.PodReplacementPolicy; rp != nil {
		// With a failure policy, pods must be fully gone before replacement.
		if spec.PodFailurePolicy != nil {
			if *rp != batchv1.Failed {
				allErrs = append(allErrs, field.NotSupported(p.Child("podReplacementPolicy"), *rp, []batchv1.PodReplacementPolicy{batchv1.Failed}))
			}
		} else if *rp != batchv1.Failed && *rp != batchv1.TerminatingOrFailed {
			allErrs = append(allErrs, field.NotSupported(p.Child("podReplacementPolicy"), *rp, []batchv1.PodReplacementPolicy{batchv1.Failed, batchv1.TerminatingOrFailed}))
		}
	}
	tp := p.Child("template")
	allErrs = append(allErrs, core.ValidatePodTemplateSpec(&spec.Template, tp)...)
	rpPath := tp.Child("spec", "restartPolicy")
	switch rp := spec.Template.Spec.RestartPolicy; {
	case rp == corev1.RestartPolicyAlways || rp == "":
		allErrs = append(allErrs, field.Required(rpPath, fmt.Sprintf("valid values: %q, %q", corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever)))
	case rp != corev1.RestartPolicyOnFailure && rp != corev1.RestartPolicyNever:
		allErrs = append(allErrs, field.NotSupported(rpPath, rp, []corev1.RestartPolicy{corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever}))
	case spec.PodFailurePolicy != nil && rp != corev1.RestartPolicyNever:
		allErrs = append(allErrs, field.Invalid(rpPath, rp, fmt.Sprintf("only %q is supported when podFailurePolicy is specified", corev1.RestartPolicyNever)))
	}
	return allErrs
}

func validateIndexedLimits(spec *batchv1.JobSpec, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if spec.Completions == nil {
		allErrs = append(allErrs, field.Required(p.Child("completions"), fmt.Sprintf("when completion mode is %s", batchv1.IndexedCompletion)))
	}
	if spec.Parallelism != nil && *spec.Parallelism > maxParallelismForIndexedJob {
		allErrs = append(allErrs, field.Invalid(p.Child("parallelism"), *spec.Parallelism,
			fmt.Sprintf("must be less than or equal to %d when completion mode is %s", maxParallelismForIndexedJob, batchv1.IndexedCompletion)))
	}
	if spec.Completions != nil && spec.MaxFailedIndexes != nil && *spec.MaxFailedIndexes > *spec.Completions {
		allErrs = append(allErrs, field.Invalid(p.Child("maxFailedIndexes"), *spec.MaxFailedIndexes, "must be less than or equal to completions"))
	}
	if spec.MaxFailedIndexes != nil && *spec.MaxFailedIndexes > maxFailedIndexesForIndexedJob {
		allErrs = append(allErrs, field.Invalid(p.Child("maxFailedIndexes"), *spec.MaxFailedIndexes, fmt.Sprintf("must be less than or equal to %d", maxFailedIndexesForIndexedJob)))
	}
	// Very large jobs with per-index backoff keep a failed-index list in
	// status, which must stay bounded.
	if spec.Completions != nil && *spec.Completions > completionsSoftLimit && spec.BackoffLimitPerIndex != nil {
		if spec.MaxFailedIndexes == nil {
			allErrs = append(allErrs, field.Required(p.Child("maxFailedIndexes"), fmt.Sprintf("must be specified when completions is above %d", completionsSoftLimit)))
		}
		if spec.Parallelism != nil && *spec.Parallelism > parallelismLimitForHighCompletions {
			allErrs = append(allErrs, field.Invalid(p.Child("parallelism"), *spec.Parallelism,
				fmt.Sprintf("must be less than or equal to %d when completions are above %d and used with backoff limit per index", parallelismLimitForHighCompletions, completionsSoftLimit)))
		}
		if spec.MaxFailedIndexes != nil && *spec.MaxFailedIndexes > maxFailedIndexesLimitForHighCompletions {
			allErrs = append(allErrs, field.Invalid(p.Child("maxFailedIndexes"), *spec.MaxFailedIndexes,
				fmt.Sprintf("must be less than or equal to %d when completions are above %d and used with backoff limit per index", maxFailedIndexesLimitForHighCompletions, completionsSoftLimit)))
		}
	}
	return allErrs
}

func validatePodFailurePolicy(spec *batchv1.JobSpec, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	rulesPath := p.Child("rules")
	rules := spec.PodFailurePolicy.Rules
	if len(rules) > maxPodFailurePolicyRules {
		allErrs = append(allErrs, field.TooMany(rulesPath, len(rules), maxPodFailurePolicyRules))
	}
	containerNames := sets.New[string]()
	for _, c := range spec.Template.Spec.Containers {
		containerNames.Insert(c.Name)
	}
	for _, c := range spec.Template.Spec.InitContainers {
		containerNames.Insert(c.Name)
	}
	for i := range rules {
		rule, rp := &rules[i], rulesPath.Index(i)
		actionPath := rp.Child("action")
		switch {
		case rule.Action == "":
			allErrs = append(allErrs, field.Required(actionPath, fmt.Sprintf("valid values: %q", podFailurePolicyActions)))
		case rule.Action == batchv1.PodFailurePolicyActionFailIndex:
			if spec.BackoffLimitPerIndex == nil {
				allErrs = append(allErrs, field.Invalid(actionPath, rule.Action, "requires the backoffLimitPerIndex to be set"))
			}
		case !slices.Contains(podFailurePolicyActions, rule.Action):
			allErrs = append(allErrs, field.NotSupported(actionPath, rule.Action, podFailurePolicyActions))
		}
		if rule.OnExitCodes != nil {
			allErrs = append(allErrs, validateOnExitCodes(rule.OnExitCodes, rp.Child("onExitCodes"), containerNames)...)
		}
		if len(rule.OnPodConditions) > 0 {
			cp := rp.Child("onPodConditions")
			if len(rule.OnPodConditions) > maxPodFailurePolicyOnPodConditions {
				allErrs = append(allErrs, field.TooMany(cp, len(rule.OnPodConditions), maxPodFailurePolicyOnPodConditions))
			}
			for j, pattern := range rule.OnPodConditions {
				pp := cp.Index(j)
				allErrs = append(allErrs, core.ValidateQualifiedName(string(pattern.Type), pp.Child("type"))...)
				if pattern.Status == "" {
					allErrs = append(allErrs, field.Required(pp.Child("status"), fmt.Sprintf("valid values: %q", conditionStatuses)))
				} else if !slices.Contains(conditionStatuses, pattern.Status) {
					allErrs = append(allErrs, field.NotSupported(pp.Child("status"), pattern.Status, conditionStatuses))
				}
			}
		}
		if rule.OnExitCodes != nil && len(rule.OnPodConditions) > 0 {
			allErrs = append(allErrs, field.Invalid(rp, field.OmitValueType{}, "specifying both OnExitCodes and OnPodConditions is not supported"))
		}
		if rule.OnExitCodes == nil && len(rule.OnPodConditions) == 0 {
			allErrs = append(allErrs, field.Invalid(rp, field.OmitValueType{}, "specifying one of OnExitCodes and OnPodConditions is required"))
		}
	}
	return allErrs
}

func validateOnExitCodes(req *batchv1.PodFailurePolicyOnExitCodesRequirement, p *field.Path, containerNames sets.Set[string]) field.ErrorList {
	var allErrs field.ErrorList
	if req.Operator == "" {
		allErrs = append(allErrs, field.Required(p.Child("operator"), fmt.Sprintf("valid values: %q", exitCodesOperators)))
	} else if !slices.Contains(exitCodesOperators, req.Operator) {
		allErrs = append(allErrs, field.NotSupported(p.Child("operator"), req.Operator, exitCodesOperators))
	}
	if req.ContainerName != nil && !containerNames.Has(*req.ContainerName) {
		allErrs = append(allErrs, field.Invalid(p.Child("containerName"), *req.ContainerName, "must be one of the container or initContainer names in the pod template"))
	}
	valuesPath := p.Child("values")
	if len(req.Values) == 0 {
		allErrs = append(allErrs, field.Invalid(valuesPath, req.Values, "at least one value is required"))
	} else if len(req.Values) > maxPodFailurePolicyOnExitCodesValues {
		allErrs = append(allErrs, field.TooMany(valuesPath, len(req.Values), maxPodFailurePolicyOnExitCodesValues))
	}
	ordered := true
	seen := sets.New[int32]()
	for j, v := range req.Values {
		vp := valuesPath.Index(j)
		// Exit code 0 is success, never a failure to match.
		if req.Operator == batchv1.PodFailurePolicyOnExitCodesOpIn && v == 0 {
			allErrs = append(allErrs, field.Invalid(vp, v, "must not be 0 for the In operator"))
		}
		if seen.Has(v) {
			allErrs = append(allErrs, field.Duplicate(vp, v))
		}
		seen.Insert(v)
		if j > 0 && req.Values[j-1] > v {
			ordered = false
		}
	}
	if !ordered {
		allErrs = append(allErrs, field.Invalid(valuesPath, req.Values, "must be ordered"))
	}
	return allErrs
}

func validateSuccessPolicy(spec *batchv1.JobSpec, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	rulesPath := p.Child("rules")
	rules := spec.SuccessPolicy.Rules
	if len(rules) == 0 {
		allErrs = append(allErrs, field.Required(rulesPath, "at least one rules must be specified when the successPolicy is specified"))
	}
	if len(rules) > maxSuccessPolicyRules {
		allErrs = append(allErrs, field.TooMany(rulesPath, len(rules), maxSuccessPolicyRules))
	}
	// Indexed jobs require completions; without them there is nothing to check.
	completions := int32(0)
	if spec.Completions != nil {
		completions = *spec.Completions
	}
	for i, rule := range rules {
		rp := rulesPath.Index(i)
		if rule.SucceededCount == nil && rule.SucceededIndexes == nil {
			allErrs = append(allErrs, field.Required(rp, "at least one of succeededCount or succeededIndexes must be specified"))
		}
		var total int32
		if rule.SucceededIndexes != nil {
			ip := rp.Child("succeededIndexes")
			if len(*rule.SucceededIndexes) > maxSuccessPolicySucceededIndexesLength {
				allErrs = append(allErrs, field.TooLong(ip, "", maxSuccessPolicySucceededIndexesLength))
			}
			var err error
			if total, err = parseIndexes(*rule.SucceededIndexes, completions); err != nil {
				allErrs = append(allErrs, field.Invalid(ip, *rule.SucceededIndexes, fmt.Sprintf("error parsing succeededIndexes: %s", err.Error())))
			}
		}
		if rule.SucceededCount != nil {
			cp := rp.Child("succeededCount")
			allErrs = append(allErrs, core.ValidateNonnegativeField(int64(*rule.SucceededCount), cp)...)
			if *rule.SucceededCount > completions {
				allErrs = append(allErrs, field.Invalid(cp, *rule.SucceededCount, fmt.Sprintf("must be less than or equal to %d (the number of specified completions)", completions)))
			}
			if rule.SucceededIndexes != nil && *rule.SucceededCount > total {
				allErrs = append(allErrs, field.Invalid(cp, *rule.SucceededCount, fmt.Sprintf("must be less than or equal to %d (the number of indexes in the specified succeededIndexes field)", total)))
			}
		}
	}
	return allErrs
}

// parseIndexes parses an index list such as "1,3-5,7", returning how many
// indexes it holds.
func parseIndexes(s string, completions int32) (int32, error) {
	if s == "" {
		return 0, nil
	}
	var last *int32
	var total int32
	for _, interval := range strings.Split(s, ",") {
		x, y, err := parseIndexInterval(interval, completions)
		if err != nil {
			return 0, err
		}
		if last != nil && *last >= x {
			return 0, fmt.Errorf("non-increasing order, previous: %d, current: %d", *last, x)
		}
		total += y - x + 1
		last = &y
	}
	return total, nil
}

func parseIndexInterval(s string, completions int32) (int32, int32, error) {
	limits := strings.Split(s, "-")
	if len(limits) > 2 {
		return 0, 0, fmt.Errorf("the fragment %q violates the requirement that an index interval can have at most two parts separated by '-'", s)
	}
	index := func(v string) (int32, error) {
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, fmt.Errorf("cannot convert string to integer for index: %q", v)
		}
		if n >= int(completions) {
			return 0, fmt.Errorf("too large index: %q", v)
		}
		return int32(n), nil
	}
	x, err := index(limits[0])
	if err != nil {
		return 0, 0, err
	}
	if len(limits) == 1 {
		return x, x, nil
	}
	y, err := index(limits[1])
	if err != nil {
		return 0, 0, err
	}
	if x >= y {
		return 0, 0, fmt.Errorf("non-increasing order, previous: %d, current: %d", x, y)
	}
	return x, y, nil
}

// validateCompletionsUpdate: completions are fixed, except for indexed jobs
// which may scale completions together with parallelism.
func validateCompletionsUpdate(spec, old *batchv1.JobSpec, p *field.Path) field.ErrorList {
	if !isIndexed(spec) {
		return core.ValidateImmutableField(spec.Completions, old.Completions, p)
	}
	if apiequality.Semantic.DeepEqual(spec.Completions, old.Completions) || spec.Completions == nil {
		return nil
	}
	if spec.Parallelism == nil || *spec.Completions != *spec.Parallelism {
		return field.ErrorList{field.Invalid(p, spec.Completions, fmt.Sprintf("can only be modified in tandem with %s", p.Root().Child("parallelism").String()))}
	}
	return nil
}

// validatePodTemplateUpdate keeps the template fixed, except that a
// suspended job with no active pods that has not started (or was suspended
// again) may change its scheduling directives and container resources.
func validatePodTemplateUpdate(old *batchv1.Job, spec *batchv1.JobSpec, p *field.Path) field.ErrorList {
	template, oldTemplate := &spec.Template, &old.Spec.Template
	suspended := isTrue(old.Spec.Suspend)
	mutable := suspended && (old.Status.StartTime == nil || isConditionTrue(old.Status.Conditions, batchv1.JobSuspended)) && old.Status.Active == 0
	if !mutable {
		return core.ValidateImmutableStruct(template, oldTemplate, p.Child("template"))
	}
	oldTemplate = oldTemplate.DeepCopy()
	switch {
	case template.Spec.Affinity == nil && oldTemplate.Spec.Affinity != nil:
		oldTemplate.Spec.Affinity.NodeAffinity = nil
		if *oldTemplate.Spec.Affinity == (corev1.Affinity{}) {
			oldTemplate.Spec.Affinity = nil
		}
	case template.Spec.Affinity != nil && oldTemplate.Spec.Affinity == nil:
		oldTemplate.Spec.Affinity = &corev1.Affinity{NodeAffinity: template.Spec.Affinity.NodeAffinity}
	case template.Spec.Affinity != nil && oldTemplate.Spec.Affinity != nil:
		oldTemplate.Spec.Affinity.NodeAffinity = template.Spec.Affinity.NodeAffinity
	}
	oldTemplate.Spec.NodeSelector = template.Spec.NodeSelector
	oldTemplate.Spec.Tolerations = template.Spec.Tolerations
	oldTemplate.Annotations = template.Annotations
	oldTemplate.Labels = template.Labels
	oldTemplate.Spec.SchedulingGates = template.Spec.SchedulingGates
	// Resources may change per container, matched by position and name.
	oldSpec := oldTemplate.Spec.DeepCopy()
	for _, pair := range []struct{ cur, old []corev1.Container }{
		{template.Spec.Containers, oldSpec.Containers}, {template.Spec.InitContainers, oldSpec.InitContainers},
	} {
		if len(pair.cur) != len(pair.old) {
			continue
		}
		for i := range pair.cur {
			if pair.old[i].Name == pair.cur[i].Name {
				pair.old[i].Resources = pair.cur[i].Resources
			}
		}
	}
	// Upstream's path is one segment with a dot.
	return core.ValidateImmutableStruct(template.Spec, *oldSpec, p.Child("template.spec"))
}

// CronJob.

// ValidateCronJob validates a cron job on create. Its name is limited to 52
// characters so that the names of its jobs (name plus an 11-character
// suffix) stay DNS labels.
func ValidateCronJob(cj *batchv1.CronJob) field.ErrorList {
	allErrs := core.ValidateObjectMeta(&cj.ObjectMeta, apimachineryvalidation.NameIsDNSSubdomain, metaPath)
	allErrs = append(allErrs, validateCronJobSpec(&cj.Spec, nil, specPath)...)
	if len(cj.Name) > validation.DNS1035LabelMaxLength-11 {
		allErrs = append(allErrs, field.Invalid(metaPath.Child("name"), cj.Name, "must be no more than 52 characters"))
	}
	return allErrs
}

// ValidateCronJobUpdate validates an update of a cron job. A TZ prefix
// already in the schedule is tolerated; a time zone is only re-checked
// when it changes, since the zone database may have lost it.
func ValidateCronJobUpdate(cj, old *batchv1.CronJob) field.ErrorList {
	allErrs := core.ValidateObjectMetaUpdate(&cj.ObjectMeta, &old.ObjectMeta, metaPath)
	allErrs = append(allErrs, core.ValidateObjectMeta(&cj.ObjectMeta, apimachineryvalidation.NameIsDNSSubdomain, metaPath)...)
	return append(allErrs, validateCronJobSpec(&cj.Spec, &old.Spec, specPath)...)
}

// ValidateCronJobStatusUpdate validates an update of a cron job's status:
// upstream checks nothing beyond the generic metadata rules.
func ValidateCronJobStatusUpdate(cj, old *batchv1.CronJob) field.ErrorList {
	return nil
}

var validTimeZoneCharacters = regexp.MustCompile(`^[A-Za-z\.\-_0-9+]{1,14}$`)

func validateCronJobSpec(spec, old *batchv1.CronJobSpec, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	schedPath := p.Child("schedule")
	if spec.Schedule == "" {
		allErrs = append(allErrs, field.Required(schedPath, ""))
	} else {
		allowTZ := old != nil && strings.Contains(old.Schedule, "TZ")
		if err := parseCronSchedule(spec.Schedule); err != nil {
			allErrs = append(allErrs, field.Invalid(schedPath, spec.Schedule, err.Error()))
		}
		switch {
		case allowTZ && strings.Contains(spec.Schedule, "TZ") && spec.TimeZone != nil:
			allErrs = append(allErrs, field.Invalid(schedPath, spec.Schedule, "cannot use both timeZone field and TZ or CRON_TZ in schedule"))
		case !allowTZ && strings.Contains(spec.Schedule, "TZ"):
			allErrs = append(allErrs, field.Invalid(schedPath, spec.Schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"))
		}
	}
	if spec.StartingDeadlineSeconds != nil {
		allErrs = append(allErrs, core.ValidateNonnegativeField(*spec.StartingDeadlineSeconds, p.Child("startingDeadlineSeconds"))...)
	}
	if old == nil || !apiequality.Semantic.DeepEqual(old.TimeZone, spec.TimeZone) {
		allErrs = append(allErrs, validateTimeZone(spec.TimeZone, p.Child("timeZone"))...)
	}
	cpPath := p.Child("concurrencyPolicy")
	switch spec.ConcurrencyPolicy {
	case batchv1.AllowConcurrent, batchv1.ForbidConcurrent, batchv1.ReplaceConcurrent:
	case "":
		allErrs = append(allErrs, field.Required(cpPath, ""))
	default:
		allErrs = append(allErrs, field.NotSupported(cpPath, spec.ConcurrencyPolicy,
			[]batchv1.ConcurrencyPolicy{batchv1.AllowConcurrent, batchv1.ForbidConcurrent, batchv1.ReplaceConcurrent}))
	}
	// The job template's selector and labels are generated for each job.
	jp := p.Child("jobTemplate", "spec")
	allErrs = append(allErrs, validateJobSpec(&spec.JobTemplate.Spec, jp)...)
	if spec.JobTemplate.Spec.Selector != nil {
		allErrs = append(allErrs, field.Invalid(jp.Child("selector"), spec.JobTemplate.Spec.Selector, "`selector` will be auto-generated"))
	}
	if ms := spec.JobTemplate.Spec.ManualSelector; ms != nil && *ms {
		allErrs = append(allErrs, field.NotSupported(jp.Child("manualSelector"), ms, []string{"nil", "false"}))
	}
	if spec.SuccessfulJobsHistoryLimit != nil {
		allErrs = append(allErrs, core.ValidateNonnegativeField(int64(*spec.SuccessfulJobsHistoryLimit), p.Child("successfulJobsHistoryLimit"))...)
	}
	if spec.FailedJobsHistoryLimit != nil {
		allErrs = append(allErrs, core.ValidateNonnegativeField(int64(*spec.FailedJobsHistoryLimit), p.Child("failedJobsHistoryLimit"))...)
	}
	return allErrs
}

// validateTimeZone requires an IANA time zone name known to the server.
// time.LoadLocation reads the system's zone database unless the binary
// embeds time/tzdata.
func validateTimeZone(tz *string, p *field.Path) field.ErrorList {
	if tz == nil {
		return nil
	}
	if *tz == "" {
		return field.ErrorList{field.Invalid(p, tz, "timeZone must be nil or non-empty string")}
	}
	// Refuse what could make LoadLocation read outside the zone database.
	for _, part := range strings.Split(*tz, "/") {
		if part == "." || part == ".." || strings.HasPrefix(part, "-") || !validTimeZoneCharacters.MatchString(part) {
			return field.ErrorList{field.Invalid(p, tz, fmt.Sprintf("unknown time zone %s", *tz))}
		}
	}
	var allErrs field.ErrorList
	if strings.EqualFold(*tz, "Local") {
		allErrs = append(allErrs, field.Invalid(p, tz, "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones"))
	}
	if _, err := time.LoadLocation(*tz); err != nil {
		allErrs = append(allErrs, field.Invalid(p, tz, err.Error()))
	}
	return allErrs
}

func isIndexed(spec *batchv1.JobSpec) bool {
	return spec.CompletionMode != nil && *spec.CompletionMode == batchv1.IndexedCompletion
}

func isConditionTrue(conditions []batchv1.JobCondition, t batchv1.JobConditionType) bool {
	for _, c := range conditions {
		if c.Type == t && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

func isTrue(b *bool) bool { return b != nil && *b }
