package subjectaccessreview

import (
	"context"

	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/authorization/authorizer"

	"github.com/kubeshim/kubeshim/registry/authorization/review"
)

// NewStorage returns the subjectaccessreviews storage, answering with authz.
func NewStorage(authz authorizer.UnconditionalAuthorizer) *review.Storage[*authorizationv1.SubjectAccessReview] {
	return review.New(review.Definition[*authorizationv1.SubjectAccessReview]{
		Kind:     authorizationv1.SchemeGroupVersion.WithKind("SubjectAccessReview").GroupKind(),
		Singular: "subjectaccessreview",
		New:      func() *authorizationv1.SubjectAccessReview { return &authorizationv1.SubjectAccessReview{} },
		Validate: Validate,
		Answer: func(ctx context.Context, sar *authorizationv1.SubjectAccessReview) (runtime.Object, error) {
			sar.Status = review.Decide(ctx, authz, review.SubjectAttributes(sar.Spec))
			return sar, nil
		},
	})
}

// Validate checks a SubjectAccessReview.
func Validate(sar *authorizationv1.SubjectAccessReview) field.ErrorList {
	errs := review.ValidateSubjectAccessReviewSpec(sar.Spec, field.NewPath("spec"))
	return append(errs, review.ValidateEmptyMeta(sar.ObjectMeta, false)...)
}
