package policy

import (
	policyv1 "k8s.io/api/policy/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubeshim/kubeshim/apis/apps"
	"github.com/kubeshim/kubeshim/apis/core"
)

// Validation of policy/v1 PodDisruptionBudgets, with upstream's paths and
// messages. Upstream checks no naming rule for budgets beyond the generic
// path-segment one the registry applies.

// ValidatePodDisruptionBudget validates a budget on create.
func ValidatePodDisruptionBudget(pdb *policyv1.PodDisruptionBudget) field.ErrorList {
	spec, p := &pdb.Spec, field.NewPath("spec")
	var allErrs field.ErrorList
	if spec.MinAvailable != nil && spec.MaxUnavailable != nil {
		allErrs = append(allErrs, field.Invalid(p, core.AsInternal(*spec), "minAvailable and maxUnavailable cannot be both set"))
	}
	for _, v := range []struct {
		name  string
		value *intstr.IntOrString
	}{{"minAvailable", spec.MinAvailable}, {"maxUnavailable", spec.MaxUnavailable}} {
		if v.value != nil {
			allErrs = append(allErrs, apps.ValidatePositiveIntOrPercent(*v.value, p.Child(v.name))...)
			allErrs = append(allErrs, apps.IsNotMoreThan100Percent(*v.value, p.Child(v.name))...)
		}
	}
	allErrs = append(allErrs, core.ValidateLabelSelector(spec.Selector, p.Child("selector"))...)
	if pol := spec.UnhealthyPodEvictionPolicy; pol != nil && *pol != policyv1.IfHealthyBudget && *pol != policyv1.AlwaysAllow {
		allErrs = append(allErrs, field.NotSupported(p.Child("unhealthyPodEvictionPolicy"), *pol, []policyv1.UnhealthyPodEvictionPolicyType{policyv1.AlwaysAllow, policyv1.IfHealthyBudget}))
	}
	return allErrs
}

// ValidatePodDisruptionBudgetUpdate validates an update of a budget; every
// field may change.
func ValidatePodDisruptionBudgetUpdate(pdb, old *policyv1.PodDisruptionBudget) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&pdb.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	return append(allErrs, ValidatePodDisruptionBudget(pdb)...)
}

// ValidatePodDisruptionBudgetStatusUpdate validates an update of a budget's
// status.
func ValidatePodDisruptionBudgetStatusUpdate(pdb, old *policyv1.PodDisruptionBudget) field.ErrorList {
	s, p := &pdb.Status, field.NewPath("status")
	allErrs := metav1validation.ValidateConditions(s.Conditions, p.Child("conditions"))
	allErrs = append(allErrs, core.ValidateNonnegativeField(int64(s.DisruptionsAllowed), p.Child("disruptionsAllowed"))...)
	allErrs = append(allErrs, core.ValidateNonnegativeField(int64(s.CurrentHealthy), p.Child("currentHealthy"))...)
	allErrs = append(allErrs, core.ValidateNonnegativeField(int64(s.DesiredHealthy), p.Child("desiredHealthy"))...)
	return append(allErrs, core.ValidateNonnegativeField(int64(s.ExpectedPods), p.Child("expectedPods"))...)
}
