package apiserver

import (
	"crypto/x509"
	"encoding/pem"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kubeshim/kubeshim/registry/apiserver/pki"
)

// TestUserKubeconfig: a kubeconfig handed to another user keeps the admin
// kubeconfig's cluster and carries a certificate for the user in groups,
// signed by the data dir's CA.
func TestUserKubeconfig(t *testing.T) {
	dataDir := t.TempDir()
	pkiDir := filepath.Join(dataDir, "pki")
	ca, err := pki.LoadOrCreateCA(pkiDir, "ca", "kubeshim-ca")
	if err != nil {
		t.Fatal(err)
	}
	adminCert, adminKey, err := ca.Issue(pkiDir, "admin", pki.Request{CommonName: "admin", Organization: []string{"system:masters"}, Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	if err != nil {
		t.Fatal(err)
	}
	cluster := &clientcmdapi.Cluster{Server: "https://127.0.0.1:6443", CertificateAuthorityData: pki.EncodeCert(ca.Cert)}
	admin, err := clientKubeconfig("kubeshim", cluster, "admin", adminCert, adminKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := clientcmd.WriteToFile(*admin, filepath.Join(dataDir, "admin.kubeconfig")); err != nil {
		t.Fatal(err)
	}

	out, err := UserKubeconfig(dataDir, "system:node:n1", []string{"system:nodes"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := clientcmd.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if got.CurrentContext != "kubeshim" || got.Contexts["kubeshim"].AuthInfo != "system:node:n1" {
		t.Errorf("context %q: %+v", got.CurrentContext, got.Contexts)
	}
	if diff := cmp.Diff(cluster.Server, got.Clusters["kubeshim"].Server); diff != "" {
		t.Errorf("server (-admin +user):\n%s", diff)
	}
	block, _ := pem.Decode(got.AuthInfos["system:node:n1"].ClientCertificateData)
	if block == nil {
		t.Fatal("no client certificate")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"system:nodes"}, cert.Subject.Organization); cert.Subject.CommonName != "system:node:n1" || diff != "" {
		t.Errorf("certificate for %q in %v", cert.Subject.CommonName, cert.Subject.Organization)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("the user's certificate is not the data dir CA's: %v", err)
	}

	if _, err := UserKubeconfig(t.TempDir(), "x", nil); err == nil || !strings.Contains(err.Error(), "read the admin kubeconfig") {
		t.Errorf("a dir without a server: %v", err)
	}
	if _, err := UserKubeconfig(dataDir, "", nil); err == nil {
		t.Error("no user name: no error")
	}
}
