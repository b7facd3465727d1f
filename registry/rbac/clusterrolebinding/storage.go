package clusterrolebinding

import (
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/rbac"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the clusterrolebindings resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:        rbacv1.Resource("clusterrolebindings"),
		Singular:        "clusterrolebinding",
		NamespaceScoped: false,
		New:             func() runtime.Object { return &rbacv1.ClusterRoleBinding{} },
		NewList:         func() runtime.Object { return &rbacv1.ClusterRoleBindingList{} },
		Validate:        resource.Validate(rbac.ValidateClusterRoleBinding),
		// As upstream: a PUT may create (kubectl auth reconcile does).
		AllowCreateOnUpdate: true,
		ValidateUpdate:      resource.ValidateUpdate(rbac.ValidateClusterRoleBindingUpdate),
	}
}
