package controllerrevision

import (
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/apps"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the controllerrevisions resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:        appsv1.Resource("controllerrevisions"),
		Singular:        "controllerrevision",
		NamespaceScoped: true,
		New:             func() runtime.Object { return &appsv1.ControllerRevision{} },
		NewList:         func() runtime.Object { return &appsv1.ControllerRevisionList{} },
		Validate:        resource.Validate(apps.ValidateControllerRevision),
		ValidateUpdate:  resource.ValidateUpdate(apps.ValidateControllerRevisionUpdate),
	}
}
