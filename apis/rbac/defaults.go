package rbac

import (
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// addDefaultingFuncs registers upstream's defaults for the v1 kinds, as
// k8s.io/kubernetes v1.37 pkg/apis/rbac/v1 applies them. Role and
// ClusterRole have none.
func addDefaultingFuncs(s *runtime.Scheme) error {
	s.AddTypeDefaultingFunc(&rbacv1.ClusterRoleBinding{}, func(obj any) { SetObjectDefaultsClusterRoleBinding(obj.(*rbacv1.ClusterRoleBinding)) })
	s.AddTypeDefaultingFunc(&rbacv1.ClusterRoleBindingList{}, func(obj any) {
		defaultEach(obj.(*rbacv1.ClusterRoleBindingList).Items, SetObjectDefaultsClusterRoleBinding)
	})
	s.AddTypeDefaultingFunc(&rbacv1.RoleBinding{}, func(obj any) { SetObjectDefaultsRoleBinding(obj.(*rbacv1.RoleBinding)) })
	s.AddTypeDefaultingFunc(&rbacv1.RoleBindingList{}, func(obj any) {
		defaultEach(obj.(*rbacv1.RoleBindingList).Items, SetObjectDefaultsRoleBinding)
	})
	return nil
}

// SetObjectDefaultsClusterRoleBinding applies upstream's binding defaults.
func SetObjectDefaultsClusterRoleBinding(b *rbacv1.ClusterRoleBinding) {
	defaultBinding(&b.RoleRef, b.Subjects)
}

// SetObjectDefaultsRoleBinding applies upstream's binding defaults.
func SetObjectDefaultsRoleBinding(b *rbacv1.RoleBinding) {
	defaultBinding(&b.RoleRef, b.Subjects)
}

// defaultBinding points a roleRef without an API group at RBAC's roles, and
// gives User and Group subjects RBAC's group; ServiceAccount subjects are in
// the core group, whose name is empty, and other kinds are left for
// validation to reject.
func defaultBinding(ref *rbacv1.RoleRef, subjects []rbacv1.Subject) {
	if ref.APIGroup == "" {
		ref.APIGroup = rbacv1.GroupName
	}
	for i := range subjects {
		s := &subjects[i]
		if s.APIGroup != "" {
			continue
		}
		switch s.Kind {
		case rbacv1.UserKind, rbacv1.GroupKind:
			s.APIGroup = rbacv1.GroupName
		}
	}
}

// defaultEach defaults each item of a list in place.
func defaultEach[T any](items []T, setDefaults func(*T)) {
	for i := range items {
		setDefaults(&items[i])
	}
}
