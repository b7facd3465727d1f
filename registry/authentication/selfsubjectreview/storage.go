package selfsubjectreview

import (
	"context"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/clock"

	"github.com/kubeshim/kubeshim/registry/authorization/review"
)

// NewStorage returns the selfsubjectreviews storage; clk stamps the
// answers' creationTimestamp, as upstream's are stamped.
func NewStorage(clk clock.PassiveClock) *review.Storage[*authenticationv1.SelfSubjectReview] {
	return review.New(review.Definition[*authenticationv1.SelfSubjectReview]{
		Kind:     authenticationv1.SchemeGroupVersion.WithKind("SelfSubjectReview").GroupKind(),
		Singular: "selfsubjectreview",
		New:      func() *authenticationv1.SelfSubjectReview { return &authenticationv1.SelfSubjectReview{} },
		Answer: func(ctx context.Context, _ *authenticationv1.SelfSubjectReview) (runtime.Object, error) {
			u, err := review.User(ctx)
			if err != nil {
				return nil, err
			}
			return &authenticationv1.SelfSubjectReview{
				ObjectMeta: metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(clk.Now())},
				Status:     authenticationv1.SelfSubjectReviewStatus{UserInfo: review.UserInfo(u)},
			}, nil
		},
	})
}
