package node

import (
	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubeshim/kubeshim/apis/core"
)

// Validation of node.k8s.io/v1 RuntimeClasses, with upstream's paths and
// messages. Upstream validates their metadata with apimachinery's rules, not
// core's (no finalizer-name rule).

// ValidateRuntimeClass validates a runtime class on create.
func ValidateRuntimeClass(rc *nodev1.RuntimeClass) field.ErrorList {
	allErrs := core.ValidateObjectName(&rc.ObjectMeta, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	hp := field.NewPath("handler")
	if rc.Handler == "" {
		allErrs = append(allErrs, field.Required(hp, ""))
	} else {
		// The handler names a CRI runtime handler, a DNS label.
		allErrs = append(allErrs, core.ValidateNameFunc(apimachineryvalidation.NameIsDNSLabel, rc.Handler, hp)...)
	}
	if rc.Overhead != nil {
		allErrs = append(allErrs, core.ValidateOverhead(rc.Overhead.PodFixed, field.NewPath("overhead"))...)
	}
	if s := rc.Scheduling; s != nil {
		sp := field.NewPath("scheduling")
		if s.NodeSelector != nil {
			allErrs = append(allErrs, metav1validation.ValidateLabels(s.NodeSelector, sp.Child("nodeSelector"))...)
		}
		tp := sp.Child("tolerations")
		allErrs = append(allErrs, core.ValidateTolerations(s.Tolerations, tp)...)
		seen := map[corev1.Toleration]bool{}
		for i, t := range s.Tolerations {
			key := corev1.Toleration{Key: t.Key, Operator: t.Operator, Value: t.Value, Effect: t.Effect}
			if seen[key] {
				allErrs = append(allErrs, field.Duplicate(tp.Index(i), core.AsInternal(t)))
			}
			seen[key] = true
		}
	}
	return allErrs
}

// ValidateRuntimeClassUpdate validates an update of a runtime class: its
// handler is fixed.
func ValidateRuntimeClassUpdate(rc, old *nodev1.RuntimeClass) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&rc.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	allErrs = append(allErrs, ValidateRuntimeClass(rc)...)
	return append(allErrs, core.ValidateImmutableField(rc.Handler, old.Handler, field.NewPath("handler"))...)
}
