package rbac

import (
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/validate/content"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubeshim/kubeshim/apis/core"
)

// Validation of the rbac.authorization.k8s.io/v1 kinds, with upstream's
// paths and messages. RBAC names only need to be usable as URL path
// segments: roles are often named after users or groups.

var metaPath = field.NewPath("metadata")

func nameIsPathSegment(name string, prefix bool) []string { return content.IsPathSegmentName(name) }

// ValidateRole validates a role on create.
func ValidateRole(r *rbacv1.Role) field.ErrorList {
	allErrs := core.ValidateObjectMeta(&r.ObjectMeta, nameIsPathSegment, metaPath)
	return append(allErrs, validateRules(r.Rules, true)...)
}

// ValidateRoleUpdate validates an update of a role.
func ValidateRoleUpdate(r, old *rbacv1.Role) field.ErrorList {
	allErrs := ValidateRole(r)
	return append(allErrs, core.ValidateObjectMetaUpdate(&r.ObjectMeta, &old.ObjectMeta, metaPath)...)
}

// ValidateClusterRole validates a cluster role on create.
func ValidateClusterRole(r *rbacv1.ClusterRole) field.ErrorList {
	allErrs := core.ValidateObjectMeta(&r.ObjectMeta, nameIsPathSegment, metaPath)
	allErrs = append(allErrs, validateRules(r.Rules, false)...)
	if agg := r.AggregationRule; agg != nil {
		sp := field.NewPath("aggregationRule", "clusterRoleSelectors")
		if len(agg.ClusterRoleSelectors) == 0 {
			allErrs = append(allErrs, field.Required(sp, "at least one clusterRoleSelector required if aggregationRule is non-nil"))
		}
		for i := range agg.ClusterRoleSelectors {
			selector := &agg.ClusterRoleSelectors[i]
			allErrs = append(allErrs, core.ValidateLabelSelector(selector, sp.Index(i))...)
			if s, err := metav1.LabelSelectorAsSelector(selector); err != nil {
				allErrs = append(allErrs, field.Invalid(sp.Index(i), s, "invalid label selector."))
			}
		}
	}
	return allErrs
}

// ValidateClusterRoleUpdate validates an update of a cluster role.
func ValidateClusterRoleUpdate(r, old *rbacv1.ClusterRole) field.ErrorList {
	allErrs := ValidateClusterRole(r)
	return append(allErrs, core.ValidateObjectMetaUpdate(&r.ObjectMeta, &old.ObjectMeta, metaPath)...)
}

func validateRules(rules []rbacv1.PolicyRule, namespaced bool) field.ErrorList {
	var allErrs field.ErrorList
	for i, rule := range rules {
		p := field.NewPath("rules").Index(i)
		if len(rule.Verbs) == 0 {
			allErrs = append(allErrs, field.Required(p.Child("verbs"), "verbs must contain at least one value"))
		}
		if len(rule.NonResourceURLs) > 0 {
			if namespaced {
				allErrs = append(allErrs, field.Invalid(p.Child("nonResourceURLs"), rule.NonResourceURLs, "namespaced rules cannot apply to non-resource URLs"))
			}
			if len(rule.APIGroups) > 0 || len(rule.Resources) > 0 || len(rule.ResourceNames) > 0 {
				allErrs = append(allErrs, field.Invalid(p.Child("nonResourceURLs"), rule.NonResourceURLs, "rules cannot apply to both regular resources and non-resource URLs"))
			}
			continue
		}
		if len(rule.APIGroups) == 0 {
			allErrs = append(allErrs, field.Required(p.Child("apiGroups"), "resource rules must supply at least one api group"))
		}
		if len(rule.Resources) == 0 {
			allErrs = append(allErrs, field.Required(p.Child("resources"), "resource rules must supply at least one resource"))
		}
	}
	return allErrs
}

// ValidateRoleBinding validates a role binding on create.
func ValidateRoleBinding(rb *rbacv1.RoleBinding) field.ErrorList {
	allErrs := core.ValidateObjectMeta(&rb.ObjectMeta, nameIsPathSegment, metaPath)
	return append(allErrs, validateBinding(rb.RoleRef, rb.Subjects, true)...)
}

// ValidateRoleBindingUpdate validates an update of a role binding: the
// role it grants is fixed (delete and recreate the binding instead).
func ValidateRoleBindingUpdate(rb, old *rbacv1.RoleBinding) field.ErrorList {
	allErrs := ValidateRoleBinding(rb)
	allErrs = append(allErrs, core.ValidateObjectMetaUpdate(&rb.ObjectMeta, &old.ObjectMeta, metaPath)...)
	return append(allErrs, core.ValidateImmutableStruct(rb.RoleRef, old.RoleRef, field.NewPath("roleRef"))...)
}

// ValidateClusterRoleBinding validates a cluster role binding on create.
func ValidateClusterRoleBinding(crb *rbacv1.ClusterRoleBinding) field.ErrorList {
	allErrs := core.ValidateObjectMeta(&crb.ObjectMeta, nameIsPathSegment, metaPath)
	return append(allErrs, validateBinding(crb.RoleRef, crb.Subjects, false)...)
}

// ValidateClusterRoleBindingUpdate validates an update of a cluster role
// binding: the role it grants is fixed.
func ValidateClusterRoleBindingUpdate(crb, old *rbacv1.ClusterRoleBinding) field.ErrorList {
	allErrs := ValidateClusterRoleBinding(crb)
	allErrs = append(allErrs, core.ValidateObjectMetaUpdate(&crb.ObjectMeta, &old.ObjectMeta, metaPath)...)
	return append(allErrs, core.ValidateImmutableStruct(crb.RoleRef, old.RoleRef, field.NewPath("roleRef"))...)
}

func validateBinding(ref rbacv1.RoleRef, subjects []rbacv1.Subject, namespaced bool) field.ErrorList {
	var allErrs field.ErrorList
	refPath := field.NewPath("roleRef")
	if ref.APIGroup != rbacv1.GroupName {
		allErrs = append(allErrs, field.NotSupported(refPath.Child("apiGroup"), ref.APIGroup, []string{rbacv1.GroupName}))
	}
	kinds := []string{"ClusterRole"}
	if namespaced {
		kinds = []string{"Role", "ClusterRole"}
	}
	if ref.Kind != "ClusterRole" && (!namespaced || ref.Kind != "Role") {
		allErrs = append(allErrs, field.NotSupported(refPath.Child("kind"), ref.Kind, kinds))
	}
	if ref.Name == "" {
		allErrs = append(allErrs, field.Required(refPath.Child("name"), ""))
	} else {
		allErrs = append(allErrs, core.ValidateNameFunc(nameIsPathSegment, ref.Name, refPath.Child("name"))...)
	}
	for i, s := range subjects {
		allErrs = append(allErrs, validateSubject(s, namespaced, field.NewPath("subjects").Index(i))...)
	}
	return allErrs
}

func validateSubject(s rbacv1.Subject, namespaced bool, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if s.Name == "" {
		allErrs = append(allErrs, field.Required(p.Child("name"), ""))
	}
	switch s.Kind {
	case rbacv1.ServiceAccountKind:
		if s.Name != "" {
			allErrs = append(allErrs, core.ValidateNameFunc(apimachineryvalidation.ValidateServiceAccountName, s.Name, p.Child("name"))...)
		}
		if s.APIGroup != "" {
			allErrs = append(allErrs, field.NotSupported(p.Child("apiGroup"), s.APIGroup, []string{""}))
		}
		// A cluster-wide binding cannot default the namespace from itself.
		if !namespaced && s.Namespace == "" {
			allErrs = append(allErrs, field.Required(p.Child("namespace"), ""))
		}
	case rbacv1.UserKind, rbacv1.GroupKind:
		if s.APIGroup != rbacv1.GroupName {
			allErrs = append(allErrs, field.NotSupported(p.Child("apiGroup"), s.APIGroup, []string{rbacv1.GroupName}))
		}
	default:
		allErrs = append(allErrs, field.NotSupported(p.Child("kind"), s.Kind, []string{rbacv1.ServiceAccountKind, rbacv1.UserKind, rbacv1.GroupKind}))
	}
	return allErrs
}
