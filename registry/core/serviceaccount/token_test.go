package serviceaccount

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/warning"
	testingclock "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/registry/serviceaccount/token"
)

const api = "https://kubernetes.default.svc.cluster.local"

var now = time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)

func meta(namespace, name, uid string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: namespace, Name: name, UID: types.UID(uid)}
}

// store holds the objects of the test: it is both the service accounts'
// rest.Getter and the token.Getter of bound objects.
type store struct {
	sas     map[string]*corev1.ServiceAccount
	pods    map[string]*corev1.Pod
	secrets map[string]*corev1.Secret
	nodes   map[string]*corev1.Node
}

func newStore() *store {
	return &store{
		sas: map[string]*corev1.ServiceAccount{"web/default": {ObjectMeta: meta("web", "default", "sa-uid")}},
		pods: map[string]*corev1.Pod{
			"web/web-0": {ObjectMeta: meta("web", "web-0", "pod-uid"), Spec: corev1.PodSpec{ServiceAccountName: "default", NodeName: "node-1"}},
			"web/other": {ObjectMeta: meta("web", "other", "other-uid"), Spec: corev1.PodSpec{ServiceAccountName: "builder"}},
			"web/lost":  {ObjectMeta: meta("web", "lost", "lost-uid"), Spec: corev1.PodSpec{ServiceAccountName: "default", NodeName: "gone"}},
		},
		secrets: map[string]*corev1.Secret{"web/token": {ObjectMeta: meta("web", "token", "secret-uid")}},
		nodes:   map[string]*corev1.Node{"node-1": {ObjectMeta: meta("", "node-1", "node-uid")}},
	}
}

func get[T any](m map[string]T, resource, key string) (T, error) {
	if v, ok := m[key]; ok {
		return v, nil
	}
	var zero T
	return zero, apierrors.NewNotFound(corev1.Resource(resource), key[strings.LastIndex(key, "/")+1:])
}

func (s *store) Get(ctx context.Context, name string, _ *metav1.GetOptions) (runtime.Object, error) {
	return get(s.sas, "serviceaccounts", request.NamespaceValue(ctx)+"/"+name)
}
func (s *store) GetServiceAccount(_ context.Context, ns, name string) (*corev1.ServiceAccount, error) {
	return get(s.sas, "serviceaccounts", ns+"/"+name)
}
func (s *store) GetPod(_ context.Context, ns, name string) (*corev1.Pod, error) {
	return get(s.pods, "pods", ns+"/"+name)
}
func (s *store) GetSecret(_ context.Context, ns, name string) (*corev1.Secret, error) {
	return get(s.secrets, "secrets", ns+"/"+name)
}
func (s *store) GetNode(_ context.Context, name string) (*corev1.Node, error) {
	return get(s.nodes, "nodes", name)
}

type warnings []string

func (w *warnings) AddWarning(_, text string) { *w = append(*w, text) }

// claims decodes the claims a test checks, without verifying the token.
func claims(t *testing.T, raw string) map[string]any {
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
	for _, k := range []string{"iss", "sub", "iat", "nbf", "jti"} {
		if m[k] == nil {
			t.Errorf("token has no %q: %v", k, m)
		}
		delete(m, k)
	}
	return m
}

func TestCreateToken(t *testing.T) {
	iat := float64(now.Unix())
	sa := map[string]any{"name": "default", "uid": "sa-uid"}
	kube := func(bound map[string]any) map[string]any {
		m := map[string]any{"namespace": "web", "serviceaccount": sa}
		for k, v := range bound {
			m[k] = v
		}
		return m
	}
	podRef := func(name, kind string) *authenticationv1.BoundObjectReference {
		return &authenticationv1.BoundObjectReference{APIVersion: "v1", Kind: kind, Name: name}
	}
	cases := []struct {
		name      string
		namespace string
		opts      TokenOptions
		req       authenticationv1.TokenRequest
		// want is the spec answered, wantExpiry the status's expiration
		// and wantClaims the token's aud, exp and kubernetes.io.
		want         authenticationv1.TokenRequestSpec
		wantExpiry   time.Duration
		wantClaims   map[string]any
		wantWarnings warnings
		wantErr      string
		wantCode     int32
		failAdmit    bool
	}{
		{
			name:       "defaults",
			want:       authenticationv1.TokenRequestSpec{Audiences: []string{api}, ExpirationSeconds: ptr.To[int64](3600)},
			wantExpiry: time.Hour,
			wantClaims: map[string]any{"aud": []any{api}, "exp": iat + 3600, "kubernetes.io": kube(nil)},
		},
		{
			name:       "audiences and lifetime asked for",
			req:        authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{Audiences: []string{"vault"}, ExpirationSeconds: ptr.To[int64](7200)}},
			want:       authenticationv1.TokenRequestSpec{Audiences: []string{"vault"}, ExpirationSeconds: ptr.To[int64](7200)},
			wantExpiry: 2 * time.Hour,
			wantClaims: map[string]any{"aud": []any{"vault"}, "exp": iat + 7200, "kubernetes.io": kube(nil)},
		},
		{
			name:         "shortened to the maximum",
			opts:         TokenOptions{MaxExpiration: 2 * time.Hour},
			req:          authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](36000)}},
			want:         authenticationv1.TokenRequestSpec{Audiences: []string{api}, ExpirationSeconds: ptr.To[int64](7200)},
			wantExpiry:   2 * time.Hour,
			wantClaims:   map[string]any{"aud": []any{api}, "exp": iat + 7200, "kubernetes.io": kube(nil)},
			wantWarnings: warnings{"requested expiration of 36000 seconds shortened to 7200 seconds"},
		},
		{
			name: "bound to a pod on a node",
			req:  authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{BoundObjectRef: podRef("web-0", "Pod")}},
			want: authenticationv1.TokenRequestSpec{Audiences: []string{api}, ExpirationSeconds: ptr.To[int64](3600), BoundObjectRef: podRef("web-0", "Pod")},
			wantClaims: map[string]any{"aud": []any{api}, "exp": iat + 3600, "kubernetes.io": kube(map[string]any{
				"pod":  map[string]any{"name": "web-0", "uid": "pod-uid"},
				"node": map[string]any{"name": "node-1", "uid": "node-uid"},
			})},
			wantExpiry: time.Hour,
		},
		{
			name: "bound to a pod whose node is gone",
			req:  authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{BoundObjectRef: podRef("lost", "Pod")}},
			want: authenticationv1.TokenRequestSpec{Audiences: []string{api}, ExpirationSeconds: ptr.To[int64](3600), BoundObjectRef: podRef("lost", "Pod")},
			wantClaims: map[string]any{"aud": []any{api}, "exp": iat + 3600, "kubernetes.io": kube(map[string]any{
				"pod":  map[string]any{"name": "lost", "uid": "lost-uid"},
				"node": map[string]any{"name": "gone"},
			})},
			wantExpiry: time.Hour,
		},
		{
			name: "kubelet's projected token extended",
			opts: TokenOptions{ExtendExpiration: true},
			req: authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
				ExpirationSeconds: ptr.To[int64](WarnOnlyExpirationSeconds), BoundObjectRef: podRef("web-0", "Pod"),
			}},
			want: authenticationv1.TokenRequestSpec{Audiences: []string{api}, ExpirationSeconds: ptr.To[int64](3607), BoundObjectRef: podRef("web-0", "Pod")},
			wantClaims: map[string]any{"aud": []any{api}, "exp": iat + 365*24*3600, "kubernetes.io": kube(map[string]any{
				"pod":       map[string]any{"name": "web-0", "uid": "pod-uid"},
				"node":      map[string]any{"name": "node-1", "uid": "node-uid"},
				"warnafter": iat + 3607,
			})},
			wantExpiry: 3607 * time.Second,
		},
		{
			name: "not extended for another audience",
			opts: TokenOptions{ExtendExpiration: true},
			req: authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
				Audiences: []string{"vault"}, ExpirationSeconds: ptr.To[int64](WarnOnlyExpirationSeconds), BoundObjectRef: podRef("web-0", "Pod"),
			}},
			want: authenticationv1.TokenRequestSpec{Audiences: []string{"vault"}, ExpirationSeconds: ptr.To[int64](3607), BoundObjectRef: podRef("web-0", "Pod")},
			wantClaims: map[string]any{"aud": []any{"vault"}, "exp": iat + 3607, "kubernetes.io": kube(map[string]any{
				"pod":  map[string]any{"name": "web-0", "uid": "pod-uid"},
				"node": map[string]any{"name": "node-1", "uid": "node-uid"},
			})},
			wantExpiry: 3607 * time.Second,
		},
		{
			name:       "bound to a secret",
			req:        authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{BoundObjectRef: &authenticationv1.BoundObjectReference{Kind: "Secret", APIVersion: "v1", Name: "token", UID: "secret-uid"}}},
			want:       authenticationv1.TokenRequestSpec{Audiences: []string{api}, ExpirationSeconds: ptr.To[int64](3600), BoundObjectRef: &authenticationv1.BoundObjectReference{Kind: "Secret", APIVersion: "v1", Name: "token", UID: "secret-uid"}},
			wantClaims: map[string]any{"aud": []any{api}, "exp": iat + 3600, "kubernetes.io": kube(map[string]any{"secret": map[string]any{"name": "token", "uid": "secret-uid"}})},
			wantExpiry: time.Hour,
		},
		{
			name:       "bound to a node",
			req:        authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{BoundObjectRef: podRef("node-1", "Node")}},
			want:       authenticationv1.TokenRequestSpec{Audiences: []string{api}, ExpirationSeconds: ptr.To[int64](3600), BoundObjectRef: podRef("node-1", "Node")},
			wantClaims: map[string]any{"aud": []any{api}, "exp": iat + 3600, "kubernetes.io": kube(map[string]any{"node": map[string]any{"name": "node-1", "uid": "node-uid"}})},
			wantExpiry: time.Hour,
		},
		{
			name:    "too short",
			req:     authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](599)}},
			wantErr: `TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes`, wantCode: 422,
		},
		{
			name:    "too long",
			req:     authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](1<<32 + 1)}},
			wantErr: `TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 4294967297: may not specify a duration larger than 2^32 seconds`, wantCode: 422,
		},
		{
			name:    "pod of another service account",
			req:     authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{BoundObjectRef: podRef("other", "Pod")}},
			wantErr: `cannot bind token for serviceaccount "default" to pod running with different serviceaccount name.`, wantCode: 400,
		},
		{
			name:    "pod not found",
			req:     authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{BoundObjectRef: podRef("web-1", "Pod")}},
			wantErr: `pods "web-1" not found`, wantCode: 404,
		},
		{
			name:    "pod recreated",
			req:     authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{BoundObjectRef: &authenticationv1.BoundObjectReference{APIVersion: "v1", Kind: "Pod", Name: "web-0", UID: "old"}}},
			wantErr: `Operation cannot be fulfilled on Pod "web-0": the UID in the bound object reference (old) does not match the UID in record. The object might have been deleted and then recreated`, wantCode: 409,
		},
		{
			name:    "unsupported kind",
			req:     authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{BoundObjectRef: podRef("config", "ConfigMap")}},
			wantErr: `cannot bind token to object of type /v1, Kind=ConfigMap`, wantCode: 400,
		},
		{
			name: "webhook",
			req: authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
				Audiences:      []string{"https://webhook"},
				BoundObjectRef: &authenticationv1.BoundObjectReference{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingWebhookConfiguration", Name: "hook"},
				Attestations:   map[string]authenticationv1.AttestationValue{"admissionReviewAPIGroups": {"apps"}},
			}},
			wantErr:  `cannot bind token to object of type admissionregistration.k8s.io/v1, Kind=ValidatingWebhookConfiguration (feature gate APIServerWebhookAuthenticationToken is disabled)`,
			wantCode: 400,
		},
		{
			name: "attestations without a webhook",
			req: authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
				Attestations: map[string]authenticationv1.AttestationValue{"admissionReviewAPIGroups": {"apps"}},
			}},
			wantErr:  `TokenRequest.authentication.k8s.io "" is invalid: spec.attestations: Invalid value: {"admissionReviewAPIGroups":["apps"]}: attestations may only be specified with a webhook bound object reference`,
			wantCode: 422,
		},
		{
			name:    "another name",
			req:     authenticationv1.TokenRequest{ObjectMeta: metav1.ObjectMeta{Name: "builder"}},
			wantErr: `TokenRequest.authentication.k8s.io "default" is invalid: metadata.name: Invalid value: "builder": must match the service account name if specified`, wantCode: 422,
		},
		{
			name:    "another namespace",
			req:     authenticationv1.TokenRequest{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system"}},
			wantErr: `TokenRequest.authentication.k8s.io "default" is invalid: metadata.namespace: Invalid value: "kube-system": must match the service account namespace if specified`, wantCode: 422,
		},
		{
			name:    "service account recreated",
			req:     authenticationv1.TokenRequest{ObjectMeta: metav1.ObjectMeta{UID: "old"}},
			wantErr: `Operation cannot be fulfilled on TokenRequest.authentication.k8s.io "default": the UID in the token request (old) does not match the UID of the service account (sa-uid)`, wantCode: 409,
		},
		{name: "no such service account", namespace: "db", wantErr: `serviceaccounts "default" not found`, wantCode: 404},
		{name: "admission denies", failAdmit: true, wantErr: `denied`, wantCode: 500},
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	issuer, err := token.NewIssuer(api, key)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore()
			o := tc.opts
			o.Issuer, o.APIAudiences, o.Objects, o.Clock = issuer, []string{api}, s, testingclock.NewFakePassiveClock(now)
			r := NewTokenREST(s, o)
			ns := tc.namespace
			if ns == "" {
				ns = "web"
			}
			var recorded warnings
			ctx := warning.WithWarningRecorder(request.WithNamespace(context.Background(), ns), &recorded)
			admit := func(context.Context, runtime.Object) error { return nil }
			if tc.failAdmit {
				admit = func(context.Context, runtime.Object) error { return apierrors.NewInternalError(errors.New("denied")) }
			}
			req := tc.req.DeepCopy()
			got, err := r.Create(ctx, "default", req, admit, &metav1.CreateOptions{})
			if tc.wantErr != "" {
				var status apierrors.APIStatus
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.As(err, &status) || status.Status().Code != tc.wantCode {
					t.Fatalf("Create() error = %v, want %d %q", err, tc.wantCode, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Create() error = %v", err)
			}
			tr := got.(*authenticationv1.TokenRequest)
			want := &authenticationv1.TokenRequest{
				ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: "web", UID: "sa-uid", CreationTimestamp: metav1.NewTime(now)},
				Spec:       tc.want,
				Status:     authenticationv1.TokenRequestStatus{Token: tr.Status.Token, ExpirationTimestamp: metav1.NewTime(now.Add(tc.wantExpiry))},
			}
			if diff := cmp.Diff(want, tr); diff != "" {
				t.Errorf("Create() mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantClaims, claims(t, tr.Status.Token)); diff != "" {
				t.Errorf("token claims (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantWarnings, recorded); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCreateTokenAuthenticates checks that what the subresource issues the
// authenticator accepts, as the user of the service account and pod.
func TestCreateTokenAuthenticates(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	issuer, err := token.NewIssuer(api, key)
	if err != nil {
		t.Fatal(err)
	}
	s := newStore()
	clock := testingclock.NewFakePassiveClock(now)
	r := NewTokenREST(s, TokenOptions{Issuer: issuer, APIAudiences: []string{api}, Objects: s, Clock: clock})
	ctx := request.WithNamespace(context.Background(), "web")
	got, err := r.Create(ctx, "default", &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
		BoundObjectRef: &authenticationv1.BoundObjectReference{APIVersion: "v1", Kind: "Pod", Name: "web-0"},
	}}, nil, &metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("Create() error = %v", err)
	}
	a := token.NewAuthenticator(token.Config{Issuers: []string{api}, Keys: []token.PublicKey{issuer.PublicKey()}, APIAudiences: []string{api}, Objects: s, Clock: clock})
	resp, ok, err := a.AuthenticateToken(context.Background(), got.(*authenticationv1.TokenRequest).Status.Token)
	if !ok || err != nil {
		t.Fatalf("AuthenticateToken() = %v, %v", ok, err)
	}
	extra := resp.User.GetExtra()
	gotUser := fmt.Sprintf("%s %s %v %v %v %v", resp.User.GetName(), resp.User.GetUID(), resp.User.GetGroups(),
		extra["authentication.kubernetes.io/pod-name"], extra["authentication.kubernetes.io/pod-uid"], extra["authentication.kubernetes.io/node-name"])
	if want := "system:serviceaccount:web:default sa-uid [system:serviceaccounts system:serviceaccounts:web] [web-0] [pod-uid] [node-1]"; gotUser != want {
		t.Errorf("user = %s, want %s", gotUser, want)
	}
}
