package apiserver

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/test/integration/framework"
)

// storageResource is what discovery says of a storage.k8s.io/v1 resource.
type storageResource struct {
	Namespaced bool
	ShortNames []string
	Verbs      []string
}

func discoverStorage(t *testing.T, client kubernetes.Interface, name string) storageResource {
	t.Helper()
	list, err := client.Discovery().ServerResourcesForGroupVersion(storagev1.SchemeGroupVersion.String())
	if err != nil {
		t.Fatalf("discovery of storage.k8s.io/v1: %v", err)
	}
	for _, r := range list.APIResources {
		if r.Name == name {
			verbs := slices.Clone([]string(r.Verbs))
			slices.Sort(verbs)
			return storageResource{Namespaced: r.Namespaced, ShortNames: r.ShortNames, Verbs: verbs}
		}
	}
	t.Fatalf("discovery of storage.k8s.io/v1 has no %s", name)
	return storageResource{}
}

var allVerbs = []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}

// tableColumns is the column names the server prints path with, as
// `kubectl get` asks for them.
func tableColumns(t *testing.T, client kubernetes.Interface, path string) []string {
	t.Helper()
	table := &metav1.Table{}
	err := client.StorageV1().RESTClient().Get().AbsPath(path).
		SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").
		Do(context.Background()).Into(table)
	if err != nil {
		t.Fatalf("get %s as a table: %v", path, err)
	}
	var names []string
	for _, c := range table.ColumnDefinitions {
		names = append(names, c.Name)
	}
	return names
}

// TestCSIStorageCapacities runs the operations of the conformance test
// "CSIStorageCapacity should support CSIStorageCapacities API operations",
// and the validation the registry adds to them.
func TestCSIStorageCapacities(t *testing.T) {
	ctx := context.Background()
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ns := framework.Namespace(t, client)
	capacities := client.StorageV1().CSIStorageCapacities(ns)

	if diff := cmp.Diff(storageResource{Namespaced: true, Verbs: allVerbs}, discoverStorage(t, client, "csistoragecapacities")); diff != "" {
		t.Errorf("discovery (-want +got):\n%s", diff)
	}

	label := map[string]string{"test": ns}
	selector := metav1.ListOptions{LabelSelector: "test=" + ns}
	newCapacity := func(name string) *storagev1.CSIStorageCapacity {
		return &storagev1.CSIStorageCapacity{
			ObjectMeta:       metav1.ObjectMeta{Name: name, Labels: label},
			StorageClassName: "e2e.example.com",
			NodeTopology:     &metav1.LabelSelector{MatchLabels: map[string]string{"topology.kubernetes.io/zone": "a"}},
			Capacity:         ptr.To(resource.MustParse("10Gi")),
		}
	}
	created, err := capacities.Create(ctx, newCapacity("csc1"), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if _, err := capacities.Create(ctx, newCapacity("csc1"), metav1.CreateOptions{}); !apierrors.IsAlreadyExists(err) {
		t.Errorf("second create: err = %v, want 409", err)
	}
	if _, err := capacities.Create(ctx, newCapacity("csc2"), metav1.CreateOptions{}); err != nil {
		t.Fatalf("create csc2: %v", err)
	}

	got, err := capacities.Get(ctx, "csc1", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if got.UID != created.UID || got.Capacity.String() != "10Gi" || got.Generation != 0 {
		t.Errorf("get: uid %s capacity %s generation %d, want %s, 10Gi and none", got.UID, got.Capacity, got.Generation, created.UID)
	}
	for _, scope := range []string{ns, metav1.NamespaceAll} {
		list, err := client.StorageV1().CSIStorageCapacities(scope).List(ctx, selector)
		if err != nil {
			t.Fatalf("list in %q: %v", scope, err)
		}
		if len(list.Items) != 2 {
			t.Errorf("list in %q: %d items, want 2", scope, len(list.Items))
		}
	}

	patched, err := capacities.Patch(ctx, "csc1", types.MergePatchType, []byte(`{"metadata":{"annotations":{"patched":"true"}}}`), metav1.PatchOptions{})
	if err != nil {
		t.Fatalf("patch: %v", err)
	}
	if patched.Annotations["patched"] != "true" || patched.ResourceVersion == created.ResourceVersion {
		t.Errorf("patch: annotations %v resourceVersion %s, want patched and a new version", patched.Annotations, patched.ResourceVersion)
	}

	// The driver's report changes; what it reported on does not.
	patched.Capacity = ptr.To(resource.MustParse("5Gi"))
	patched.MaximumVolumeSize = ptr.To(resource.MustParse("1Gi"))
	updated, err := capacities.Update(ctx, patched, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("update capacity: %v", err)
	}
	if updated.Capacity.String() != "5Gi" || updated.MaximumVolumeSize.String() != "1Gi" {
		t.Errorf("update: capacity %s maximumVolumeSize %s, want 5Gi and 1Gi", updated.Capacity, updated.MaximumVolumeSize)
	}
	moved := updated.DeepCopy()
	moved.StorageClassName = "other"
	moved.NodeTopology = nil
	_, err = capacities.Update(ctx, moved, metav1.UpdateOptions{})
	if !apierrors.IsInvalid(err) {
		t.Fatalf("update class and topology: err = %v, want 422", err)
	}
	if diff := cmp.Diff([]string{"FieldValueInvalid nodeTopology", "FieldValueInvalid storageClassName"}, causes(t, err)); diff != "" {
		t.Errorf("update class and topology causes (-want +got):\n%s", diff)
	}
	bad := newCapacity("csc-bad")
	bad.StorageClassName = ""
	bad.Capacity = ptr.To(resource.MustParse("-1"))
	_, err = capacities.Create(ctx, bad, metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) {
		t.Fatalf("create invalid: err = %v, want 422", err)
	}
	if diff := cmp.Diff([]string{"FieldValueInvalid storageClassName", "FieldValueInvalid capacity"}, causes(t, err)); diff != "" {
		t.Errorf("create invalid causes (-want +got):\n%s", diff)
	}

	if diff := cmp.Diff([]string{"Name", "Created At"}, tableColumns(t, client, "/apis/storage.k8s.io/v1/namespaces/"+ns+"/csistoragecapacities")); diff != "" {
		t.Errorf("table columns (-want +got):\n%s", diff)
	}

	if err := capacities.Delete(ctx, "csc1", metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := capacities.Get(ctx, "csc1", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("get after delete: err = %v, want 404", err)
	}
	if err := capacities.DeleteCollection(ctx, metav1.DeleteOptions{}, selector); err != nil {
		t.Fatalf("delete collection: %v", err)
	}
	list, err := capacities.List(ctx, selector)
	if err != nil {
		t.Fatalf("list after delete collection: %v", err)
	}
	if len(list.Items) != 0 {
		t.Errorf("list after delete collection: %d items, want none", len(list.Items))
	}
}

// TestVolumeAttributesClasses runs the operations of the conformance test
// "VolumeAttributesClass should run through the lifecycle of a
// VolumeAttributesClass", and the validation the registry adds to them.
func TestVolumeAttributesClasses(t *testing.T) {
	ctx := context.Background()
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	classes := client.StorageV1().VolumeAttributesClasses()
	// Classes are cluster-scoped: the label keeps this test's apart.
	ns := framework.Namespace(t, client)
	selector := metav1.ListOptions{LabelSelector: "test=" + ns}

	if diff := cmp.Diff(storageResource{ShortNames: []string{"vac"}, Verbs: allVerbs}, discoverStorage(t, client, "volumeattributesclasses")); diff != "" {
		t.Errorf("discovery (-want +got):\n%s", diff)
	}

	newClass := func() *storagev1.VolumeAttributesClass {
		return &storagev1.VolumeAttributesClass{
			ObjectMeta: metav1.ObjectMeta{GenerateName: "e2e-", Labels: map[string]string{"test": ns}},
			DriverName: "e2e-fake-csi-driver",
			Parameters: map[string]string{"foo": "bar"},
		}
	}
	created, err := classes.Create(ctx, newClass(), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	t.Cleanup(func() { _ = classes.DeleteCollection(ctx, metav1.DeleteOptions{}, selector) })
	// StorageObjectInUseProtection admission protects every class.
	if created.Generation != 0 || !slices.Equal(created.Finalizers, []string{"kubernetes.io/vac-protection"}) {
		t.Errorf("create: generation %d finalizers %v, want none and the protection finalizer", created.Generation, created.Finalizers)
	}
	if _, err := classes.Get(ctx, created.Name, metav1.GetOptions{}); err != nil {
		t.Fatalf("get: %v", err)
	}

	patched, err := classes.Patch(ctx, created.Name, types.StrategicMergePatchType,
		[]byte(`{"metadata":{"labels":{"`+created.Name+`":"patched"}}}`), metav1.PatchOptions{})
	if err != nil {
		t.Fatalf("patch: %v", err)
	}
	if patched.Labels[created.Name] != "patched" {
		t.Errorf("patch: labels %v, want %s=patched", patched.Labels, created.Name)
	}

	changed := patched.DeepCopy()
	changed.DriverName = "other.csi.example.com"
	changed.Parameters["foo"] = "baz"
	_, err = classes.Update(ctx, changed, metav1.UpdateOptions{})
	if !apierrors.IsInvalid(err) {
		t.Fatalf("update driver and parameters: err = %v, want 422", err)
	}
	if diff := cmp.Diff([]string{"FieldValueForbidden driverName", "FieldValueForbidden parameters"}, causes(t, err)); diff != "" {
		t.Errorf("update driver and parameters causes (-want +got):\n%s", diff)
	}
	relabeled := patched.DeepCopy()
	relabeled.Labels[created.Name] = "updated"
	updated, err := classes.Update(ctx, relabeled, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("update labels: %v", err)
	}
	if updated.Labels[created.Name] != "updated" {
		t.Errorf("update: labels %v, want %s=updated", updated.Labels, created.Name)
	}

	bad := newClass()
	bad.DriverName = ""
	bad.Parameters = nil
	_, err = classes.Create(ctx, bad, metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) {
		t.Fatalf("create invalid: err = %v, want 422", err)
	}
	if diff := cmp.Diff([]string{"FieldValueRequired driverName", "FieldValueRequired parameters"}, causes(t, err)); diff != "" {
		t.Errorf("create invalid causes (-want +got):\n%s", diff)
	}

	if diff := cmp.Diff([]string{"Name", "DriverName", "Age"}, tableColumns(t, client, "/apis/storage.k8s.io/v1/volumeattributesclasses")); diff != "" {
		t.Errorf("table columns (-want +got):\n%s", diff)
	}

	// Nothing uses the class: the VAC protection controller lets it go.
	if err := classes.Delete(ctx, created.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := classes.Get(ctx, created.Name, metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	if err != nil {
		t.Errorf("class not gone after delete: %v", err)
	}
	for range 2 {
		if _, err := classes.Create(ctx, newClass(), metav1.CreateOptions{}); err != nil {
			t.Fatalf("create replacement: %v", err)
		}
	}
	if err := classes.DeleteCollection(ctx, metav1.DeleteOptions{}, selector); err != nil {
		t.Fatalf("delete collection: %v", err)
	}
	var left int
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		list, err := classes.List(ctx, selector)
		if err != nil {
			return false, err
		}
		left = len(list.Items)
		return left == 0, nil
	})
	if err != nil {
		t.Errorf("list after delete collection: %d items, want none: %v", left, err)
	}
}
