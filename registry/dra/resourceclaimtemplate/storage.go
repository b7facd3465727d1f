package resourceclaimtemplate

import (
	"context"

	resourcev1 "k8s.io/api/resource/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/dra"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the resourceclaimtemplates resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:         resourcev1.Resource("resourceclaimtemplates"),
		Singular:         "resourceclaimtemplate",
		NamespaceScoped:  true,
		New:              func() runtime.Object { return &resourcev1.ResourceClaimTemplate{} },
		NewList:          func() runtime.Object { return &resourcev1.ResourceClaimTemplateList{} },
		PrepareForCreate: prepareForCreate,
		PrepareForUpdate: prepareForUpdate,
		Validate:         resource.Validate(dra.ValidateResourceClaimTemplate),
		ValidateUpdate:   resource.ValidateUpdate(dra.ValidateResourceClaimTemplateUpdate),
	}
}

// prepareForCreate leaves metadata.generation unset, as upstream: the spec
// is immutable.
func prepareForCreate(_ context.Context, obj runtime.Object) {
	t := obj.(*resourcev1.ResourceClaimTemplate)
	t.Generation = 0
	dra.DropAlphaClaimSpecFields(&t.Spec.Spec)
}

func prepareForUpdate(_ context.Context, obj, _ runtime.Object) {
	dra.DropAlphaClaimSpecFields(&obj.(*resourcev1.ResourceClaimTemplate).Spec.Spec)
}
