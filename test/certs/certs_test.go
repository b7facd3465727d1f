package certs

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func parseCert(t *testing.T, s string) *x509.Certificate {
	t.Helper()
	block, rest := pem.Decode([]byte(s))
	if block == nil || block.Type != "CERTIFICATE" || len(rest) != 0 {
		t.Fatalf("not one CERTIFICATE block: %q", s)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// selfSigned tells whether cert's own key made its signature. Unlike
// CheckSignatureFrom(cert), it does not ask cert to be a CA.
func selfSigned(cert *x509.Certificate) bool {
	return cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature) == nil
}

// TestCertificates: each certificate is for the key, name, CA-ness and
// validity asked for, since the tests built on them check exactly those.
func TestCertificates(t *testing.T) {
	key, signer := NewKey(t), NewKey(t)
	start := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	type summary struct {
		CN                     string
		IsCA, BasicConstraints bool
		CertSign               bool
		NotBefore, NotAfter    time.Time
		ForKey, SelfSigned     bool
	}
	for _, tc := range []struct {
		name string
		pem  string
		want summary
	}{
		{name: "self-signed leaf", pem: SelfSignedPEM(t, key, Cert{CommonName: "pod", NotBefore: start, Lifetime: 30 * time.Minute}),
			want: summary{CN: "pod", NotBefore: start, NotAfter: start.Add(30 * time.Minute), ForKey: true, SelfSigned: true}},
		{name: "self-signed CA", pem: SelfSignedPEM(t, key, Cert{CommonName: "root", CA: true, NotBefore: start, Lifetime: time.Hour}),
			want: summary{CN: "root", IsCA: true, BasicConstraints: true, CertSign: true, NotBefore: start, NotAfter: start.Add(time.Hour), ForKey: true, SelfSigned: true}},
		{name: "issued by another key", pem: IssuePEM(t, Cert{CommonName: "web", NotBefore: start, Lifetime: time.Hour}, key.Public(), signer),
			want: summary{CN: "web", NotBefore: start, NotAfter: start.Add(time.Hour), ForKey: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cert := parseCert(t, tc.pem)
			got := summary{
				CN: cert.Subject.CommonName, IsCA: cert.IsCA, BasicConstraints: cert.BasicConstraintsValid,
				CertSign: cert.KeyUsage&x509.KeyUsageCertSign != 0, NotBefore: cert.NotBefore, NotAfter: cert.NotAfter,
				ForKey: key.PublicKey.Equal(cert.PublicKey), SelfSigned: selfSigned(cert),
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("certificate (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDefaults: a zero NotBefore is now and a zero Lifetime an hour, which
// CAPEM relies on; two CAs never share a key or a serial.
func TestDefaults(t *testing.T) {
	before := time.Now().Truncate(time.Second)
	a, b := parseCert(t, CAPEM(t, "a")), parseCert(t, CAPEM(t, "b"))
	after := time.Now()
	if a.NotBefore.Before(before) || a.NotBefore.After(after) {
		t.Errorf("NotBefore = %v, want between %v and %v", a.NotBefore, before, after)
	}
	if got := a.NotAfter.Sub(a.NotBefore); got != time.Hour {
		t.Errorf("lifetime = %v, want 1h", got)
	}
	if !a.IsCA || !selfSigned(a) {
		t.Errorf("CAPEM: IsCA = %v, self-signed = %v; want a self-signed CA", a.IsCA, selfSigned(a))
	}
	if a.SerialNumber.Cmp(b.SerialNumber) == 0 || a.PublicKey.(*ecdsa.PublicKey).Equal(b.PublicKey) {
		t.Errorf("two CAs share a serial (%v) or a key", a.SerialNumber)
	}
}

func TestRequests(t *testing.T) {
	key := NewKey(t)
	for _, cn := range []string{"", "alice"} {
		t.Run("cn="+cn, func(t *testing.T) {
			block, _ := pem.Decode(RequestPEM(t, key, cn))
			if block == nil || block.Type != "CERTIFICATE REQUEST" {
				t.Fatalf("RequestPEM: not a CERTIFICATE REQUEST block")
			}
			for name, der := range map[string][]byte{"RequestDER": RequestDER(t, key, cn), "RequestPEM": block.Bytes} {
				req, err := x509.ParseCertificateRequest(der)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if err := req.CheckSignature(); err != nil {
					t.Errorf("%s: signature: %v", name, err)
				}
				if req.Subject.CommonName != cn || !key.PublicKey.Equal(req.PublicKey) {
					t.Errorf("%s: subject %q for key %v, want %q for the given key", name, req.Subject.CommonName, req.PublicKey, cn)
				}
			}
		})
	}
}
