package statefulset

import (
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/apps"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the statefulsets resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:        appsv1.Resource("statefulsets"),
		Singular:        "statefulset",
		NamespaceScoped: true,
		New:             func() runtime.Object { return &appsv1.StatefulSet{} },
		NewList:         func() runtime.Object { return &appsv1.StatefulSetList{} },
		ShortNames:      []string{"sts"},
		Categories:      []string{"all"},
		Status:          true,
		Scale: &resource.Scale{Selector: func(obj runtime.Object) (*metav1.LabelSelector, error) {
			return obj.(*appsv1.StatefulSet).Spec.Selector, nil
		}},
		Validate:             resource.Validate(apps.ValidateStatefulSet),
		ValidateUpdate:       resource.ValidateUpdate(apps.ValidateStatefulSetUpdate),
		ValidateStatusUpdate: resource.ValidateUpdate(apps.ValidateStatefulSetStatusUpdate),
	}
}
