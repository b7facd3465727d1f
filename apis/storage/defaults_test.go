package storage

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
)

func TestSetObjectDefaultsStorageClass(t *testing.T) {
	tests := []struct {
		name string
		in   *storagev1.StorageClass
		want *storagev1.StorageClass
	}{
		{
			name: "Delete and Immediate",
			in:   &storagev1.StorageClass{Provisioner: "example.com/csi"},
			want: &storagev1.StorageClass{
				Provisioner:       "example.com/csi",
				ReclaimPolicy:     ptr.To(corev1.PersistentVolumeReclaimDelete),
				VolumeBindingMode: ptr.To(storagev1.VolumeBindingImmediate),
			},
		},
		{
			name: "set fields are kept",
			in: &storagev1.StorageClass{
				ReclaimPolicy:     ptr.To(corev1.PersistentVolumeReclaimRetain),
				VolumeBindingMode: ptr.To(storagev1.VolumeBindingWaitForFirstConsumer),
			},
			want: &storagev1.StorageClass{
				ReclaimPolicy:     ptr.To(corev1.PersistentVolumeReclaimRetain),
				VolumeBindingMode: ptr.To(storagev1.VolumeBindingWaitForFirstConsumer),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.in.DeepCopy()
			SetObjectDefaultsStorageClass(got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("SetObjectDefaultsStorageClass() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetObjectDefaultsCSIDriver(t *testing.T) {
	tests := []struct {
		name string
		in   storagev1.CSIDriverSpec
		want storagev1.CSIDriverSpec
	}{
		{
			name: "empty driver",
			in:   storagev1.CSIDriverSpec{},
			want: storagev1.CSIDriverSpec{
				AttachRequired:                ptr.To(true),
				PodInfoOnMount:                ptr.To(false),
				StorageCapacity:               ptr.To(false),
				FSGroupPolicy:                 ptr.To(storagev1.ReadWriteOnceWithFSTypeFSGroupPolicy),
				VolumeLifecycleModes:          []storagev1.VolumeLifecycleMode{storagev1.VolumeLifecyclePersistent},
				RequiresRepublish:             ptr.To(false),
				SELinuxMount:                  ptr.To(false),
				PreventPodSchedulingIfMissing: ptr.To(false),
			},
		},
		{
			name: "set fields are kept",
			in: storagev1.CSIDriverSpec{
				AttachRequired:                ptr.To(false),
				PodInfoOnMount:                ptr.To(true),
				StorageCapacity:               ptr.To(true),
				FSGroupPolicy:                 ptr.To(storagev1.FileFSGroupPolicy),
				VolumeLifecycleModes:          []storagev1.VolumeLifecycleMode{storagev1.VolumeLifecycleEphemeral},
				RequiresRepublish:             ptr.To(true),
				SELinuxMount:                  ptr.To(true),
				PreventPodSchedulingIfMissing: ptr.To(true),
			},
			want: storagev1.CSIDriverSpec{
				AttachRequired:                ptr.To(false),
				PodInfoOnMount:                ptr.To(true),
				StorageCapacity:               ptr.To(true),
				FSGroupPolicy:                 ptr.To(storagev1.FileFSGroupPolicy),
				VolumeLifecycleModes:          []storagev1.VolumeLifecycleMode{storagev1.VolumeLifecycleEphemeral},
				RequiresRepublish:             ptr.To(true),
				SELinuxMount:                  ptr.To(true),
				PreventPodSchedulingIfMissing: ptr.To(true),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := &storagev1.CSIDriver{Spec: *tt.in.DeepCopy()}
			SetObjectDefaultsCSIDriver(got)
			if diff := cmp.Diff(&storagev1.CSIDriver{Spec: tt.want}, got); diff != "" {
				t.Errorf("SetObjectDefaultsCSIDriver() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetObjectDefaultsVolumeAttachment(t *testing.T) {
	tests := []struct {
		name string
		in   storagev1.VolumeAttachmentSource
		want storagev1.VolumeAttachmentSource
	}{
		{
			name: "persistent volume name only",
			in:   storagev1.VolumeAttachmentSource{PersistentVolumeName: ptr.To("pv")},
			want: storagev1.VolumeAttachmentSource{PersistentVolumeName: ptr.To("pv")},
		},
		{
			name: "inline spec gets its source's defaults but not a PV's",
			in: storagev1.VolumeAttachmentSource{InlineVolumeSpec: &corev1.PersistentVolumeSpec{
				Capacity: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("0.5m")},
				PersistentVolumeSource: corev1.PersistentVolumeSource{
					AzureDisk: &corev1.AzureDiskVolumeSource{DiskName: "d", DataDiskURI: "u"},
				},
			}},
			want: storagev1.VolumeAttachmentSource{InlineVolumeSpec: &corev1.PersistentVolumeSpec{
				Capacity: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1m")},
				PersistentVolumeSource: corev1.PersistentVolumeSource{
					AzureDisk: &corev1.AzureDiskVolumeSource{
						DiskName: "d", DataDiskURI: "u",
						CachingMode: ptr.To(corev1.AzureDataDiskCachingReadWrite), FSType: ptr.To("ext4"),
						ReadOnly: ptr.To(false), Kind: ptr.To(corev1.AzureSharedBlobDisk),
					},
				},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := &storagev1.VolumeAttachment{Spec: storagev1.VolumeAttachmentSpec{Source: *tt.in.DeepCopy()}}
			SetObjectDefaultsVolumeAttachment(got)
			want := &storagev1.VolumeAttachment{Spec: storagev1.VolumeAttachmentSpec{Source: tt.want}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("SetObjectDefaultsVolumeAttachment() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSchemeDefault(t *testing.T) {
	s := runtime.NewScheme()
	if err := storagev1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := Install(s); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   runtime.Object
		want runtime.Object
	}{
		{
			name: "storage class list",
			in:   &storagev1.StorageClassList{Items: []storagev1.StorageClass{{}}},
			want: &storagev1.StorageClassList{Items: []storagev1.StorageClass{{
				ReclaimPolicy:     ptr.To(corev1.PersistentVolumeReclaimDelete),
				VolumeBindingMode: ptr.To(storagev1.VolumeBindingImmediate),
			}}},
		},
		{
			name: "csi driver",
			in:   &storagev1.CSIDriver{Spec: storagev1.CSIDriverSpec{AttachRequired: ptr.To(false)}},
			want: &storagev1.CSIDriver{Spec: storagev1.CSIDriverSpec{
				AttachRequired:                ptr.To(false),
				PodInfoOnMount:                ptr.To(false),
				StorageCapacity:               ptr.To(false),
				FSGroupPolicy:                 ptr.To(storagev1.ReadWriteOnceWithFSTypeFSGroupPolicy),
				VolumeLifecycleModes:          []storagev1.VolumeLifecycleMode{storagev1.VolumeLifecyclePersistent},
				RequiresRepublish:             ptr.To(false),
				SELinuxMount:                  ptr.To(false),
				PreventPodSchedulingIfMissing: ptr.To(false),
			}},
		},
		{
			name: "csi node has no defaults",
			in:   &storagev1.CSINode{},
			want: &storagev1.CSINode{},
		},
		{
			name: "csi storage capacity has no defaults",
			in:   &storagev1.CSIStorageCapacity{StorageClassName: "fast"},
			want: &storagev1.CSIStorageCapacity{StorageClassName: "fast"},
		},
		{
			name: "volume attributes class has no defaults",
			in:   &storagev1.VolumeAttributesClass{DriverName: "csi.example.com"},
			want: &storagev1.VolumeAttributesClass{DriverName: "csi.example.com"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.in.DeepCopyObject()
			s.Default(got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Default() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
