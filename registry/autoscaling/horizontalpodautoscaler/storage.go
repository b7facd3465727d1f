package horizontalpodautoscaler

import (
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	"k8s.io/apimachinery/pkg/runtime"

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
