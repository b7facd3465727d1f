package job

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
)

func TestMatchPodFailurePolicy(t *testing.T) {
	ignoreDisruption := batchv1.PodFailurePolicyRule{
		Action:          batchv1.PodFailurePolicyActionIgnore,
		OnPodConditions: []batchv1.PodFailurePolicyOnPodConditionsPattern{{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue}},
	}
	notIn := batchv1.PodFailurePolicyRule{Action: batchv1.PodFailurePolicyActionCount, OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{
		Operator: batchv1.PodFailurePolicyOnExitCodesOpNotIn, Values: []int32{1, 2},
	}}
	initContainerExit := func(code int32) func(*corev1.Pod) {
		return func(p *corev1.Pod) {
			p.Status.InitContainerStatuses = []corev1.ContainerStatus{{Name: "init", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code}}}}
		}
	}
	tests := []struct {
		name   string
		policy *batchv1.PodFailurePolicy
		pod    *corev1.Pod
		want   policyVerdict
	}{
		{name: "no policy counts", pod: newPod("a", corev1.PodFailed), want: policyVerdict{count: true}},
		{
			name:   "no rule matches: counts",
			policy: &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{onExitCodes(batchv1.PodFailurePolicyActionFailJob, 42)}},
			pod:    newPod("a", corev1.PodFailed, exited(1, 0)),
			want:   policyVerdict{count: true},
		},
		{
			name:   "FailJob names the container and the rule",
			policy: &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{ignoreDisruption, onExitCodes(batchv1.PodFailurePolicyActionFailJob, 42)}},
			pod:    newPod("a", corev1.PodFailed, exited(42, 0)),
			want: policyVerdict{action: ptr.To(batchv1.PodFailurePolicyActionFailJob), count: true,
				failJobMessage: "Container main for pod ns/a failed with exit code 42 matching FailJob rule at index 1"},
		},
		{
			name:   "the first matching rule wins",
			policy: &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{ignoreDisruption, onExitCodes(batchv1.PodFailurePolicyActionFailJob, 137)}},
			pod:    newPod("a", corev1.PodFailed, exited(137, 0), withCondition(corev1.DisruptionTarget)),
			want:   policyVerdict{action: ptr.To(batchv1.PodFailurePolicyActionIgnore)},
		},
		{
			name: "FailJob on a pod condition",
			policy: &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{{
				Action:          batchv1.PodFailurePolicyActionFailJob,
				OnPodConditions: []batchv1.PodFailurePolicyOnPodConditionsPattern{{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue}},
			}}},
			pod: newPod("a", corev1.PodFailed, withCondition(corev1.DisruptionTarget)),
			want: policyVerdict{action: ptr.To(batchv1.PodFailurePolicyActionFailJob), count: true,
				failJobMessage: "Pod ns/a has condition DisruptionTarget matching FailJob rule at index 0"},
		},
		{
			name:   "NotIn matches other codes, never 0",
			policy: &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{notIn}},
			pod:    newPod("a", corev1.PodFailed, exited(3, 0)),
			want:   policyVerdict{action: ptr.To(batchv1.PodFailurePolicyActionCount), count: true},
		},
		{
			name:   "NotIn does not match a listed code",
			policy: &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{notIn}},
			pod:    newPod("a", corev1.PodFailed, exited(2, 0)),
			want:   policyVerdict{count: true},
		},
		{
			name:   "exit codes of init containers match when no container name is given",
			policy: &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{{Action: batchv1.PodFailurePolicyActionIgnore, OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{Operator: batchv1.PodFailurePolicyOnExitCodesOpIn, Values: []int32{5}}}}},
			pod:    newPod("a", corev1.PodFailed, initContainerExit(5)),
			want:   policyVerdict{action: ptr.To(batchv1.PodFailurePolicyActionIgnore)},
		},
		{
			name:   "a rule for another container does not match",
			policy: &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{onExitCodes(batchv1.PodFailurePolicyActionIgnore, 5)}},
			pod:    newPod("a", corev1.PodFailed, initContainerExit(5)),
			want:   policyVerdict{count: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := matchPodFailurePolicy(tt.policy, tt.pod)
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(policyVerdict{})); diff != "" {
				t.Errorf("verdict (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMatchSuccessPolicy(t *testing.T) {
	rules := func(r ...batchv1.SuccessPolicyRule) *batchv1.SuccessPolicy { return &batchv1.SuccessPolicy{Rules: r} }
	tests := []struct {
		name      string
		policy    *batchv1.SuccessPolicy
		succeeded string
		wantMsg   string
		wantMet   bool
	}{
		{name: "no policy", succeeded: "0-9"},
		{name: "all required indexes", policy: rules(batchv1.SuccessPolicyRule{SucceededIndexes: ptr.To("0,2-4")}), succeeded: "0-4", wantMsg: "Matched rules at index 0", wantMet: true},
		{name: "a required index missing", policy: rules(batchv1.SuccessPolicyRule{SucceededIndexes: ptr.To("0,2-4")}), succeeded: "0-3,5"},
		{
			name:      "count within the required indexes",
			policy:    rules(batchv1.SuccessPolicyRule{SucceededIndexes: ptr.To("0,2-4")}, batchv1.SuccessPolicyRule{SucceededIndexes: ptr.To("5-9"), SucceededCount: ptr.To[int32](2)}),
			succeeded: "1,6,8",
			wantMsg:   "Matched rules at index 1", wantMet: true,
		},
		{name: "count alone", policy: rules(batchv1.SuccessPolicyRule{SucceededCount: ptr.To[int32](3)}), succeeded: "1,6,8", wantMsg: "Matched rules at index 0", wantMet: true},
		{name: "count alone not reached", policy: rules(batchv1.SuccessPolicyRule{SucceededCount: ptr.To[int32](3)}), succeeded: "1,6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logger := klog.Background()
			msg, met := matchSuccessPolicy(logger, tt.policy, 10, parseIntervals(logger, tt.succeeded, 10))
			if msg != tt.wantMsg || met != tt.wantMet {
				t.Errorf("matchSuccessPolicy() = %q, %v; want %q, %v", msg, met, tt.wantMsg, tt.wantMet)
			}
		})
	}
}
