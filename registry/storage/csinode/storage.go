package csinode

import (
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/storage"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the csinodes resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:               storagev1.Resource("csinodes"),
		RequireResourceVersion: true,
		Singular:               "csinode",
		NamespaceScoped:        false,
		New:                    func() runtime.Object { return &storagev1.CSINode{} },
		NewList:                func() runtime.Object { return &storagev1.CSINodeList{} },
		Validate:               resource.Validate(storage.ValidateCSINode),
		ValidateUpdate:         resource.ValidateUpdate(storage.ValidateCSINodeUpdate),
	}
}
