package persistentvolume

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/core"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the persistentvolumes resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:             corev1.Resource("persistentvolumes"),
		Singular:             "persistentvolume",
		NamespaceScoped:      false,
		New:                  func() runtime.Object { return &corev1.PersistentVolume{} },
		NewList:              func() runtime.Object { return &corev1.PersistentVolumeList{} },
		ShortNames:           []string{"pv"},
		Status:               true,
		Validate:             resource.Validate(core.ValidatePersistentVolume),
		ValidateUpdate:       resource.ValidateUpdate(core.ValidatePersistentVolumeUpdate),
		ValidateStatusUpdate: resource.ValidateUpdate(core.ValidatePersistentVolumeStatusUpdate),
	}
}
