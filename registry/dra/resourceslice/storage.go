package resourceslice

import (
	"context"

	resourcev1 "k8s.io/api/resource/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/dra"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the resourceslices resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:         resourcev1.Resource("resourceslices"),
		Singular:         "resourceslice",
		New:              func() runtime.Object { return &resourcev1.ResourceSlice{} },
		NewList:          func() runtime.Object { return &resourcev1.ResourceSliceList{} },
		Fields:           dra.ResourceSliceFields,
		PrepareForCreate: prepareForCreate,
		PrepareForUpdate: prepareForUpdate,
		Validate:         resource.Validate(dra.ValidateResourceSlice),
		ValidateUpdate:   resource.ValidateUpdate(dra.ValidateResourceSliceUpdate),
	}
}

func prepareForCreate(_ context.Context, obj runtime.Object) {
	dra.DropAlphaSliceFields(&obj.(*resourcev1.ResourceSlice).Spec)
}

func prepareForUpdate(_ context.Context, obj, _ runtime.Object) {
	dra.DropAlphaSliceFields(&obj.(*resourcev1.ResourceSlice).Spec)
}
