package printers

import (
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	rbacv1beta1 "k8s.io/api/rbac/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Roles and cluster roles have no columns of their own, upstream neither.

// The Role column keeps upstream's description, rbac/v1beta1's wording.
var (
	roleBindings = printer[*rbacv1.RoleBinding]{
		header: bindingColumns(rbacv1beta1.RoleBinding{}.SwaggerDoc()["roleRef"], "roleBinding"),
		cells: func(c clock, b *rbacv1.RoleBinding) []any {
			return bindingCells(c, b.ObjectMeta, b.RoleRef, b.Subjects)
		},
	}
	clusterRoleBindings = printer[*rbacv1.ClusterRoleBinding]{
		header: bindingColumns(rbacv1beta1.ClusterRoleBinding{}.SwaggerDoc()["roleRef"], "clusterRoleBinding"),
		cells: func(c clock, b *rbacv1.ClusterRoleBinding) []any {
			return bindingCells(c, b.ObjectMeta, b.RoleRef, b.Subjects)
		},
	}
)

func bindingColumns(roleDoc, kind string) []metav1.TableColumnDefinition {
	return []metav1.TableColumnDefinition{
		nameColumn,
		text("Role", roleDoc),
		ageColumn,
		wide(text("Users", "Users in the "+kind)),
		wide(text("Groups", "Groups in the "+kind)),
		wide(text("ServiceAccounts", "ServiceAccounts in the "+kind)),
	}
}

// bindingCells lists the subjects of a binding by kind; service accounts as
// namespace/name.
func bindingCells(c clock, meta metav1.ObjectMeta, ref rbacv1.RoleRef, subjects []rbacv1.Subject) []any {
	var users, groups, sas []string
	for _, s := range subjects {
		switch s.Kind {
		case rbacv1.UserKind:
			users = append(users, s.Name)
		case rbacv1.GroupKind:
			groups = append(groups, s.Name)
		case rbacv1.ServiceAccountKind:
			sas = append(sas, s.Namespace+"/"+s.Name)
		}
	}
	return []any{meta.Name, ref.Kind + "/" + ref.Name, c.since(meta.CreationTimestamp),
		strings.Join(users, ", "), strings.Join(groups, ", "), strings.Join(sas, ", ")}
}
