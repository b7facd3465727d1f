package storage

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/nodeagent/localpath"
)

// TestResize: a bound claim may grow only in a class that allows volume
// expansion. With no resizer for its volume, the claim asks for more and
// the expand controller says it waits for an external one; its capacity
// stays. The claims are bound to volumes pre-bound to them, as the
// scheduler binds WaitForFirstConsumer claims to static volumes.
func TestResize(t *testing.T) {
	client, ns := clients(t)
	ctx := context.Background()
	for name, expand := range map[string]*bool{ns + "-fixed": nil, ns + "-grow": ptr.To(true)} {
		class := &storagev1.StorageClass{
			ObjectMeta:           metav1.ObjectMeta{Name: name},
			Provisioner:          "kubernetes.io/no-provisioner",
			AllowVolumeExpansion: expand,
		}
		if _, err := client.StorageV1().StorageClasses().Create(ctx, class, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = client.StorageV1().StorageClasses().Delete(context.Background(), name, metav1.DeleteOptions{})
		})
	}

	for _, claim := range []string{"fixed", "grow"} {
		pv := hostPathVolume(ns+"-"+claim, ns+"-"+claim, "1Gi")
		pv.Spec.ClaimRef = &corev1.ObjectReference{Namespace: ns, Name: claim}
		createVolume(t, client, pv)
		createClaim(t, client, ns, newClaim(claim, ns+"-"+claim, "1Gi"))
		boundTo(t, client, ns, claim, pv.Name)
	}

	grow := []byte(`{"spec":{"resources":{"requests":{"storage":"2Gi"}}}}`)
	_, err := client.CoreV1().PersistentVolumeClaims(ns).Patch(ctx, "fixed", types.MergePatchType, grow, metav1.PatchOptions{})
	want := `persistentvolumeclaims "fixed" is forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize`
	if err == nil || err.Error() != want {
		t.Errorf("growing a claim of a class without expansion: %v, want %q", err, want)
	}
	c, err := client.CoreV1().PersistentVolumeClaims(ns).Patch(ctx, "grow", types.MergePatchType, grow, metav1.PatchOptions{})
	if err != nil {
		t.Fatalf("growing a claim of an expandable class: %v", err)
	}
	if q := c.Spec.Resources.Requests[corev1.ResourceStorage]; q.String() != "2Gi" {
		t.Errorf("grown claim requests %s, want 2Gi", q.String())
	}
	if msg := waitEvent(t, client, ns, "grow", "ExternalExpanding"); msg != "waiting for an external controller to expand this PVC" {
		t.Errorf("ExternalExpanding message %q", msg)
	}
	c, err = client.CoreV1().PersistentVolumeClaims(ns).Get(ctx, "grow", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if q := c.Status.Capacity[corev1.ResourceStorage]; q.String() != "1Gi" {
		t.Errorf("claim with no resizer has capacity %s, want 1Gi still", q.String())
	}
}

// TestLocalPathResize: a local-path claim grows end to end. The scheduler
// (played by the test) selects a node whose agent's provisioner runs in
// the test; the PV controller hands the claim to it, it provisions and
// the claim is bound. Then the claim asks for more: the expand controller
// leaves it to the external resizer, the provisioner, which raises the
// volume's capacity and the claim's, with the external resizer's events.
func TestLocalPathResize(t *testing.T) {
	client, ns := clients(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	node := ns + "-node"
	root := filepath.Join(t.TempDir(), "storage")
	p, err := localpath.New(localpath.Config{Client: client, NodeName: node, Root: root})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()

	claim := newClaim("data", "local-path", "1Gi")
	claim.Annotations = map[string]string{annSelectedNode: node}
	claim = createClaim(t, client, ns, claim)
	pvName := "pvc-" + string(claim.UID)
	_, pv := boundTo(t, client, ns, "data", pvName)
	if _, err := os.Stat(pv.Spec.Local.Path); err != nil {
		t.Fatalf("provisioned directory: %v", err)
	}

	grow := []byte(`{"spec":{"resources":{"requests":{"storage":"3Gi"}}}}`)
	if _, err := client.CoreV1().PersistentVolumeClaims(ns).Patch(ctx, "data", types.MergePatchType, grow, metav1.PatchOptions{}); err != nil {
		t.Fatalf("growing a local-path claim: %v", err)
	}
	var c *corev1.PersistentVolumeClaim
	eventually(t, "claim resized", func(ctx context.Context) (string, bool) {
		c, err = client.CoreV1().PersistentVolumeClaims(ns).Get(ctx, "data", metav1.GetOptions{})
		if err != nil {
			return err.Error(), false
		}
		q := c.Status.Capacity[corev1.ResourceStorage]
		return fmt.Sprintf("capacity %s, conditions %v, statuses %v", q.String(), c.Status.Conditions, c.Status.AllocatedResourceStatuses),
			q.String() == "3Gi"
	})
	type status struct {
		Allocated string
		Statuses  map[corev1.ResourceName]corev1.ClaimResourceStatus
		// Resizing and FileSystemResizePending; others (Unused) are
		// not the resizer's.
		Conditions []corev1.PersistentVolumeClaimCondition
		Volume     string
	}
	var resize []corev1.PersistentVolumeClaimCondition
	for _, cond := range c.Status.Conditions {
		if cond.Type == corev1.PersistentVolumeClaimResizing || cond.Type == corev1.PersistentVolumeClaimFileSystemResizePending {
			resize = append(resize, cond)
		}
	}
	pv, err = client.CoreV1().PersistentVolumes().Get(ctx, pvName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	allocated, volume := c.Status.AllocatedResources[corev1.ResourceStorage], pv.Spec.Capacity[corev1.ResourceStorage]
	got := status{Allocated: allocated.String(), Statuses: c.Status.AllocatedResourceStatuses, Conditions: resize, Volume: volume.String()}
	if diff := cmp.Diff(status{Allocated: "3Gi", Volume: "3Gi"}, got); diff != "" {
		t.Errorf("after the resize (-want +got):\n%s", diff)
	}
	for reason, want := range map[string]string{
		"ExternalExpanding":      "waiting for an external controller to expand this PVC",
		"Resizing":               "External resizer is resizing volume " + pvName,
		"VolumeResizeSuccessful": "Resize volume succeeded",
	} {
		if msg := waitEvent(t, client, ns, "data", reason); msg != want {
			t.Errorf("%s event: %q, want %q", reason, msg, want)
		}
	}
	if _, err := os.Stat(pv.Spec.Local.Path); err != nil {
		t.Errorf("the volume's directory after the resize: %v", err)
	}
}
