package printers

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
)

func storage(resource string) schema.GroupResource {
	return schema.GroupResource{Group: "storage.k8s.io", Resource: resource}
}

func storageClass(name string, created time.Duration, annotations map[string]string) storagev1.StorageClass {
	return storagev1.StorageClass{
		ObjectMeta:  metav1.ObjectMeta{Name: name, CreationTimestamp: ago(created), Annotations: annotations},
		Provisioner: "rancher.io/local-path",
	}
}

var isDefault = map[string]string{"storageclass.kubernetes.io/is-default-class": "true"}

func TestStorageClasses(t *testing.T) {
	columns := []string{"Name", "Provisioner", "ReclaimPolicy", "VolumeBindingMode", "AllowVolumeExpansion", "Age"}
	row := func(name string, age string) []any {
		return []any{name, "rancher.io/local-path", "Delete", "Immediate", false, age}
	}
	tests := []struct {
		name  string
		items []storagev1.StorageClass
		want  [][]any
	}{
		{
			name:  "one default",
			items: []storagev1.StorageClass{storageClass("local", time.Hour, isDefault), storageClass("fast", 2*time.Hour, nil)},
			want:  [][]any{row("local (default)", "60m"), row("fast", "120m")},
		},
		{
			name: "the newest default wins",
			items: []storagev1.StorageClass{
				storageClass("old", 2*time.Hour, isDefault),
				storageClass("new", time.Hour, map[string]string{"storageclass.beta.kubernetes.io/is-default-class": "true"}),
			},
			want: [][]any{row("old", "120m"), row("new (default)", "60m")},
		},
		{
			name:  "a tie goes to the first name",
			items: []storagev1.StorageClass{storageClass("b", time.Hour, isDefault), storageClass("a", time.Hour, isDefault)},
			want:  [][]any{row("b", "60m"), row("a (default)", "60m")},
		},
		{
			name:  "not default unless true",
			items: []storagev1.StorageClass{storageClass("local", time.Hour, map[string]string{"storageclass.kubernetes.io/is-default-class": "yes"})},
			want:  [][]any{row("local", "60m")},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := convert(t, storage("storageclasses"), &storagev1.StorageClassList{Items: tc.items}, nil)
			if diff := cmp.Diff(view{Columns: columns, Rows: tc.want}, viewOf(got)); diff != "" {
				t.Errorf("table (-want +got):\n%s", diff)
			}
		})
	}

	// Alone, even a default class is not marked: upstream marks only the
	// winner of a list.
	sc := storageClass("local", time.Hour, isDefault)
	sc.ReclaimPolicy = ptr.To(corev1.PersistentVolumeReclaimRetain)
	sc.VolumeBindingMode = ptr.To(storagev1.VolumeBindingWaitForFirstConsumer)
	sc.AllowVolumeExpansion = ptr.To(true)
	testRows(t, storage("storageclasses"), columns, []rowCase{{
		name: "single object",
		obj:  &sc,
		row:  []any{"local", "rancher.io/local-path", "Retain", "WaitForFirstConsumer", true, "60m"},
	}})
}

func TestStorageResources(t *testing.T) {
	testRows(t, storage("csidrivers"),
		[]string{"Name", "AttachRequired", "PodInfoOnMount", "StorageCapacity", "TokenRequests", "RequiresRepublish", "Modes", "Age"},
		[]rowCase{
			{
				name: "defaults",
				obj:  &storagev1.CSIDriver{ObjectMeta: objectMeta("csi.example.com")},
				row:  []any{"csi.example.com", true, false, false, "<unset>", false, "<none>", "3h"},
			},
			{
				name: "everything set",
				obj: &storagev1.CSIDriver{ObjectMeta: objectMeta("csi.example.com"), Spec: storagev1.CSIDriverSpec{
					AttachRequired: ptr.To(false), PodInfoOnMount: ptr.To(true), StorageCapacity: ptr.To(true),
					TokenRequests:        []storagev1.TokenRequest{{Audience: "vault"}, {Audience: "gcp"}},
					RequiresRepublish:    ptr.To(true),
					VolumeLifecycleModes: []storagev1.VolumeLifecycleMode{storagev1.VolumeLifecyclePersistent, storagev1.VolumeLifecycleEphemeral}}},
				row: []any{"csi.example.com", false, true, true, "vault,gcp", true, "Persistent,Ephemeral", "3h"},
			},
		})
	testRows(t, storage("csinodes"), []string{"Name", "Drivers", "Age"}, []rowCase{{
		name: "one driver",
		obj: &storagev1.CSINode{ObjectMeta: objectMeta("node-1"),
			Spec: storagev1.CSINodeSpec{Drivers: []storagev1.CSINodeDriver{{Name: "csi.example.com"}}}},
		row: []any{"node-1", int64(1), "3h"},
	}})
	testRows(t, storage("volumeattachments"), []string{"Name", "Attacher", "PV", "Node", "Attached", "Age"}, []rowCase{
		{
			name: "attached",
			obj: &storagev1.VolumeAttachment{ObjectMeta: objectMeta("csi-123"),
				Spec: storagev1.VolumeAttachmentSpec{Attacher: "csi.example.com", NodeName: "node-1",
					Source: storagev1.VolumeAttachmentSource{PersistentVolumeName: ptr.To("pv-1")}},
				Status: storagev1.VolumeAttachmentStatus{Attached: true}},
			row: []any{"csi-123", "csi.example.com", "pv-1", "node-1", true, "3h"},
		},
		{
			name: "inline volume",
			obj:  &storagev1.VolumeAttachment{ObjectMeta: objectMeta("csi-456")},
			row:  []any{"csi-456", "", "", "", false, "3h"},
		},
	})
	testRows(t, storage("volumeattributesclasses"), []string{"Name", "DriverName", "Age"}, []rowCase{
		{
			name: "gold",
			obj: &storagev1.VolumeAttributesClass{ObjectMeta: objectMeta("gold"), DriverName: "csi.example.com",
				Parameters: map[string]string{"iops": "3000"}},
			row: []any{"gold", "csi.example.com", "3h"},
		},
		{
			name: "never created",
			obj:  &storagev1.VolumeAttributesClass{ObjectMeta: metav1.ObjectMeta{Name: "new"}, DriverName: "csi.example.com"},
			row:  []any{"new", "csi.example.com", "<unknown>"},
		},
	})
	// Upstream's csistoragecapacities storage uses the default table: the
	// StorageClassName and Capacity columns pkg/printers/internalversion
	// declares are never served.
	testRows(t, storage("csistoragecapacities"), []string{"Name", "Created At"}, []rowCase{{
		name: "default table",
		obj: &storagev1.CSIStorageCapacity{ObjectMeta: objectMeta("csisc-abc"), StorageClassName: "fast",
			Capacity: ptr.To(resource.MustParse("10Gi"))},
		row: []any{"csisc-abc", "2025-06-01T09:00:00Z"},
	}})
}
