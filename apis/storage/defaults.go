package storage

import (
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/apis/core"
)

// addDefaultingFuncs registers upstream's defaults for the v1 kinds, as
// k8s.io/kubernetes v1.37 pkg/apis/storage/v1 applies them with the default
// feature gates. CSINode, CSIStorageCapacity and VolumeAttributesClass have
// none.
func addDefaultingFuncs(s *runtime.Scheme) error {
	s.AddTypeDefaultingFunc(&storagev1.CSIDriver{}, func(obj any) { SetObjectDefaultsCSIDriver(obj.(*storagev1.CSIDriver)) })
	s.AddTypeDefaultingFunc(&storagev1.CSIDriverList{}, func(obj any) {
		defaultEach(obj.(*storagev1.CSIDriverList).Items, SetObjectDefaultsCSIDriver)
	})
	s.AddTypeDefaultingFunc(&storagev1.StorageClass{}, func(obj any) { SetObjectDefaultsStorageClass(obj.(*storagev1.StorageClass)) })
	s.AddTypeDefaultingFunc(&storagev1.StorageClassList{}, func(obj any) {
		defaultEach(obj.(*storagev1.StorageClassList).Items, SetObjectDefaultsStorageClass)
	})
	s.AddTypeDefaultingFunc(&storagev1.VolumeAttachment{}, func(obj any) { SetObjectDefaultsVolumeAttachment(obj.(*storagev1.VolumeAttachment)) })
	s.AddTypeDefaultingFunc(&storagev1.VolumeAttachmentList{}, func(obj any) {
		defaultEach(obj.(*storagev1.VolumeAttachmentList).Items, SetObjectDefaultsVolumeAttachment)
	})
	return nil
}

// SetObjectDefaultsStorageClass makes a StorageClass delete released volumes
// and bind them immediately unless it says otherwise.
func SetObjectDefaultsStorageClass(sc *storagev1.StorageClass) {
	if sc.ReclaimPolicy == nil {
		sc.ReclaimPolicy = ptr.To(corev1.PersistentVolumeReclaimDelete)
	}
	if sc.VolumeBindingMode == nil {
		sc.VolumeBindingMode = ptr.To(storagev1.VolumeBindingImmediate)
	}
}

// SetObjectDefaultsCSIDriver applies upstream's CSIDriver defaults.
// seLinuxMount is defaulted because SELinuxMountReadWriteOncePod is GA, and
// preventPodSchedulingIfMissing because VolumeLimitScaling is on by default
// since 1.37.
func SetObjectDefaultsCSIDriver(d *storagev1.CSIDriver) {
	spec := &d.Spec
	if spec.AttachRequired == nil {
		spec.AttachRequired = ptr.To(true)
	}
	if spec.PodInfoOnMount == nil {
		spec.PodInfoOnMount = ptr.To(false)
	}
	if spec.StorageCapacity == nil {
		spec.StorageCapacity = ptr.To(false)
	}
	if spec.FSGroupPolicy == nil {
		spec.FSGroupPolicy = ptr.To(storagev1.ReadWriteOnceWithFSTypeFSGroupPolicy)
	}
	if len(spec.VolumeLifecycleModes) == 0 {
		spec.VolumeLifecycleModes = append(spec.VolumeLifecycleModes, storagev1.VolumeLifecyclePersistent)
	}
	if spec.RequiresRepublish == nil {
		spec.RequiresRepublish = ptr.To(false)
	}
	if spec.SELinuxMount == nil {
		spec.SELinuxMount = ptr.To(false)
	}
	if spec.PreventPodSchedulingIfMissing == nil {
		spec.PreventPodSchedulingIfMissing = ptr.To(false)
	}
}

// SetObjectDefaultsVolumeAttachment gives an inline (migrated in-tree) volume
// spec the defaults of its volume source. The PersistentVolume object
// defaults (reclaim policy, volume mode) do not apply to it.
func SetObjectDefaultsVolumeAttachment(va *storagev1.VolumeAttachment) {
	if spec := va.Spec.Source.InlineVolumeSpec; spec != nil {
		core.SetDefaultsResourceList(spec.Capacity)
		core.SetDefaultsPersistentVolumeSource(&spec.PersistentVolumeSource)
	}
}

// defaultEach defaults each item of a list in place.
func defaultEach[T any](items []T, setDefaults func(*T)) {
	for i := range items {
		setDefaults(&items[i])
	}
}
