package storage

import (
	"context"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

func gone(t *testing.T, what string, get func(ctx context.Context) (metav1.Object, error)) {
	t.Helper()
	eventually(t, what+" gone", func(ctx context.Context) (string, bool) {
		obj, err := get(ctx)
		if err != nil {
			return err.Error(), apierrors.IsNotFound(err)
		}
		return fmt.Sprintf("deleted %v, finalizers %v", obj.GetDeletionTimestamp(), obj.GetFinalizers()), false
	})
}

func claimGetter(client kubernetes.Interface, ns, name string) func(ctx context.Context) (metav1.Object, error) {
	return func(ctx context.Context) (metav1.Object, error) {
		return client.CoreV1().PersistentVolumeClaims(ns).Get(ctx, name, metav1.GetOptions{})
	}
}

func volumeGetter(client kubernetes.Interface, name string) func(ctx context.Context) (metav1.Object, error) {
	return func(ctx context.Context) (metav1.Object, error) {
		return client.CoreV1().PersistentVolumes().Get(ctx, name, metav1.GetOptions{})
	}
}

// TestPVCProtection: a deleted claim a scheduled pod uses stays until the
// pod is gone; one no pod uses goes at once. A bound claim says whether a
// pod uses it in its Unused condition.
func TestPVCProtection(t *testing.T) {
	client, ns := clients(t)
	ctx := context.Background()
	class := ns
	pv := createVolume(t, client, hostPathVolume(ns+"-v", class, "1Gi"))
	volumePhase(t, client, pv.Name, corev1.VolumeAvailable)
	used := newClaim("used", class, "1Gi")
	used.Spec.VolumeName = pv.Name
	createClaim(t, client, ns, used)
	boundTo(t, client, ns, "used", pv.Name)
	createClaim(t, client, ns, newClaim("free", class, "1Gi"))

	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "app"},
		Spec: corev1.PodSpec{
			NodeName:   "node-" + ns,
			Containers: []corev1.Container{{Name: "c", Image: "busybox", VolumeMounts: []corev1.VolumeMount{{Name: "data", MountPath: "/data"}}}},
			Volumes: []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{
				PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "used"}}}},
		},
	}
	if _, err := client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "claim marked in use", func(ctx context.Context) (string, bool) {
		c, err := client.CoreV1().PersistentVolumeClaims(ns).Get(ctx, "used", metav1.GetOptions{})
		if err != nil {
			return err.Error(), false
		}
		for _, cond := range c.Status.Conditions {
			if cond.Type == corev1.PersistentVolumeClaimUnused {
				return fmt.Sprintf("%s %s", cond.Status, cond.Reason), cond.Status == corev1.ConditionFalse && cond.Reason == "PodUsingPVC"
			}
		}
		return fmt.Sprint(c.Status.Conditions), false
	})

	for _, name := range []string{"used", "free"} {
		if err := client.CoreV1().PersistentVolumeClaims(ns).Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	gone(t, "unused claim", claimGetter(client, ns, "free"))
	c, err := client.CoreV1().PersistentVolumeClaims(ns).Get(ctx, "used", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("claim in use: %v", err)
	}
	if c.DeletionTimestamp == nil || c.Status.Phase != corev1.ClaimBound {
		t.Errorf("claim in use: deleted %v, phase %s; want Terminating and still Bound", c.DeletionTimestamp, c.Status.Phase)
	}
	if v, err := client.CoreV1().PersistentVolumes().Get(ctx, pv.Name, metav1.GetOptions{}); err != nil || v.Status.Phase != corev1.VolumeBound {
		t.Errorf("volume of the claim in use: %v, %v; want Bound", v.Status.Phase, err)
	}

	if err := client.CoreV1().Pods(ns).Delete(ctx, "app", metav1.DeleteOptions{GracePeriodSeconds: ptr.To(int64(0))}); err != nil {
		t.Fatal(err)
	}
	gone(t, "claim whose pod is gone", claimGetter(client, ns, "used"))
	volumePhase(t, client, pv.Name, corev1.VolumeReleased)
}

// TestPVProtection: a deleted volume stays while it is Bound and goes once
// its claim is deleted and it is released; an unbound one goes at once.
func TestPVProtection(t *testing.T) {
	client, ns := clients(t)
	ctx := context.Background()
	class := ns
	bound := createVolume(t, client, hostPathVolume(ns+"-bound", class, "1Gi"))
	free := createVolume(t, client, hostPathVolume(ns+"-free", class, "1Gi"))
	volumePhase(t, client, bound.Name, corev1.VolumeAvailable)
	claim := newClaim("data", class, "1Gi")
	claim.Spec.VolumeName = bound.Name
	createClaim(t, client, ns, claim)
	boundTo(t, client, ns, "data", bound.Name)

	for _, name := range []string{bound.Name, free.Name} {
		if err := client.CoreV1().PersistentVolumes().Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	gone(t, "unbound volume", volumeGetter(client, free.Name))
	v, err := client.CoreV1().PersistentVolumes().Get(ctx, bound.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("bound volume: %v", err)
	}
	if v.DeletionTimestamp == nil || v.Status.Phase != corev1.VolumeBound {
		t.Errorf("bound volume: deleted %v, phase %s; want Terminating and still Bound", v.DeletionTimestamp, v.Status.Phase)
	}
	// The claim still works: its volume is there.
	if c, err := client.CoreV1().PersistentVolumeClaims(ns).Get(ctx, "data", metav1.GetOptions{}); err != nil || c.Status.Phase != corev1.ClaimBound {
		t.Errorf("claim of the deleted volume: %v; want Bound", err)
	}

	if err := client.CoreV1().PersistentVolumeClaims(ns).Delete(ctx, "data", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	gone(t, "released volume", volumeGetter(client, bound.Name))
}

// TestVACProtection: a VolumeAttributesClass that a claim names stays
// (Terminating) after its delete until the claim is gone; an unused one
// goes at once.
func TestVACProtection(t *testing.T) {
	client, ns := clients(t)
	ctx := context.Background()
	classes := client.StorageV1().VolumeAttributesClasses()
	newClass := func(name string) string {
		t.Helper()
		c, err := classes.Create(ctx, &storagev1.VolumeAttributesClass{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			DriverName: "example.com/driver",
			Parameters: map[string]string{"iops": "100"},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("create class %s: %v", name, err)
		}
		t.Cleanup(func() {
			_, _ = classes.Patch(context.Background(), c.Name, types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`), metav1.PatchOptions{})
			_ = classes.Delete(context.Background(), c.Name, metav1.DeleteOptions{})
		})
		return c.Name
	}
	used, unused := newClass(ns+"-used"), newClass(ns+"-unused")
	claim := newClaim("data", ns, "1Gi")
	claim.Spec.VolumeAttributesClassName = ptr.To(used)
	createClaim(t, client, ns, claim)

	for _, name := range []string{used, unused} {
		if err := classes.Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
			t.Fatalf("delete class %s: %v", name, err)
		}
	}
	classGetter := func(name string) func(ctx context.Context) (metav1.Object, error) {
		return func(ctx context.Context) (metav1.Object, error) { return classes.Get(ctx, name, metav1.GetOptions{}) }
	}
	gone(t, "unused class", classGetter(unused))
	c, err := classes.Get(ctx, used, metav1.GetOptions{})
	if err != nil || c.DeletionTimestamp == nil {
		t.Fatalf("class a claim uses: %v, deletionTimestamp %v; want it Terminating", err, c.GetDeletionTimestamp())
	}
	if err := client.CoreV1().PersistentVolumeClaims(ns).Delete(ctx, "data", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	gone(t, "class whose claim is deleted", classGetter(used))
}
