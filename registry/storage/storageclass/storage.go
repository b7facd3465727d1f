package storageclass

import (
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/storage"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the storageclasses resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:        storagev1.Resource("storageclasses"),
		Singular:        "storageclass",
		NamespaceScoped: false,
		New:             func() runtime.Object { return &storagev1.StorageClass{} },
		NewList:         func() runtime.Object { return &storagev1.StorageClassList{} },
		ShortNames:      []string{"sc"},
		Validate:        resource.Validate(storage.ValidateStorageClass),
		ValidateUpdate:  resource.ValidateUpdate(storage.ValidateStorageClassUpdate),
	}
}
