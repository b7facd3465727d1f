package storage

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

// TestResize: a bound claim may grow only in a class that allows volume
// expansion, which local-path does not. The local-path claim is bound to
// a volume pre-bound to it, as the scheduler binds WaitForFirstConsumer
// claims to static volumes.
func TestResize(t *testing.T) {
	client, ns := clients(t)
	ctx := context.Background()
	expandable := &storagev1.StorageClass{
		ObjectMeta:           metav1.ObjectMeta{Name: ns},
		Provisioner:          "kubernetes.io/no-provisioner",
		AllowVolumeExpansion: ptr.To(true),
	}
	if _, err := client.StorageV1().StorageClasses().Create(ctx, expandable, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = client.StorageV1().StorageClasses().Delete(context.Background(), ns, metav1.DeleteOptions{})
	})

	for _, tc := range []struct{ claim, class string }{{"fixed", "local-path"}, {"grow", ns}} {
		pv := hostPathVolume(ns+"-"+tc.claim, tc.class, "1Gi")
		pv.Spec.ClaimRef = &corev1.ObjectReference{Namespace: ns, Name: tc.claim}
		createVolume(t, client, pv)
		createClaim(t, client, ns, newClaim(tc.claim, tc.class, "1Gi"))
		boundTo(t, client, ns, tc.claim, pv.Name)
	}

	grow := []byte(`{"spec":{"resources":{"requests":{"storage":"2Gi"}}}}`)
	_, err := client.CoreV1().PersistentVolumeClaims(ns).Patch(ctx, "fixed", types.MergePatchType, grow, metav1.PatchOptions{})
	want := `persistentvolumeclaims "fixed" is forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize`
	if err == nil || err.Error() != want {
		t.Errorf("growing a local-path claim: %v, want %q", err, want)
	}
	c, err := client.CoreV1().PersistentVolumeClaims(ns).Patch(ctx, "grow", types.MergePatchType, grow, metav1.PatchOptions{})
	if err != nil {
		t.Fatalf("growing a claim of an expandable class: %v", err)
	}
	if q := c.Spec.Resources.Requests[corev1.ResourceStorage]; q.String() != "2Gi" {
		t.Errorf("grown claim requests %s, want 2Gi", q.String())
	}
}
