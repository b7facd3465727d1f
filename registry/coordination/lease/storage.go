package lease

import (
	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/coordination"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the leases resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:               coordinationv1.Resource("leases"),
		RequireResourceVersion: true,
		Singular:               "lease",
		NamespaceScoped:        true,
		New:                    func() runtime.Object { return &coordinationv1.Lease{} },
		NewList:                func() runtime.Object { return &coordinationv1.LeaseList{} },
		Validate:               resource.Validate(coordination.ValidateLease),
		ValidateUpdate:         resource.ValidateUpdate(coordination.ValidateLeaseUpdate),
	}
}
