package csrsigning

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	certutil "k8s.io/client-go/util/cert"
	"k8s.io/utils/ptr"
)

func testCA(t *testing.T) CA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := certutil.NewSelfSignedCACert(certutil.Config{CommonName: "test-ca"}, key)
	if err != nil {
		t.Fatal(err)
	}
	return CA{Cert: cert, Key: key}
}

func request(t *testing.T, cn string, orgs ...string) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := certutil.MakeCSR(key, &pkix.Name{CommonName: cn, Organization: orgs}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestSync(t *testing.T) {
	ca := testCA(t)
	now := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	approved := []certificatesv1.CertificateSigningRequestCondition{{Type: certificatesv1.CertificateApproved, Status: corev1.ConditionTrue}}
	kubeletUsages := []certificatesv1.KeyUsage{certificatesv1.UsageDigitalSignature, certificatesv1.UsageClientAuth}
	tests := []struct {
		name       string
		spec       certificatesv1.CertificateSigningRequestSpec
		conditions []certificatesv1.CertificateSigningRequestCondition
		// wantCN is the signed certificate's subject; wantLifetime its
		// NotAfter-now; wantFailed the Failed condition's message.
		wantCN       string
		wantLifetime time.Duration
		wantFailed   string
	}{
		{
			name:       "approved kubelet client",
			spec:       certificatesv1.CertificateSigningRequestSpec{Request: request(t, "system:node:n1", "system:nodes"), SignerName: certificatesv1.KubeAPIServerClientKubeletSignerName, Usages: kubeletUsages},
			conditions: approved, wantCN: "system:node:n1", wantLifetime: DefaultDuration,
		},
		{
			name: "the requested lifetime, if shorter",
			spec: certificatesv1.CertificateSigningRequestSpec{Request: request(t, "alice"), SignerName: certificatesv1.KubeAPIServerClientSignerName,
				Usages: []certificatesv1.KeyUsage{certificatesv1.UsageClientAuth}, ExpirationSeconds: ptr.To[int32](3600)},
			conditions: approved, wantCN: "alice", wantLifetime: time.Hour,
		},
		{
			name: "not approved yet",
			spec: certificatesv1.CertificateSigningRequestSpec{Request: request(t, "system:node:n1", "system:nodes"), SignerName: certificatesv1.KubeAPIServerClientKubeletSignerName, Usages: kubeletUsages},
		},
		{
			name:       "another signer's",
			spec:       certificatesv1.CertificateSigningRequestSpec{Request: request(t, "x"), SignerName: "example.com/signer", Usages: kubeletUsages},
			conditions: approved,
		},
		{
			name:       "a kubelet client request that is not one",
			spec:       certificatesv1.CertificateSigningRequestSpec{Request: request(t, "alice", "system:masters"), SignerName: certificatesv1.KubeAPIServerClientKubeletSignerName, Usages: kubeletUsages},
			conditions: approved, wantFailed: "subject organization is not system:nodes",
		},
		{
			name: "a server usage for a client signer",
			spec: certificatesv1.CertificateSigningRequestSpec{Request: request(t, "alice"), SignerName: certificatesv1.KubeAPIServerClientSignerName,
				Usages: []certificatesv1.KeyUsage{certificatesv1.UsageClientAuth, certificatesv1.UsageServerAuth}},
			conditions: approved, wantFailed: "invalid usage for client certificate: server auth",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			csr := &certificatesv1.CertificateSigningRequest{ObjectMeta: metav1.ObjectMeta{Name: "r"}, Spec: tt.spec, Status: certificatesv1.CertificateSigningRequestStatus{Conditions: tt.conditions}}
			client := fake.NewClientset(csr)
			f := informers.NewSharedInformerFactory(client, 0)
			c := New(client, ca, 0, f.Certificates().V1().CertificateSigningRequests())
			c.now = func() time.Time { return now }
			if err := f.Certificates().V1().CertificateSigningRequests().Informer().GetIndexer().Add(csr); err != nil {
				t.Fatal(err)
			}
			if _, err := c.sync(context.Background(), "r"); err != nil {
				t.Fatal(err)
			}
			got, err := client.CertificatesV1().CertificateSigningRequests().Get(context.Background(), "r", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			failed := ""
			for _, cond := range got.Status.Conditions {
				if cond.Type == certificatesv1.CertificateFailed {
					failed = cond.Message
				}
			}
			if diff := cmp.Diff(tt.wantFailed, failed); diff != "" {
				t.Errorf("Failed condition (-want +got):\n%s", diff)
			}
			if tt.wantCN == "" {
				if len(got.Status.Certificate) > 0 {
					t.Errorf("signed, want nothing signed")
				}
				return
			}
			block, _ := pem.Decode(got.Status.Certificate)
			if block == nil {
				t.Fatalf("no certificate: %q", got.Status.Certificate)
			}
			cert, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			if err := cert.CheckSignatureFrom(ca.Cert); err != nil {
				t.Errorf("not signed by the CA: %v", err)
			}
			if cert.Subject.CommonName != tt.wantCN || !cert.NotAfter.Equal(now.Add(tt.wantLifetime)) || !cert.NotBefore.Equal(now.Add(-backdate)) {
				t.Errorf("certificate for %q valid %v to %v; want %q, %v to %v", cert.Subject.CommonName, cert.NotBefore, cert.NotAfter, tt.wantCN, now.Add(-backdate), now.Add(tt.wantLifetime))
			}
			if !cmp.Equal(cert.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}) {
				t.Errorf("extended key usages %v, want client auth", cert.ExtKeyUsage)
			}
		})
	}
}
