package apiserver

import (
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kubeshim/kubeshim/registry/apiserver/pki"
)

// WriteKubeconfig writes <data-dir>/admin.kubeconfig: the cluster CA, the
// server's address and the admin client certificate (system:masters), all
// inline so that the file can be copied elsewhere.
func WriteKubeconfig(c *Config) error {
	return writeKubeconfig(c, c.Options.KubeconfigPath(), "admin", c.AdminCert, c.AdminKey)
}

// WriteUserKubeconfig writes a kubeconfig at path for the user in groups,
// with a client certificate the cluster CA signs for them (kept in
// <data-dir>/pki as <file>.crt and .key, and reused while valid). For a
// node agent: user system:node:<name> in system:nodes.
func WriteUserKubeconfig(c *Config, path, file, userName string, groups []string) error {
	cert, key, err := c.CA.Issue(c.Options.pkiDir(), file, pki.Request{
		CommonName: userName, Organization: groups,
		Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	if err != nil {
		return err
	}
	return writeKubeconfig(c, path, userName, cert, key)
}

// NodeKubeconfigPath is where `kubeshim up` writes its node agent's
// kubeconfig.
func (o *Options) NodeKubeconfigPath() string { return filepath.Join(o.DataDir, "node.kubeconfig") }

func writeKubeconfig(c *Config, path, authInfo, certFile, keyFile string) error {
	host := "127.0.0.1"
	if b := c.Options.SecureServing.BindAddress; b != nil && !b.IsUnspecified() {
		host = b.String()
	}
	cfg, err := clientKubeconfig("kubeshim", &clientcmdapi.Cluster{
		Server:                   "https://" + net.JoinHostPort(host, strconv.Itoa(c.Options.SecureServing.BindPort)),
		CertificateAuthorityData: pki.EncodeCert(c.CA.Cert),
	}, authInfo, certFile, keyFile)
	if err != nil {
		return err
	}
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// clientKubeconfig is a kubeconfig with one context, name: cluster, and
// user authInfo with the client certificate and key of certFile and
// keyFile, inline so that the file can be copied elsewhere.
func clientKubeconfig(name string, cluster *clientcmdapi.Cluster, authInfo, certFile, keyFile string) (*clientcmdapi.Config, error) {
	cert, err := os.ReadFile(certFile)
	if err != nil {
		return nil, fmt.Errorf("read client certificate: %w", err)
	}
	key, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("read client key: %w", err)
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[name] = cluster
	cfg.AuthInfos[authInfo] = &clientcmdapi.AuthInfo{ClientCertificateData: cert, ClientKeyData: key}
	cfg.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: authInfo, Namespace: "default"}
	cfg.CurrentContext = name
	return cfg, nil
}

// UserKubeconfig returns a kubeconfig for userName in groups on the
// cluster of a server's data dir: its admin kubeconfig's server and CA,
// and a client certificate the data dir's CA signs now. It is how an
// administrator hands a node agent on another host its node identity
// (`kubeshim kubeconfig --user system:node:<name> --group system:nodes`),
// as `kubeadm kubeconfig user` does.
func UserKubeconfig(dataDir, userName string, groups []string) ([]byte, error) {
	if userName == "" {
		return nil, fmt.Errorf("a user name is required")
	}
	admin, err := clientcmd.LoadFromFile(filepath.Join(dataDir, "admin.kubeconfig"))
	if err != nil {
		return nil, fmt.Errorf("read the admin kubeconfig (is %s a server's data dir?): %w", dataDir, err)
	}
	ca, err := pki.LoadCA(filepath.Join(dataDir, "pki"), "ca")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "kubeshim-kubeconfig-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	certFile, keyFile, err := ca.Issue(dir, "client", pki.Request{
		CommonName: userName, Organization: groups,
		Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	if err != nil {
		return nil, err
	}
	ctx, ok := admin.Contexts[admin.CurrentContext]
	if !ok || admin.Clusters[ctx.Cluster] == nil {
		return nil, fmt.Errorf("the admin kubeconfig has no current cluster")
	}
	cfg, err := clientKubeconfig(ctx.Cluster, admin.Clusters[ctx.Cluster], userName, certFile, keyFile)
	if err != nil {
		return nil, err
	}
	return clientcmd.Write(*cfg)
}
