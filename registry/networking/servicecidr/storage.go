package servicecidr

import (
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/networking"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the servicecidrs resource. Its status (the Ready condition)
// is written only through servicecidrs/status.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:             networkingv1.Resource("servicecidrs"),
		Singular:             "servicecidr",
		NamespaceScoped:      false,
		New:                  func() runtime.Object { return &networkingv1.ServiceCIDR{} },
		NewList:              func() runtime.Object { return &networkingv1.ServiceCIDRList{} },
		Status:               true,
		Validate:             resource.Validate(networking.ValidateServiceCIDR),
		ValidateUpdate:       resource.ValidateUpdate(networking.ValidateServiceCIDRUpdate),
		ValidateStatusUpdate: resource.ValidateUpdate(networking.ValidateServiceCIDRStatusUpdate),
	}
}
