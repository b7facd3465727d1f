package certificates

import (
	certificatesv1 "k8s.io/api/certificates/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/fieldselector"
)

// Install registers the group's defaulting funcs and field selectors in s.
func Install(s *runtime.Scheme) error {
	if err := addDefaultingFuncs(s); err != nil {
		return err
	}
	return fieldselector.Register(s, certificatesv1.SchemeGroupVersion,
		map[string]fieldselector.Func{"CertificateSigningRequest": CertificateSigningRequestFields})
}

// CertificateSigningRequestFields are the selectable fields of a
// certificate signing request: upstream's, spec.signerName, which signers
// list their requests by.
func CertificateSigningRequestFields(obj runtime.Object) fields.Set {
	return fields.Set{"spec.signerName": obj.(*certificatesv1.CertificateSigningRequest).Spec.SignerName}
}
