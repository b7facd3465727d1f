package authentication

import (
	authenticationv1 "k8s.io/api/authentication/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
)

// addDefaultingFuncs registers upstream's defaults for the v1 kinds, as
// k8s.io/kubernetes v1.37 pkg/apis/authentication/v1 applies them.
// TokenReview and SelfSubjectReview have none.
func addDefaultingFuncs(s *runtime.Scheme) error {
	s.AddTypeDefaultingFunc(&authenticationv1.TokenRequest{}, func(obj any) { SetObjectDefaultsTokenRequest(obj.(*authenticationv1.TokenRequest)) })
	return nil
}

// SetObjectDefaultsTokenRequest asks for an hour-long token unless the
// request says otherwise; the registry may still shorten or extend it.
func SetObjectDefaultsTokenRequest(r *authenticationv1.TokenRequest) {
	if r.Spec.ExpirationSeconds == nil {
		r.Spec.ExpirationSeconds = ptr.To[int64](60 * 60)
	}
}
