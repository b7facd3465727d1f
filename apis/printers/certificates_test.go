package printers

import (
	"testing"

	certificatesv1 "k8s.io/api/certificates/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
)

func TestCertificateSigningRequests(t *testing.T) {
	csr := func(status certificatesv1.CertificateSigningRequestStatus) *certificatesv1.CertificateSigningRequest {
		return &certificatesv1.CertificateSigningRequest{ObjectMeta: objectMeta("csr-1"),
			Spec: certificatesv1.CertificateSigningRequestSpec{SignerName: "kubernetes.io/kube-apiserver-client-kubelet",
				Username: "system:node:node-1", ExpirationSeconds: ptr.To[int32](86400)},
			Status: status}
	}
	conditions := func(types ...certificatesv1.RequestConditionType) []certificatesv1.CertificateSigningRequestCondition {
		var cs []certificatesv1.CertificateSigningRequestCondition
		for _, t := range types {
			cs = append(cs, certificatesv1.CertificateSigningRequestCondition{Type: t})
		}
		return cs
	}
	row := func(condition string) []any {
		return []any{"csr-1", "3h", "kubernetes.io/kube-apiserver-client-kubelet", "system:node:node-1", "24h", condition}
	}
	testRows(t, schema.GroupResource{Group: "certificates.k8s.io", Resource: "certificatesigningrequests"},
		[]string{"Name", "Age", "SignerName", "Requestor", "RequestedDuration", "Condition"},
		[]rowCase{
			{name: "pending", obj: csr(certificatesv1.CertificateSigningRequestStatus{}), row: row("Pending")},
			{
				name: "approved and issued",
				obj: csr(certificatesv1.CertificateSigningRequestStatus{
					Conditions: conditions(certificatesv1.CertificateApproved), Certificate: []byte("pem")}),
				row: row("Approved,Issued"),
			},
			{
				name: "denied wins over approved",
				obj: csr(certificatesv1.CertificateSigningRequestStatus{
					Conditions: conditions(certificatesv1.CertificateApproved, certificatesv1.CertificateDenied)}),
				row: row("Denied"),
			},
			{
				name: "approved then failed",
				obj: csr(certificatesv1.CertificateSigningRequestStatus{
					Conditions: conditions(certificatesv1.CertificateApproved, certificatesv1.CertificateFailed)}),
				row: row("Approved,Failed"),
			},
			{
				name: "no signer or duration",
				obj:  &certificatesv1.CertificateSigningRequest{ObjectMeta: objectMeta("csr-2")},
				row:  []any{"csr-2", "3h", "<none>", "", "<none>", "Pending"},
			},
		})
}

func TestClusterTrustBundles(t *testing.T) {
	testRows(t, schema.GroupResource{Group: "certificates.k8s.io", Resource: "clustertrustbundles"},
		[]string{"Name", "SignerName"},
		[]rowCase{
			{
				name: "by signer",
				obj: &certificatesv1.ClusterTrustBundle{ObjectMeta: objectMeta("example.com:signer:a"),
					Spec: certificatesv1.ClusterTrustBundleSpec{SignerName: "example.com/signer"}},
				row: []any{"example.com:signer:a", "example.com/signer"},
			},
			{
				name: "standalone",
				obj:  &certificatesv1.ClusterTrustBundle{ObjectMeta: objectMeta("roots")},
				row:  []any{"roots", "<none>"},
			},
		})
}

func TestPodCertificateRequests(t *testing.T) {
	pcr := func(conds ...string) *certificatesv1.PodCertificateRequest {
		r := &certificatesv1.PodCertificateRequest{ObjectMeta: objectMeta("pcr-1"), Spec: certificatesv1.PodCertificateRequestSpec{
			PodName: "web", ServiceAccountName: "default", NodeName: "node-1", SignerName: "example.com/signer",
			UnverifiedUserAnnotations: map[string]string{"example.com/a": "b"},
		}}
		for _, c := range conds {
			r.Status.Conditions = append(r.Status.Conditions, metav1.Condition{Type: c, Status: metav1.ConditionTrue})
		}
		return r
	}
	row := func(state string) []any {
		return []any{"pcr-1", "web", "default", "node-1", "example.com/signer", state, "example.com/a=b"}
	}
	testRows(t, schema.GroupResource{Group: "certificates.k8s.io", Resource: "podcertificaterequests"},
		[]string{"Name", "PodName", "ServiceAccountName", "NodeName", "SignerName", "State", "UnverifiedUserAnnotations (wide)"},
		[]rowCase{
			{name: "pending", obj: pcr(), row: row("Pending")},
			{name: "issued", obj: pcr(certificatesv1.PodCertificateRequestConditionTypeIssued), row: row("Issued")},
			{name: "denied", obj: pcr(certificatesv1.PodCertificateRequestConditionTypeDenied), row: row("Denied")},
		})
}
