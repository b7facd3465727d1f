package apiserver

import (
	"context"
	"strings"
	"testing"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/test/certs"
	"github.com/kubeshim/kubeshim/test/integration/framework"
)

// TestPodCertificateRequests: a request is validated, answered through
// /status only by who may "sign" for its signer, and final once issued.
func TestPodCertificateRequests(t *testing.T) {
	ctx := context.Background()
	config := framework.Shared(t)
	client := kubernetes.NewForConfigOrDie(config)
	ns := framework.Namespace(t, client)
	pcrs := client.CertificatesV1().PodCertificateRequests(ns)

	key := certs.NewKey(t)
	req := &certificatesv1.PodCertificateRequest{ObjectMeta: metav1.ObjectMeta{Name: "pcr"}, Spec: certificatesv1.PodCertificateRequestSpec{
		SignerName: "pcr.example.com/signer", PodName: "web", PodUID: "pod-uid", ServiceAccountName: "default",
		ServiceAccountUID: "sa-uid", NodeName: "node-1", NodeUID: "node-uid",
		MaxExpirationSeconds: ptr.To[int32](86400), StubPKCS10Request: certs.RequestDER(t, key, ""),
	}}
	bad := req.DeepCopy()
	bad.Name, bad.Spec.MaxExpirationSeconds = "bad", ptr.To[int32](60)
	if _, err := pcrs.Create(ctx, bad, metav1.CreateOptions{}); !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "spec.maxExpirationSeconds") {
		t.Errorf("create with a one-minute maximum: err = %v, want 422 on spec.maxExpirationSeconds", err)
	}
	created, err := pcrs.Create(ctx, req, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}

	// The signer's answer: a certificate for the requested key.
	now := time.Now().Truncate(time.Second)
	issued := created.DeepCopy()
	issued.Status = certificatesv1.PodCertificateRequestStatus{
		Conditions: []metav1.Condition{{Type: certificatesv1.PodCertificateRequestConditionTypeIssued, Status: metav1.ConditionTrue,
			Reason: "Issued", Message: "issued by the test", LastTransitionTime: metav1.NewTime(now)}},
		CertificateChain: certs.SelfSignedPEM(t, key, certs.Cert{CommonName: "web", NotBefore: now, Lifetime: time.Hour}),
		NotBefore:        ptr.To(metav1.NewTime(now)),
		NotAfter:         ptr.To(metav1.NewTime(now.Add(time.Hour))),
		BeginRefreshAt:   ptr.To(metav1.NewTime(now.Add(30 * time.Minute))),
	}

	// Someone who may update the status but not sign for the signer.
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "pcr-status"}, Rules: []rbacv1.PolicyRule{{
		APIGroups: []string{"certificates.k8s.io"}, Resources: []string{"podcertificaterequests/status"}, Verbs: []string{"update"},
	}}}
	if _, err := client.RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "pcr-status"},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "pcr-status"},
		Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: "not-a-signer"}}}
	if _, err := client.RbacV1().RoleBindings(ns).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	other := rest.CopyConfig(config)
	other.Impersonate = rest.ImpersonationConfig{UserName: "not-a-signer"}
	// The authorizer reads roles from its informers: until they have the
	// binding, the update is forbidden outright.
	_ = wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err = kubernetes.NewForConfigOrDie(other).CertificatesV1().PodCertificateRequests(ns).UpdateStatus(ctx, issued, metav1.UpdateOptions{})
		return !apierrors.IsForbidden(err), nil
	})
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), `User "not-a-signer" is not permitted to "sign" for signer "pcr.example.com/signer"`) {
		t.Errorf("status by a non-signer: err = %v, want not permitted to sign", err)
	}

	// The admin may sign for every signer.
	got, err := pcrs.UpdateStatus(ctx, issued, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("issue: %v", err)
	}
	if got.Status.CertificateChain == "" {
		t.Errorf("issued request without its chain")
	}
	// Issued is final.
	got.Status.Conditions[0].Message = "changed"
	if _, err := pcrs.UpdateStatus(ctx, got, metav1.UpdateOptions{}); !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "immutable after PodCertificateRequest is issued") {
		t.Errorf("change an issued request's status: err = %v, want 422 immutable", err)
	}
	// Selectable by signer, pod and node.
	list, err := pcrs.List(ctx, metav1.ListOptions{FieldSelector: "spec.signerName=pcr.example.com/signer,spec.podName=web,spec.nodeName=node-1"})
	if err != nil || len(list.Items) != 1 {
		t.Errorf("list by signer, pod and node: %d items, err %v; want 1", len(list.Items), err)
	}
}
