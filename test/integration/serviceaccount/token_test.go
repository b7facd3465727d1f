package serviceaccount

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	jose "gopkg.in/go-jose/go-jose.v2"
	"gopkg.in/go-jose/go-jose.v2/jwt"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/test/integration/framework"
)

// issuer is the server's default --service-account-issuer, and so its API
// audience.
const issuer = "https://kubernetes.default.svc.cluster.local"

// as returns a client that presents only the bearer token.
func as(t *testing.T, admin *rest.Config, token string) kubernetes.Interface {
	t.Helper()
	c := rest.AnonymousClientConfig(admin)
	c.BearerToken = token
	return kubernetes.NewForConfigOrDie(c)
}

func whoami(ctx context.Context, client kubernetes.Interface) (authenticationv1.UserInfo, error) {
	r, err := client.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return authenticationv1.UserInfo{}, err
	}
	return r.Status.UserInfo, nil
}

func createToken(t *testing.T, client kubernetes.Interface, ns, sa string, spec authenticationv1.TokenRequestSpec) *authenticationv1.TokenRequest {
	t.Helper()
	tr, err := client.CoreV1().ServiceAccounts(ns).CreateToken(context.Background(), sa, &authenticationv1.TokenRequest{Spec: spec}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create token for %s/%s: %v", ns, sa, err)
	}
	return tr
}

// waitUnauthorized waits until the token stops authenticating: as
// upstream, the server takes an authenticated token for granted for 10s,
// and then reads informers, which see a deletion a moment later. The tests
// that wait run in parallel.
func waitUnauthorized(t *testing.T, client kubernetes.Interface) {
	t.Helper()
	var last error
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		_, last = whoami(ctx, client)
		return apierrors.IsUnauthorized(last), nil
	})
	if err != nil {
		t.Fatalf("token still accepted: last error %v", last)
	}
}

func TestTokenAuthenticates(t *testing.T) {
	ctx := context.Background()
	admin := framework.Shared(t)
	client := kubernetes.NewForConfigOrDie(admin)
	ns := framework.Namespace(t, client)
	sa, err := client.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}

	before := time.Now().Truncate(time.Second)
	tr := createToken(t, client, ns, "default", authenticationv1.TokenRequestSpec{})
	if tr.Status.Token == "" || !slices.Equal(tr.Spec.Audiences, []string{issuer}) || ptr.Deref(tr.Spec.ExpirationSeconds, 0) != 3600 {
		t.Errorf("token request = %+v, want a token for %s for an hour", tr.Spec, issuer)
	}
	if exp := tr.Status.ExpirationTimestamp.Time; exp.Before(before.Add(time.Hour)) || exp.After(time.Now().Add(time.Hour)) {
		t.Errorf("expirationTimestamp = %s, want an hour from now", exp)
	}

	want := authenticationv1.UserInfo{
		Username: "system:serviceaccount:" + ns + ":default",
		UID:      string(sa.UID),
		Groups:   []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"},
	}
	got, err := whoami(ctx, as(t, admin, tr.Status.Token))
	if err != nil {
		t.Fatalf("whoami with the token: %v", err)
	}
	if id := got.Extra["authentication.kubernetes.io/credential-id"]; len(id) != 1 || !strings.HasPrefix(id[0], "JTI=") {
		t.Errorf("credential-id = %v, want JTI=<jti>", id)
	}
	got.Extra = nil
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("whoami with the token (-want +got):\n%s", diff)
	}

	// The token authenticates the service account, which RBAC grants
	// nothing until a binding names it.
	saClient := as(t, admin, tr.Status.Token)
	_, err = saClient.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
	forbidden := `configmaps is forbidden: User "system:serviceaccount:` + ns + `:default" cannot list resource "configmaps" in API group "" in the namespace "` + ns + `"`
	if !apierrors.IsForbidden(err) || err.Error() != forbidden {
		t.Errorf("list configmaps with the token, unbound: error %v, want 403 %q", err, forbidden)
	}
	_, err = client.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "default-view"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "default"}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("bind view to the service account: %v", err)
	}
	err = wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := saClient.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
		return err == nil, nil
	})
	if err != nil {
		t.Errorf("list configmaps with the token, bound to view: never allowed")
	}

	review, err := client.AuthenticationV1().TokenReviews().Create(ctx,
		&authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{Token: tr.Status.Token}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("token review: %v", err)
	}
	review.Status.User.Extra = nil
	if diff := cmp.Diff(authenticationv1.TokenReviewStatus{Authenticated: true, User: want, Audiences: []string{issuer}}, review.Status); diff != "" {
		t.Errorf("token review (-want +got):\n%s", diff)
	}
}

func TestTokenForAnotherAudience(t *testing.T) {
	ctx := context.Background()
	admin := framework.Shared(t)
	client := kubernetes.NewForConfigOrDie(admin)
	ns := framework.Namespace(t, client)
	tr := createToken(t, client, ns, "default", authenticationv1.TokenRequestSpec{Audiences: []string{"vault"}})

	if _, err := whoami(ctx, as(t, admin, tr.Status.Token)); !apierrors.IsUnauthorized(err) {
		t.Errorf("whoami with a vault token: error = %v, want 401", err)
	}

	for _, tc := range []struct {
		name      string
		audiences []string
		want      bool
	}{
		{name: "for the API", want: false},
		{name: "for vault", audiences: []string{"vault"}, want: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			review, err := client.AuthenticationV1().TokenReviews().Create(ctx, &authenticationv1.TokenReview{
				Spec: authenticationv1.TokenReviewSpec{Token: tr.Status.Token, Audiences: tc.audiences},
			}, metav1.CreateOptions{})
			if err != nil {
				t.Fatalf("token review: %v", err)
			}
			if review.Status.Authenticated != tc.want {
				t.Errorf("authenticated = %v (%s), want %v", review.Status.Authenticated, review.Status.Error, tc.want)
			}
			if tc.want && !slices.Equal(review.Status.Audiences, []string{"vault"}) {
				t.Errorf("audiences = %v, want [vault]", review.Status.Audiences)
			}
		})
	}
}

func TestRejectedTokens(t *testing.T) {
	ctx := context.Background()
	admin := framework.Shared(t)
	client := kubernetes.NewForConfigOrDie(admin)
	ns := framework.Namespace(t, client)
	tr := createToken(t, client, ns, "default", authenticationv1.TokenRequestSpec{})
	raw := tr.Status.Token
	dot := strings.LastIndex(raw, ".")
	tampered := []byte(raw)
	if tampered[dot+10] == 'A' {
		tampered[dot+10] = 'B'
	} else {
		tampered[dot+10] = 'A'
	}
	for name, token := range map[string]string{
		"garbage":            "garbage",
		"tampered signature": string(tampered),
		"no signature":       raw[:dot+1],
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := whoami(ctx, as(t, admin, token)); !apierrors.IsUnauthorized(err) {
				t.Errorf("whoami: error = %v, want 401", err)
			}
		})
	}

	_, err := client.CoreV1().ServiceAccounts(ns).CreateToken(ctx, "default", &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](60)},
	}, metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "may not specify a duration less than 10 minutes") {
		t.Errorf("token for a minute: error = %v, want 422", err)
	}
	_, err = client.CoreV1().ServiceAccounts(ns).CreateToken(ctx, "nobody", &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
	if !apierrors.IsNotFound(err) {
		t.Errorf("token for a missing service account: error = %v, want 404", err)
	}
}

func TestDeletedServiceAccountRevokes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	admin := framework.Shared(t)
	client := kubernetes.NewForConfigOrDie(admin)
	ns := framework.Namespace(t, client)
	if _, err := client.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "robot"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	tr := createToken(t, client, ns, "robot", authenticationv1.TokenRequestSpec{})
	robot := as(t, admin, tr.Status.Token)
	if _, err := whoami(ctx, robot); err != nil {
		t.Fatalf("whoami before deletion: %v", err)
	}
	if err := client.CoreV1().ServiceAccounts(ns).Delete(ctx, "robot", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitUnauthorized(t, robot)

	// A service account of the same name is another one.
	if _, err := client.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "robot"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	review, err := client.AuthenticationV1().TokenReviews().Create(ctx,
		&authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{Token: tr.Status.Token}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if review.Status.Authenticated || !strings.Contains(review.Status.Error, "does not match claim") {
		t.Errorf("review after recreation = %+v, want not authenticated, UID mismatch", review.Status)
	}
}

func TestPodBoundToken(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	admin := framework.Shared(t)
	client := kubernetes.NewForConfigOrDie(admin)
	ns := framework.Namespace(t, client)
	pod, err := client.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx"}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}

	// A UID of another pod of the same name is refused.
	_, err = client.CoreV1().ServiceAccounts(ns).CreateToken(ctx, "default", &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
		BoundObjectRef: &authenticationv1.BoundObjectReference{APIVersion: "v1", Kind: "Pod", Name: "web", UID: "0000"},
	}}, metav1.CreateOptions{})
	if !apierrors.IsConflict(err) {
		t.Errorf("token for a pod's old UID: error = %v, want 409", err)
	}

	tr := createToken(t, client, ns, "default", authenticationv1.TokenRequestSpec{
		BoundObjectRef: &authenticationv1.BoundObjectReference{APIVersion: "v1", Kind: "Pod", Name: "web", UID: pod.UID},
	})
	bound := as(t, admin, tr.Status.Token)
	got, err := whoami(ctx, bound)
	if err != nil {
		t.Fatalf("whoami with the pod's token: %v", err)
	}
	wantExtra := map[string]authenticationv1.ExtraValue{
		"authentication.kubernetes.io/pod-name": {"web"},
		"authentication.kubernetes.io/pod-uid":  {string(pod.UID)},
	}
	delete(got.Extra, "authentication.kubernetes.io/credential-id")
	if diff := cmp.Diff(wantExtra, got.Extra); diff != "" {
		t.Errorf("extra (-want +got):\n%s", diff)
	}

	// Not scheduled, so deleted at once.
	if err := client.CoreV1().Pods(ns).Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitUnauthorized(t, bound)
}

// TestIssuerDiscovery checks that the published keys verify the tokens, as
// a relying party outside the cluster would.
func TestIssuerDiscovery(t *testing.T) {
	ctx := context.Background()
	admin := framework.Shared(t)
	client := kubernetes.NewForConfigOrDie(admin)
	ns := framework.Namespace(t, client)

	body, err := client.Discovery().RESTClient().Get().AbsPath("/.well-known/openid-configuration").DoRaw(ctx)
	if err != nil {
		t.Fatalf("get OpenID configuration: %v", err)
	}
	var config struct {
		Issuer  string   `json:"issuer"`
		JWKSURI string   `json:"jwks_uri"`
		Algs    []string `json:"id_token_signing_alg_values_supported"`
	}
	if err := json.Unmarshal(body, &config); err != nil {
		t.Fatalf("OpenID configuration %s: %v", body, err)
	}
	if config.Issuer != issuer || !strings.HasPrefix(config.JWKSURI, "https://") || !strings.HasSuffix(config.JWKSURI, "/openid/v1/jwks") || !slices.Equal(config.Algs, []string{"ES256"}) {
		t.Errorf("OpenID configuration = %+v", config)
	}

	body, err = client.Discovery().RESTClient().Get().AbsPath("/openid/v1/jwks").DoRaw(ctx)
	if err != nil {
		t.Fatalf("get JWKS: %v", err)
	}
	var keys jose.JSONWebKeySet
	if err := json.Unmarshal(body, &keys); err != nil {
		t.Fatalf("JWKS %s: %v", body, err)
	}

	tr := createToken(t, client, ns, "default", authenticationv1.TokenRequestSpec{Audiences: []string{"vault"}})
	tok, err := jwt.ParseSigned(tr.Status.Token)
	if err != nil {
		t.Fatal(err)
	}
	published := keys.Key(tok.Headers[0].KeyID)
	if len(published) != 1 {
		t.Fatalf("JWKS has no key %q: %s", tok.Headers[0].KeyID, body)
	}
	var claims jwt.Claims
	if err := tok.Claims(published[0].Key, &claims); err != nil {
		t.Fatalf("verify the token with the published key: %v", err)
	}
	if err := claims.Validate(jwt.Expected{Issuer: issuer, Audience: jwt.Audience{"vault"}, Subject: "system:serviceaccount:" + ns + ":default", Time: time.Now()}); err != nil {
		t.Errorf("claims %+v: %v", claims, err)
	}
}
