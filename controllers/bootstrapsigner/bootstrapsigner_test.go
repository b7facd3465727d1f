package bootstrapsigner

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/cluster-bootstrap/token/jws"
	testclock "k8s.io/utils/clock/testing"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const kubeconfig = "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    server: https://127.0.0.1:6443\n  name: \"\"\n"

func clusterInfo(data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-public", Name: "cluster-info", ResourceVersion: "3"}, Data: data}
}

// signing is a signing token's Secret, edited.
func signing(id, secret string, edits ...func(*corev1.Secret)) *corev1.Secret {
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "bootstrap-token-" + id},
		Type:       "bootstrap.kubernetes.io/token",
		Data: map[string][]byte{
			"token-id":                []byte(id),
			"token-secret":            []byte(secret),
			"usage-bootstrap-signing": []byte("true"),
		},
	}
	for _, e := range edits {
		e(s)
	}
	return s
}

func data(key, value string) func(*corev1.Secret) {
	return func(s *corev1.Secret) { s.Data[key] = []byte(value) }
}

func sig(t *testing.T, content, id, secret string) string {
	t.Helper()
	s, err := jws.ComputeDetachedSignature(content, id, secret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func in(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }

func TestSync(t *testing.T) {
	const (
		id1, secret1 = "abcdef", "0123456789abcdef"
		id2, secret2 = "zyxwvu", "fedcba9876543210"
	)
	sig1 := sig(t, kubeconfig, id1, secret1)
	sig2 := sig(t, kubeconfig, id2, secret2)
	tests := []struct {
		name        string
		configMap   *corev1.ConfigMap // nil: none
		secrets     []*corev1.Secret
		updateErr   error
		wantUpdate  map[string]string // nil: no update
		wantRequeue time.Duration
		wantErr     bool
	}{
		{name: "no cluster-info: nothing to do", secrets: []*corev1.Secret{signing(id1, secret1)}},
		{name: "no kubeconfig: nothing to sign", configMap: clusterInfo(map[string]string{"other": "x"}), secrets: []*corev1.Secret{signing(id1, secret1)}},
		{
			name:       "signed with every signing token",
			configMap:  clusterInfo(map[string]string{"kubeconfig": kubeconfig, "other": "kept"}),
			secrets:    []*corev1.Secret{signing(id1, secret1), signing(id2, secret2)},
			wantUpdate: map[string]string{"kubeconfig": kubeconfig, "other": "kept", "jws-kubeconfig-" + id1: sig1, "jws-kubeconfig-" + id2: sig2},
		},
		{
			name:      "already signed: no update",
			configMap: clusterInfo(map[string]string{"kubeconfig": kubeconfig, "jws-kubeconfig-" + id1: sig1}),
			secrets:   []*corev1.Secret{signing(id1, secret1)},
		},
		{
			name:       "a changed kubeconfig is signed again",
			configMap:  clusterInfo(map[string]string{"kubeconfig": kubeconfig + "# changed\n", "jws-kubeconfig-" + id1: sig1}),
			secrets:    []*corev1.Secret{signing(id1, secret1)},
			wantUpdate: map[string]string{"kubeconfig": kubeconfig + "# changed\n", "jws-kubeconfig-" + id1: sig(t, kubeconfig+"# changed\n", id1, secret1)},
		},
		{
			name:       "a forged signature is replaced",
			configMap:  clusterInfo(map[string]string{"kubeconfig": kubeconfig, "jws-kubeconfig-" + id1: "eyJ..forged"}),
			secrets:    []*corev1.Secret{signing(id1, secret1)},
			wantUpdate: map[string]string{"kubeconfig": kubeconfig, "jws-kubeconfig-" + id1: sig1},
		},
		{
			name:       "the signature of a deleted token is removed",
			configMap:  clusterInfo(map[string]string{"kubeconfig": kubeconfig, "jws-kubeconfig-" + id1: sig1, "jws-kubeconfig-" + id2: sig2}),
			secrets:    []*corev1.Secret{signing(id1, secret1)},
			wantUpdate: map[string]string{"kubeconfig": kubeconfig, "jws-kubeconfig-" + id1: sig1},
		},
		{
			name:      "tokens that may not sign are left out",
			configMap: clusterInfo(map[string]string{"kubeconfig": kubeconfig, "jws-kubeconfig-" + id1: sig1}),
			secrets: []*corev1.Secret{
				signing(id1, secret1, data("expiration", in(-time.Second))),
				signing("noauth", secret2, data("usage-bootstrap-signing", "false")),
				signing("opaque", secret2, func(s *corev1.Secret) { s.Type = corev1.SecretTypeOpaque }),
				signing("wrngid", secret2, data("token-id", "other1")),
				signing("nosecr", ""),
				signing("badexp", secret2, data("expiration", "soon")),
				signing("delete", secret2, func(s *corev1.Secret) { s.DeletionTimestamp = &metav1.Time{Time: now} }),
				signing("elsewh", secret2, func(s *corev1.Secret) { s.Namespace = "default" }),
				signing("x", secret2),
			},
			wantUpdate: map[string]string{"kubeconfig": kubeconfig},
		},
		{
			name:        "comes back at the first expiration",
			configMap:   clusterInfo(map[string]string{"kubeconfig": kubeconfig}),
			secrets:     []*corev1.Secret{signing(id1, secret1, data("expiration", in(time.Hour))), signing(id2, secret2, data("expiration", in(time.Minute)))},
			wantUpdate:  map[string]string{"kubeconfig": kubeconfig, "jws-kubeconfig-" + id1: sig1, "jws-kubeconfig-" + id2: sig2},
			wantRequeue: time.Minute,
		},
		{
			name:        "comes back at the first expiration when nothing changes",
			configMap:   clusterInfo(map[string]string{"kubeconfig": kubeconfig, "jws-kubeconfig-" + id1: sig1}),
			secrets:     []*corev1.Secret{signing(id1, secret1, data("expiration", in(time.Hour)))},
			wantRequeue: time.Hour,
		},
		{
			name:       "a conflict waits for the ConfigMap's update event",
			configMap:  clusterInfo(map[string]string{"kubeconfig": kubeconfig}),
			secrets:    []*corev1.Secret{signing(id1, secret1)},
			updateErr:  apierrors.NewConflict(schema.GroupResource{Resource: "configmaps"}, "cluster-info", nil),
			wantUpdate: map[string]string{"kubeconfig": kubeconfig, "jws-kubeconfig-" + id1: sig1},
		},
		{
			name:       "another failure is retried",
			configMap:  clusterInfo(map[string]string{"kubeconfig": kubeconfig}),
			secrets:    []*corev1.Secret{signing(id1, secret1)},
			updateErr:  apierrors.NewServiceUnavailable("etcd"),
			wantUpdate: map[string]string{"kubeconfig": kubeconfig, "jws-kubeconfig-" + id1: sig1},
			wantErr:    true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var objs []runtime.Object
			if tt.configMap != nil {
				objs = append(objs, tt.configMap)
			}
			for _, s := range tt.secrets {
				objs = append(objs, s)
			}
			client := fake.NewClientset(objs...)
			var update map[string]string
			var updates int
			client.PrependReactor("update", "configmaps", func(a clienttesting.Action) (bool, runtime.Object, error) {
				cm := a.(clienttesting.UpdateAction).GetObject().(*corev1.ConfigMap)
				if cm.ResourceVersion != "3" {
					t.Errorf("update of resourceVersion %q, want the cached 3", cm.ResourceVersion)
				}
				update, updates = cm.Data, updates+1
				if tt.updateErr != nil {
					return true, nil, tt.updateErr
				}
				return false, nil, nil
			})
			factory := informers.NewSharedInformerFactory(client, 0)
			c := newController(client, factory.Core().V1().Secrets(), factory.Core().V1().ConfigMaps(), testclock.NewFakePassiveClock(now))
			for _, o := range objs {
				var err error
				switch o := o.(type) {
				case *corev1.ConfigMap:
					err = factory.Core().V1().ConfigMaps().Informer().GetIndexer().Add(o)
				case *corev1.Secret:
					err = factory.Core().V1().Secrets().Informer().GetIndexer().Add(o)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			requeue, err := c.sync(context.Background())
			if (err != nil) != tt.wantErr {
				t.Fatalf("sync error %v, want error %v", err, tt.wantErr)
			}
			if requeue != tt.wantRequeue {
				t.Errorf("requeue after %v, want %v", requeue, tt.wantRequeue)
			}
			if updates > 1 {
				t.Errorf("%d updates, want at most one", updates)
			}
			if diff := cmp.Diff(tt.wantUpdate, update); diff != "" {
				t.Errorf("updated data (-want +got):\n%s", diff)
			}
			if tt.configMap != nil && tt.wantUpdate != nil && cmp.Equal(tt.configMap.Data, tt.wantUpdate) {
				t.Error("the test's update is no change")
			}
		})
	}
}

// TestSignatureIsDetachedJWS checks a signature the controller writes by
// hand against RFC 7515: a compact JWS with the payload elided, whose
// protected header names HS256 and the token ID, and whose signature is
// the HMAC-SHA256, keyed with the token secret, of the header and the
// payload.
func TestSignatureIsDetachedJWS(t *testing.T) {
	const id, secret = "abcdef", "0123456789abcdef"
	client := fake.NewClientset(clusterInfo(map[string]string{"kubeconfig": kubeconfig}), signing(id, secret))
	factory := informers.NewSharedInformerFactory(client, 0)
	c := newController(client, factory.Core().V1().Secrets(), factory.Core().V1().ConfigMaps(), testclock.NewFakePassiveClock(now))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	factory.Start(ctx.Done())
	go c.Run(ctx)
	var signature string
	for signature == "" {
		cm, err := client.CoreV1().ConfigMaps("kube-public").Get(ctx, "cluster-info", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		signature = cm.Data["jws-kubeconfig-"+id]
		select {
		case <-ctx.Done():
			t.Fatal("cluster-info not signed")
		case <-time.After(20 * time.Millisecond):
		}
	}
	parts := strings.Split(signature, ".")
	if len(parts) != 3 || parts[1] != "" {
		t.Fatalf("signature %q is not a detached compact JWS", signature)
	}
	rawHeader, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		t.Fatal(err)
	}
	var header map[string]string
	if err := json.Unmarshal(rawHeader, &header); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"alg": "HS256", "kid": id}, header); diff != "" {
		t.Errorf("protected header (-want +got):\n%s", diff)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(kubeconfig))))
	if got, want := parts[2], base64.RawURLEncoding.EncodeToString(mac.Sum(nil)); got != want {
		t.Errorf("signature %s, want HMAC %s", got, want)
	}
}
