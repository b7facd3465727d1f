package horizontalpodautoscaler

import (
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/autoscaling"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the horizontalpodautoscalers resource, stored at
// autoscaling/v2 and served at autoscaling/v1 too (apis/autoscaling converts).
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
		AlsoServedAt:    []string{autoscalingv1.SchemeGroupVersion.String()},
		// Validation runs on the v2 hub for both versions.
		Validate:             resource.Validate(autoscaling.ValidateHorizontalPodAutoscaler),
		ValidateUpdate:       resource.ValidateUpdate(autoscaling.ValidateHorizontalPodAutoscalerUpdate),
		ValidateStatusUpdate: resource.ValidateUpdate(autoscaling.ValidateHorizontalPodAutoscalerStatusUpdate),
	}
}
