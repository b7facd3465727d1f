package apiserver

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/cluster-bootstrap/token/jws"

	"github.com/kubeshim/kubeshim/registry/apiserver"
	"github.com/kubeshim/kubeshim/test/integration/framework"
)

// bootstrapToken is a bootstrap token's Secret in kube-system: id, secret
// and the other keys (usage, expiration, extra groups) as given.
func bootstrapToken(id, secret string, keys map[string]string) *corev1.Secret {
	data := map[string]string{"token-id": id, "token-secret": secret}
	for k, v := range keys {
		data[k] = v
	}
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "bootstrap-token-" + id},
		Type:       "bootstrap.kubernetes.io/token",
		StringData: data,
	}
}

// bearer returns a client that presents only the bearer token.
func bearer(admin *rest.Config, token string) kubernetes.Interface {
	c := rest.AnonymousClientConfig(admin)
	c.BearerToken = token
	return kubernetes.NewForConfigOrDie(c)
}

func selfSubject(ctx context.Context, client kubernetes.Interface) (authenticationv1.UserInfo, error) {
	r, err := client.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return authenticationv1.UserInfo{}, err
	}
	return r.Status.UserInfo, nil
}

func createSecrets(t *testing.T, client kubernetes.Interface, secrets ...*corev1.Secret) {
	t.Helper()
	for _, s := range secrets {
		if _, err := client.CoreV1().Secrets(s.Namespace).Create(context.Background(), s, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create secret %s: %v", s.Name, err)
		}
	}
}

// TestBootstrapTokenAuthentication: with --enable-bootstrap-token-auth, a
// bootstrap token authenticates as system:bootstrap:<id> in
// system:bootstrappers and its extra groups, for requests and TokenReviews;
// an expired one, a wrong secret, one not for authentication, one of
// another type and a malformed one are 401s, and deleting the Secret
// revokes the token. The same server restarted without the flag refuses
// the token whose Secret it has.
func TestBootstrapTokenAuthentication(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	// Without controllers: the token cleaner would delete the expired
	// token, which must be refused for its expiration alone.
	s, err := framework.Start(func(o *apiserver.Options) {
		o.DataDir = dir
		o.EnableBootstrapTokenAuth = true
		o.Disable = []string{apiserver.RoleScheduler, apiserver.RoleControllers}
	})
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			s.Stop()
		}
	}()
	admin := kubernetes.NewForConfigOrDie(s.Config)

	const (
		id, secret = "abcdef", "0123456789abcdef"
		token      = id + "." + secret
		// revoked authenticates until its Secret is deleted.
		revoked = "qrstuv.0123456789abcdef"
	)
	hour := func(n int) string { return time.Now().Add(time.Duration(n) * time.Hour).UTC().Format(time.RFC3339) }
	auth := map[string]string{"usage-bootstrap-authentication": "true"}
	refused := map[string]string{
		"expired":             "expird." + secret,
		"wrong secret":        id + ".0123456789abcdee",
		"not for auth":        "signer." + secret,
		"another type":        "opaque." + secret,
		"bad extra group":     "badgrp." + secret,
		"malformed":           strings.ToUpper(token),
		"no secret of its id": "nosuch." + secret,
	}
	opaque := bootstrapToken("opaque", secret, auth)
	opaque.Type = corev1.SecretTypeOpaque
	// The tokens that must be refused first, the valid ones last: once the
	// server's informer has the last, it has them all.
	createSecrets(t, admin,
		bootstrapToken("expird", secret, map[string]string{"usage-bootstrap-authentication": "true", "expiration": hour(-1)}),
		bootstrapToken("signer", secret, map[string]string{"usage-bootstrap-signing": "true"}),
		opaque,
		bootstrapToken("badgrp", secret, map[string]string{"usage-bootstrap-authentication": "true", "auth-extra-groups": "system:bootstrappers:ok,system:masters"}),
		bootstrapToken("qrstuv", secret, auth),
		bootstrapToken(id, secret, map[string]string{
			"usage-bootstrap-authentication": "true", "usage-bootstrap-signing": "true",
			"expiration": hour(1), "auth-extra-groups": "system:bootstrappers:worker,system:bootstrappers:kubeadm:default-node-token",
		}),
	)

	want := authenticationv1.UserInfo{
		Username: "system:bootstrap:" + id,
		Groups:   []string{"system:bootstrappers", "system:bootstrappers:kubeadm:default-node-token", "system:bootstrappers:worker", "system:authenticated"},
	}
	var got authenticationv1.UserInfo
	err = wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		got, err = selfSubject(ctx, bearer(s.Config, token))
		return err == nil, nil
	})
	if err != nil {
		t.Fatalf("token never authenticated: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("user (-want +got):\n%s", diff)
	}
	for name, tok := range refused {
		if _, err := selfSubject(ctx, bearer(s.Config, tok)); !apierrors.IsUnauthorized(err) {
			t.Errorf("%s: error %v, want 401", name, err)
		}
	}

	// TokenReview takes the same authenticators, as upstream.
	tr, err := admin.AuthenticationV1().TokenReviews().Create(ctx, &authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{Token: token}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !tr.Status.Authenticated || tr.Status.User.Username != want.Username {
		t.Errorf("token review status %+v, want authenticated as %s", tr.Status, want.Username)
	}
	// A bootstrap token is good for the API only: a review for another
	// audience does not authenticate it.
	tr, err = admin.AuthenticationV1().TokenReviews().Create(ctx, &authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{Token: token, Audiences: []string{"vault"}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Status.Authenticated {
		t.Errorf("token review for audience vault authenticated %+v", tr.Status.User)
	}

	// Revocation: the server takes a success for granted for 10s, as
	// upstream, then reads its informer again.
	if _, err := selfSubject(ctx, bearer(s.Config, revoked)); err != nil {
		t.Fatalf("token %s: %v", revoked[:6], err)
	}
	if err := admin.CoreV1().Secrets("kube-system").Delete(ctx, "bootstrap-token-qrstuv", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := selfSubject(ctx, bearer(s.Config, revoked))
		return apierrors.IsUnauthorized(err), nil
	})
	if err != nil {
		t.Errorf("token of a deleted Secret still authenticates")
	}

	// Restarted without the flag on the same data: the server is ready
	// only once its informers have synced, so it has the Secret, and still
	// refuses the token.
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	stopped = true
	s, err = framework.Start(func(o *apiserver.Options) {
		o.DataDir = dir
		o.Disable = []string{apiserver.RoleScheduler, apiserver.RoleControllers}
	})
	if err != nil {
		t.Fatal(err)
	}
	stopped = false
	if _, err := kubernetes.NewForConfigOrDie(s.Config).CoreV1().Secrets("kube-system").Get(ctx, "bootstrap-token-"+id, metav1.GetOptions{}); err != nil {
		t.Fatalf("token Secret after restart: %v", err)
	}
	if _, err := selfSubject(ctx, bearer(s.Config, token)); !apierrors.IsUnauthorized(err) {
		t.Errorf("without --enable-bootstrap-token-auth: error %v, want 401", err)
	}
}

// TestBootstrapTokenCleaner: the shared server's controllers delete a
// bootstrap token once it has expired, whether it already had when created
// or expires later, and keep one without an expiration.
func TestBootstrapTokenCleaner(t *testing.T) {
	ctx := context.Background()
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	const secret = "0123456789abcdef"
	auth := func(expiration string) map[string]string {
		m := map[string]string{"usage-bootstrap-authentication": "true"}
		if expiration != "" {
			m["expiration"] = expiration
		}
		return m
	}
	// RFC 3339 with seconds: two seconds from now is at least one.
	soon := time.Now().Add(2 * time.Second).UTC().Format(time.RFC3339)
	createSecrets(t, client,
		bootstrapToken("clnkep", secret, auth("")),
		bootstrapToken("clnold", secret, auth(time.Now().Add(-time.Hour).UTC().Format(time.RFC3339))),
		bootstrapToken("clnnew", secret, auth(soon)),
	)
	t.Cleanup(func() {
		_ = client.CoreV1().Secrets("kube-system").Delete(context.Background(), "bootstrap-token-clnkep", metav1.DeleteOptions{})
	})
	for _, name := range []string{"bootstrap-token-clnold", "bootstrap-token-clnnew"} {
		err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
			_, err := client.CoreV1().Secrets("kube-system").Get(ctx, name, metav1.GetOptions{})
			return apierrors.IsNotFound(err), nil
		})
		if err != nil {
			t.Errorf("expired token %s not deleted", name)
		}
	}
	if _, err := client.CoreV1().Secrets("kube-system").Get(ctx, "bootstrap-token-clnkep", metav1.GetOptions{}); err != nil {
		t.Errorf("token without expiration: %v, want kept", err)
	}
}

// TestBootstrapSigner: the shared server's controllers sign
// kube-public/cluster-info's kubeconfig with a signing token, so that a
// joining node holding the token can check it, and remove the signature
// when the token goes.
func TestBootstrapSigner(t *testing.T) {
	ctx := context.Background()
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	const (
		id, secret = "sgnabc", "0123456789abcdef"
		kubeconfig = "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    server: https://127.0.0.1:6443\n  name: \"\"\n"
	)
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-public", Name: "cluster-info"}, Data: map[string]string{"kubeconfig": kubeconfig}}
	if _, err := client.CoreV1().ConfigMaps("kube-public").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = client.CoreV1().ConfigMaps("kube-public").Delete(context.Background(), "cluster-info", metav1.DeleteOptions{})
	})
	createSecrets(t, client,
		bootstrapToken("sgnoff", secret, map[string]string{"usage-bootstrap-authentication": "true"}),
		bootstrapToken(id, secret, map[string]string{"usage-bootstrap-signing": "true"}),
	)
	t.Cleanup(func() {
		_ = client.CoreV1().Secrets("kube-system").Delete(context.Background(), "bootstrap-token-sgnoff", metav1.DeleteOptions{})
	})
	signatures := func(cm *corev1.ConfigMap) []string {
		var keys []string
		for k := range cm.Data {
			if strings.HasPrefix(k, "jws-kubeconfig-") {
				keys = append(keys, k)
			}
		}
		return keys
	}
	var got *corev1.ConfigMap
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		var err error
		got, err = client.CoreV1().ConfigMaps("kube-public").Get(ctx, "cluster-info", metav1.GetOptions{})
		return err == nil && len(signatures(got)) > 0, nil
	})
	if err != nil {
		t.Fatalf("cluster-info never signed: %v", err)
	}
	if diff := cmp.Diff([]string{"jws-kubeconfig-" + id}, signatures(got)); diff != "" {
		t.Errorf("signatures (-want +got):\n%s", diff)
	}
	if !jws.DetachedTokenIsValid(got.Data["jws-kubeconfig-"+id], kubeconfig, id, secret) {
		t.Errorf("signature %q does not verify with the token", got.Data["jws-kubeconfig-"+id])
	}
	if err := client.CoreV1().Secrets("kube-system").Delete(ctx, "bootstrap-token-"+id, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		var err error
		got, err = client.CoreV1().ConfigMaps("kube-public").Get(ctx, "cluster-info", metav1.GetOptions{})
		return err == nil && len(signatures(got)) == 0, nil
	})
	if err != nil {
		t.Errorf("signature of the deleted token kept: %v", signatures(got))
	}
	if got.Data["kubeconfig"] != kubeconfig {
		t.Errorf("kubeconfig changed to %q", got.Data["kubeconfig"])
	}
}
