package node

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/core"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the nodes resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:             corev1.Resource("nodes"),
		Singular:             "node",
		New:                  func() runtime.Object { return &corev1.Node{} },
		NewList:              func() runtime.Object { return &corev1.NodeList{} },
		ShortNames:           []string{"no"},
		Status:               true,
		KeepStatusOnCreate:   true,
		Fields:               core.NodeFields,
		Validate:             resource.Validate(core.ValidateNode),
		ValidateUpdate:       resource.ValidateUpdate(core.ValidateNodeUpdate),
		ValidateStatusUpdate: resource.ValidateUpdate(core.ValidateNodeStatusUpdate),
	}
}
