package serviceaccount

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/core"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the serviceaccounts resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:        corev1.Resource("serviceaccounts"),
		Singular:        "serviceaccount",
		NamespaceScoped: true,
		New:             func() runtime.Object { return &corev1.ServiceAccount{} },
		NewList:         func() runtime.Object { return &corev1.ServiceAccountList{} },
		ShortNames:      []string{"sa"},
		Validate:        resource.Validate(core.ValidateServiceAccount),
		ValidateUpdate:  resource.ValidateUpdate(core.ValidateServiceAccountUpdate),
	}
}
