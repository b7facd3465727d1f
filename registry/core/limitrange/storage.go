package limitrange

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/core"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the limitranges resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:        corev1.Resource("limitranges"),
		Singular:        "limitrange",
		NamespaceScoped: true,
		New:             func() runtime.Object { return &corev1.LimitRange{} },
		NewList:         func() runtime.Object { return &corev1.LimitRangeList{} },
		ShortNames:      []string{"limits"},
		Validate:        resource.Validate(core.ValidateLimitRange),
		ValidateUpdate:  resource.ValidateUpdate(core.ValidateLimitRangeUpdate),
	}
}
