package certificates

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	certificatesv1 "k8s.io/api/certificates/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
)

func TestSetObjectDefaultsPodCertificateRequest(t *testing.T) {
	tests := []struct {
		name string
		in   *int32
		want *int32
	}{
		{name: "a day", in: nil, want: ptr.To[int32](86400)},
		{name: "set value is kept", in: ptr.To[int32](3600), want: ptr.To[int32](3600)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := &certificatesv1.PodCertificateRequest{Spec: certificatesv1.PodCertificateRequestSpec{MaxExpirationSeconds: tt.in}}
			SetObjectDefaultsPodCertificateRequest(got)
			if diff := cmp.Diff(tt.want, got.Spec.MaxExpirationSeconds); diff != "" {
				t.Errorf("maxExpirationSeconds mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSchemeDefault(t *testing.T) {
	s := runtime.NewScheme()
	if err := certificatesv1.AddToScheme(s); err != nil {
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
			name: "pod certificate request list",
			in:   &certificatesv1.PodCertificateRequestList{Items: []certificatesv1.PodCertificateRequest{{}}},
			want: &certificatesv1.PodCertificateRequestList{Items: []certificatesv1.PodCertificateRequest{{
				Spec: certificatesv1.PodCertificateRequestSpec{MaxExpirationSeconds: ptr.To[int32](86400)},
			}}},
		},
		{
			name: "certificate signing request has no defaults",
			in:   &certificatesv1.CertificateSigningRequest{},
			want: &certificatesv1.CertificateSigningRequest{},
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
