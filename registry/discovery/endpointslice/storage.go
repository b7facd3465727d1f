package endpointslice

import (
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/discovery"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the endpointslices resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:        discoveryv1.Resource("endpointslices"),
		Singular:        "endpointslice",
		NamespaceScoped: true,
		New:             func() runtime.Object { return &discoveryv1.EndpointSlice{} },
		NewList:         func() runtime.Object { return &discoveryv1.EndpointSliceList{} },
		Validate:        resource.Validate(discovery.ValidateEndpointSlice),
		ValidateUpdate:  resource.ValidateUpdate(discovery.ValidateEndpointSliceUpdate),
	}
}
