package namespace

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/core"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the namespaces resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:             corev1.Resource("namespaces"),
		Singular:             "namespace",
		New:                  func() runtime.Object { return &corev1.Namespace{} },
		NewList:              func() runtime.Object { return &corev1.NamespaceList{} },
		ShortNames:           []string{"ns"},
		Status:               true,
		Fields:               core.NamespaceFields,
		PrepareForCreate:     prepareForCreate,
		Validate:             resource.Validate(core.ValidateNamespace),
		ValidateUpdate:       resource.ValidateUpdate(core.ValidateNamespaceUpdate),
		ValidateStatusUpdate: resource.ValidateUpdate(core.ValidateNamespaceStatusUpdate),
	}
}

func prepareForCreate(_ context.Context, obj runtime.Object) {
	ns := obj.(*corev1.Namespace)
	ns.Status = corev1.NamespaceStatus{Phase: corev1.NamespaceActive}
	for _, f := range ns.Spec.Finalizers {
		if f == corev1.FinalizerKubernetes {
			return
		}
	}
	ns.Spec.Finalizers = append(ns.Spec.Finalizers, corev1.FinalizerKubernetes)
}
