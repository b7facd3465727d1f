package configmap

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/core"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the configmaps resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:        corev1.Resource("configmaps"),
		Singular:        "configmap",
		NamespaceScoped: true,
		New:             func() runtime.Object { return &corev1.ConfigMap{} },
		NewList:         func() runtime.Object { return &corev1.ConfigMapList{} },
		ShortNames:      []string{"cm"},
		Validate:        resource.Validate(core.ValidateConfigMap),
		ValidateUpdate:  resource.ValidateUpdate(core.ValidateConfigMapUpdate),
	}
}
