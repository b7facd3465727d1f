package horizontalpodautoscaler

import (
	"maps"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/registry/rest"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the horizontalpodautoscalers resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:        autoscalingv2.Resource("horizontalpodautoscalers"),
		Singular:        "horizontalpodautoscaler",
		NamespaceScoped: true,
		New:             func() runtime.Object { return &autoscalingv2.HorizontalPodAutoscaler{} },
		NewList:         func() runtime.Object { return &autoscalingv2.HorizontalPodAutoscalerList{} },
		ShortNames:      []string{"hpa"},
		Categories:      []string{"all"},
		Status:          true,
	}
}

// NewStorage returns horizontalpodautoscalers and horizontalpodautoscalers/status,
// stored at autoscaling/v2. registry/apiserver serves the same storage at
// autoscaling/v1 too, so both reset their fields at either version, as
// upstream's: server-side apply tracks field ownership per request version.
func NewStorage(optsGetter generic.RESTOptionsGetter) (map[string]rest.Storage, error) {
	s, err := resource.New(Definition(), autoscalingv2.SchemeGroupVersion.String(), optsGetter)
	if err != nil {
		return nil, err
	}
	s.Store.ResetFieldsStrategy = alsoAtV1{s.Store.ResetFieldsStrategy}
	m := s.Map()
	m["horizontalpodautoscalers/status"] = &StatusREST{s.Status}
	return m, nil
}

// StatusREST is the status subresource, resetting its fields at v1 too.
type StatusREST struct{ *resource.StatusREST }

// GetResetFields implements rest.ResetFieldsStrategy.
func (r *StatusREST) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return withV1(r.StatusREST.GetResetFields())
}

// alsoAtV1 resets at autoscaling/v1 the fields its strategy resets at v2.
type alsoAtV1 struct{ rest.ResetFieldsStrategy }

func (s alsoAtV1) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return withV1(s.ResetFieldsStrategy.GetResetFields())
}

// withV1 adds v2's reset fields at v1: both versions have the same spec and
// status paths.
func withV1(fields map[fieldpath.APIVersion]*fieldpath.Set) map[fieldpath.APIVersion]*fieldpath.Set {
	out := maps.Clone(fields)
	out[fieldpath.APIVersion(autoscalingv1.SchemeGroupVersion.String())] = fields[fieldpath.APIVersion(autoscalingv2.SchemeGroupVersion.String())]
	return out
}
