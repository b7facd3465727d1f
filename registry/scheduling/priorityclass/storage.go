package priorityclass

import (
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/scheduling"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the priorityclasses resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:        schedulingv1.Resource("priorityclasses"),
		Singular:        "priorityclass",
		NamespaceScoped: false,
		New:             func() runtime.Object { return &schedulingv1.PriorityClass{} },
		NewList:         func() runtime.Object { return &schedulingv1.PriorityClassList{} },
		ShortNames:      []string{"pc"},
		Validate:        resource.Validate(scheduling.ValidatePriorityClass),
		ValidateUpdate:  resource.ValidateUpdate(scheduling.ValidatePriorityClassUpdate),
	}
}
