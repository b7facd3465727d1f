package localsubjectaccessreview

import (
	"context"
	"fmt"

	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/endpoints/request"

	"github.com/kubeshim/kubeshim/registry/authorization/review"
)

// NewStorage returns the localsubjectaccessreviews storage, answering with
// authz.
func NewStorage(authz authorizer.UnconditionalAuthorizer) *review.Storage[*authorizationv1.LocalSubjectAccessReview] {
	return review.New(review.Definition[*authorizationv1.LocalSubjectAccessReview]{
		Kind:       authorizationv1.SchemeGroupVersion.WithKind("LocalSubjectAccessReview").GroupKind(),
		Singular:   "localsubjectaccessreview",
		Namespaced: true,
		New:        func() *authorizationv1.LocalSubjectAccessReview { return &authorizationv1.LocalSubjectAccessReview{} },
		Validate:   Validate,
		Check:      checkNamespace,
		Answer: func(ctx context.Context, sar *authorizationv1.LocalSubjectAccessReview) (runtime.Object, error) {
			sar.Status = review.Decide(ctx, authz, review.SubjectAttributes(sar.Spec))
			return sar, nil
		},
	})
}

// Validate checks a LocalSubjectAccessReview: a resource request in the
// review's own namespace.
func Validate(sar *authorizationv1.LocalSubjectAccessReview) field.ErrorList {
	errs := review.ValidateSubjectAccessReviewSpec(sar.Spec, field.NewPath("spec"))
	errs = append(errs, review.ValidateEmptyMeta(sar.ObjectMeta, true)...)
	if res := sar.Spec.ResourceAttributes; res != nil && res.Namespace != sar.Namespace {
		errs = append(errs, field.Invalid(field.NewPath("spec", "resourceAttributes", "namespace"), res.Namespace, "must match metadata.namespace"))
	}
	if sar.Spec.NonResourceAttributes != nil {
		errs = append(errs, field.Invalid(field.NewPath("spec", "nonResourceAttributes"), sar.Spec.NonResourceAttributes, "disallowed on this kind of request"))
	}
	return errs
}

// checkNamespace makes sure the review is in the namespace of the request,
// the one permission to create it was checked in.
func checkNamespace(ctx context.Context, sar *authorizationv1.LocalSubjectAccessReview) error {
	ns := request.NamespaceValue(ctx)
	if ns == "" {
		return apierrors.NewBadRequest(fmt.Sprintf("namespace is required on this type: %v", ns))
	}
	if ns != sar.Namespace {
		return apierrors.NewBadRequest(fmt.Sprintf("spec.resourceAttributes.namespace must match namespace: %v", ns))
	}
	return nil
}
