package coordination

import (
	"slices"
	"strings"

	coordinationv1 "k8s.io/api/coordination/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubeshim/kubeshim/apis/core"
)

// Validation of coordination.k8s.io/v1 Leases, with upstream's paths and
// messages. Upstream validates a lease's metadata with apimachinery's rules,
// not core's (no finalizer-name rule).

var validLeaseStrategies = []coordinationv1.CoordinatedLeaseStrategy{coordinationv1.OldestEmulationVersion}

// ValidateLease validates a lease on create.
func ValidateLease(l *coordinationv1.Lease) field.ErrorList {
	allErrs := core.ValidateObjectName(&l.ObjectMeta, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	return append(allErrs, validateLeaseSpec(&l.Spec, field.NewPath("spec"))...)
}

// ValidateLeaseUpdate validates an update of a lease.
func ValidateLeaseUpdate(l, old *coordinationv1.Lease) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&l.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	return append(allErrs, ValidateLease(l)...)
}

func validateLeaseSpec(spec *coordinationv1.LeaseSpec, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if d := spec.LeaseDurationSeconds; d != nil && *d <= 0 {
		allErrs = append(allErrs, field.Invalid(p.Child("leaseDurationSeconds"), d, "must be greater than 0"))
	}
	if t := spec.LeaseTransitions; t != nil && *t < 0 {
		allErrs = append(allErrs, field.Invalid(p.Child("leaseTransitions"), t, "must be greater than or equal to 0"))
	}
	if s := spec.Strategy; s != nil {
		// Upstream nests the strategy path one level deeper than the field.
		sp := p.Child("strategy").Child("strategy")
		if !strings.Contains(string(*s), "/") {
			if !slices.Contains(validLeaseStrategies, *s) {
				allErrs = append(allErrs, field.NotSupported(sp, *s, validLeaseStrategies))
			}
		} else {
			for _, msg := range validation.IsQualifiedName(string(*s)) {
				allErrs = append(allErrs, field.Invalid(sp, *s, msg))
			}
		}
	}
	if h := spec.PreferredHolder; h != nil && *h != "" && (spec.Strategy == nil || *spec.Strategy == "") {
		allErrs = append(allErrs, field.Forbidden(p.Child("preferredHolder"), "may only be specified if `strategy` is defined"))
	}
	return allErrs
}
