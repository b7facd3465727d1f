package apiserver

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

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
