package serviceaccounttoken

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
)

// fakeGenerator signs "token-for-<account>-in-<secret>".
type fakeGenerator struct{}

func (fakeGenerator) IssueLegacy(sa *corev1.ServiceAccount, s *corev1.Secret) (string, error) {
	return "token-for-" + sa.Name + "-in-" + s.Name, nil
}

func TestSync(t *testing.T) {
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "app", UID: "sa-uid"}}
	tokenSecret := func(name, account string, annotations map[string]string, data map[string][]byte) *corev1.Secret {
		a := map[string]string{corev1.ServiceAccountNameKey: account}
		for k, v := range annotations {
			a[k] = v
		}
		return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, UID: "secret-uid", Annotations: a}, Type: corev1.SecretTypeServiceAccountToken, Data: data}
	}
	filled := map[string][]byte{"token": []byte("token-for-app-in-t"), "ca.crt": []byte("CA"), "namespace": []byte("ns")}
	tests := []struct {
		name   string
		secret *corev1.Secret
		// want is the Secret afterwards; nil: deleted.
		want *corev1.Secret
	}{
		{
			name:   "empty token Secret is filled",
			secret: tokenSecret("t", "app", nil, nil),
			want:   tokenSecret("t", "app", map[string]string{corev1.ServiceAccountUIDKey: "sa-uid"}, filled),
		},
		{
			name:   "a token already there is kept; a stale CA is replaced",
			secret: tokenSecret("t", "app", map[string]string{corev1.ServiceAccountUIDKey: "sa-uid"}, map[string][]byte{"token": []byte("old"), "ca.crt": []byte("OLD")}),
			want: tokenSecret("t", "app", map[string]string{corev1.ServiceAccountUIDKey: "sa-uid"},
				map[string][]byte{"token": []byte("old"), "ca.crt": []byte("CA"), "namespace": []byte("ns")}),
		},
		{
			name:   "the account does not exist",
			secret: tokenSecret("t", "gone", nil, nil),
		},
		{
			name:   "the account was recreated with another UID",
			secret: tokenSecret("t", "app", map[string]string{corev1.ServiceAccountUIDKey: "old-uid"}, filled),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := fake.NewClientset([]runtime.Object{sa, tt.secret}...)
			f := informers.NewSharedInformerFactory(client, 0)
			c := New(client, fakeGenerator{}, []byte("CA"), f.Core().V1().Secrets(), f.Core().V1().ServiceAccounts())
			for _, o := range []runtime.Object{tt.secret} {
				if err := f.Core().V1().Secrets().Informer().GetIndexer().Add(o); err != nil {
					t.Fatal(err)
				}
			}
			if err := f.Core().V1().ServiceAccounts().Informer().GetIndexer().Add(sa); err != nil {
				t.Fatal(err)
			}
			if _, err := c.sync(context.Background(), "ns/t"); err != nil {
				t.Fatalf("sync: %v", err)
			}
			got, err := client.CoreV1().Secrets("ns").Get(context.Background(), "t", metav1.GetOptions{})
			if tt.want == nil {
				if err == nil {
					t.Fatalf("secret kept: %v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("secret (-want +got):\n%s", diff)
			}
		})
	}
}
