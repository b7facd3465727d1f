package printers

import (
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	certificatesv1beta1 "k8s.io/api/certificates/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/duration"
)

// The columns keep upstream's descriptions, certificates/v1beta1's wording.
var certificateSigningRequests = printer[*certificatesv1.CertificateSigningRequest]{
	header: []metav1.TableColumnDefinition{
		nameColumn,
		ageColumn,
		text("SignerName", certificatesv1beta1.CertificateSigningRequestSpec{}.SwaggerDoc()["signerName"]),
		text("Requestor", certificatesv1beta1.CertificateSigningRequestSpec{}.SwaggerDoc()["request"]),
		text("RequestedDuration", certificatesv1beta1.CertificateSigningRequestSpec{}.SwaggerDoc()["expirationSeconds"]),
		text("Condition", certificatesv1beta1.CertificateSigningRequestStatus{}.SwaggerDoc()["conditions"]),
	},
	cells: func(c clock, csr *certificatesv1.CertificateSigningRequest) []any {
		requested := "<none>"
		if s := csr.Spec.ExpirationSeconds; s != nil {
			requested = duration.HumanDuration(time.Duration(*s) * time.Second)
		}
		return []any{csr.Name, c.since(csr.CreationTimestamp), orNone(csr.Spec.SignerName), csr.Spec.Username,
			requested, csrCondition(csr)}
	},
}

// csrCondition is Denied, Approved or Pending, then Failed and Issued when
// they apply: "Approved,Issued".
func csrCondition(csr *certificatesv1.CertificateSigningRequest) string {
	var approved, denied, failed bool
	for _, c := range csr.Status.Conditions {
		switch c.Type {
		case certificatesv1.CertificateApproved:
			approved = true
		case certificatesv1.CertificateDenied:
			denied = true
		case certificatesv1.CertificateFailed:
			failed = true
		}
	}
	status := "Pending"
	switch {
	case denied:
		status = "Denied"
	case approved:
		status = "Approved"
	}
	if failed {
		status += ",Failed"
	}
	if len(csr.Status.Certificate) > 0 {
		status += ",Issued"
	}
	return status
}

// Upstream prints no age for cluster trust bundles.
var clusterTrustBundles = printer[*certificatesv1.ClusterTrustBundle]{
	header: []metav1.TableColumnDefinition{
		nameColumn,
		text("SignerName", certificatesv1.ClusterTrustBundleSpec{}.SwaggerDoc()["signerName"]),
	},
	cells: func(_ clock, b *certificatesv1.ClusterTrustBundle) []any {
		return []any{b.Name, orNone(b.Spec.SignerName)}
	},
}

var podCertificateRequests = printer[*certificatesv1.PodCertificateRequest]{
	header: []metav1.TableColumnDefinition{
		nameColumn,
		text("PodName", certificatesv1.PodCertificateRequestSpec{}.SwaggerDoc()["podName"]),
		text("ServiceAccountName", certificatesv1.PodCertificateRequestSpec{}.SwaggerDoc()["serviceAccountName"]),
		text("NodeName", certificatesv1.PodCertificateRequestSpec{}.SwaggerDoc()["nodeName"]),
		text("SignerName", certificatesv1.PodCertificateRequestSpec{}.SwaggerDoc()["signerName"]),
		text("State", "Is the request Pending, Issued, Denied, or Failed?"),
		// Upstream fills this cell with -o wide only.
		wide(text("UnverifiedUserAnnotations", certificatesv1.PodCertificateRequestSpec{}.SwaggerDoc()["unverifiedUserAnnotations"])),
	},
	cells: func(_ clock, r *certificatesv1.PodCertificateRequest) []any {
		state := "Pending"
		for _, c := range r.Status.Conditions {
			switch c.Type {
			case certificatesv1.PodCertificateRequestConditionTypeIssued, certificatesv1.PodCertificateRequestConditionTypeDenied, certificatesv1.PodCertificateRequestConditionTypeFailed:
				state = c.Type
			}
		}
		return []any{r.Name, r.Spec.PodName, r.Spec.ServiceAccountName, string(r.Spec.NodeName), r.Spec.SignerName, state,
			labels.FormatLabels(r.Spec.UnverifiedUserAnnotations)}
	},
}
