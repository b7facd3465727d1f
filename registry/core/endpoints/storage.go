package endpoints

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/core"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the endpoints resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:        corev1.Resource("endpoints"),
		Singular:        "endpoints",
		NamespaceScoped: true,
		New:             func() runtime.Object { return &corev1.Endpoints{} },
		NewList:         func() runtime.Object { return &corev1.EndpointsList{} },
		ShortNames:      []string{"ep"},
		Validate:        resource.Validate(core.ValidateEndpoints),
		ValidateUpdate:  resource.ValidateUpdate(core.ValidateEndpointsUpdate),
	}
}
