package volumeattributesclass

import (
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/storage"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the volumeattributesclasses resource. Upstream's strategy
// does nothing beyond validation: the kubernetes.io/vac-protection
// finalizer belongs to a controller, not to the registry.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:        storagev1.Resource("volumeattributesclasses"),
		Singular:        "volumeattributesclass",
		NamespaceScoped: false,
		New:             func() runtime.Object { return &storagev1.VolumeAttributesClass{} },
		NewList:         func() runtime.Object { return &storagev1.VolumeAttributesClassList{} },
		ShortNames:      []string{"vac"},
		Validate:        resource.Validate(storage.ValidateVolumeAttributesClass),
		ValidateUpdate:  resource.ValidateUpdate(storage.ValidateVolumeAttributesClassUpdate),
	}
}
