package certificates

import (
	certificatesv1 "k8s.io/api/certificates/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
)

// addDefaultingFuncs registers upstream's defaults for the v1 kinds, as
// k8s.io/kubernetes v1.37 pkg/apis/certificates/v1 applies them.
// CertificateSigningRequest has none.
func addDefaultingFuncs(s *runtime.Scheme) error {
	s.AddTypeDefaultingFunc(&certificatesv1.PodCertificateRequest{}, func(obj any) {
		SetObjectDefaultsPodCertificateRequest(obj.(*certificatesv1.PodCertificateRequest))
	})
	s.AddTypeDefaultingFunc(&certificatesv1.PodCertificateRequestList{}, func(obj any) {
		defaultEach(obj.(*certificatesv1.PodCertificateRequestList).Items, SetObjectDefaultsPodCertificateRequest)
	})
	return nil
}

// SetObjectDefaultsPodCertificateRequest caps the certificate's lifetime at
// a day unless the request says otherwise.
func SetObjectDefaultsPodCertificateRequest(r *certificatesv1.PodCertificateRequest) {
	if r.Spec.MaxExpirationSeconds == nil {
		r.Spec.MaxExpirationSeconds = ptr.To[int32](24 * 60 * 60)
	}
}

// defaultEach defaults each item of a list in place.
func defaultEach[T any](items []T, setDefaults func(*T)) {
	for i := range items {
		setDefaults(&items[i])
	}
}
