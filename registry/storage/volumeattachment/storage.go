package volumeattachment

import (
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/storage"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the volumeattachments resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:               storagev1.Resource("volumeattachments"),
		RequireResourceVersion: true,
		Singular:               "volumeattachment",
		NamespaceScoped:        false,
		New:                    func() runtime.Object { return &storagev1.VolumeAttachment{} },
		NewList:                func() runtime.Object { return &storagev1.VolumeAttachmentList{} },
		Status:                 true,
		Validate:               resource.Validate(storage.ValidateVolumeAttachment),
		ValidateUpdate:         resource.ValidateUpdate(storage.ValidateVolumeAttachmentUpdate),
		ValidateStatusUpdate:   resource.ValidateUpdate(storage.ValidateVolumeAttachmentStatusUpdate),
	}
}
