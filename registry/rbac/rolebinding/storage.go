package rolebinding

import (
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/rbac"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the rolebindings resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:        rbacv1.Resource("rolebindings"),
		Singular:        "rolebinding",
		NamespaceScoped: true,
		New:             func() runtime.Object { return &rbacv1.RoleBinding{} },
		NewList:         func() runtime.Object { return &rbacv1.RoleBindingList{} },
		Validate:        resource.Validate(rbac.ValidateRoleBinding),
		// As upstream: a PUT may create (kubectl auth reconcile does).
		AllowCreateOnUpdate: true,
		ValidateUpdate:      resource.ValidateUpdate(rbac.ValidateRoleBindingUpdate),
	}
}
