package scheduling

import (
	"fmt"
	"strings"

	schedulingv1 "k8s.io/api/scheduling/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubeshim/kubeshim/apis/core"
)

// Validation of scheduling.k8s.io/v1 PriorityClasses, with upstream's paths
// and messages.

const (
	// highestUserDefinablePriority bounds user priority classes; larger values
	// are reserved for the system.
	highestUserDefinablePriority = int32(1000000000)
	systemCriticalPriority       = 2 * highestUserDefinablePriority
	systemPriorityClassPrefix    = "system-"
)

// systemPriorityClasses are the classes the API server creates; their names
// carry the reserved prefix and their values are fixed.
var systemPriorityClasses = []struct {
	name  string
	value int32
}{
	{"system-node-critical", systemCriticalPriority + 1000},
	{"system-cluster-critical", systemCriticalPriority},
}

// ValidatePriorityClass validates a priority class on create.
func ValidatePriorityClass(pc *schedulingv1.PriorityClass) field.ErrorList {
	allErrs := core.ValidateObjectMeta(&pc.ObjectMeta, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	if strings.HasPrefix(pc.Name, systemPriorityClassPrefix) {
		if err := checkSystemPriorityClass(pc); err != nil {
			allErrs = append(allErrs, field.Forbidden(field.NewPath("metadata", "name"),
				"priority class names with '"+systemPriorityClassPrefix+"' prefix are reserved for system use only. error: "+err.Error()))
		}
	} else if pc.Value > highestUserDefinablePriority {
		allErrs = append(allErrs, field.Forbidden(field.NewPath("value"), fmt.Sprintf("maximum allowed value of a user defined priority is %v", highestUserDefinablePriority)))
	}
	if pc.PreemptionPolicy != nil {
		allErrs = append(allErrs, core.ValidatePreemptionPolicy(pc.PreemptionPolicy, field.NewPath("preemptionPolicy"))...)
	}
	return allErrs
}

// ValidatePriorityClassUpdate validates an update of a priority class: its
// value and preemption policy are fixed, since pods copied them.
func ValidatePriorityClassUpdate(pc, old *schedulingv1.PriorityClass) field.ErrorList {
	allErrs := core.ValidateObjectMetaUpdate(&pc.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	allErrs = append(allErrs, core.ValidateObjectMeta(&pc.ObjectMeta, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))...)
	if pc.Value != old.Value {
		allErrs = append(allErrs, field.Forbidden(field.NewPath("value"), "may not be changed in an update."))
	}
	return append(allErrs, core.ValidateImmutableField(pc.PreemptionPolicy, old.PreemptionPolicy, field.NewPath("preemptionPolicy"))...)
}

func checkSystemPriorityClass(pc *schedulingv1.PriorityClass) error {
	for _, spc := range systemPriorityClasses {
		if spc.name != pc.Name {
			continue
		}
		if spc.value != pc.Value {
			return fmt.Errorf("value of %v PriorityClass must be %v", spc.name, spc.value)
		}
		if pc.GlobalDefault {
			return fmt.Errorf("globalDefault of %v PriorityClass must be %v", spc.name, false)
		}
		return nil
	}
	return fmt.Errorf("%v is not a known system priority class", pc.Name)
}
