package certificates

import (
	"crypto/ecdsa"
	"testing"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/apis/internal/fielderrors"
	"github.com/kubeshim/kubeshim/test/certs"
)

func testPCR(t *testing.T, key *ecdsa.PrivateKey) *certificatesv1.PodCertificateRequest {
	return &certificatesv1.PodCertificateRequest{
		ObjectMeta: metav1.ObjectMeta{Name: "pcr", Namespace: "ns", ResourceVersion: "1"},
		Spec: certificatesv1.PodCertificateRequestSpec{
			SignerName: "example.com/signer", PodName: "web", PodUID: "pod-uid", ServiceAccountName: "default",
			ServiceAccountUID: "sa-uid", NodeName: "node-1", NodeUID: "node-uid",
			MaxExpirationSeconds: ptr.To[int32](86400), StubPKCS10Request: certs.RequestDER(t, key, ""),
		},
	}
}

func TestValidatePodCertificateRequest(t *testing.T) {
	key := certs.NewKey(t)
	for _, tc := range []struct {
		name   string
		mutate func(*certificatesv1.PodCertificateRequest)
		want   []string
	}{
		{name: "valid", mutate: func(*certificatesv1.PodCertificateRequest) {}},
		{name: "no max expiration", mutate: func(r *certificatesv1.PodCertificateRequest) { r.Spec.MaxExpirationSeconds = nil },
			want: []string{"spec.maxExpirationSeconds: Required value: must be set"}},
		{name: "kubernetes signer over a day", mutate: func(r *certificatesv1.PodCertificateRequest) {
			r.Spec.SignerName = "kubernetes.io/kube-apiserver-client-pod"
			r.Spec.MaxExpirationSeconds = ptr.To[int32](86401)
		}, want: []string{"spec.maxExpirationSeconds: Invalid value: 86401: must be in the range [3600, 86400]"}},
		{name: "no stub request", mutate: func(r *certificatesv1.PodCertificateRequest) { r.Spec.StubPKCS10Request = nil },
			want: []string{"spec: Invalid value: exactly one of (stubPKCS10Request) or (pkixPublicKey, proofOfPossession) must be set"}},
		{name: "garbage stub request", mutate: func(r *certificatesv1.PodCertificateRequest) { r.Spec.StubPKCS10Request = []byte("nope") },
			want: []string{"spec.stubPKCS10Request: Invalid value: must be a valid PKCS#10 CSR"}},
		{name: "missing identities", mutate: func(r *certificatesv1.PodCertificateRequest) { r.Spec.PodUID, r.Spec.NodeName = "", "" },
			want: []string{
				`spec.podUID: Invalid value: "": must not be empty`,
				`spec.nodeName: Invalid value: "": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := testPCR(t, key)
			tc.mutate(r)
			fielderrors.Want(t, tc.want, ValidatePodCertificateRequest(r))
		})
	}
}

func TestValidatePodCertificateRequestStatusUpdate(t *testing.T) {
	key, other := certs.NewKey(t), certs.NewKey(t)
	now := time.Now().Truncate(time.Second)
	// leafFor is a certificate for key's public key, self-signed.
	leafFor := func(key *ecdsa.PrivateKey, lifetime time.Duration) string {
		return certs.SelfSignedPEM(t, key, certs.Cert{CommonName: "pod", NotBefore: now, Lifetime: lifetime})
	}
	issued := func(chain string, notBefore time.Time, lifetime, refresh time.Duration) certificatesv1.PodCertificateRequestStatus {
		return certificatesv1.PodCertificateRequestStatus{
			Conditions: []metav1.Condition{{Type: certificatesv1.PodCertificateRequestConditionTypeIssued, Status: metav1.ConditionTrue,
				Reason: "Issued", Message: "ok", LastTransitionTime: metav1.NewTime(now)}},
			CertificateChain: chain,
			NotBefore:        ptr.To(metav1.NewTime(notBefore)),
			NotAfter:         ptr.To(metav1.NewTime(notBefore.Add(lifetime))),
			BeginRefreshAt:   ptr.To(metav1.NewTime(notBefore.Add(refresh))),
		}
	}
	denied := certificatesv1.PodCertificateRequestStatus{Conditions: []metav1.Condition{{Type: certificatesv1.PodCertificateRequestConditionTypeDenied,
		Status: metav1.ConditionTrue, Reason: "No", Message: "no", LastTransitionTime: metav1.NewTime(now)}}}
	good := issued(leafFor(key, time.Hour), now, time.Hour, 30*time.Minute)
	for _, tc := range []struct {
		name     string
		old, new certificatesv1.PodCertificateRequestStatus
		want     []string
	}{
		{name: "issued", new: good},
		{name: "denied", new: denied},
		// The chain is in the message; the check is below.
		{name: "issued to another key", new: issued(leafFor(other, time.Hour), now, time.Hour, 30*time.Minute)},
		{name: "shorter than an hour", new: issued(leafFor(key, 30*time.Minute), now, 30*time.Minute, 15*time.Minute),
			want: []string{`status.certificateChain: Invalid value: 1800000000000: leaf certificate lifetime must be >= 1 hour`}},
		{name: "refresh too late", new: issued(leafFor(key, time.Hour), now, time.Hour, 55*time.Minute),
			want: []string{"status.beginRefreshAt: Invalid value: \"" + now.Add(55*time.Minute).UTC().Format(time.RFC3339) + "\": must be at least 10 minutes before status.notAfter"}},
		{name: "final once issued", old: good, new: denied,
			want: []string{"status: Invalid value: immutable after PodCertificateRequest is issued, denied, or failed"}},
		{name: "denied with a chain", new: func() certificatesv1.PodCertificateRequestStatus {
			s := denied
			s.CertificateChain = good.CertificateChain
			return s
		}(),
			want: []string{"status: Invalid value: non-condition status fields must be empty when denying or failing the PodCertificateRequest"}},
		{name: "unknown condition", new: certificatesv1.PodCertificateRequestStatus{Conditions: []metav1.Condition{{Type: "Ready", Status: metav1.ConditionTrue,
			Reason: "R", LastTransitionTime: metav1.NewTime(now)}}},
			want: []string{`status.conditions[0].type: Unsupported value: "Ready": supported values: "Issued", "Denied", "Failed"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old := testPCR(t, key)
			old.Status = tc.old
			r := old.DeepCopy()
			r.Status = tc.new
			got := ValidatePodCertificateRequestStatusUpdate(r, old, now)
			if tc.name == "issued to another key" {
				if len(got) != 1 || got[0].Detail != "leaf certificate was not issued to the requested public key" {
					t.Errorf("errors = %v, want the leaf not issued to the requested key", got)
				}
				return
			}
			fielderrors.Want(t, tc.want, got)
		})
	}
}
