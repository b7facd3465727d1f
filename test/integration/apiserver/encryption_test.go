package apiserver

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeshim/kubeshim/registry/apiserver"
	"github.com/kubeshim/kubeshim/registry/etcd"
	"github.com/kubeshim/kubeshim/test/integration/framework"
)

// TestEncryptionAtRest: with --encryption-provider-config, the resources
// it names are stored encrypted by their provider (read back from etcd
// directly, as an attacker with the disk would), other resources stay as
// they are, and the API returns every object as written. A server
// restarted with the same configuration reads its encrypted objects.
func TestEncryptionAtRest(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	key := func() string {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
		return base64.StdEncoding.EncodeToString(b)
	}
	config := filepath.Join(dir, "encryption.yaml")
	// One provider per resource, each encrypting: the first provider of a
	// resource is the one that writes.
	writeFile(t, config, fmt.Sprintf(`apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
- resources: [secrets]
  providers:
  - aescbc: {keys: [{name: k1, secret: %s}]}
  - identity: {}
- resources: [serviceaccounts]
  providers:
  - aesgcm: {keys: [{name: k2, secret: %s}]}
- resources: [podtemplates]
  providers:
  - secretbox: {keys: [{name: k3, secret: %s}]}
`, key(), key(), key()))

	// An etcd of the test's own, so that the test can read the raw keys
	// and restart the server on the same data.
	e, err := etcd.Start(ctx, etcd.Config{Dir: filepath.Join(dir, "etcd")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	start := func(encryption string) (*framework.Server, kubernetes.Interface) {
		t.Helper()
		srv, err := framework.Start(func(o *apiserver.Options) {
			o.Disable = []string{apiserver.RoleScheduler, apiserver.RoleControllers}
			o.EtcdServers = []string{e.ClientURL()}
			o.EncryptionProviderConfig = encryption
		})
		if err != nil {
			t.Fatalf("start API server: %v", err)
		}
		return srv, kubernetes.NewForConfigOrDie(srv.Config)
	}
	srv, client := start(config)
	ns := "encrypted"
	if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	const plaintext = "plaintext-marker-4f1c"
	objects := map[string]func() error{
		"secrets": func() error {
			_, err := client.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "x"}, StringData: map[string]string{"v": plaintext}}, metav1.CreateOptions{})
			return err
		},
		"serviceaccounts": func() error {
			_, err := client.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "x", Labels: map[string]string{"v": plaintext}}}, metav1.CreateOptions{})
			return err
		},
		"podtemplates": func() error {
			_, err := client.CoreV1().PodTemplates(ns).Create(ctx, &corev1.PodTemplate{ObjectMeta: metav1.ObjectMeta{Name: "x"}, Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"v": plaintext}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "i"}}},
			}}, metav1.CreateOptions{})
			return err
		},
		"configmaps": func() error {
			_, err := client.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "x"}, Data: map[string]string{"v": plaintext}}, metav1.CreateOptions{})
			return err
		},
	}
	for resource, create := range objects {
		if err := create(); err != nil {
			t.Fatalf("create %s: %v", resource, err)
		}
	}

	raw, err := clientv3.New(clientv3.Config{Endpoints: []string{e.ClientURL()}, DialTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for resource, prefix := range map[string]string{
		"secrets":         "k8s:enc:aescbc:v1:k1:",
		"serviceaccounts": "k8s:enc:aesgcm:v1:k2:",
		"podtemplates":    "k8s:enc:secretbox:v1:k3:",
		"configmaps":      "k8s\x00", // protobuf, unencrypted
	} {
		resp, err := raw.Get(ctx, fmt.Sprintf("/registry/%s/%s/x", resource, ns))
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Kvs) != 1 {
			t.Errorf("%s: %d keys in etcd, want 1", resource, len(resp.Kvs))
			continue
		}
		value := resp.Kvs[0].Value
		if !bytes.HasPrefix(value, []byte(prefix)) {
			t.Errorf("%s stored as %q..., want the prefix %q", resource, value[:min(len(value), 32)], prefix)
		}
		if encrypted := resource != "configmaps"; encrypted == bytes.Contains(value, []byte(plaintext)) {
			t.Errorf("%s: plaintext in etcd %v, want %v", resource, !encrypted, !encrypted)
		}
	}
	if s, err := client.CoreV1().Secrets(ns).Get(ctx, "x", metav1.GetOptions{}); err != nil || string(s.Data["v"]) != plaintext {
		t.Errorf("secret read back: %v, %v", s, err)
	}
	srv.Stop()

	// The same key decrypts after a restart.
	srv, client = start(config)
	defer srv.Stop()
	if s, err := client.CoreV1().Secrets(ns).Get(ctx, "x", metav1.GetOptions{}); err != nil || string(s.Data["v"]) != plaintext {
		t.Errorf("secret after a restart: %v, %v", s, err)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
