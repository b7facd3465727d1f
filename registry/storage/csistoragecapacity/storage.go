package csistoragecapacity

import (
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/storage"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the csistoragecapacities resource. It is namespaced (a
// driver publishes into its own namespace) and has no status: the whole
// object is the driver's report. Upstream prints it with the default
// table, so it has no TableConvertor of its own.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:               storagev1.Resource("csistoragecapacities"),
		RequireResourceVersion: true,
		Singular:               "csistoragecapacity",
		NamespaceScoped:        true,
		New:                    func() runtime.Object { return &storagev1.CSIStorageCapacity{} },
		NewList:                func() runtime.Object { return &storagev1.CSIStorageCapacityList{} },
		Validate:               resource.Validate(storage.ValidateCSIStorageCapacity),
		ValidateUpdate:         resource.ValidateUpdate(storage.ValidateCSIStorageCapacityUpdate),
	}
}
