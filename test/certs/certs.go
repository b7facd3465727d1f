package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"testing"
	"time"
)

// NewKey is a new P-256 key: quick to make, and accepted by every validator
// and signer under test.
func NewKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// RequestDER is a PKCS#10 certificate request for cn, signed by key, in DER:
// the form of a PodCertificateRequest's spec.stubPKCS10Request. An empty cn
// gives an empty subject, as a kubelet's stub request has.
func RequestDER(t testing.TB, key crypto.Signer, cn string) []byte {
	t.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: cn}}, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// RequestPEM is RequestDER in a CERTIFICATE REQUEST PEM block: the form of a
// CertificateSigningRequest's spec.request.
func RequestPEM(t testing.TB, key crypto.Signer, cn string) []byte {
	t.Helper()
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: RequestDER(t, key, cn)})
}

// Cert says which certificate to make.
type Cert struct {
	// CommonName is the subject's, and the issuer's (see Issue).
	CommonName string
	// CA makes a CA certificate (basic constraints CA:TRUE, key usage
	// cert sign); otherwise the certificate has no basic constraints.
	CA bool
	// NotBefore is when the certificate becomes valid; zero means now.
	NotBefore time.Time
	// Lifetime is how long it stays valid from NotBefore; zero means an hour.
	Lifetime time.Duration
}

// IssuePEM is the PEM certificate c describes for pub, signed by signer.
// Its issuer name is its own subject name: the tests check which key a
// certificate is for, and how long it is valid, never a chain to a parent.
func IssuePEM(t testing.TB, c Cert, pub crypto.PublicKey, signer crypto.Signer) string {
	t.Helper()
	notBefore, lifetime := c.NotBefore, c.Lifetime
	if notBefore.IsZero() {
		notBefore = time.Now()
	}
	if lifetime == 0 {
		lifetime = time.Hour
	}
	// A random serial, so that two certificates from one test never share
	// issuer and serial, which a verifier would take for the same one.
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: c.CommonName},
		NotBefore:    notBefore,
		NotAfter:     notBefore.Add(lifetime),
	}
	if c.CA {
		tmpl.IsCA, tmpl.BasicConstraintsValid, tmpl.KeyUsage = true, true, x509.KeyUsageCertSign
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, signer)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// SelfSignedPEM is the PEM certificate c describes for key's public key,
// signed by key.
func SelfSignedPEM(t testing.TB, key crypto.Signer, c Cert) string {
	t.Helper()
	return IssuePEM(t, c, key.Public(), key)
}

// CAPEM is a self-signed CA certificate for cn under a new key, valid from
// now for an hour: a trust anchor for a ClusterTrustBundle.
func CAPEM(t testing.TB, cn string) string {
	t.Helper()
	return SelfSignedPEM(t, NewKey(t), Cert{CommonName: cn, CA: true})
}
