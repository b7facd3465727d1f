package certificatesigningrequest

import (
	certificatesv1 "k8s.io/api/certificates/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/certificates"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the certificatesigningrequests resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:             certificatesv1.Resource("certificatesigningrequests"),
		Singular:             "certificatesigningrequest",
		NamespaceScoped:      false,
		New:                  func() runtime.Object { return &certificatesv1.CertificateSigningRequest{} },
		NewList:              func() runtime.Object { return &certificatesv1.CertificateSigningRequestList{} },
		ShortNames:           []string{"csr"},
		Status:               true,
		Validate:             resource.Validate(certificates.ValidateCertificateSigningRequest),
		ValidateUpdate:       resource.ValidateUpdate(certificates.ValidateCertificateSigningRequestUpdate),
		ValidateStatusUpdate: resource.ValidateUpdate(certificates.ValidateCertificateSigningRequestStatusUpdate),
	}
}
