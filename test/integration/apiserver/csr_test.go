package apiserver

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeshim/kubeshim/test/certs"
	"github.com/kubeshim/kubeshim/test/integration/framework"
)

func TestCertificateSigningRequestApproval(t *testing.T) {
	ctx := context.Background()
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	csrs := client.CertificatesV1().CertificateSigningRequests()

	csr, err := csrs.Create(ctx, &certificatesv1.CertificateSigningRequest{
		ObjectMeta: metav1.ObjectMeta{Name: "someone"},
		Spec: certificatesv1.CertificateSigningRequestSpec{
			Request:    certs.RequestPEM(t, certs.NewKey(t), "someone"),
			SignerName: "example.com/signer",
			Usages:     []certificatesv1.KeyUsage{certificatesv1.UsageClientAuth},
			Username:   "claimed-to-be-root",
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if csr.Spec.Username != "kubernetes-admin" {
		t.Errorf("spec.username = %q, want the requester kubernetes-admin", csr.Spec.Username)
	}
	csr.Status.Conditions = []certificatesv1.CertificateSigningRequestCondition{{
		Type: certificatesv1.CertificateApproved, Status: corev1.ConditionTrue, Reason: "Test", Message: "approved by the test",
	}}
	// Through /status, the Approved condition is not the writer's to set:
	// 422, as upstream.
	_, err = csrs.UpdateStatus(ctx, csr, metav1.UpdateOptions{})
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), `updates may not add a condition of type "Approved"`) {
		t.Fatalf("approve through /status: err = %v, want 422 may not add Approved", err)
	}
	csr.Annotations = map[string]string{"approved-by": "test"}
	if csr, err = csrs.UpdateApproval(ctx, "someone", csr, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("approve: %v", err)
	}
	if len(csr.Status.Conditions) != 1 || csr.Status.Conditions[0].Type != certificatesv1.CertificateApproved {
		t.Errorf("conditions after approval: %+v, want Approved", csr.Status.Conditions)
	}
	// Missing timestamps are set; /approval keeps the metadata it is given.
	if c := csr.Status.Conditions[0]; c.LastUpdateTime.IsZero() || c.LastTransitionTime.IsZero() {
		t.Errorf("approval condition without timestamps: %+v", c)
	}
	if csr.Annotations["approved-by"] != "test" {
		t.Errorf("annotations after approval: %v, want approved-by=test", csr.Annotations)
	}
	// /status may add conditions of other types and keeps Approved.
	csr.Status.Conditions = append(csr.Status.Conditions, certificatesv1.CertificateSigningRequestCondition{
		Type: "Checked", Status: corev1.ConditionTrue, Reason: "Test"})
	if csr, err = csrs.UpdateStatus(ctx, csr, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("update status: %v", err)
	}
	var types []certificatesv1.RequestConditionType
	for _, c := range csr.Status.Conditions {
		types = append(types, c.Type)
	}
	if diff := cmp.Diff([]certificatesv1.RequestConditionType{certificatesv1.CertificateApproved, "Checked"}, types); diff != "" {
		t.Errorf("conditions after /status update (-want +got):\n%s", diff)
	}
}

// TestCertificateSigningRequestFieldSelector: signers list their requests
// by spec.signerName, as upstream's CSR API test does.
func TestCertificateSigningRequestFieldSelector(t *testing.T) {
	ctx := context.Background()
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	csrs := client.CertificatesV1().CertificateSigningRequests()
	request := certs.RequestPEM(t, certs.NewKey(t), "fs")
	for name, signer := range map[string]string{"fs-a": "example.com/a", "fs-b": "example.com/b"} {
		_, err := csrs.Create(ctx, &certificatesv1.CertificateSigningRequest{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: certificatesv1.CertificateSigningRequestSpec{
				Request:    request,
				SignerName: signer,
				Usages:     []certificatesv1.KeyUsage{certificatesv1.UsageClientAuth},
			},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		t.Cleanup(func() { csrs.Delete(context.Background(), name, metav1.DeleteOptions{}) })
	}
	list, err := csrs.List(ctx, metav1.ListOptions{FieldSelector: "spec.signerName=example.com/a"})
	if err != nil {
		t.Fatalf("list by signer: %v", err)
	}
	var names []string
	for _, c := range list.Items {
		names = append(names, c.Name)
	}
	if diff := cmp.Diff([]string{"fs-a"}, names); diff != "" {
		t.Errorf("CSRs of example.com/a (-want +got):\n%s", diff)
	}
	_, err = csrs.List(ctx, metav1.ListOptions{FieldSelector: "spec.username=x"})
	if !apierrors.IsBadRequest(err) || !strings.Contains(err.Error(), "field label not supported: spec.username") {
		t.Errorf("list by an unsupported field: err = %v, want 400 field label not supported", err)
	}
}
