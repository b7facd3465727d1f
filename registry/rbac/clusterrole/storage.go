package clusterrole

import (
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/rbac"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the clusterroles resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:        rbacv1.Resource("clusterroles"),
		Singular:        "clusterrole",
		NamespaceScoped: false,
		New:             func() runtime.Object { return &rbacv1.ClusterRole{} },
		NewList:         func() runtime.Object { return &rbacv1.ClusterRoleList{} },
		Validate:        resource.Validate(rbac.ValidateClusterRole),
		// As upstream: a PUT may create (kubectl auth reconcile does).
		AllowCreateOnUpdate: true,
		ValidateUpdate:      resource.ValidateUpdate(rbac.ValidateClusterRoleUpdate),
	}
}
