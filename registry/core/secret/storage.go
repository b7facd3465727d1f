package secret

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/core"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the secrets resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:        corev1.Resource("secrets"),
		Singular:        "secret",
		NamespaceScoped: true,
		New:             func() runtime.Object { return &corev1.Secret{} },
		Fields:          core.SecretFields,
		NewList:         func() runtime.Object { return &corev1.SecretList{} },
		Validate:        resource.Validate(core.ValidateSecret),
		ValidateUpdate:  resource.ValidateUpdate(core.ValidateSecretUpdate),
		PrepareForCreate: func(_ context.Context, obj runtime.Object) {
			core.MergeSecretStringData(obj.(*corev1.Secret))
		},
		PrepareForUpdate: func(_ context.Context, obj, _ runtime.Object) {
			core.MergeSecretStringData(obj.(*corev1.Secret))
		},
	}
}
