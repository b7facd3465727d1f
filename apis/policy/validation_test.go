package policy

import (
	"testing"

	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/apis/internal/fielderrors"
)

func TestValidatePodDisruptionBudget(t *testing.T) {
	selector := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
	cases := []struct {
		name string
		spec policyv1.PodDisruptionBudgetSpec
		want []string
	}{
		{name: "valid", spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: ptr.To(intstr.FromString("50%")), Selector: selector}},
		{
			name: "both bounds, percent over 100",
			spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: ptr.To(intstr.FromInt32(1)), MaxUnavailable: ptr.To(intstr.FromString("150%")), Selector: selector},
			want: []string{
				`spec: Invalid value: {"MinAvailable":1,"Selector":{"matchLabels":{"app":"web"}},"MaxUnavailable":"150%","UnhealthyPodEvictionPolicy":null}: minAvailable and maxUnavailable cannot be both set`,
				`spec.maxUnavailable: Invalid value: "150%": must not be greater than 100%`,
			},
		},
		{
			name: "negative and eviction policy",
			spec: policyv1.PodDisruptionBudgetSpec{MaxUnavailable: ptr.To(intstr.FromInt32(-1)), UnhealthyPodEvictionPolicy: ptr.To[policyv1.UnhealthyPodEvictionPolicyType]("Never")},
			want: []string{
				`spec.maxUnavailable: Invalid value: -1: must be greater than or equal to 0`,
				`spec.unhealthyPodEvictionPolicy: Unsupported value: "Never": supported values: "AlwaysAllow", "IfHealthyBudget"`,
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pdb := &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default", ResourceVersion: "1"}, Spec: tc.spec}
			fielderrors.Want(t, tc.want, ValidatePodDisruptionBudget(pdb))
		})
	}

	t.Run("status counts", func(t *testing.T) {
		pdb := &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default", ResourceVersion: "1"},
			Status: policyv1.PodDisruptionBudgetStatus{DisruptionsAllowed: -1}}
		fielderrors.Want(t, []string{`status.disruptionsAllowed: Invalid value: -1: must be greater than or equal to 0`}, ValidatePodDisruptionBudgetStatusUpdate(pdb, pdb.DeepCopy()))
	})
}
