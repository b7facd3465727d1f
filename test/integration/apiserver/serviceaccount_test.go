package apiserver

import (
	"context"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kubeshim/kubeshim/test/integration/framework"
)

func TestServiceAccountAdmission(t *testing.T) {
	ctx := context.Background()
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ns := framework.Namespace(t, client)
	pods := client.CoreV1().Pods(ns)

	p, err := pods.Create(ctx, newPod("defaulted", nil), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if p.Spec.ServiceAccountName != "default" {
		t.Errorf("serviceAccountName = %q, want default", p.Spec.ServiceAccountName)
	}
	missing := newPod("missing", nil)
	missing.Spec.ServiceAccountName = "nobody"
	_, err = pods.Create(ctx, missing, metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "service account "+ns+"/nobody was not found, retry after the service account is created") {
		t.Errorf("pod with a missing service account: err = %v, want 403 with upstream's message", err)
	}
}

func TestRootCAAndDefaultServiceAccountInEveryNamespace(t *testing.T) {
	ctx := context.Background()
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ns := framework.Namespace(t, client)
	cms := client.CoreV1().ConfigMaps(ns)

	var cm *corev1.ConfigMap
	err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		var err error
		cm, err = cms.Get(ctx, "kube-root-ca.crt", metav1.GetOptions{})
		return err == nil, nil
	})
	if err != nil {
		t.Fatalf("kube-root-ca.crt never appeared: %v", err)
	}
	if !strings.HasPrefix(cm.Data["ca.crt"], "-----BEGIN CERTIFICATE-----") {
		t.Fatalf("ca.crt = %q, want a PEM certificate", cm.Data["ca.crt"])
	}
	want := cm.Data["ca.crt"]
	// Changed or deleted, it comes back.
	cm.Data["ca.crt"] = "tampered"
	if _, err := cms.Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("update: %v", err)
	}
	if err := cms.Delete(ctx, "kube-root-ca.crt", metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if err := client.CoreV1().ServiceAccounts(ns).Delete(ctx, "default", metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete service account: %v", err)
	}
	err = wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		cm, err := cms.Get(ctx, "kube-root-ca.crt", metav1.GetOptions{})
		if err != nil || cm.Data["ca.crt"] != want {
			return false, nil
		}
		_, err = client.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
		return err == nil, nil
	})
	if err != nil {
		t.Errorf("kube-root-ca.crt or the default service account not restored: %v", err)
	}
}

// TestLegacyServiceAccountToken: a Secret of type
// kubernetes.io/service-account-token is filled by the tokens controller
// (token, ca.crt, namespace, the account's UID); its token authenticates
// as the account until the Secret is marked invalid or deleted, and the
// Secret goes when its account does.
func TestLegacyServiceAccountToken(t *testing.T) {
	ctx := context.Background()
	adminConfig := framework.Shared(t)
	client := kubernetes.NewForConfigOrDie(adminConfig)
	ns := framework.Namespace(t, client)
	sa, err := client.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "legacy"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "legacy-token", Annotations: map[string]string{corev1.ServiceAccountNameKey: "legacy"}},
		Type:       corev1.SecretTypeServiceAccountToken,
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var secret *corev1.Secret
	poll(t, "the tokens controller fills the Secret", func(ctx context.Context) (bool, error) {
		secret, err = client.CoreV1().Secrets(ns).Get(ctx, "legacy-token", metav1.GetOptions{})
		return err == nil && len(secret.Data[corev1.ServiceAccountTokenKey]) > 0, err
	})
	if got := secret.Annotations[corev1.ServiceAccountUIDKey]; got != string(sa.UID) {
		t.Errorf("uid annotation %q, want %q", got, sa.UID)
	}
	if string(secret.Data[corev1.ServiceAccountNamespaceKey]) != ns || len(secret.Data[corev1.ServiceAccountRootCAKey]) == 0 {
		t.Errorf("namespace %q and ca.crt (%d bytes): want %q and the CA", secret.Data[corev1.ServiceAccountNamespaceKey], len(secret.Data[corev1.ServiceAccountRootCAKey]), ns)
	}

	tokenClient := kubernetes.NewForConfigOrDie(&rest.Config{Host: adminConfig.Host, BearerToken: string(secret.Data[corev1.ServiceAccountTokenKey]),
		TLSClientConfig: rest.TLSClientConfig{CAData: adminConfig.CAData}})
	whoami := func(ctx context.Context) (string, error) {
		r, err := tokenClient.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
		if err != nil {
			return "", err
		}
		return r.Status.UserInfo.Username, nil
	}
	if got, err := whoami(ctx); err != nil || got != "system:serviceaccount:"+ns+":legacy" {
		t.Fatalf("whoami with the token: %q, %v", got, err)
	}

	// Marked invalid (as upstream's legacy token cleaner marks unused
	// ones): refused once the authentication cache forgets it.
	secret.Labels = map[string]string{"kubernetes.io/legacy-token-invalid-since": "2026-11-25"}
	if secret, err = client.CoreV1().Secrets(ns).Update(ctx, secret, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	poll(t, "the marked token is refused", func(ctx context.Context) (bool, error) {
		_, err := whoami(ctx)
		return apierrors.IsUnauthorized(err), nil
	})

	// The account goes, and its token Secret with it.
	if err := client.CoreV1().ServiceAccounts(ns).Delete(ctx, "legacy", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	poll(t, "the token Secret is deleted with its account", func(ctx context.Context) (bool, error) {
		_, err := client.CoreV1().Secrets(ns).Get(ctx, "legacy-token", metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
}

func poll(t *testing.T, what string, cond func(ctx context.Context) (bool, error)) {
	t.Helper()
	var last error
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		ok, err := cond(ctx)
		last = err
		return ok, nil
	})
	if err != nil {
		t.Fatalf("%s: never happened (last error: %v)", what, last)
	}
}
