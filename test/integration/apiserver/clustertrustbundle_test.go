package apiserver

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	certificatesv1 "k8s.io/api/certificates/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeshim/kubeshim/test/certs"
	"github.com/kubeshim/kubeshim/test/integration/framework"
)

func TestClusterTrustBundles(t *testing.T) {
	ctx := context.Background()
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ctbs := client.CertificatesV1().ClusterTrustBundles()
	root := certs.CAPEM(t, "root")
	create := func(name, signer, bundle string) error {
		_, err := ctbs.Create(ctx, &certificatesv1.ClusterTrustBundle{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: certificatesv1.ClusterTrustBundleSpec{SignerName: signer, TrustBundle: bundle}}, metav1.CreateOptions{})
		if err == nil {
			t.Cleanup(func() { ctbs.Delete(context.Background(), name, metav1.DeleteOptions{}) })
		}
		return err
	}
	if err := create("ctb-roots", "", root); err != nil {
		t.Fatalf("create standalone bundle: %v", err)
	}
	if err := create("ctb.example.com:signer:roots", "ctb.example.com/signer", root); err != nil {
		t.Fatalf("create signer's bundle: %v", err)
	}
	// Bad input: 422 with the field at fault.
	for _, tc := range []struct{ name, signer, bundle, field string }{
		{"ctb-bad-name", "ctb.example.com/signer", root, "metadata.name"},
		{"ctb-empty", "", "", "spec.trustBundle"},
		{"ctb-garbage", "", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "spec.trustBundle"},
	} {
		err := create(tc.name, tc.signer, tc.bundle)
		if !apierrors.IsInvalid(err) {
			t.Errorf("create %s: err = %v, want 422 Invalid", tc.name, err)
			continue
		}
		causes := err.(apierrors.APIStatus).Status().Details.Causes
		if len(causes) == 0 || causes[0].Field != tc.field {
			t.Errorf("create %s: causes %+v, want one for %s", tc.name, causes, tc.field)
		}
	}
	list, err := ctbs.List(ctx, metav1.ListOptions{FieldSelector: "spec.signerName=ctb.example.com/signer"})
	if err != nil {
		t.Fatalf("list by signer: %v", err)
	}
	var names []string
	for _, b := range list.Items {
		names = append(names, b.Name)
	}
	if diff := cmp.Diff([]string{"ctb.example.com:signer:roots"}, names); diff != "" {
		t.Errorf("bundles of ctb.example.com/signer (-want +got):\n%s", diff)
	}
	// The signer name is immutable.
	b, err := ctbs.Get(ctx, "ctb.example.com:signer:roots", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b.Spec.SignerName = "ctb.example.com/other"
	if _, err := ctbs.Update(ctx, b, metav1.UpdateOptions{}); !apierrors.IsInvalid(err) {
		t.Errorf("change the signer name: err = %v, want 422 Invalid", err)
	}
}
