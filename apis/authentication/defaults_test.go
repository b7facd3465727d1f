package authentication

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	authenticationv1 "k8s.io/api/authentication/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
)

func TestSetObjectDefaultsTokenRequest(t *testing.T) {
	tests := []struct {
		name string
		in   *int64
		want *int64
	}{
		{name: "an hour", in: nil, want: ptr.To[int64](3600)},
		{name: "set value is kept", in: ptr.To[int64](600), want: ptr.To[int64](600)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: tt.in}}
			SetObjectDefaultsTokenRequest(got)
			if diff := cmp.Diff(tt.want, got.Spec.ExpirationSeconds); diff != "" {
				t.Errorf("expirationSeconds mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSchemeDefault(t *testing.T) {
	s := runtime.NewScheme()
	if err := authenticationv1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := Install(s); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   runtime.Object
		want runtime.Object
	}{
		{
			name: "token request",
			in:   &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{Audiences: []string{"api"}}},
			want: &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
				Audiences: []string{"api"}, ExpirationSeconds: ptr.To[int64](3600),
			}},
		},
		{
			name: "token review has no defaults",
			in:   &authenticationv1.TokenReview{},
			want: &authenticationv1.TokenReview{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.in.DeepCopyObject()
			s.Default(got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Default() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
