package volumes

import (
	"context"
	"encoding/pem"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeshim/kubeshim/test/certs"
)

func TestProjectedClusterTrustBundle(t *testing.T) {
	requireRoot(t)
	ctx := context.Background()
	a, b, c, d := certs.CAPEM(t, "a"), certs.CAPEM(t, "b"), certs.CAPEM(t, "c"), certs.CAPEM(t, "d")
	ctb := func(name, signer string, labels map[string]string, pems ...string) *certificatesv1.ClusterTrustBundle {
		return &certificatesv1.ClusterTrustBundle{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
			Spec: certificatesv1.ClusterTrustBundleSpec{SignerName: signer, TrustBundle: strings.Join(pems, "")}}
	}
	env := newTestEnv(t,
		ctb("roots", "", nil, a, b),
		ctb("example.com:one:alive", "example.com/one", map[string]string{"alive": "true"}, b, c),
		ctb("example.com:one:dead", "example.com/one", map[string]string{"alive": "false"}, d),
		ctb("example.com:two:alive", "example.com/two", map[string]string{"alive": "true"}, a),
	)
	// sorted is the file the agent writes: the certificates ordered by
	// their DER bytes.
	sorted := func(pems ...string) string {
		der := func(p string) string { b, _ := pem.Decode([]byte(p)); return string(b.Bytes) }
		slices.SortFunc(pems, func(x, y string) int { return strings.Compare(der(x), der(y)) })
		return strings.Join(pems, "")
	}
	signer := func(name string, selector *metav1.LabelSelector, optional bool) *corev1.ClusterTrustBundleProjection {
		return &corev1.ClusterTrustBundleProjection{SignerName: &name, LabelSelector: selector, Optional: &optional, Path: "ca.pem"}
	}
	for i, tc := range []struct {
		name    string
		src     *corev1.ClusterTrustBundleProjection
		want    string
		wantErr string
	}{
		{name: "by name", src: &corev1.ClusterTrustBundleProjection{Name: ptr("roots"), Path: "ca.pem"}, want: sorted(a, b)},
		{name: "missing name, optional", src: &corev1.ClusterTrustBundleProjection{Name: ptr("nope"), Optional: ptr(true), Path: "ca.pem"}},
		{name: "missing name", src: &corev1.ClusterTrustBundleProjection{Name: ptr("nope"), Path: "ca.pem"},
			wantErr: `while getting ClusterTrustBundle: clustertrustbundles.certificates.k8s.io "nope" not found`},
		{name: "signer and labels", src: signer("example.com/one", &metav1.LabelSelector{MatchLabels: map[string]string{"alive": "true"}}, false), want: sorted(b, c)},
		{name: "signer, empty selector: all of the signer's", src: signer("example.com/one", &metav1.LabelSelector{}, false), want: sorted(b, c, d)},
		{name: "signer, nil selector: none, optional", src: signer("example.com/one", nil, true)},
		{name: "signer, no match, optional", src: signer("example.com/one", &metav1.LabelSelector{MatchLabels: map[string]string{"alive": "no"}}, true)},
		{name: "signer, no match", src: signer("example.com/one", &metav1.LabelSelector{MatchLabels: map[string]string{"alive": "no"}}, false),
			wantErr: "combination of signerName and labelSelector matched zero ClusterTrustBundles"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pod := testPod(string(rune('a'+i)), corev1.Volume{Name: "ctb", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
				Sources: []corev1.VolumeProjection{{ClusterTrustBundle: tc.src}},
			}}})
			t.Cleanup(func() { _ = env.m.Teardown(ctx, pod.UID) })
			mounts, err := env.m.Setup(ctx, pod, PodInfo{})
			if tc.wantErr != "" {
				want := `MountVolume.SetUp failed for volume "ctb" : ` + tc.wantErr
				if err == nil || err.Error() != want {
					t.Fatalf("Setup error = %v, want %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("Setup: %v", err)
			}
			files, _ := readVolume(t, mounts["ctb"].HostPath)
			if diff := cmp.Diff(map[string]string{"ca.pem": tc.want}, files); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
		})
	}
}
