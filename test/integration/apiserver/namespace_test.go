package apiserver

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeshim/kubeshim/test/integration/framework"
)

func TestNamespaceTwoPhaseDeletion(t *testing.T) {
	ctx := context.Background()
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	namespaces := client.CoreV1().Namespaces()

	ns, err := namespaces.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "doomed"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if ns.Status.Phase != corev1.NamespaceActive || len(ns.Spec.Finalizers) != 1 || ns.Spec.Finalizers[0] != corev1.FinalizerKubernetes {
		t.Fatalf("new namespace: phase %q finalizers %v, want Active and [kubernetes]", ns.Status.Phase, ns.Spec.Finalizers)
	}
	if err := namespaces.Delete(ctx, "doomed", metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	ns, err = namespaces.Get(ctx, "doomed", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get after delete: %v (want it Terminating, not gone)", err)
	}
	if ns.Status.Phase != corev1.NamespaceTerminating || ns.DeletionTimestamp == nil {
		t.Fatalf("after delete: phase %q deletionTimestamp %v, want Terminating and set", ns.Status.Phase, ns.DeletionTimestamp)
	}
	// Namespace lifecycle admission refuses new content in a terminating namespace.
	_, err = client.CoreV1().ConfigMaps("doomed").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "late"}}, metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) {
		t.Errorf("create in a terminating namespace: err = %v, want 403 Forbidden", err)
	}

	// What the namespace controller does once the namespace is empty.
	ns.Spec.Finalizers = nil
	ns.Labels = map[string]string{"ignored": "by-finalize"}
	ns, err = namespaces.Finalize(ctx, ns, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("finalize: %v", err)
	}
	if len(ns.Spec.Finalizers) != 0 || ns.Labels["ignored"] != "" {
		t.Errorf("after finalize: finalizers %v labels %v, want none and unchanged labels", ns.Spec.Finalizers, ns.Labels)
	}
	if err := namespaces.Delete(ctx, "doomed", metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		t.Fatalf("second delete: %v", err)
	}
	if _, err := namespaces.Get(ctx, "doomed", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("after finalize and delete: err = %v, want NotFound", err)
	}
}
