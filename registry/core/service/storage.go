package service

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/core"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the services resource without its allocators: NewStorage
// adds them.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:             corev1.Resource("services"),
		Singular:             "service",
		NamespaceScoped:      true,
		New:                  func() runtime.Object { return &corev1.Service{} },
		NewList:              func() runtime.Object { return &corev1.ServiceList{} },
		ShortNames:           []string{"svc"},
		Categories:           []string{"all"},
		Status:               true,
		Fields:               core.ServiceFields,
		PrepareForUpdate:     prepareForUpdate,
		AllowCreateOnUpdate:  true,
		Validate:             resource.Validate(core.ValidateService),
		ValidateUpdate:       resource.ValidateUpdate(core.ValidateServiceUpdate),
		ValidateStatusUpdate: resource.ValidateUpdate(core.ValidateServiceStatusUpdate),
	}
}

func prepareForUpdate(_ context.Context, obj, old runtime.Object) {
	dropTypeDependentFields(obj.(*corev1.Service), old.(*corev1.Service))
}
