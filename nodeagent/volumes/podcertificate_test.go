package volumes

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"

	"github.com/kubeshim/kubeshim/test/certs"
)

// issue answers a request as a signer would: a certificate for the key of
// its stub request, valid from now for an hour, refreshed after refresh.
func issue(t *testing.T, env *testEnv, name string, refresh time.Duration) {
	t.Helper()
	ctx := context.Background()
	pcrs := env.client.CertificatesV1().PodCertificateRequests(testNS)
	pcr, err := pcrs.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	csr, err := x509.ParseCertificateRequest(pcr.Spec.StubPKCS10Request)
	if err != nil || csr.CheckSignature() != nil {
		t.Fatalf("stub request: %v", err)
	}
	now := env.clock.Now()
	cert := certs.IssuePEM(t, certs.Cert{CommonName: pcr.Spec.PodName, NotBefore: now, Lifetime: time.Hour}, csr.PublicKey, certs.NewKey(t))
	pcr.Status = certificatesv1.PodCertificateRequestStatus{
		Conditions:       []metav1.Condition{{Type: certificatesv1.PodCertificateRequestConditionTypeIssued, Status: metav1.ConditionTrue}},
		CertificateChain: "text before\n" + cert,
		BeginRefreshAt:   &metav1.Time{Time: now.Add(refresh)},
	}
	if _, err := pcrs.UpdateStatus(ctx, pcr, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestProjectedPodCertificate(t *testing.T) {
	requireRoot(t)
	ctx := context.Background()
	env := newTestEnv(t,
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: testNS, Name: "builder", UID: "sa-uid"}},
		&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-1", UID: "node-uid"}})
	// The fake does not generate names.
	n := 0
	env.client.PrependReactor("create", "podcertificaterequests", func(a k8stesting.Action) (bool, runtime.Object, error) {
		pcr := a.(k8stesting.CreateAction).GetObject().(*certificatesv1.PodCertificateRequest)
		n++
		pcr.Name = fmt.Sprintf("%s%d", pcr.GenerateName, n)
		return false, nil, nil
	})
	pod := testPod("1", corev1.Volume{Name: "creds", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
		Sources: []corev1.VolumeProjection{{PodCertificate: &corev1.PodCertificateProjection{
			SignerName: "example.com/signer", KeyType: "ECDSAP256", UserAnnotations: map[string]string{"example.com/path": "/w"},
			CredentialBundlePath: "bundle.pem", KeyPath: "key.pem", CertificateChainPath: "chain.pem",
		}}},
	}}})
	t.Cleanup(func() { _ = env.m.Teardown(ctx, pod.UID) })

	// Until the signer answers, the volume cannot be set up.
	_, err := env.m.Setup(ctx, pod, PodInfo{})
	if want := `MountVolume.SetUp failed for volume "creds" : credential bundle is not issued yet`; err == nil || err.Error() != want {
		t.Fatalf("Setup before issuance: %v, want %q", err, want)
	}
	pcr, err := env.client.CertificatesV1().PodCertificateRequests(testNS).Get(ctx, "req-1", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the agent's request: %v", err)
	}
	wantSpec := certificatesv1.PodCertificateRequestSpec{
		SignerName: "example.com/signer", PodName: "pod-1", PodUID: "uid-1", ServiceAccountName: "builder", ServiceAccountUID: "sa-uid",
		NodeName: "node-1", NodeUID: "node-uid", UnverifiedUserAnnotations: map[string]string{"example.com/path": "/w"},
		StubPKCS10Request: pcr.Spec.StubPKCS10Request,
	}
	if diff := cmp.Diff(wantSpec, pcr.Spec); diff != "" {
		t.Errorf("request spec (-want +got):\n%s", diff)
	}
	if len(pcr.OwnerReferences) != 1 || pcr.OwnerReferences[0].UID != pod.UID {
		t.Errorf("request owners %v, want the pod", pcr.OwnerReferences)
	}

	issue(t, env, "req-1", 30*time.Minute)
	read := func() map[string]string {
		t.Helper()
		mounts, err := env.m.Setup(ctx, pod, PodInfo{})
		if err != nil {
			t.Fatalf("Setup: %v", err)
		}
		files, _ := readVolume(t, mounts["creds"].HostPath)
		return files
	}
	files := read()
	if files["bundle.pem"] != files["key.pem"]+files["chain.pem"] || !strings.HasPrefix(files["chain.pem"], "-----BEGIN CERTIFICATE-----") {
		t.Fatalf("files: bundle is not key+chain, or the chain kept the text around it: %q", files)
	}
	// The key is the one the certificate is for.
	kb, _ := pem.Decode([]byte(files["key.pem"]))
	key, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		t.Fatalf("key: %v", err)
	}
	cb, _ := pem.Decode([]byte(files["chain.pem"]))
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !key.(interface{ Public() crypto.PublicKey }).Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(cert.PublicKey) {
		t.Errorf("the certificate is not for the projected key")
	}

	// Past beginRefreshAt: a new request; the old credentials serve until
	// it is issued, then the new ones.
	env.clock.Step(31 * time.Minute)
	if got := read(); got["bundle.pem"] != files["bundle.pem"] {
		t.Errorf("credentials changed before the refresh was issued")
	}
	issue(t, env, "req-2", 30*time.Minute)
	if got := read(); got["key.pem"] == files["key.pem"] {
		t.Errorf("key unchanged after the refresh was issued")
	}
}
