package networkpolicy

import (
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/networking"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the networkpolicies resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:        networkingv1.Resource("networkpolicies"),
		Singular:        "networkpolicy",
		NamespaceScoped: true,
		New:             func() runtime.Object { return &networkingv1.NetworkPolicy{} },
		NewList:         func() runtime.Object { return &networkingv1.NetworkPolicyList{} },
		ShortNames:      []string{"netpol"},
		Validate:        resource.Validate(networking.ValidateNetworkPolicy),
		ValidateUpdate:  resource.ValidateUpdate(networking.ValidateNetworkPolicyUpdate),
	}
}
