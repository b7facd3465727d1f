package certificates

import (
	"testing"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/apis/internal/fielderrors"
	"github.com/kubeshim/kubeshim/test/certs"
)

func TestValidateCertificateSigningRequest(t *testing.T) {
	request := certs.RequestPEM(t, certs.NewKey(t), "alice")
	valid := func() *certificatesv1.CertificateSigningRequest {
		return &certificatesv1.CertificateSigningRequest{
			ObjectMeta: metav1.ObjectMeta{Name: "alice", ResourceVersion: "1"},
			Spec: certificatesv1.CertificateSigningRequestSpec{
				Request:    request,
				SignerName: certificatesv1.KubeAPIServerClientSignerName,
				Usages:     []certificatesv1.KeyUsage{certificatesv1.UsageClientAuth},
			},
		}
	}
	cases := []struct {
		name   string
		mutate func(*certificatesv1.CertificateSigningRequest)
		want   []string
	}{
		{name: "valid", mutate: func(*certificatesv1.CertificateSigningRequest) {}},
		{
			name: "bad request, usages and signer",
			mutate: func(c *certificatesv1.CertificateSigningRequest) {
				c.Spec.Request = []byte("x")
				c.Spec.Usages = []certificatesv1.KeyUsage{"teleport", certificatesv1.UsageClientAuth, certificatesv1.UsageClientAuth}
				c.Spec.SignerName = "example"
				c.Spec.ExpirationSeconds = ptr.To[int32](60)
			},
			want: []string{
				`spec.request: Invalid value: "eA==": PEM block type must be CERTIFICATE REQUEST`,
				`spec.usages[0]: Unsupported value: "teleport": supported values: "any", "cert sign", "client auth", "code signing", "content commitment", "crl sign", "data encipherment", "decipher only", "digital signature", "email protection", "encipher only", "ipsec end system", "ipsec tunnel", "ipsec user", "key agreement", "key encipherment", "microsoft sgc", "netscape sgc", "ocsp signing", "s/mime", "server auth", "signing", "timestamping"`,
				`spec.usages[2]: Duplicate value: "client auth"`,
				`spec.signerName: Invalid value: "example": must be a fully qualified domain and path of the form 'example.com/signer-name'`,
				`spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 600 seconds (10 minutes)`,
			},
		},
		{
			name: "approved and denied",
			mutate: func(c *certificatesv1.CertificateSigningRequest) {
				c.Status.Conditions = []certificatesv1.CertificateSigningRequestCondition{
					{Type: certificatesv1.CertificateApproved, Status: corev1.ConditionTrue},
					{Type: certificatesv1.CertificateDenied, Status: corev1.ConditionFalse},
				}
			},
			want: []string{
				`status.conditions[1].status: Unsupported value: "False": supported values: "True"`,
				`status.conditions: Invalid value: "Denied": Approved and Denied conditions are mutually exclusive`,
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := valid()
			tc.mutate(c)
			fielderrors.Want(t, tc.want, ValidateCertificateSigningRequest(c))
		})
	}

	approved := []certificatesv1.CertificateSigningRequestCondition{{Type: certificatesv1.CertificateApproved, Status: corev1.ConditionTrue}}
	t.Run("approval only through its subresource", func(t *testing.T) {
		old, c := valid(), valid()
		c.Status.Conditions = approved
		fielderrors.Want(t, []string{`status.conditions: Forbidden: updates may not add a condition of type "Approved"`}, ValidateCertificateSigningRequestUpdate(c, old))
		fielderrors.Want(t, nil, ValidateCertificateSigningRequestApprovalUpdate(c, old))
	})
	t.Run("certificate only through status", func(t *testing.T) {
		old, c := valid(), valid()
		c.Status.Certificate = []byte("junk")
		fielderrors.Want(t, []string{
			`status.certificate: Invalid value: "<certificate data>": must contain at least one CERTIFICATE PEM block`,
			`status.certificate: Forbidden: updates may not set certificate content`,
		}, ValidateCertificateSigningRequestUpdate(c, old))
	})
}
