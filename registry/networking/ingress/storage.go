package ingress

import (
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/networking"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the ingresses resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:             networkingv1.Resource("ingresses"),
		Singular:             "ingress",
		NamespaceScoped:      true,
		New:                  func() runtime.Object { return &networkingv1.Ingress{} },
		NewList:              func() runtime.Object { return &networkingv1.IngressList{} },
		ShortNames:           []string{"ing"},
		Status:               true,
		Validate:             resource.Validate(networking.ValidateIngress),
		ValidateUpdate:       resource.ValidateUpdate(networking.ValidateIngressUpdate),
		ValidateStatusUpdate: resource.ValidateUpdate(networking.ValidateIngressStatusUpdate),
	}
}
