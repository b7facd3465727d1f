package daemonset

import (
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/apps"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the daemonsets resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:             appsv1.Resource("daemonsets"),
		Singular:             "daemonset",
		NamespaceScoped:      true,
		New:                  func() runtime.Object { return &appsv1.DaemonSet{} },
		NewList:              func() runtime.Object { return &appsv1.DaemonSetList{} },
		ShortNames:           []string{"ds"},
		Categories:           []string{"all"},
		Status:               true,
		Validate:             resource.Validate(apps.ValidateDaemonSet),
		ValidateUpdate:       resource.ValidateUpdate(apps.ValidateDaemonSetUpdate),
		ValidateStatusUpdate: resource.ValidateUpdate(apps.ValidateDaemonSetStatusUpdate),
	}
}
