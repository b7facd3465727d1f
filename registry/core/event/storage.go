package event

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/core"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the events resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:        corev1.Resource("events"),
		Singular:        "event",
		NamespaceScoped: true,
		New:             func() runtime.Object { return &corev1.Event{} },
		Fields:          core.EventFields,
		NewList:         func() runtime.Object { return &corev1.EventList{} },
		ShortNames:      []string{"ev"},
		Validate:        resource.Validate(core.ValidateEvent),
		ValidateUpdate:  resource.ValidateUpdate(core.ValidateEventUpdate),
	}
}
