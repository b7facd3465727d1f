package ingressclass

import (
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/networking"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the ingressclasses resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:        networkingv1.Resource("ingressclasses"),
		Singular:        "ingressclass",
		NamespaceScoped: false,
		New:             func() runtime.Object { return &networkingv1.IngressClass{} },
		NewList:         func() runtime.Object { return &networkingv1.IngressClassList{} },
		Validate:        resource.Validate(networking.ValidateIngressClass),
		ValidateUpdate:  resource.ValidateUpdate(networking.ValidateIngressClassUpdate),
	}
}
