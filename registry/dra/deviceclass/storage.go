package deviceclass

import (
	resourcev1 "k8s.io/api/resource/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/dra"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the deviceclasses resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:       resourcev1.Resource("deviceclasses"),
		Singular:       "deviceclass",
		New:            func() runtime.Object { return &resourcev1.DeviceClass{} },
		NewList:        func() runtime.Object { return &resourcev1.DeviceClassList{} },
		Validate:       resource.Validate(dra.ValidateDeviceClass),
		ValidateUpdate: resource.ValidateUpdate(dra.ValidateDeviceClassUpdate),
	}
}
