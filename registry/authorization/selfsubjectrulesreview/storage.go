package selfsubjectrulesreview

import (
	"context"

	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"

	"github.com/kubeshim/kubeshim/registry/authorization/review"
)

// NewStorage returns the selfsubjectrulesreviews storage, answering with
// rules.
func NewStorage(rules authorizer.RuleResolver) *review.Storage[*authorizationv1.SelfSubjectRulesReview] {
	return review.New(review.Definition[*authorizationv1.SelfSubjectRulesReview]{
		Kind:     authorizationv1.SchemeGroupVersion.WithKind("SelfSubjectRulesReview").GroupKind(),
		Singular: "selfsubjectrulesreview",
		New:      func() *authorizationv1.SelfSubjectRulesReview { return &authorizationv1.SelfSubjectRulesReview{} },
		Check: func(_ context.Context, srr *authorizationv1.SelfSubjectRulesReview) error {
			if srr.Spec.Namespace == "" {
				return apierrors.NewBadRequest("no namespace on request")
			}
			return nil
		},
		Answer: func(ctx context.Context, srr *authorizationv1.SelfSubjectRulesReview) (runtime.Object, error) {
			u, err := review.User(ctx)
			if err != nil {
				return nil, err
			}
			return answer(ctx, rules, u, srr.Spec.Namespace), nil
		},
	})
}

// answer is a new review holding only the status, as upstream's: the spec is
// not echoed back.
func answer(ctx context.Context, rules authorizer.RuleResolver, u user.Info, namespace string) *authorizationv1.SelfSubjectRulesReview {
	resourceInfos, nonResourceInfos, incomplete, err := rules.RulesFor(ctx, u, namespace)
	status := authorizationv1.SubjectRulesReviewStatus{
		ResourceRules:    make([]authorizationv1.ResourceRule, len(resourceInfos)),
		NonResourceRules: make([]authorizationv1.NonResourceRule, len(nonResourceInfos)),
		Incomplete:       incomplete,
	}
	for i, r := range resourceInfos {
		status.ResourceRules[i] = authorizationv1.ResourceRule{
			Verbs:         r.GetVerbs(),
			APIGroups:     r.GetAPIGroups(),
			Resources:     r.GetResources(),
			ResourceNames: r.GetResourceNames(),
		}
	}
	for i, r := range nonResourceInfos {
		status.NonResourceRules[i] = authorizationv1.NonResourceRule{
			Verbs:           r.GetVerbs(),
			NonResourceURLs: r.GetNonResourceURLs(),
		}
	}
	if err != nil {
		status.EvaluationError = err.Error()
	}
	return &authorizationv1.SelfSubjectRulesReview{Status: status}
}
