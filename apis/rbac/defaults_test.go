package rbac

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func TestSetObjectDefaultsRoleBinding(t *testing.T) {
	tests := []struct {
		name string
		in   *rbacv1.RoleBinding
		want *rbacv1.RoleBinding
	}{
		{
			name: "roleRef and user and group subjects get the RBAC group",
			in: &rbacv1.RoleBinding{
				RoleRef: rbacv1.RoleRef{Kind: "Role", Name: "r"},
				Subjects: []rbacv1.Subject{
					{Kind: rbacv1.UserKind, Name: "alice"},
					{Kind: rbacv1.GroupKind, Name: "devs"},
					{Kind: rbacv1.ServiceAccountKind, Name: "sa", Namespace: "ns"},
					{Kind: "Robot", Name: "r2"},
				},
			},
			want: &rbacv1.RoleBinding{
				RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "r"},
				Subjects: []rbacv1.Subject{
					{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "alice"},
					{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: "devs"},
					{Kind: rbacv1.ServiceAccountKind, Name: "sa", Namespace: "ns"},
					{Kind: "Robot", Name: "r2"},
				},
			},
		},
		{
			name: "set groups are kept",
			in: &rbacv1.RoleBinding{
				RoleRef:  rbacv1.RoleRef{APIGroup: "example.com", Kind: "Role", Name: "r"},
				Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: "example.com", Name: "alice"}},
			},
			want: &rbacv1.RoleBinding{
				RoleRef:  rbacv1.RoleRef{APIGroup: "example.com", Kind: "Role", Name: "r"},
				Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: "example.com", Name: "alice"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.in.DeepCopy()
			SetObjectDefaultsRoleBinding(got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("SetObjectDefaultsRoleBinding() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetObjectDefaultsClusterRoleBinding(t *testing.T) {
	tests := []struct {
		name string
		in   *rbacv1.ClusterRoleBinding
		want *rbacv1.ClusterRoleBinding
	}{
		{
			name: "roleRef and subjects",
			in: &rbacv1.ClusterRoleBinding{
				RoleRef:  rbacv1.RoleRef{Kind: "ClusterRole", Name: "admin"},
				Subjects: []rbacv1.Subject{{Kind: rbacv1.GroupKind, Name: "system:masters"}},
			},
			want: &rbacv1.ClusterRoleBinding{
				RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "admin"},
				Subjects: []rbacv1.Subject{{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: "system:masters"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.in.DeepCopy()
			SetObjectDefaultsClusterRoleBinding(got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("SetObjectDefaultsClusterRoleBinding() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSchemeDefault(t *testing.T) {
	s := runtime.NewScheme()
	if err := rbacv1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := Install(s); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   runtime.Object
		want runtime.Object
	}{
		{
			name: "role binding list",
			in:   &rbacv1.RoleBindingList{Items: []rbacv1.RoleBinding{{RoleRef: rbacv1.RoleRef{Kind: "Role", Name: "r"}}}},
			want: &rbacv1.RoleBindingList{Items: []rbacv1.RoleBinding{{
				RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "r"},
			}}},
		},
		{
			name: "cluster role binding",
			in:   &rbacv1.ClusterRoleBinding{RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "view"}},
			want: &rbacv1.ClusterRoleBinding{RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"}},
		},
		{
			name: "role has no defaults",
			in:   &rbacv1.Role{Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}}}},
			want: &rbacv1.Role{Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.in.DeepCopyObject()
			s.Default(got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Default() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
