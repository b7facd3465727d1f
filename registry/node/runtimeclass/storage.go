package runtimeclass

import (
	nodev1 "k8s.io/api/node/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/node"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the runtimeclasses resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:               nodev1.Resource("runtimeclasses"),
		RequireResourceVersion: true,
		Singular:               "runtimeclass",
		NamespaceScoped:        false,
		New:                    func() runtime.Object { return &nodev1.RuntimeClass{} },
		NewList:                func() runtime.Object { return &nodev1.RuntimeClassList{} },
		Validate:               resource.Validate(node.ValidateRuntimeClass),
		ValidateUpdate:         resource.ValidateUpdate(node.ValidateRuntimeClassUpdate),
	}
}
