package bootstraptoken

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apiserver/pkg/authentication/user"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	testclock "k8s.io/utils/clock/testing"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const (
	id     = "abcdef"
	secret = "0123456789abcdef"
	token  = id + "." + secret
)

// tokenSecret is a valid authentication token's Secret, edited.
func tokenSecret(edits ...func(*corev1.Secret)) *corev1.Secret {
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "bootstrap-token-" + id},
		Type:       "bootstrap.kubernetes.io/token",
		Data: map[string][]byte{
			"token-id":                       []byte(id),
			"token-secret":                   []byte(secret),
			"usage-bootstrap-authentication": []byte("true"),
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

func without(key string) func(*corev1.Secret) {
	return func(s *corev1.Secret) { delete(s.Data, key) }
}

func lister(t testing.TB, secrets ...*corev1.Secret) corelisters.SecretNamespaceLister {
	t.Helper()
	indexer := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	for _, s := range secrets {
		if err := indexer.Add(s); err != nil {
			t.Fatal(err)
		}
	}
	return corelisters.NewSecretLister(indexer).Secrets("kube-system")
}

// result is what a test compares of AuthenticateToken's answer.
type result struct {
	User *user.DefaultInfo
	OK   bool
	Err  string
}

func authenticate(a *Authenticator, token string) result {
	resp, ok, err := a.AuthenticateToken(context.Background(), token)
	r := result{OK: ok}
	if resp != nil {
		u := resp.User.(*user.DefaultInfo)
		r.User = u
	}
	if err != nil {
		r.Err = err.Error()
	}
	return r
}

func TestAuthenticateToken(t *testing.T) {
	bootstrapper := func(groups ...string) result {
		return result{OK: true, User: &user.DefaultInfo{Name: "system:bootstrap:" + id, Groups: append([]string{"system:bootstrappers"}, groups...)}}
	}
	tests := []struct {
		name    string
		secrets []*corev1.Secret
		token   string
		want    result
	}{
		{name: "valid", secrets: []*corev1.Secret{tokenSecret()}, token: token, want: bootstrapper()},
		{
			name:    "extra groups are added, sorted and deduplicated",
			secrets: []*corev1.Secret{tokenSecret(data("auth-extra-groups", "system:bootstrappers:zeta,system:bootstrappers:kubeadm:default-node-token,system:bootstrappers:zeta"))},
			token:   token,
			want:    bootstrapper("system:bootstrappers:kubeadm:default-node-token", "system:bootstrappers:zeta"),
		},
		{name: "unexpired", secrets: []*corev1.Secret{tokenSecret(data("expiration", now.Add(time.Second).Format(time.RFC3339)))}, token: token, want: bootstrapper()},
		{name: "a time zone offset is honoured", secrets: []*corev1.Secret{tokenSecret(data("expiration", "2026-03-01T13:30:00+01:00"))}, token: token, want: bootstrapper()},
		{name: "expired", secrets: []*corev1.Secret{tokenSecret(data("expiration", now.Add(-time.Second).Format(time.RFC3339)))}, token: token},
		{name: "expiring now", secrets: []*corev1.Secret{tokenSecret(data("expiration", now.Format(time.RFC3339)))}, token: token},
		{name: "an unparsable expiration counts as expired", secrets: []*corev1.Secret{tokenSecret(data("expiration", "tomorrow"))}, token: token},
		{name: "wrong secret", secrets: []*corev1.Secret{tokenSecret()}, token: id + ".0123456789abcdee"},
		{name: "a secret key that is a prefix of the token's", secrets: []*corev1.Secret{tokenSecret(data("token-secret", secret[:15]))}, token: token},
		{name: "no token-secret key", secrets: []*corev1.Secret{tokenSecret(without("token-secret"))}, token: token},
		{name: "the token-id key names another token", secrets: []*corev1.Secret{tokenSecret(data("token-id", "zzzzzz"))}, token: token},
		{name: "no token-id key", secrets: []*corev1.Secret{tokenSecret(without("token-id"))}, token: token},
		{name: "not marked for authentication", secrets: []*corev1.Secret{tokenSecret(without("usage-bootstrap-authentication"))}, token: token},
		{name: "marked for signing only", secrets: []*corev1.Secret{tokenSecret(without("usage-bootstrap-authentication"), data("usage-bootstrap-signing", "true"))}, token: token},
		{name: "usage must be exactly true", secrets: []*corev1.Secret{tokenSecret(data("usage-bootstrap-authentication", "True"))}, token: token},
		{name: "an opaque secret of the right name", secrets: []*corev1.Secret{tokenSecret(func(s *corev1.Secret) { s.Type = corev1.SecretTypeOpaque })}, token: token},
		{name: "a secret without data", secrets: []*corev1.Secret{tokenSecret(func(s *corev1.Secret) { s.Data = nil })}, token: token},
		{name: "being deleted", secrets: []*corev1.Secret{tokenSecret(func(s *corev1.Secret) { s.DeletionTimestamp = &metav1.Time{Time: now} })}, token: token},
		{name: "an extra group outside system:bootstrappers rejects the token", secrets: []*corev1.Secret{tokenSecret(data("auth-extra-groups", "system:bootstrappers:ok,system:masters"))}, token: token},
		{name: "an empty extra group rejects the token", secrets: []*corev1.Secret{tokenSecret(data("auth-extra-groups", "system:bootstrappers:ok,"))}, token: token},
		{name: "no secret", token: token},
		{
			name:    "a secret in another namespace is not looked at",
			secrets: []*corev1.Secret{tokenSecret(func(s *corev1.Secret) { s.Namespace = "default" })},
			token:   token,
		},
		{name: "malformed: no dot", secrets: []*corev1.Secret{tokenSecret()}, token: id + secret},
		{name: "malformed: upper case", secrets: []*corev1.Secret{tokenSecret(data("token-id", "ABCDEF"), func(s *corev1.Secret) { s.Name = "bootstrap-token-ABCDEF" })}, token: "ABCDEF." + secret},
		{name: "malformed: short secret", secrets: []*corev1.Secret{tokenSecret(data("token-secret", secret[:15]))}, token: id + "." + secret[:15]},
		{name: "malformed: long id", token: "abcdefg." + secret},
		{name: "malformed: trailing newline", secrets: []*corev1.Secret{tokenSecret()}, token: token + "\n"},
		{name: "malformed: a JWT", secrets: []*corev1.Secret{tokenSecret()}, token: "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"},
		{name: "empty", secrets: []*corev1.Secret{tokenSecret()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := New(lister(t, tt.secrets...))
			a.clock = testclock.NewFakePassiveClock(now)
			if diff := cmp.Diff(tt.want, authenticate(a, tt.token)); diff != "" {
				t.Errorf("AuthenticateToken (-want +got):\n%s", diff)
			}
		})
	}
}

// failingLister fails every read, as a lister never does today; the
// authenticator must pass the failure on rather than call it a miss.
type failingLister struct{}

func (failingLister) List(labels.Selector) ([]*corev1.Secret, error) {
	return nil, errors.New("cache unavailable")
}
func (failingLister) Get(string) (*corev1.Secret, error) { return nil, errors.New("cache unavailable") }

func TestAuthenticateTokenListerError(t *testing.T) {
	got := authenticate(New(failingLister{}), token)
	if diff := cmp.Diff(result{Err: "cache unavailable"}, got); diff != "" {
		t.Errorf("AuthenticateToken (-want +got):\n%s", diff)
	}
	// A malformed token is not looked up at all.
	if diff := cmp.Diff(result{}, authenticate(New(failingLister{}), "not-a-token")); diff != "" {
		t.Errorf("AuthenticateToken of a malformed token (-want +got):\n%s", diff)
	}
}
