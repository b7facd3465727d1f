package service

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/core"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the services resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:        corev1.Resource("services"),
		Singular:        "service",
		NamespaceScoped: true,
		New:             func() runtime.Object { return &corev1.Service{} },
		NewList:         func() runtime.Object { return &corev1.ServiceList{} },
		ShortNames:      []string{"svc"},
		Categories:      []string{"all"},
		Status:          true,
		Fields:          core.ServiceFields,
	}
}
