package review

import (
	"fmt"

	authorizationv1 "k8s.io/api/authorization/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidateSubjectAccessReviewSpec checks the spec of a SubjectAccessReview
// or LocalSubjectAccessReview: what to check, and for whom.
func ValidateSubjectAccessReviewSpec(spec authorizationv1.SubjectAccessReviewSpec, fldPath *field.Path) field.ErrorList {
	errs := validateAttributes(spec.ResourceAttributes, spec.NonResourceAttributes, fldPath)
	if spec.User == "" && len(spec.Groups) == 0 {
		errs = append(errs, field.Invalid(fldPath.Child("user"), spec.User, "at least one of user or group must be specified"))
	}
	return append(errs, validateResourceAttributes(spec.ResourceAttributes, fldPath.Child("resourceAttributes"))...)
}

// ValidateSelfSubjectAccessReviewSpec checks the spec of a
// SelfSubjectAccessReview, whose subject is the requester.
func ValidateSelfSubjectAccessReviewSpec(spec authorizationv1.SelfSubjectAccessReviewSpec, fldPath *field.Path) field.ErrorList {
	errs := validateAttributes(spec.ResourceAttributes, spec.NonResourceAttributes, fldPath)
	return append(errs, validateResourceAttributes(spec.ResourceAttributes, fldPath.Child("resourceAttributes"))...)
}

// ValidateEmptyMeta checks that a review's metadata is empty but for the
// managed fields a client may send and, for a namespaced review, the
// namespace: reviews are not stored, so nothing else there would mean
// anything.
func ValidateEmptyMeta(meta metav1.ObjectMeta, namespaced bool) field.ErrorList {
	m := meta
	m.ManagedFields = nil
	msg := "must be empty"
	if namespaced {
		m.Namespace = ""
		msg = "must be empty except for namespace"
	}
	if apiequality.Semantic.DeepEqual(metav1.ObjectMeta{}, m) {
		return nil
	}
	return field.ErrorList{field.Invalid(field.NewPath("metadata"), meta, msg)}
}

func validateAttributes(res *authorizationv1.ResourceAttributes, nonRes *authorizationv1.NonResourceAttributes, fldPath *field.Path) field.ErrorList {
	if (res == nil) == (nonRes == nil) {
		return field.ErrorList{field.Invalid(fldPath, nonRes, "exactly one of nonResourceAttributes or resourceAttributes must be specified")}
	}
	return nil
}

func validateResourceAttributes(res *authorizationv1.ResourceAttributes, fldPath *field.Path) field.ErrorList {
	if res == nil {
		return nil
	}
	var errs field.ErrorList
	// Unknown operators are allowed, so that a newer client's review is still
	// answered, on the requirements this server understands.
	if s := res.FieldSelector; s != nil {
		p := fldPath.Child("fieldSelector")
		errs = append(errs, validateSelector(s.RawSelector, len(s.Requirements), p)...)
		opts := metav1validation.FieldSelectorValidationOptions{AllowUnknownOperatorInRequirement: true}
		for i, r := range s.Requirements {
			errs = append(errs, metav1validation.ValidateFieldSelectorRequirement(r, opts, p.Child("requirements").Index(i))...)
		}
	}
	if s := res.LabelSelector; s != nil {
		p := fldPath.Child("labelSelector")
		errs = append(errs, validateSelector(s.RawSelector, len(s.Requirements), p)...)
		opts := metav1validation.LabelSelectorValidationOptions{AllowUnknownOperatorInRequirement: true}
		for i, r := range s.Requirements {
			errs = append(errs, metav1validation.ValidateLabelSelectorRequirement(r, opts, p.Child("requirements").Index(i))...)
		}
	}
	return errs
}

// validateSelector checks that a selector is given either raw or as
// requirements.
func validateSelector(raw string, requirements int, fldPath *field.Path) field.ErrorList {
	switch {
	case raw != "" && requirements > 0:
		return field.ErrorList{field.Invalid(fldPath.Child("rawSelector"), raw, "may not specified at the same time as requirements")}
	case raw == "" && requirements == 0:
		return field.ErrorList{field.Required(fldPath.Child("requirements"), fmt.Sprintf("when %s is specified, requirements or rawSelector is required", fldPath))}
	}
	return nil
}
