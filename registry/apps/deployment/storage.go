package deployment

import (
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/apps"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the deployments resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:        appsv1.Resource("deployments"),
		Singular:        "deployment",
		NamespaceScoped: true,
		New:             func() runtime.Object { return &appsv1.Deployment{} },
		NewList:         func() runtime.Object { return &appsv1.DeploymentList{} },
		ShortNames:      []string{"deploy"},
		Categories:      []string{"all"},
		Status:          true,
		Scale: &resource.Scale{Selector: func(obj runtime.Object) (*metav1.LabelSelector, error) {
			return obj.(*appsv1.Deployment).Spec.Selector, nil
		}},
		Validate:             resource.Validate(apps.ValidateDeployment),
		ValidateUpdate:       resource.ValidateUpdate(apps.ValidateDeploymentUpdate),
		ValidateStatusUpdate: resource.ValidateUpdate(apps.ValidateDeploymentStatusUpdate),
	}
}
