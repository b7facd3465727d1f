package ipaddress

import (
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/networking"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the ipaddresses resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:        networkingv1.Resource("ipaddresses"),
		Singular:        "ipaddress",
		NamespaceScoped: false,
		New:             func() runtime.Object { return &networkingv1.IPAddress{} },
		NewList:         func() runtime.Object { return &networkingv1.IPAddressList{} },
		ShortNames:      []string{"ip"},
		Validate:        resource.Validate(networking.ValidateIPAddress),
		ValidateUpdate:  resource.ValidateUpdate(networking.ValidateIPAddressUpdate),
	}
}
