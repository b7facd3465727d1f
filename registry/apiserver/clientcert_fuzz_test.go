package apiserver

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"k8s.io/apiserver/pkg/server/dynamiccertificates"
	certutil "k8s.io/client-go/util/cert"

	"github.com/kubeshim/kubeshim/registry/apiserver/pki"
)

// FuzzClientCertificate checks that the server's client certificate
// authenticator accepts nothing but the certificate the cluster CA signed,
// whatever the peer presents as its chain, and that no input panics. A
// certificate the TLS layer cannot parse never reaches the authenticator, so
// neither does one here.
//
//	go test ./registry/apiserver -run '^$' -fuzz FuzzClientCertificate -fuzztime 60s
func FuzzClientCertificate(f *testing.F) {
	dir := f.TempDir()
	ca, err := pki.LoadOrCreateCA(dir, "ca", "kubeshim-ca")
	if err != nil {
		f.Fatal(err)
	}
	other, err := pki.LoadOrCreateCA(filepath.Join(dir, "other"), "ca", "kubeshim-ca")
	if err != nil {
		f.Fatal(err)
	}
	readDER := func(file string) []byte {
		cert, err := readCert(file)
		if err != nil {
			f.Fatal(err)
		}
		return cert.Raw
	}
	issue := func(c *pki.CA, name string, usage x509.ExtKeyUsage) []byte {
		certFile, _, err := c.Issue(dir, name, pki.Request{CommonName: "admin", Organization: []string{"system:masters"}, Usages: []x509.ExtKeyUsage{usage}})
		if err != nil {
			f.Fatal(err)
		}
		return readDER(certFile)
	}
	genuine := issue(ca, "admin", x509.ExtKeyUsageClientAuth)
	genuineCert, err := x509.ParseCertificate(genuine)
	if err != nil {
		f.Fatal(err)
	}
	provider, err := dynamiccertificates.NewDynamicCAContentFromFile("client-ca", ca.CertFile)
	if err != nil {
		f.Fatal(err)
	}
	a := clientCertAuthenticator(provider)

	// The genuine certificate, altered; certificates for the same user
	// that must not pass: another CA's, a serving certificate, an expired
	// one, a self-signed one; and the CAs themselves.
	seeds := [][2][]byte{{genuine, nil}}
	for _, i := range []int{0, 1, 4, len(genuine) / 3, len(genuine) / 2, len(genuine) - 70, len(genuine) - 1} {
		b := bytes.Clone(genuine)
		b[i] ^= 0x01
		seeds = append(seeds, [2][]byte{b, nil})
	}
	seeds = append(seeds,
		[2][]byte{genuine[:len(genuine)-1], nil},
		[2][]byte{append(bytes.Clone(genuine), 0), nil},
		[2][]byte{issue(other, "other", x509.ExtKeyUsageClientAuth), other.Cert.Raw},
		[2][]byte{issue(ca, "serving", x509.ExtKeyUsageServerAuth), nil},
		[2][]byte{expired(f, ca), nil},
		[2][]byte{selfSigned(f), nil},
		[2][]byte{ca.Cert.Raw, nil},
		[2][]byte{other.Cert.Raw, ca.Cert.Raw},
		[2][]byte{nil, nil},
	)
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, leaf, chain []byte) {
		cert, err := x509.ParseCertificate(leaf)
		if err != nil {
			return
		}
		peers := []*x509.Certificate{cert}
		if len(chain) > 0 {
			if c, err := x509.ParseCertificate(chain); err == nil {
				peers = append(peers, c)
			}
		}
		req := &http.Request{TLS: &tls.ConnectionState{PeerCertificates: peers}}
		resp, ok, err := a.AuthenticateRequest(req)
		if bytes.Equal(leaf, genuine) {
			if !ok || err != nil || resp.User.GetName() != "admin" {
				t.Fatalf("the genuine certificate: ok %v, err %v, resp %v", ok, err, resp)
			}
			return
		}
		// The same content signed again (ECDSA signatures are not
		// unique) is the same credential; so is the CA's own certificate,
		// which has no extended key usages and so allows any, as a
		// kubeadm CA's (in TLS, presenting it takes the CA's key, with
		// which anything can be signed anyway). Anything else is not.
		if ok && !bytes.Equal(cert.RawTBSCertificate, genuineCert.RawTBSCertificate) && !bytes.Equal(cert.RawTBSCertificate, ca.Cert.RawTBSCertificate) {
			t.Fatalf("a certificate for %q (issuer %q) authenticated as %v", cert.Subject, cert.Issuer, resp.User)
		}
	})
}

func readCert(file string) (*x509.Certificate, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	certs, err := certutil.ParseCertsPEM(b)
	if err != nil {
		return nil, err
	}
	return certs[0], nil
}

// expired is a client certificate the CA signed that expired an hour ago.
func expired(f *testing.F, ca *pki.CA) []byte {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7),
		Subject:      pkix.Name{CommonName: "admin", Organization: []string{"system:masters"}},
		NotBefore:    time.Now().Add(-2 * time.Hour),
		NotAfter:     time.Now().Add(-time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		f.Fatal(err)
	}
	return der
}

// selfSigned is a client certificate for the admin that signs itself,
// with the cluster CA's subject as its issuer name.
func selfSigned(f *testing.F) []byte {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(8),
		Subject:      pkix.Name{CommonName: "admin", Organization: []string{"system:masters"}},
		Issuer:       pkix.Name{CommonName: "kubeshim-ca"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		f.Fatal(err)
	}
	return der
}
