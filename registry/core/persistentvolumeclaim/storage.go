package persistentvolumeclaim

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/core"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the persistentvolumeclaims resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:             corev1.Resource("persistentvolumeclaims"),
		Singular:             "persistentvolumeclaim",
		NamespaceScoped:      true,
		New:                  func() runtime.Object { return &corev1.PersistentVolumeClaim{} },
		NewList:              func() runtime.Object { return &corev1.PersistentVolumeClaimList{} },
		ShortNames:           []string{"pvc"},
		Status:               true,
		Validate:             resource.Validate(core.ValidatePersistentVolumeClaim),
		ValidateUpdate:       resource.ValidateUpdate(core.ValidatePersistentVolumeClaimUpdate),
		ValidateStatusUpdate: resource.ValidateUpdate(core.ValidatePersistentVolumeClaimStatusUpdate),
	}
}
