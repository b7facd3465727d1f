package serviceaccount

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/kubeshim/kubeshim/apis/core"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// NewStorage returns serviceaccounts and, when tokens has an issuer, their
// token subresource.
func NewStorage(optsGetter generic.RESTOptionsGetter, tokens TokenOptions) (map[string]rest.Storage, error) {
	s, err := resource.New(Definition(), "v1", optsGetter)
	if err != nil {
		return nil, err
	}
	m := s.Map()
	if tokens.Issuer != nil {
		m["serviceaccounts/token"] = NewTokenREST(s.Store, tokens)
	}
	return m, nil
}

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
