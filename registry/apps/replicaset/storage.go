package replicaset

import (
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/apps"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the replicasets resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:        appsv1.Resource("replicasets"),
		Singular:        "replicaset",
		NamespaceScoped: true,
		New:             func() runtime.Object { return &appsv1.ReplicaSet{} },
		Fields:          apps.ReplicaSetFields,
		NewList:         func() runtime.Object { return &appsv1.ReplicaSetList{} },
		ShortNames:      []string{"rs"},
		Categories:      []string{"all"},
		Status:          true,
		Scale: &resource.Scale{Selector: func(obj runtime.Object) (*metav1.LabelSelector, error) {
			return obj.(*appsv1.ReplicaSet).Spec.Selector, nil
		}},
		Validate:             resource.Validate(apps.ValidateReplicaSet),
		ValidateUpdate:       resource.ValidateUpdate(apps.ValidateReplicaSetUpdate),
		ValidateStatusUpdate: resource.ValidateUpdate(apps.ValidateReplicaSetStatusUpdate),
	}
}
