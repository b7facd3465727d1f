package storage

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const (
	annBindCompleted = "pv.kubernetes.io/bind-completed"
	annBoundBy       = "pv.kubernetes.io/bound-by-controller"
)

// TestStaticBinding: claims bind to the smallest Available volume that
// matches their size, access modes and selector; a volume pre-bound by
// claimRef and a claim pre-bound by volumeName are honoured; a claim no
// volume fits stays Pending.
func TestStaticBinding(t *testing.T) {
	client, ns := clients(t)
	ctx := context.Background()
	class := ns
	gold := hostPathVolume(ns+"-gold", class, "2Gi")
	gold.Labels = map[string]string{"tier": "gold"}
	reserved := hostPathVolume(ns+"-reserved", class, "10Gi")
	reserved.Spec.ClaimRef = &corev1.ObjectReference{Namespace: ns, Name: "reserved"}
	for _, pv := range []*corev1.PersistentVolume{
		hostPathVolume(ns+"-small", class, "1Gi"),
		hostPathVolume(ns+"-large", class, "5Gi"),
		gold,
		hostPathVolume(ns+"-shared", class, "3Gi", corev1.ReadWriteOnce, corev1.ReadWriteMany),
		reserved,
		hostPathVolume(ns+"-named", class, "4Gi"),
	} {
		createVolume(t, client, pv)
	}
	// Only Available volumes are matched.
	for _, name := range []string{"small", "large", "gold", "shared", "reserved", "named"} {
		v := volumePhase(t, client, ns+"-"+name, corev1.VolumeAvailable)
		if v.Status.LastPhaseTransitionTime == nil {
			t.Errorf("volume %s has no lastPhaseTransitionTime", v.Name)
		}
	}

	type binding struct {
		Volume, Capacity, Modes string
		ClaimAnnotations        map[string]string
		VolumeAnnotations       map[string]string
	}
	byController := map[string]string{annBindCompleted: "yes", annBoundBy: "yes"}
	tests := []struct {
		claim *corev1.PersistentVolumeClaim
		want  binding
	}{{
		// large and gold fit too; small is the smallest.
		claim: newClaim("any", class, "500Mi"),
		want:  binding{Volume: ns + "-small", Capacity: "1Gi", Modes: "[ReadWriteOnce]", ClaimAnnotations: byController, VolumeAnnotations: map[string]string{annBoundBy: "yes"}},
	}, {
		claim: func() *corev1.PersistentVolumeClaim {
			c := newClaim("gold", class, "1Gi")
			c.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"tier": "gold"}}
			return c
		}(),
		want: binding{Volume: ns + "-gold", Capacity: "2Gi", Modes: "[ReadWriteOnce]", ClaimAnnotations: byController, VolumeAnnotations: map[string]string{annBoundBy: "yes"}},
	}, {
		claim: newClaim("shared", class, "1Gi", corev1.ReadWriteMany),
		want:  binding{Volume: ns + "-shared", Capacity: "3Gi", Modes: "[ReadWriteOnce ReadWriteMany]", ClaimAnnotations: byController, VolumeAnnotations: map[string]string{annBoundBy: "yes"}},
	}, {
		// large would be the smaller fit; the volume reserved for the
		// claim wins, and is not marked bound by the controller.
		claim: newClaim("reserved", class, "1Gi"),
		want:  binding{Volume: ns + "-reserved", Capacity: "10Gi", Modes: "[ReadWriteOnce]", ClaimAnnotations: byController},
	}, {
		claim: func() *corev1.PersistentVolumeClaim {
			c := newClaim("named", class, "1Gi")
			c.Spec.VolumeName = ns + "-named"
			return c
		}(),
		want: binding{Volume: ns + "-named", Capacity: "4Gi", Modes: "[ReadWriteOnce]",
			ClaimAnnotations: map[string]string{annBindCompleted: "yes"}, VolumeAnnotations: map[string]string{annBoundBy: "yes"}},
	}}
	for _, tc := range tests {
		createClaim(t, client, ns, tc.claim)
		c, v := boundTo(t, client, ns, tc.claim.Name, tc.want.Volume)
		capacity := c.Status.Capacity[corev1.ResourceStorage]
		got := binding{Volume: c.Spec.VolumeName, Capacity: capacity.String(), Modes: fmt.Sprint(c.Status.AccessModes),
			ClaimAnnotations: c.Annotations, VolumeAnnotations: v.Annotations}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("claim %s (-want +got):\n%s", tc.claim.Name, diff)
		}
		if v.Status.LastPhaseTransitionTime == nil || v.Status.LastPhaseTransitionTime.Before(&v.CreationTimestamp) {
			t.Errorf("volume %s lastPhaseTransitionTime %v, created %v", v.Name, v.Status.LastPhaseTransitionTime, v.CreationTimestamp)
		}
	}

	// Nothing left fits 20Gi, and the class has no StorageClass to
	// provision from.
	createClaim(t, client, ns, newClaim("huge", class, "20Gi"))
	msg := waitEvent(t, client, ns, "huge", "ProvisioningFailed")
	if want := fmt.Sprintf("storageclass.storage.k8s.io %q not found", class); msg != want {
		t.Errorf("ProvisioningFailed message %q, want %q", msg, want)
	}
	c, err := client.CoreV1().PersistentVolumeClaims(ns).Get(ctx, "huge", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Status.Phase != corev1.ClaimPending || c.Spec.VolumeName != "" {
		t.Errorf("claim huge %s, volume %q; want Pending without a volume", c.Status.Phase, c.Spec.VolumeName)
	}
	if v := volumePhase(t, client, ns+"-large", corev1.VolumeAvailable); v.Spec.ClaimRef != nil {
		t.Errorf("unused volume large has claimRef %v", v.Spec.ClaimRef)
	}

	// kubectl get pv,pvc shows upstream's columns.
	columns, cells := table(t, client, "/api/v1/persistentvolumes/"+ns+"-small")
	if diff := cmp.Diff([]string{"Name", "Capacity", "Access Modes", "Reclaim Policy", "Status", "Claim", "StorageClass", "VolumeAttributesClass", "Reason", "Age", "VolumeMode"}, columns); diff != "" {
		t.Errorf("volume columns (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]any{ns + "-small", "1Gi", "RWO", "Retain", "Bound", ns + "/any", class, "<unset>", ""}, cells[:9]); diff != "" {
		t.Errorf("volume row (-want +got):\n%s", diff)
	}
	columns, cells = table(t, client, "/api/v1/namespaces/"+ns+"/persistentvolumeclaims/shared")
	if diff := cmp.Diff([]string{"Name", "Status", "Volume", "Capacity", "Access Modes", "StorageClass", "VolumeAttributesClass", "Age", "VolumeMode"}, columns); diff != "" {
		t.Errorf("claim columns (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]any{"shared", "Bound", ns + "-shared", "3Gi", "RWO,RWX", class, "<unset>"}, cells[:7]); diff != "" {
		t.Errorf("claim row (-want +got):\n%s", diff)
	}
}

// TestReclaim: a deleted claim releases its volume; Retain keeps it
// Released, Delete of a static volume no plugin can delete fails it with
// upstream's message and event.
func TestReclaim(t *testing.T) {
	client, ns := clients(t)
	ctx := context.Background()
	class := ns
	retain := hostPathVolume(ns+"-retain", class, "1Gi")
	del := hostPathVolume(ns+"-delete", class, "1Gi")
	del.Spec.PersistentVolumeReclaimPolicy = corev1.PersistentVolumeReclaimDelete
	for _, pv := range []*corev1.PersistentVolume{retain, del} {
		createVolume(t, client, pv)
		volumePhase(t, client, pv.Name, corev1.VolumeAvailable)
	}
	keep := newClaim("keep", class, "1Gi")
	keep.Spec.VolumeName = retain.Name
	drop := newClaim("drop", class, "1Gi")
	drop.Spec.VolumeName = del.Name
	createClaim(t, client, ns, keep)
	createClaim(t, client, ns, drop)
	keptClaim, bound := boundTo(t, client, ns, "keep", retain.Name)
	boundTo(t, client, ns, "drop", del.Name)
	// The claims carry the protection finalizer from admission.
	if diff := cmp.Diff([]string{"kubernetes.io/pvc-protection"}, keptClaim.Finalizers); diff != "" {
		t.Errorf("claim finalizers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"kubernetes.io/pv-protection"}, bound.Finalizers); diff != "" {
		t.Errorf("volume finalizers (-want +got):\n%s", diff)
	}

	for _, name := range []string{"keep", "drop"} {
		if err := client.CoreV1().PersistentVolumeClaims(ns).Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	released := volumePhase(t, client, retain.Name, corev1.VolumeReleased)
	if ref := released.Spec.ClaimRef; ref == nil || ref.Name != "keep" || ref.UID != keptClaim.UID {
		t.Errorf("released volume's claimRef %v, want the deleted claim's", ref)
	}
	if released.Status.LastPhaseTransitionTime == nil || released.Status.LastPhaseTransitionTime.Equal(bound.Status.LastPhaseTransitionTime) {
		t.Errorf("lastPhaseTransitionTime %v not moved on from Bound's %v", released.Status.LastPhaseTransitionTime, bound.Status.LastPhaseTransitionTime)
	}

	failed := volumePhase(t, client, del.Name, corev1.VolumeFailed)
	want := "host_path deleter only supports /tmp/.+ but received provided /srv/" + del.Name
	if failed.Status.Message != want {
		t.Errorf("failed volume's message %q, want %q", failed.Status.Message, want)
	}
	// Events of cluster-scoped objects go to the default namespace.
	if msg := waitEvent(t, client, metav1.NamespaceDefault, del.Name, "VolumeFailedDelete"); msg != want {
		t.Errorf("VolumeFailedDelete message %q, want %q", msg, want)
	}
}
