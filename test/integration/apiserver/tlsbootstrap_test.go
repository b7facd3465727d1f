package apiserver

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kubeshim/kubeshim/nodeagent"
	"github.com/kubeshim/kubeshim/registry/apiserver"
	"github.com/kubeshim/kubeshim/test/integration/framework"
)

// TestNodeTLSBootstrap: a node joins with a kubeadm-style bootstrap token:
// the agent's TLS bootstrap asks for a node client certificate, the
// csrapproving controller approves it (the token's group may ask for
// nodeclient), csrsigning signs it with the cluster CA, and the written
// kubeconfig authenticates as system:node:<name> in system:nodes. A token
// without kubeadm's node group may not even ask.
func TestNodeTLSBootstrap(t *testing.T) {
	ctx := context.Background()
	s, err := framework.Start(func(o *apiserver.Options) { o.EnableBootstrapTokenAuth = true })
	if err != nil {
		t.Fatalf("start API server: %v", err)
	}
	defer s.Stop()
	admin := kubernetes.NewForConfigOrDie(s.Config)
	createSecrets(t, admin,
		bootstrapToken("abcdef", "0123456789abcdef", map[string]string{
			"usage-bootstrap-authentication": "true", "auth-extra-groups": "system:bootstrappers:kubeadm:default-node-token"}),
		bootstrapToken("zzzzzz", "0123456789abcdef", map[string]string{"usage-bootstrap-authentication": "true"}))

	dir := t.TempDir()
	bootstrapKubeconfig := func(token string) string {
		path := filepath.Join(dir, token[:6]+"-bootstrap.kubeconfig")
		cfg := clientcmdapi.NewConfig()
		cfg.Clusters["c"] = &clientcmdapi.Cluster{Server: s.Config.Host, CertificateAuthorityData: s.Config.CAData}
		cfg.AuthInfos["u"] = &clientcmdapi.AuthInfo{Token: token}
		cfg.Contexts["c"] = &clientcmdapi.Context{Cluster: "c", AuthInfo: "u"}
		cfg.CurrentContext = "c"
		if err := clientcmd.WriteToFile(*cfg, path); err != nil {
			t.Fatal(err)
		}
		return path
	}

	kubeconfig := filepath.Join(dir, "node", "kubeconfig")
	bctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := nodeagent.Bootstrap(bctx, bootstrapKubeconfig("abcdef.0123456789abcdef"), kubeconfig, "joined"); err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	rc, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	node := kubernetes.NewForConfigOrDie(rc)
	info, err := selfSubject(ctx, node)
	if err != nil || info.Username != "system:node:joined" || !slices.Contains(info.Groups, "system:nodes") {
		t.Fatalf("the bootstrapped kubeconfig is %v (%v), want system:node:joined in system:nodes", info, err)
	}
	if _, err := node.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "joined"}}, metav1.CreateOptions{}); err != nil {
		t.Errorf("the joined node registers itself: %v", err)
	}

	csrs, err := admin.CertificatesV1().CertificateSigningRequests().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var approved []string
	for _, c := range csrs.Items {
		for _, cond := range c.Status.Conditions {
			if cond.Type == certificatesv1.CertificateApproved && cond.Reason == "AutoApproved" && c.Spec.Username == "system:bootstrap:abcdef" {
				approved = append(approved, cond.Message)
			}
		}
	}
	if !slices.Equal(approved, []string{"Auto approving kubelet client certificate after SubjectAccessReview."}) {
		t.Errorf("approvals of the token's request: %q", approved)
	}

	// Without kubeadm's group, the token may not ask for a certificate.
	err = nodeagent.Bootstrap(bctx, bootstrapKubeconfig("zzzzzz.0123456789abcdef"), filepath.Join(dir, "other", "kubeconfig"), "other")
	if err == nil || !strings.Contains(err.Error(), `User "system:bootstrap:zzzzzz" cannot create resource "certificatesigningrequests"`) {
		t.Errorf("bootstrap with a token outside the node group: %v, want forbidden", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "other", "kubeconfig")); !os.IsNotExist(err) {
		t.Errorf("a kubeconfig was written for the refused token: %v", err)
	}
}
