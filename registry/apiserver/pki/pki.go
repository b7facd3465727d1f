package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"

	certutil "k8s.io/client-go/util/cert"
	"k8s.io/client-go/util/keyutil"
)

// CA is a certificate authority whose key is on disk.
type CA struct {
	Cert     *x509.Certificate
	Key      crypto.Signer
	CertFile string
}

// Validity of issued certificates. Ten years, because a kubeshim cluster has
// no rotation yet (docs/differences.md).
const Validity = 10 * 365 * 24 * time.Hour

// LoadOrCreateCA loads <dir>/<name>.crt and .key, or creates them.
func LoadOrCreateCA(dir, name, commonName string) (*CA, error) {
	certFile, keyFile := filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	if cert, key, err := load(certFile, keyFile); err == nil {
		return &CA{Cert: cert, Key: key, CertFile: certFile}, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate CA key: %w", err)
	}
	cert, err := certutil.NewSelfSignedCACert(certutil.Config{CommonName: commonName}, key)
	if err != nil {
		return nil, fmt.Errorf("create CA certificate: %w", err)
	}
	if err := write(certFile, keyFile, cert, key); err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: key, CertFile: certFile}, nil
}

// LoadCA loads <dir>/<name>.crt and .key, which must exist.
func LoadCA(dir, name string) (*CA, error) {
	certFile, keyFile := filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	cert, key, err := load(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("load CA: %w", err)
	}
	return &CA{Cert: cert, Key: key, CertFile: certFile}, nil
}

// Request is what an issued certificate says.
type Request struct {
	CommonName   string
	Organization []string
	DNSNames     []string
	IPs          []net.IP
	Usages       []x509.ExtKeyUsage
}

// Issue writes <dir>/<name>.crt and .key signed by the CA, unless files that
// the CA signed for the same request exist already. It returns the paths.
func (ca *CA) Issue(dir, name string, req Request) (certFile, keyFile string, err error) {
	certFile, keyFile = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	if cert, _, err := load(certFile, keyFile); err == nil && ca.issued(cert, req) {
		return certFile, keyFile, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", fmt.Errorf("generate key for %s: %w", name, err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return "", "", fmt.Errorf("serial for %s: %w", name, err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: req.CommonName, Organization: req.Organization},
		DNSNames:     req.DNSNames,
		IPAddresses:  req.IPs,
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(Validity),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  req.Usages,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return "", "", fmt.Errorf("sign certificate for %s: %w", name, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return "", "", fmt.Errorf("parse certificate for %s: %w", name, err)
	}
	return certFile, keyFile, write(certFile, keyFile, cert, key)
}

// issued reports whether cert is this CA's answer to req and still valid.
func (ca *CA) issued(cert *x509.Certificate, req Request) bool {
	if cert.CheckSignatureFrom(ca.Cert) != nil || time.Now().After(cert.NotAfter.Add(-24*time.Hour)) {
		return false
	}
	if cert.Subject.CommonName != req.CommonName || !slices.Equal(cert.Subject.Organization, req.Organization) {
		return false
	}
	for _, dns := range req.DNSNames {
		if !slices.Contains(cert.DNSNames, dns) {
			return false
		}
	}
	for _, ip := range req.IPs {
		if !slices.ContainsFunc(cert.IPAddresses, ip.Equal) {
			return false
		}
	}
	return true
}

// LoadOrCreateKey loads or creates a private key (service-account token
// signing) at path. Its public half is derived from it when needed (the
// JWKS endpoint), not written to disk.
func LoadOrCreateKey(path string) (crypto.Signer, error) {
	data, _, err := keyutil.LoadOrGenerateKeyFile(path)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", path, err)
	}
	parsed, err := keyutil.ParsePrivateKeyPEM(data)
	if err != nil {
		return nil, fmt.Errorf("parse key %s: %w", path, err)
	}
	signer, ok := parsed.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("key %s: not a signing key", path)
	}
	return signer, nil
}

func load(certFile, keyFile string) (*x509.Certificate, crypto.Signer, error) {
	certs, err := certutil.CertsFromFile(certFile)
	if err != nil {
		if _, statErr := os.Stat(certFile); errors.Is(statErr, os.ErrNotExist) {
			return nil, nil, statErr
		}
		return nil, nil, fmt.Errorf("read %s: %w", certFile, err)
	}
	parsed, err := keyutil.PrivateKeyFromFile(keyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", keyFile, err)
	}
	key, ok := parsed.(crypto.Signer)
	if !ok {
		return nil, nil, fmt.Errorf("%s: not a signing key", keyFile)
	}
	return certs[0], key, nil
}

func write(certFile, keyFile string, cert *x509.Certificate, key crypto.Signer) error {
	keyPEM, err := keyutil.MarshalPrivateKeyToPEM(key)
	if err != nil {
		return fmt.Errorf("encode key %s: %w", keyFile, err)
	}
	if err := os.MkdirAll(filepath.Dir(certFile), 0o700); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(certFile), err)
	}
	if err := keyutil.WriteKey(keyFile, keyPEM); err != nil {
		return fmt.Errorf("write %s: %w", keyFile, err)
	}
	if err := certutil.WriteCert(certFile, EncodeCert(cert)); err != nil {
		return fmt.Errorf("write %s: %w", certFile, err)
	}
	return nil
}

// EncodeCert returns the PEM encoding of cert.
func EncodeCert(cert *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
}
