package job

import (
	"fmt"
	"slices"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"
)

// policyVerdict is what a pod failure policy makes of one failed pod.
type policyVerdict struct {
	// action is the matching rule's action; nil when no rule matched.
	action *batchv1.PodFailurePolicyAction
	// count says whether the failure counts against backoffLimit (and
	// backoffLimitPerIndex): every failure but an ignored one does.
	count bool
	// failJobMessage is the Job's failure message when the action is FailJob.
	failJobMessage string
}

// matchPodFailurePolicy applies the first rule that matches the failed pod.
// Without a policy, or without a matching rule, the failure counts.
func matchPodFailurePolicy(policy *batchv1.PodFailurePolicy, pod *corev1.Pod) policyVerdict {
	if policy == nil {
		return policyVerdict{count: true}
	}
	for i := range policy.Rules {
		rule := &policy.Rules[i]
		var failJob string
		switch {
		case rule.OnExitCodes != nil:
			c := matchExitCodes(&pod.Status, rule.OnExitCodes)
			if c == nil {
				continue
			}
			failJob = fmt.Sprintf("Container %s for pod %s/%s failed with exit code %v matching %v rule at index %d",
				c.Name, pod.Namespace, pod.Name, c.State.Terminated.ExitCode, rule.Action, i)
		case rule.OnPodConditions != nil:
			c := matchPodConditions(&pod.Status, rule.OnPodConditions)
			if c == nil {
				continue
			}
			failJob = fmt.Sprintf("Pod %s/%s has condition %v matching %v rule at index %d", pod.Namespace, pod.Name, c.Type, rule.Action, i)
		default:
			continue
		}
		action := rule.Action
		switch action {
		case batchv1.PodFailurePolicyActionIgnore:
			return policyVerdict{action: &action}
		case batchv1.PodFailurePolicyActionFailIndex, batchv1.PodFailurePolicyActionCount:
			return policyVerdict{action: &action, count: true}
		case batchv1.PodFailurePolicyActionFailJob:
			return policyVerdict{action: &action, count: true, failJobMessage: failJob}
		}
		// An action this controller does not know (a newer API's) matches
		// nothing, as upstream: the next rule may.
	}
	return policyVerdict{count: true}
}

// matchExitCodes returns the first terminated container, regular before
// init, whose non-zero exit code the requirement matches.
func matchExitCodes(status *corev1.PodStatus, req *batchv1.PodFailurePolicyOnExitCodesRequirement) *corev1.ContainerStatus {
	for _, list := range [][]corev1.ContainerStatus{status.ContainerStatuses, status.InitContainerStatuses} {
		for i := range list {
			c := &list[i]
			t := c.State.Terminated
			if t == nil || t.ExitCode == 0 || (req.ContainerName != nil && *req.ContainerName != c.Name) {
				continue
			}
			in := slices.Contains(req.Values, t.ExitCode)
			if (req.Operator == batchv1.PodFailurePolicyOnExitCodesOpIn && in) || (req.Operator == batchv1.PodFailurePolicyOnExitCodesOpNotIn && !in) {
				return c
			}
		}
	}
	return nil
}

func matchPodConditions(status *corev1.PodStatus, patterns []batchv1.PodFailurePolicyOnPodConditionsPattern) *corev1.PodCondition {
	for i := range status.Conditions {
		c := &status.Conditions[i]
		for _, p := range patterns {
			if c.Type == p.Type && c.Status == p.Status {
				return c
			}
		}
	}
	return nil
}

// matchSuccessPolicy reports whether the succeeded indexes meet a rule of
// the policy, and the message of the SuccessCriteriaMet condition if so.
func matchSuccessPolicy(logger klog.Logger, policy *batchv1.SuccessPolicy, completions int32, succeeded intervals) (string, bool) {
	if policy == nil || len(succeeded) == 0 {
		return "", false
	}
	for i, rule := range policy.Rules {
		met := false
		if rule.SucceededIndexes != nil {
			required := parseIntervals(logger, *rule.SucceededIndexes, int(completions))
			if len(required) == 0 {
				continue
			}
			n := overlap(required, succeeded)
			met = n == required.total() || (rule.SucceededCount != nil && n >= int(*rule.SucceededCount))
		} else if rule.SucceededCount != nil {
			met = succeeded.total() >= int(*rule.SucceededCount)
		}
		if met {
			return fmt.Sprintf("Matched rules at index %d", i), true
		}
	}
	return "", false
}

// overlap counts the indexes in both lists.
func overlap(a, b intervals) int {
	n, i, j := 0, 0, 0
	for i < len(a) && j < len(b) {
		if o := min(a[i].last, b[j].last) - max(a[i].first, b[j].first) + 1; o > 0 {
			n += o
		}
		if a[i].last < b[j].last {
			i++
		} else {
			j++
		}
	}
	return n
}
