package certificates

import (
	"strings"
	"testing"

	certificatesv1 "k8s.io/api/certificates/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeshim/kubeshim/apis/internal/fielderrors"
	"github.com/kubeshim/kubeshim/test/certs"
)

func TestValidateClusterTrustBundle(t *testing.T) {
	root, other := certs.CAPEM(t, "root"), certs.CAPEM(t, "other")
	leaf := certs.SelfSignedPEM(t, certs.NewKey(t), certs.Cert{CommonName: "leaf"})
	bundle := func(name, signer, pems string) *certificatesv1.ClusterTrustBundle {
		return &certificatesv1.ClusterTrustBundle{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: certificatesv1.ClusterTrustBundleSpec{SignerName: signer, TrustBundle: pems}}
	}
	const omitted = `spec.trustBundle: Invalid value: "<value omitted>": `
	for _, tc := range []struct {
		name string
		b    *certificatesv1.ClusterTrustBundle
		want []string
	}{
		{name: "standalone", b: bundle("roots", "", root+other)},
		{name: "signer's", b: bundle("example.com:signer:roots", "example.com/signer", root)},
		{name: "standalone with a colon", b: bundle("a:b", "", root),
			want: []string{`metadata.name: Invalid value: "a:b": ClusterTrustBundle without signer name must not have ":" in its name`}},
		{name: "signer's without the prefix", b: bundle("roots", "example.com/signer", root),
			want: []string{`metadata.name: Invalid value: "roots": ClusterTrustBundle for signerName example.com/signer must be named with prefix example.com:signer:`}},
		{name: "empty", b: bundle("roots", "", ""),
			want: []string{omitted + "at least one trust anchor must be provided"}},
		{name: "not a CA", b: bundle("roots", "", root+leaf),
			want: []string{omitted + "entry 1 does not have the CA bit set"}},
		{name: "another block type", b: bundle("roots", "", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
			want: []string{omitted + "entry 0 has bad block type: PRIVATE KEY"}},
		{name: "not X.509", b: bundle("roots", "", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
			want: []string{omitted + "entry 0 does not parse as X.509"}},
		{name: "duplicate", b: bundle("roots", "", root+other+root),
			want: []string{omitted + "duplicate trust anchor (indices [0 2])"}},
		{name: "too long", b: bundle("roots", "", strings.Repeat("x", MaxTrustBundleSize+1)),
			want: []string{"spec.trustBundle: Too long: may not be more than 1048576 bytes"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fielderrors.Want(t, tc.want, ValidateClusterTrustBundle(tc.b))
		})
	}
}

func TestValidateClusterTrustBundleUpdate(t *testing.T) {
	root := certs.CAPEM(t, "root")
	old := &certificatesv1.ClusterTrustBundle{ObjectMeta: metav1.ObjectMeta{Name: "example.com:signer:roots", ResourceVersion: "1"},
		Spec: certificatesv1.ClusterTrustBundleSpec{SignerName: "example.com/signer", TrustBundle: root}}
	b := old.DeepCopy()
	b.Spec.SignerName = "example.com/other"
	fielderrors.Want(t, []string{
		`metadata.name: Invalid value: "example.com:signer:roots": ClusterTrustBundle for signerName example.com/other must be named with prefix example.com:other:`,
		`spec.signerName: Invalid value: "example.com/other": field is immutable`,
	}, ValidateClusterTrustBundleUpdate(b, old))
}
