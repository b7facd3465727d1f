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
		map[string]fieldselector.Func{
			"CertificateSigningRequest": CertificateSigningRequestFields,
			"ClusterTrustBundle":        ClusterTrustBundleFields,
			"PodCertificateRequest":     PodCertificateRequestFields,
		})
}

// CertificateSigningRequestFields are the selectable fields of a
// certificate signing request: upstream's, spec.signerName, which signers
// list their requests by.
func CertificateSigningRequestFields(obj runtime.Object) fields.Set {
	return fields.Set{"spec.signerName": obj.(*certificatesv1.CertificateSigningRequest).Spec.SignerName}
}

// ClusterTrustBundleFields are the selectable fields of a cluster trust
// bundle: spec.signerName, which the node agent lists a signer's bundles by.
func ClusterTrustBundleFields(obj runtime.Object) fields.Set {
	return fields.Set{"spec.signerName": obj.(*certificatesv1.ClusterTrustBundle).Spec.SignerName}
}

// PodCertificateRequestFields are the selectable fields of a pod
// certificate request: upstream's signer, pod and node names.
func PodCertificateRequestFields(obj runtime.Object) fields.Set {
	s := obj.(*certificatesv1.PodCertificateRequest).Spec
	return fields.Set{"spec.signerName": s.SignerName, "spec.podName": s.PodName, "spec.nodeName": string(s.NodeName)}
}
