package tokenreview

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/endpoints/request"
)

// tokens knows one token, "good", for user bob and the audiences it was
// asked about, or for "other-aud" when asked about "misbehave".
type tokens struct{ asked authenticator.Audiences }

func (f *tokens) AuthenticateToken(ctx context.Context, token string) (*authenticator.Response, bool, error) {
	auds, _ := authenticator.AudiencesFrom(ctx)
	f.asked = auds
	switch token {
	case "good":
		if auds.Has("misbehave") {
			auds = authenticator.Audiences{"other-aud"}
		}
		return &authenticator.Response{
			User:      &user.DefaultInfo{Name: "bob", UID: "7", Groups: []string{"system:authenticated"}, Extra: map[string][]string{"k": {"v"}}},
			Audiences: auds,
		}, true, nil
	case "expired":
		return nil, false, errors.New("token has expired")
	}
	return nil, false, nil
}

func TestCreate(t *testing.T) {
	bob := authenticationv1.UserInfo{Username: "bob", UID: "7", Groups: []string{"system:authenticated"}, Extra: map[string]authenticationv1.ExtraValue{"k": {"v"}}}
	cases := []struct {
		name         string
		noAuth       bool
		apiAudiences authenticator.Audiences
		namespace    string
		spec         authenticationv1.TokenReviewSpec
		want         authenticationv1.TokenReviewStatus
		wantAsked    authenticator.Audiences
		wantErr      string
		code         int32
	}{
		{
			name: "authenticated for the API's audiences", apiAudiences: authenticator.Audiences{"api"},
			spec:      authenticationv1.TokenReviewSpec{Token: "good"},
			want:      authenticationv1.TokenReviewStatus{Authenticated: true, User: bob, Audiences: []string{"api"}},
			wantAsked: authenticator.Audiences{"api"},
		},
		{
			name: "authenticated for the review's audiences", apiAudiences: authenticator.Audiences{"api"},
			spec:      authenticationv1.TokenReviewSpec{Token: "good", Audiences: []string{"vault"}},
			want:      authenticationv1.TokenReviewStatus{Authenticated: true, User: bob, Audiences: []string{"vault"}},
			wantAsked: authenticator.Audiences{"vault"},
		},
		{
			name: "unknown token",
			spec: authenticationv1.TokenReviewSpec{Token: "bad"},
			want: authenticationv1.TokenReviewStatus{Error: "invalid bearer token"},
		},
		{
			name: "rejected token",
			spec: authenticationv1.TokenReviewSpec{Token: "expired"},
			want: authenticationv1.TokenReviewStatus{Error: "token has expired"},
		},
		{
			name: "no authenticator", noAuth: true,
			spec: authenticationv1.TokenReviewSpec{Token: "good"},
		},
		{
			name:      "authenticator answers for other audiences",
			spec:      authenticationv1.TokenReviewSpec{Token: "good", Audiences: []string{"misbehave"}},
			wantAsked: authenticator.Audiences{"misbehave"},
			wantErr:   "Internal error occurred: error validating audiences", code: 500,
		},
		{name: "no token", wantErr: "token is required for TokenReview in authentication", code: 400},
		{
			name: "namespaced request", namespace: "web", spec: authenticationv1.TokenReviewSpec{Token: "good"},
			wantErr: "namespace is not allowed on this type: web", code: 400,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake := &tokens{}
			var auth authenticator.Token = fake
			if tc.noAuth {
				auth = nil
			}
			ctx := request.WithNamespace(context.Background(), tc.namespace)
			got, err := NewStorage(auth, tc.apiAudiences).Create(ctx, &authenticationv1.TokenReview{Spec: tc.spec}, nil, &metav1.CreateOptions{})
			var want runtime.Object
			if tc.wantErr != "" {
				var status apierrors.APIStatus
				if err == nil || err.Error() != tc.wantErr || !errors.As(err, &status) || status.Status().Code != tc.code {
					t.Fatalf("Create() error = %v, want %d %q", err, tc.code, tc.wantErr)
				}
			} else {
				if err != nil {
					t.Fatalf("Create() error = %v", err)
				}
				want = &authenticationv1.TokenReview{Spec: tc.spec, Status: tc.want}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Create() mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantAsked, fake.asked); diff != "" {
				t.Errorf("audiences asked about (-want +got):\n%s", diff)
			}
		})
	}
}
