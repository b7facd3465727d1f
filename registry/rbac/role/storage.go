package role

import (
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/rbac"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the roles resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:        rbacv1.Resource("roles"),
		Singular:        "role",
		NamespaceScoped: true,
		New:             func() runtime.Object { return &rbacv1.Role{} },
		NewList:         func() runtime.Object { return &rbacv1.RoleList{} },
		Validate:        resource.Validate(rbac.ValidateRole),
		// As upstream: a PUT may create (kubectl auth reconcile does).
		AllowCreateOnUpdate: true,
		ValidateUpdate:      resource.ValidateUpdate(rbac.ValidateRoleUpdate),
	}
}
