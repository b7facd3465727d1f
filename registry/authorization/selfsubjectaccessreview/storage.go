package selfsubjectaccessreview

import (
	"context"

	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/authorization/authorizer"

	"github.com/kubeshim/kubeshim/registry/authorization/review"
)

// NewStorage returns the selfsubjectaccessreviews storage, answering with
// authz.
func NewStorage(authz authorizer.UnconditionalAuthorizer) *review.Storage[*authorizationv1.SelfSubjectAccessReview] {
	return review.New(review.Definition[*authorizationv1.SelfSubjectAccessReview]{
		Kind:     authorizationv1.SchemeGroupVersion.WithKind("SelfSubjectAccessReview").GroupKind(),
		Singular: "selfsubjectaccessreview",
		New:      func() *authorizationv1.SelfSubjectAccessReview { return &authorizationv1.SelfSubjectAccessReview{} },
		Validate: Validate,
		Answer: func(ctx context.Context, sar *authorizationv1.SelfSubjectAccessReview) (runtime.Object, error) {
			u, err := review.User(ctx)
			if err != nil {
				return nil, err
			}
			sar.Status = review.Decide(ctx, authz, review.Attributes(u, sar.Spec.ResourceAttributes, sar.Spec.NonResourceAttributes))
			return sar, nil
		},
	})
}

// Validate checks a SelfSubjectAccessReview.
func Validate(sar *authorizationv1.SelfSubjectAccessReview) field.ErrorList {
	errs := review.ValidateSelfSubjectAccessReviewSpec(sar.Spec, field.NewPath("spec"))
	return append(errs, review.ValidateEmptyMeta(sar.ObjectMeta, false)...)
}
