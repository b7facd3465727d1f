package token

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/go-jose/go-jose.v2/jwt"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/user"
	testingclock "k8s.io/utils/clock/testing"
)

const (
	testIssuer = "https://kubernetes.default.svc.cluster.local"
	jti        = "4b2e6ad3-0000-4000-8000-000000000001"
)

var (
	// issuedAt is when the test tokens are issued: a whole second, as
	// NumericDate is.
	issuedAt = time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	apiAuds  = authenticator.Audiences{testIssuer}
)

func meta(namespace, name, uid string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: namespace, Name: name, UID: types.UID(uid)}
}

var (
	testSA     = &corev1.ServiceAccount{ObjectMeta: meta("web", "default", "sa-uid")}
	testPod    = &corev1.Pod{ObjectMeta: meta("web", "web-0", "pod-uid")}
	testSecret = &corev1.Secret{ObjectMeta: meta("web", "token", "secret-uid")}
	testNode   = &corev1.Node{ObjectMeta: meta("", "node-1", "node-uid")}
)

// objects is a Getter over a fixed set of objects.
type objects struct {
	sas     map[string]*corev1.ServiceAccount
	pods    map[string]*corev1.Pod
	secrets map[string]*corev1.Secret
	nodes   map[string]*corev1.Node
}

func newObjects() *objects {
	return &objects{
		sas:     map[string]*corev1.ServiceAccount{"web/default": testSA.DeepCopy()},
		pods:    map[string]*corev1.Pod{"web/web-0": testPod.DeepCopy()},
		secrets: map[string]*corev1.Secret{"web/token": testSecret.DeepCopy()},
		nodes:   map[string]*corev1.Node{"node-1": testNode.DeepCopy()},
	}
}

func get[T any](m map[string]T, resource, key string) (T, error) {
	if v, ok := m[key]; ok {
		return v, nil
	}
	var zero T
	return zero, apierrors.NewNotFound(corev1.Resource(resource), key[strings.LastIndex(key, "/")+1:])
}

func (o *objects) GetServiceAccount(_ context.Context, ns, name string) (*corev1.ServiceAccount, error) {
	return get(o.sas, "serviceaccounts", ns+"/"+name)
}
func (o *objects) GetPod(_ context.Context, ns, name string) (*corev1.Pod, error) {
	return get(o.pods, "pods", ns+"/"+name)
}
func (o *objects) GetSecret(_ context.Context, ns, name string) (*corev1.Secret, error) {
	return get(o.secrets, "secrets", ns+"/"+name)
}
func (o *objects) GetNode(_ context.Context, name string) (*corev1.Node, error) {
	return get(o.nodes, "nodes", name)
}

func newTestIssuer(t testing.TB, issuer string) *Issuer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	i, err := NewIssuer(issuer, key)
	if err != nil {
		t.Fatal(err)
	}
	i.newID = func() string { return jti }
	return i
}

func issue(t testing.TB, i *Issuer, r Request) string {
	t.Helper()
	if r.ServiceAccount == nil {
		r.ServiceAccount = testSA
	}
	if r.Audiences == nil {
		r.Audiences = apiAuds
	}
	if r.IssuedAt.IsZero() {
		r.IssuedAt = issuedAt
	}
	if r.Expiration == 0 {
		r.Expiration = time.Hour
	}
	tok, err := i.Issue(r)
	if err != nil {
		t.Fatalf("Issue() error = %v", err)
	}
	if tok.ID != jti {
		t.Fatalf("Issue() ID = %q, want %q", tok.ID, jti)
	}
	return tok.Raw
}

// payload decodes a token's claims without verifying them.
func payload(t *testing.T, raw string) map[string]any {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q is not a compact JWS", raw)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestIssue(t *testing.T) {
	iat := float64(issuedAt.Unix())
	base := func(k map[string]any) map[string]any {
		kube := map[string]any{"namespace": "web", "serviceaccount": map[string]any{"name": "default", "uid": "sa-uid"}}
		for key, v := range k {
			kube[key] = v
		}
		return map[string]any{
			"iss": testIssuer, "sub": "system:serviceaccount:web:default", "aud": []any{testIssuer},
			"iat": iat, "nbf": iat, "exp": iat + 3600, "jti": jti, "kubernetes.io": kube,
		}
	}
	cases := []struct {
		name    string
		req     Request
		want    map[string]any
		wantErr string
	}{
		{name: "unbound", want: base(nil)},
		{
			name: "pod on a node", req: Request{Pod: testPod, Node: testNode},
			want: base(map[string]any{
				"pod":  map[string]any{"name": "web-0", "uid": "pod-uid"},
				"node": map[string]any{"name": "node-1", "uid": "node-uid"},
			}),
		},
		{
			name: "pod on a node that is gone", req: Request{Pod: testPod, Node: &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-1"}}},
			want: base(map[string]any{
				"pod":  map[string]any{"name": "web-0", "uid": "pod-uid"},
				"node": map[string]any{"name": "node-1"},
			}),
		},
		{name: "secret", req: Request{Secret: testSecret}, want: base(map[string]any{"secret": map[string]any{"name": "token", "uid": "secret-uid"}})},
		{name: "node", req: Request{Node: testNode}, want: base(map[string]any{"node": map[string]any{"name": "node-1", "uid": "node-uid"}})},
		{
			name: "extended", req: Request{Pod: testPod, Expiration: 365 * 24 * time.Hour, WarnAfter: 3607 * time.Second},
			want: func() map[string]any {
				m := base(map[string]any{"pod": map[string]any{"name": "web-0", "uid": "pod-uid"}, "warnafter": iat + 3607})
				m["exp"] = iat + 365*24*3600
				return m
			}(),
		},
		{name: "secret and pod", req: Request{Secret: testSecret, Pod: testPod}, wantErr: "token bound to a secret and a pod or node: bind it to one object"},
		{name: "no service account", req: Request{ServiceAccount: &corev1.ServiceAccount{}}, wantErr: "token for no service account"},
	}
	i := newTestIssuer(t, testIssuer)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.req
			if r.ServiceAccount == nil {
				r.ServiceAccount = testSA
			}
			r.Audiences, r.IssuedAt = apiAuds, issuedAt
			if r.Expiration == 0 {
				r.Expiration = time.Hour
			}
			tok, err := i.Issue(r)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("Issue() error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Issue() error = %v", err)
			}
			if diff := cmp.Diff(tc.want, payload(t, tok.Raw)); diff != "" {
				t.Errorf("claims (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewIssuerKeys(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	cases := []struct {
		name    string
		key     crypto.Signer
		wantAlg string
		wantErr bool
	}{
		{name: "RSA", key: rsaKey, wantAlg: "RS256"},
		{name: "P-384", key: p384, wantAlg: "ES384"},
		{name: "P-224", key: p224, wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			i, err := NewIssuer(testIssuer, tc.key)
			if tc.wantErr {
				if err == nil {
					t.Fatal("NewIssuer() succeeded, want an error")
				}
				return
			}
			if err != nil {
				t.Fatalf("NewIssuer() error = %v", err)
			}
			i.newID = func() string { return jti }
			if got := string(i.PublicKey().Algorithm); got != tc.wantAlg {
				t.Errorf("algorithm = %s, want %s", got, tc.wantAlg)
			}
			// The token verifies with the issuer's key.
			a := NewAuthenticator(Config{Issuers: []string{testIssuer}, Keys: []PublicKey{i.PublicKey()}, APIAudiences: apiAuds,
				Objects: newObjects(), Clock: testingclock.NewFakePassiveClock(issuedAt)})
			if _, ok, err := a.AuthenticateToken(context.Background(), issue(t, i, Request{})); !ok || err != nil {
				t.Errorf("AuthenticateToken() = %v, %v, want authenticated", ok, err)
			}
		})
	}
}

func TestAuthenticate(t *testing.T) {
	i := newTestIssuer(t, testIssuer)
	other := newTestIssuer(t, testIssuer) // same issuer, another key
	stranger := newTestIssuer(t, "https://elsewhere")
	expiresAt := issuedAt.Add(time.Hour)
	longAgo := metav1.NewTime(issuedAt.Add(-time.Hour))
	justNow := metav1.NewTime(issuedAt)

	sa := func(extra map[string][]string) *user.DefaultInfo {
		e := map[string][]string{"authentication.kubernetes.io/credential-id": {"JTI=" + jti}}
		for k, v := range extra {
			e[k] = v
		}
		return &user.DefaultInfo{
			Name: "system:serviceaccount:web:default", UID: "sa-uid",
			Groups: []string{"system:serviceaccounts", "system:serviceaccounts:web"}, Extra: e,
		}
	}
	podExtra := map[string][]string{"authentication.kubernetes.io/pod-name": {"web-0"}, "authentication.kubernetes.io/pod-uid": {"pod-uid"}}
	nodeExtra := map[string][]string{"authentication.kubernetes.io/node-name": {"node-1"}, "authentication.kubernetes.io/node-uid": {"node-uid"}}
	podNodeExtra := map[string][]string{}
	for k, v := range podExtra {
		podNodeExtra[k] = v
	}
	for k, v := range nodeExtra {
		podNodeExtra[k] = v
	}

	cases := []struct {
		name string
		// token is the token presented; by default one of i's for req.
		token  func(t *testing.T) string
		req    Request
		now    time.Time
		asked  authenticator.Audiences
		change func(o *objects)
		want   *authenticator.Response
		// wantErr is the error; empty with a nil want means the token is
		// not this authenticator's (nil, false, nil).
		wantErr string
	}{
		{name: "valid", want: &authenticator.Response{User: sa(nil), Audiences: apiAuds}},
		{
			name: "valid for the audience asked about", req: Request{Audiences: []string{"vault", "other"}}, asked: authenticator.Audiences{"vault"},
			want: &authenticator.Response{User: sa(nil), Audiences: authenticator.Audiences{"vault"}},
		},
		{
			name: "token without audiences is for the API", req: Request{Audiences: []string{}},
			want: &authenticator.Response{User: sa(nil), Audiences: apiAuds},
		},
		{
			name: "bound to a pod on a node", req: Request{Pod: testPod, Node: testNode},
			want: &authenticator.Response{User: sa(podNodeExtra), Audiences: apiAuds},
		},
		{
			name: "bound to a pod whose node is gone", req: Request{Pod: testPod, Node: testNode},
			change: func(o *objects) { delete(o.nodes, "node-1") },
			want:   &authenticator.Response{User: sa(podNodeExtra), Audiences: apiAuds},
		},
		{name: "bound to a secret", req: Request{Secret: testSecret}, want: &authenticator.Response{User: sa(nil), Audiences: apiAuds}},
		{name: "bound to a node", req: Request{Node: testNode}, want: &authenticator.Response{User: sa(nodeExtra), Audiences: apiAuds}},
		{name: "at expiry plus leeway", now: expiresAt.Add(Leeway), want: &authenticator.Response{User: sa(nil), Audiences: apiAuds}},
		{name: "expired", now: expiresAt.Add(Leeway + time.Second), wantErr: "service account token has expired"},
		{name: "at issuance minus leeway", now: issuedAt.Add(-Leeway), want: &authenticator.Response{User: sa(nil), Audiences: apiAuds}},
		{name: "not yet valid", now: issuedAt.Add(-Leeway - time.Second), wantErr: "service account token is not valid yet"},
		{
			name: "wrong audience", req: Request{Audiences: []string{"vault"}},
			wantErr: `token audiences ["vault"] is invalid for the target audiences ["https://kubernetes.default.svc.cluster.local"]`,
		},
		{
			name: "API token asked about for another audience", asked: authenticator.Audiences{"vault"},
			wantErr: `token audiences ["https://kubernetes.default.svc.cluster.local"] is invalid for the target audiences ["vault"]`,
		},
		{name: "other issuer", token: func(t *testing.T) string { return issue(t, stranger, Request{}) }},
		{
			name:    "signed by another key",
			token:   func(t *testing.T) string { return issue(t, other, Request{}) },
			wantErr: "invalid signature, no keys found",
		},
		{
			name: "signed by another key with this key's ID",
			token: func(t *testing.T) string {
				raw := issue(t, other, Request{})
				return reheader(t, raw, i.PublicKey().ID)
			},
			wantErr: "go-jose/go-jose: error in cryptographic primitive",
		},
		{
			name: "tampered claims",
			token: func(t *testing.T) string {
				raw := issue(t, i, Request{})
				parts := strings.Split(raw, ".")
				claims, _ := base64.RawURLEncoding.DecodeString(parts[1])
				claims = []byte(strings.Replace(string(claims), `"web"`, `"kube-system"`, 1))
				return parts[0] + "." + base64.RawURLEncoding.EncodeToString(claims) + "." + parts[2]
			},
			wantErr: "go-jose/go-jose: error in cryptographic primitive",
		},
		{
			name: "tampered signature",
			token: func(t *testing.T) string {
				raw := issue(t, i, Request{})
				dot := strings.LastIndex(raw, ".")
				sig := []byte(raw[dot+1:])
				// A middle character carries six bits of the signature.
				if sig[10] == 'A' {
					sig[10] = 'B'
				} else {
					sig[10] = 'A'
				}
				return raw[:dot+1] + string(sig)
			},
			wantErr: "go-jose/go-jose: error in cryptographic primitive",
		},
		{
			name: "without expiry",
			token: func(t *testing.T) string {
				return sign(t, i, &jwt.Claims{Issuer: testIssuer, Audience: jwt.Audience(apiAuds)},
					&privateClaims{Kubernetes: kubernetesClaims{Namespace: "web", ServiceAccount: ref{Name: "default", UID: "sa-uid"}}})
			},
			wantErr: "service account token has no expiry",
		},
		{
			name: "without service account",
			token: func(t *testing.T) string {
				return sign(t, i, &jwt.Claims{Issuer: testIssuer, Audience: jwt.Audience(apiAuds), Expiry: jwt.NewNumericDate(expiresAt)}, &privateClaims{})
			},
			wantErr: "service account token names no service account",
		},
		{name: "service account deleted", change: func(o *objects) { delete(o.sas, "web/default") }, wantErr: `serviceaccounts "default" not found`},
		{name: "service account recreated", change: func(o *objects) { o.sas["web/default"].UID = "new" }, wantErr: "service account UID (new) does not match claim (sa-uid)"},
		{name: "service account being deleted", change: func(o *objects) { o.sas["web/default"].DeletionTimestamp = &longAgo }, wantErr: "service account web/default has been deleted"},
		{
			name: "service account deletion within leeway", change: func(o *objects) { o.sas["web/default"].DeletionTimestamp = &justNow },
			want: &authenticator.Response{User: sa(nil), Audiences: apiAuds},
		},
		{name: "pod deleted", req: Request{Pod: testPod}, change: func(o *objects) { delete(o.pods, "web/web-0") }, wantErr: "service account token has been invalidated"},
		{name: "pod recreated", req: Request{Pod: testPod}, change: func(o *objects) { o.pods["web/web-0"].UID = "new" }, wantErr: "pod UID (new) does not match service account pod ref claim (pod-uid)"},
		{name: "pod being deleted", req: Request{Pod: testPod}, change: func(o *objects) { o.pods["web/web-0"].DeletionTimestamp = &longAgo }, wantErr: "service account token has been invalidated"},
		{name: "secret deleted", req: Request{Secret: testSecret}, change: func(o *objects) { delete(o.secrets, "web/token") }, wantErr: "service account token has been invalidated"},
		{name: "secret recreated", req: Request{Secret: testSecret}, change: func(o *objects) { o.secrets["web/token"].UID = "new" }, wantErr: "secret UID (new) does not match service account secret ref claim (secret-uid)"},
		{name: "node deleted", req: Request{Node: testNode}, change: func(o *objects) { delete(o.nodes, "node-1") }, wantErr: "service account token has been invalidated"},
		{name: "node recreated", req: Request{Node: testNode}, change: func(o *objects) { o.nodes["node-1"].UID = "new" }, wantErr: "node UID (new) does not match service account node ref claim (node-uid)"},
		{name: "empty", token: func(*testing.T) string { return "" }},
		{name: "not a JWT", token: func(*testing.T) string { return "abcdef.0123456789abcdef" }},
		{name: "two parts", token: func(t *testing.T) string { raw := issue(t, i, Request{}); return raw[:strings.LastIndex(raw, ".")] }},
		{name: "four parts", token: func(t *testing.T) string { return issue(t, i, Request{}) + ".AAAA" }},
		{name: "padded", token: func(t *testing.T) string { return strings.Replace(issue(t, i, Request{}), ".", "=.", 1) }},
		{name: "line break", token: func(t *testing.T) string { return strings.Replace(issue(t, i, Request{}), ".", ".\n", 1) }},
		{name: "JSON serialization", token: func(t *testing.T) string { return jsonSerialization(t, issue(t, i, Request{})) }},
		{
			name: "payload not JSON",
			token: func(t *testing.T) string {
				return "eyJhbGciOiJFUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte("iss")) + ".AAAA"
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			raw := ""
			if tc.token != nil {
				raw = tc.token(t)
			} else {
				raw = issue(t, i, tc.req)
			}
			objs := newObjects()
			if tc.change != nil {
				tc.change(objs)
			}
			now := tc.now
			if now.IsZero() {
				now = issuedAt.Add(time.Minute)
			}
			a := NewAuthenticator(Config{
				Issuers: []string{testIssuer}, Keys: []PublicKey{i.PublicKey()}, APIAudiences: apiAuds,
				Objects: objs, Clock: testingclock.NewFakePassiveClock(now),
			})
			ctx := context.Background()
			if tc.asked != nil {
				ctx = authenticator.WithAudiences(ctx, tc.asked)
			}
			got, ok, err := a.AuthenticateToken(ctx, raw)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if gotErr != tc.wantErr {
				t.Errorf("AuthenticateToken() error = %q, want %q", gotErr, tc.wantErr)
			}
			if ok != (tc.want != nil) {
				t.Errorf("AuthenticateToken() ok = %v, want %v", ok, tc.want != nil)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("AuthenticateToken() response (-want +got):\n%s", diff)
			}
		})
	}
}

// sign signs arbitrary claims with i's key.
func sign(t *testing.T, i *Issuer, public *jwt.Claims, private *privateClaims) string {
	t.Helper()
	raw, err := jwt.Signed(i.signer).Claims(private).Claims(public).CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// reheader replaces the key ID in a token's header.
func reheader(t *testing.T, raw, kid string) string {
	t.Helper()
	parts := strings.Split(raw, ".")
	var h map[string]any
	b, _ := base64.RawURLEncoding.DecodeString(parts[0])
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	h["kid"] = kid
	b, _ = json.Marshal(h)
	return base64.RawURLEncoding.EncodeToString(b) + "." + parts[1] + "." + parts[2]
}

// jsonSerialization is the JWS JSON serialization of a compact token, which
// go-jose would verify too.
func jsonSerialization(t testing.TB, raw string) string {
	t.Helper()
	parts := strings.Split(raw, ".")
	b, err := json.Marshal(map[string]string{"protected": parts[0], "payload": parts[1], "signature": parts[2]})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
