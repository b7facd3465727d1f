package event

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/core"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// TTL is how long an event outlives its last write, upstream's --event-ttl
// default: events are a recent history, not a record.
const TTL = time.Hour

// Definition is the events resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:        corev1.Resource("events"),
		Singular:        "event",
		NamespaceScoped: true,
		TTL: func(runtime.Object, uint64, bool) (uint64, error) {
			return uint64(TTL.Seconds()), nil
		},
		New:            func() runtime.Object { return &corev1.Event{} },
		Fields:         core.EventFields,
		NewList:        func() runtime.Object { return &corev1.EventList{} },
		ShortNames:     []string{"ev"},
		Validate:       resource.Validate(core.ValidateEvent),
		ValidateUpdate: resource.ValidateUpdate(core.ValidateEventUpdate),
	}
}
