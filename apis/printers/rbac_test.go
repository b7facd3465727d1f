package printers

import (
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func rbac(resource string) schema.GroupResource {
	return schema.GroupResource{Group: "rbac.authorization.k8s.io", Resource: resource}
}

func TestBindings(t *testing.T) {
	columns := []string{"Name", "Role", "Age", "Users (wide)", "Groups (wide)", "ServiceAccounts (wide)"}
	subjects := []rbacv1.Subject{
		{Kind: rbacv1.UserKind, Name: "alice"}, {Kind: rbacv1.UserKind, Name: "bob"},
		{Kind: rbacv1.GroupKind, Name: "devs"},
		{Kind: rbacv1.ServiceAccountKind, Namespace: "ci", Name: "deployer"},
		{Kind: "Robot", Name: "r2"},
	}
	testRows(t, rbac("rolebindings"), columns, []rowCase{
		{
			name: "every kind of subject",
			obj: &rbacv1.RoleBinding{ObjectMeta: objectMeta("edit"),
				RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "edit"}, Subjects: subjects},
			row: []any{"edit", "ClusterRole/edit", "3h", "alice, bob", "devs", "ci/deployer"},
		},
		{
			name: "no subjects",
			obj:  &rbacv1.RoleBinding{ObjectMeta: objectMeta("empty"), RoleRef: rbacv1.RoleRef{Kind: "Role", Name: "view"}},
			row:  []any{"empty", "Role/view", "3h", "", "", ""},
		},
	})
	testRows(t, rbac("clusterrolebindings"), columns, []rowCase{{
		name: "cluster admin",
		obj: &rbacv1.ClusterRoleBinding{ObjectMeta: objectMeta("cluster-admin"),
			RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "cluster-admin"}, Subjects: subjects[2:3]},
		row: []any{"cluster-admin", "ClusterRole/cluster-admin", "3h", "", "devs", ""},
	}})
}

func TestRolesHaveTheDefaultColumns(t *testing.T) {
	testRows(t, rbac("clusterroles"), []string{"Name", "Created At"}, []rowCase{{
		name: "view",
		obj:  &rbacv1.ClusterRole{ObjectMeta: objectMeta("view")},
		row:  []any{"view", "2025-06-01T09:00:00Z"},
	}})
}
