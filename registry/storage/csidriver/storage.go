package csidriver

import (
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/storage"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the csidrivers resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:               storagev1.Resource("csidrivers"),
		RequireResourceVersion: true,
		Singular:               "csidriver",
		NamespaceScoped:        false,
		New:                    func() runtime.Object { return &storagev1.CSIDriver{} },
		NewList:                func() runtime.Object { return &storagev1.CSIDriverList{} },
		Validate:               resource.Validate(storage.ValidateCSIDriver),
		ValidateUpdate:         resource.ValidateUpdate(storage.ValidateCSIDriverUpdate),
	}
}
