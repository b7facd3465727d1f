package storage

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

const (
	localPath        = "kubeshim.io/local-path"
	annProvisioner   = "volume.kubernetes.io/storage-provisioner"
	annBetaProv      = "volume.beta.kubernetes.io/storage-provisioner"
	annSelectedNode  = "volume.kubernetes.io/selected-node"
	annProvisionedBy = "pv.kubernetes.io/provisioned-by"
)

func externalMessage(provisioner string) string {
	return fmt.Sprintf("Waiting for a volume to be created either by the external provisioner '%s' or manually by the system administrator. "+
		"If volume creation is delayed, please verify that the provisioner is running and correctly registered.", provisioner)
}

// TestDefaultStorageClass: the server creates the local-path class, the
// default; a claim without a class gets it, a claim of class "" keeps "".
func TestDefaultStorageClass(t *testing.T) {
	client, ns := clients(t)
	ctx := context.Background()
	sc, err := client.StorageV1().StorageClasses().Get(ctx, "local-path", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	type class struct {
		Provisioner, Reclaim, Binding string
		Default                       string
		Expansion                     *bool
	}
	got := class{Provisioner: sc.Provisioner, Reclaim: string(ptr.Deref(sc.ReclaimPolicy, "")), Binding: string(ptr.Deref(sc.VolumeBindingMode, "")),
		Default: sc.Annotations["storageclass.kubernetes.io/is-default-class"], Expansion: sc.AllowVolumeExpansion}
	if diff := cmp.Diff(class{Provisioner: localPath, Reclaim: "Delete", Binding: "WaitForFirstConsumer", Default: "true", Expansion: ptr.To(true)}, got); diff != "" {
		t.Errorf("local-path class (-want +got):\n%s", diff)
	}
	columns, cells := table(t, client, "/apis/storage.k8s.io/v1/storageclasses", "fieldSelector", "metadata.name=local-path")
	if diff := cmp.Diff([]string{"Name", "Provisioner", "ReclaimPolicy", "VolumeBindingMode", "AllowVolumeExpansion", "Age"}, columns); diff != "" {
		t.Errorf("class columns (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]any{"local-path (default)", localPath, "Delete", "WaitForFirstConsumer", true}, cells[:5]); diff != "" {
		t.Errorf("class row (-want +got):\n%s", diff)
	}

	none := newClaim("none", "", "1Gi")
	none.Spec.StorageClassName = nil
	if c := createClaim(t, client, ns, none); ptr.Deref(c.Spec.StorageClassName, "<nil>") != "local-path" {
		t.Errorf("claim without a class got class %q, want local-path", ptr.Deref(c.Spec.StorageClassName, "<nil>"))
	}
	if c := createClaim(t, client, ns, newClaim("empty", "", "1Gi")); ptr.Deref(c.Spec.StorageClassName, "<nil>") != "" {
		t.Errorf(`claim of class "" got class %q`, ptr.Deref(c.Spec.StorageClassName, "<nil>"))
	}
}

// TestWaitForFirstConsumer: a claim of the local-path class is left alone
// until the scheduler (played by the test) names a node; then the
// provisioner is asked for a volume, and the volume it creates (the test
// plays it too) is bound. Deleting the claim releases the volume for the
// provisioner to delete.
func TestWaitForFirstConsumer(t *testing.T) {
	client, ns := clients(t)
	ctx := context.Background()
	claim := newClaim("data", "", "1Gi")
	claim.Spec.StorageClassName = nil
	claim = createClaim(t, client, ns, claim)

	waitEvent(t, client, ns, "data", "WaitForFirstConsumer")
	c, err := client.CoreV1().PersistentVolumeClaims(ns).Get(ctx, "data", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Annotations[annProvisioner]; ok || c.Status.Phase != corev1.ClaimPending {
		t.Fatalf("claim before a node was selected: %s, annotations %v; want Pending without a provisioner", c.Status.Phase, c.Annotations)
	}

	patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:"node-a"}}}`, annSelectedNode)
	if _, err := client.CoreV1().PersistentVolumeClaims(ns).Patch(ctx, "data", types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the provisioner asked for a volume", func(ctx context.Context) (string, bool) {
		c, err := client.CoreV1().PersistentVolumeClaims(ns).Get(ctx, "data", metav1.GetOptions{})
		if err != nil {
			return err.Error(), false
		}
		return fmt.Sprint(c.Annotations), c.Annotations[annProvisioner] == localPath && c.Annotations[annBetaProv] == localPath
	})
	if msg := waitEvent(t, client, ns, "data", "ExternalProvisioning"); msg != externalMessage(localPath) {
		t.Errorf("ExternalProvisioning message %q", msg)
	}

	// The provisioner's volume, pre-bound to the claim.
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: "pvc-" + string(claim.UID), Annotations: map[string]string{annProvisionedBy: localPath}},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")},
			AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimDelete,
			StorageClassName:              "local-path",
			ClaimRef:                      &corev1.ObjectReference{Kind: "PersistentVolumeClaim", APIVersion: "v1", Namespace: ns, Name: "data", UID: claim.UID},
			PersistentVolumeSource:        corev1.PersistentVolumeSource{Local: &corev1.LocalVolumeSource{Path: "/var/lib/kubeshim/storage/pvc-" + string(claim.UID)}},
			NodeAffinity: &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
				MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "kubernetes.io/hostname", Operator: corev1.NodeSelectorOpIn, Values: []string{"node-a"}}},
			}}}},
		},
	}
	createVolume(t, client, pv)
	c, v := boundTo(t, client, ns, "data", pv.Name)
	if diff := cmp.Diff(map[string]string{annSelectedNode: "node-a", annProvisioner: localPath, annBetaProv: localPath,
		annBindCompleted: "yes", annBoundBy: "yes"}, c.Annotations); diff != "" {
		t.Errorf("claim annotations (-want +got):\n%s", diff)
	}
	// Pre-bound by its provisioner, not by the controller.
	if diff := cmp.Diff(map[string]string{annProvisionedBy: localPath}, v.Annotations); diff != "" {
		t.Errorf("volume annotations (-want +got):\n%s", diff)
	}

	if err := client.CoreV1().PersistentVolumeClaims(ns).Delete(ctx, "data", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	// Released, and left to the provisioner: not Failed.
	released := volumePhase(t, client, pv.Name, corev1.VolumeReleased)
	if released.Status.Message != "" {
		t.Errorf("released volume's message %q", released.Status.Message)
	}
	// The provisioner deletes the directory, then the volume; nothing
	// holds it any more.
	if err := client.CoreV1().PersistentVolumes().Delete(ctx, pv.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "provisioned volume gone", func(ctx context.Context) (string, bool) {
		v, err := client.CoreV1().PersistentVolumes().Get(ctx, pv.Name, metav1.GetOptions{})
		if err != nil {
			return err.Error(), apierrors.IsNotFound(err)
		}
		return fmt.Sprintf("phase %s finalizers %v", v.Status.Phase, v.Finalizers), false
	})
}

// TestImmediateProvisioning: a claim of an Immediate class is handed to
// its provisioner at once.
func TestImmediateProvisioning(t *testing.T) {
	client, ns := clients(t)
	ctx := context.Background()
	provisioner := "example.com/" + ns
	sc := &storagev1.StorageClass{
		ObjectMeta:        metav1.ObjectMeta{Name: ns},
		Provisioner:       provisioner,
		VolumeBindingMode: ptr.To(storagev1.VolumeBindingImmediate),
	}
	if _, err := client.StorageV1().StorageClasses().Create(ctx, sc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = client.StorageV1().StorageClasses().Delete(context.Background(), ns, metav1.DeleteOptions{})
	})
	createClaim(t, client, ns, newClaim("now", ns, "1Gi"))
	eventually(t, "the provisioner asked for a volume", func(ctx context.Context) (string, bool) {
		c, err := client.CoreV1().PersistentVolumeClaims(ns).Get(ctx, "now", metav1.GetOptions{})
		if err != nil {
			return err.Error(), false
		}
		return fmt.Sprint(c.Annotations), c.Annotations[annProvisioner] == provisioner && c.Annotations[annBetaProv] == provisioner
	})
	if msg := waitEvent(t, client, ns, "now", "ExternalProvisioning"); msg != externalMessage(provisioner) {
		t.Errorf("ExternalProvisioning message %q", msg)
	}
}
