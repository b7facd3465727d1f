package event

import (
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the events resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:        eventsv1.Resource("events"),
		Singular:        "event",
		NamespaceScoped: true,
		New:             func() runtime.Object { return &eventsv1.Event{} },
		NewList:         func() runtime.Object { return &eventsv1.EventList{} },
		ShortNames:      []string{"ev"},
	}
}
