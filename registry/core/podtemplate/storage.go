package podtemplate

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/core"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the podtemplates resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:        corev1.Resource("podtemplates"),
		Singular:        "podtemplate",
		NamespaceScoped: true,
		New:             func() runtime.Object { return &corev1.PodTemplate{} },
		NewList:         func() runtime.Object { return &corev1.PodTemplateList{} },
		Validate:        resource.Validate(core.ValidatePodTemplate),
		ValidateUpdate:  resource.ValidateUpdate(core.ValidatePodTemplateUpdate),
	}
}
