package apiserver

import (
	"fmt"
	"net"
	"os"
	"strconv"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kubeshim/kubeshim/registry/apiserver/pki"
)

// WriteKubeconfig writes <data-dir>/admin.kubeconfig: the cluster CA, the
// server's address and the admin client certificate (system:masters), all
// inline so that the file can be copied elsewhere.
func WriteKubeconfig(c *Config) error {
	host := "127.0.0.1"
	if b := c.Options.SecureServing.BindAddress; b != nil && !b.IsUnspecified() {
		host = b.String()
	}
	cert, err := os.ReadFile(c.AdminCert)
	if err != nil {
		return fmt.Errorf("read admin certificate: %w", err)
	}
	key, err := os.ReadFile(c.AdminKey)
	if err != nil {
		return fmt.Errorf("read admin key: %w", err)
	}
	const name = "kubeshim"
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[name] = &clientcmdapi.Cluster{
		Server:                   "https://" + net.JoinHostPort(host, strconv.Itoa(c.Options.SecureServing.BindPort)),
		CertificateAuthorityData: pki.EncodeCert(c.CA.Cert),
	}
	cfg.AuthInfos["admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: cert, ClientKeyData: key}
	cfg.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: "admin", Namespace: "default"}
	cfg.CurrentContext = name
	if err := clientcmd.WriteToFile(*cfg, c.Options.KubeconfigPath()); err != nil {
		return fmt.Errorf("write %s: %w", c.Options.KubeconfigPath(), err)
	}
	return nil
}
