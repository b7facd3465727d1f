package replicationcontroller

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/core"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the replicationcontrollers resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:        corev1.Resource("replicationcontrollers"),
		Singular:        "replicationcontroller",
		NamespaceScoped: true,
		New:             func() runtime.Object { return &corev1.ReplicationController{} },
		Fields:          core.ReplicationControllerFields,
		NewList:         func() runtime.Object { return &corev1.ReplicationControllerList{} },
		ShortNames:      []string{"rc"},
		Categories:      []string{"all"},
		Status:          true,
		Scale: &resource.Scale{Selector: func(obj runtime.Object) (*metav1.LabelSelector, error) {
			return &metav1.LabelSelector{MatchLabels: obj.(*corev1.ReplicationController).Spec.Selector}, nil
		}},
		Validate:             resource.Validate(core.ValidateReplicationController),
		ValidateUpdate:       resource.ValidateUpdate(core.ValidateReplicationControllerUpdate),
		ValidateStatusUpdate: resource.ValidateUpdate(core.ValidateReplicationControllerStatusUpdate),
	}
}
