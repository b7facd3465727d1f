package resourcequota

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/core"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the resourcequotas resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:             corev1.Resource("resourcequotas"),
		Singular:             "resourcequota",
		NamespaceScoped:      true,
		New:                  func() runtime.Object { return &corev1.ResourceQuota{} },
		NewList:              func() runtime.Object { return &corev1.ResourceQuotaList{} },
		ShortNames:           []string{"quota"},
		Status:               true,
		Validate:             resource.Validate(core.ValidateResourceQuota),
		ValidateUpdate:       resource.ValidateUpdate(core.ValidateResourceQuotaUpdate),
		ValidateStatusUpdate: resource.ValidateUpdate(core.ValidateResourceQuotaStatusUpdate),
	}
}
