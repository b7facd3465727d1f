package resourceclaim

import (
	"context"

	resourcev1 "k8s.io/api/resource/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/dra"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the resourceclaims resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:               resourcev1.Resource("resourceclaims"),
		Singular:               "resourceclaim",
		NamespaceScoped:        true,
		New:                    func() runtime.Object { return &resourcev1.ResourceClaim{} },
		NewList:                func() runtime.Object { return &resourcev1.ResourceClaimList{} },
		Status:                 true,
		PrepareForCreate:       prepareForCreate,
		PrepareForUpdate:       prepareForUpdate,
		PrepareForStatusUpdate: prepareForStatusUpdate,
		Validate:               resource.Validate(dra.ValidateResourceClaim),
		ValidateUpdate:         resource.ValidateUpdate(dra.ValidateResourceClaimUpdate),
		ValidateStatusUpdate:   resource.ValidateUpdate(dra.ValidateResourceClaimStatusUpdate),
	}
}

// prepareForCreate leaves metadata.generation unset, as upstream: the spec
// is immutable, so there is no generation to observe.
func prepareForCreate(_ context.Context, obj runtime.Object) {
	claim := obj.(*resourcev1.ResourceClaim)
	claim.Generation = 0
	dra.DropAlphaClaimSpecFields(&claim.Spec)
}

func prepareForUpdate(_ context.Context, obj, _ runtime.Object) {
	dra.DropAlphaClaimSpecFields(&obj.(*resourcev1.ResourceClaim).Spec)
}

func prepareForStatusUpdate(_ context.Context, obj, old runtime.Object) {
	status := &obj.(*resourcev1.ResourceClaim).Status
	dra.DropAlphaClaimStatusFields(status)
	dra.DropDeallocatedDevices(status, &old.(*resourcev1.ResourceClaim).Status)
}
