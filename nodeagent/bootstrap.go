package nodeagent

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509/pkix"
	"fmt"
	"os"
	"path/filepath"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	certutil "k8s.io/client-go/util/cert"
	"k8s.io/client-go/util/certificate/csr"
	"k8s.io/client-go/util/keyutil"
	"k8s.io/klog/v2"
)

// BootstrapTimeout is how long the agent waits for its certificate.
const BootstrapTimeout = 5 * time.Minute

// Bootstrap is the kubelet's TLS bootstrap: with the credentials of the
// bootstrap kubeconfig (a bootstrap token, typically) it asks for a client
// certificate for system:node:<nodeName> in system:nodes (a
// CertificateSigningRequest of signer kubernetes.io/kube-apiserver-client-kubelet),
// waits until the cluster approves and signs it, and writes kubeconfig: the
// bootstrap kubeconfig's server and CA with the new certificate and key.
func Bootstrap(ctx context.Context, bootstrapKubeconfig, kubeconfig, nodeName string) error {
	logger := klog.FromContext(ctx)
	rc, err := clientcmd.BuildConfigFromFlags("", bootstrapKubeconfig)
	if err != nil {
		return fmt.Errorf("load bootstrap kubeconfig: %w", err)
	}
	client, err := kubernetes.NewForConfig(rest.AddUserAgent(rest.CopyConfig(rc), "kubeshim-agent-bootstrap/"+nodeName))
	if err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generate node key: %w", err)
	}
	keyPEM, err := keyutil.MarshalPrivateKeyToPEM(key)
	if err != nil {
		return err
	}
	request, err := certutil.MakeCSR(key, &pkix.Name{CommonName: "system:node:" + nodeName, Organization: []string{"system:nodes"}}, nil, nil)
	if err != nil {
		return fmt.Errorf("certificate request: %w", err)
	}
	// An ECDSA key: the usages without key encipherment.
	usages := []certificatesv1.KeyUsage{certificatesv1.UsageDigitalSignature, certificatesv1.UsageClientAuth}
	name, uid, err := csr.RequestCertificateWithContext(ctx, client, request, "", certificatesv1.KubeAPIServerClientKubeletSignerName, nil, usages, key)
	if err != nil {
		return fmt.Errorf("request node client certificate: %w", err)
	}
	logger.Info("Waiting for the node client certificate", "csr", name)
	waitCtx, cancel := context.WithTimeout(ctx, BootstrapTimeout)
	defer cancel()
	cert, err := csr.WaitForCertificate(waitCtx, client, name, uid)
	if err != nil {
		return fmt.Errorf("node client certificate (CertificateSigningRequest %s): %w", name, err)
	}
	ca := rc.CAData
	if len(ca) == 0 && rc.CAFile != "" {
		if ca, err = os.ReadFile(rc.CAFile); err != nil {
			return fmt.Errorf("bootstrap kubeconfig's CA: %w", err)
		}
	}
	const cluster = "kubeshim"
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[cluster] = &clientcmdapi.Cluster{Server: rc.Host, CertificateAuthorityData: ca, InsecureSkipTLSVerify: rc.Insecure}
	cfg.AuthInfos["node"] = &clientcmdapi.AuthInfo{ClientCertificateData: cert, ClientKeyData: keyPEM}
	cfg.Contexts[cluster] = &clientcmdapi.Context{Cluster: cluster, AuthInfo: "node"}
	cfg.CurrentContext = cluster
	if err := os.MkdirAll(filepath.Dir(kubeconfig), 0o700); err != nil {
		return err
	}
	if err := clientcmd.WriteToFile(*cfg, kubeconfig); err != nil {
		return fmt.Errorf("write %s: %w", kubeconfig, err)
	}
	logger.Info("Wrote the node kubeconfig", "path", kubeconfig, "csr", name)
	return nil
}
