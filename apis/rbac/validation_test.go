package rbac

import (
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeshim/kubeshim/apis/internal/fielderrors"
)

func TestValidateRoles(t *testing.T) {
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "user:alice", Namespace: "default"}, Rules: []rbacv1.PolicyRule{
		{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}},
	}}
	fielderrors.Want(t, nil, ValidateRole(role))

	bad := role.DeepCopy()
	bad.Name = "a/b"
	bad.Rules = []rbacv1.PolicyRule{{APIGroups: []string{""}}, {Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz"}}}
	fielderrors.Want(t, []string{
		`metadata.name: Invalid value: "a/b": may not contain '/'`,
		`rules[0].verbs: Required value: verbs must contain at least one value`,
		`rules[0].resources: Required value: resource rules must supply at least one resource`,
		`rules[1].nonResourceURLs: Invalid value: ["/healthz"]: namespaced rules cannot apply to non-resource URLs`,
	}, ValidateRole(bad))

	cr := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "monitoring"}, AggregationRule: &rbacv1.AggregationRule{}}
	fielderrors.Want(t, []string{`aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if aggregationRule is non-nil`}, ValidateClusterRole(cr))
}

func TestValidateBindings(t *testing.T) {
	rb := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "read", Namespace: "default", ResourceVersion: "1"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "reader"},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "alice"}, {Kind: rbacv1.ServiceAccountKind, Name: "builder"}},
	}
	fielderrors.Want(t, nil, ValidateRoleBinding(rb))

	bad := rb.DeepCopy()
	bad.RoleRef = rbacv1.RoleRef{APIGroup: "", Kind: "Thing"}
	bad.Subjects = []rbacv1.Subject{{Kind: "Robot", Name: "r"}, {Kind: rbacv1.GroupKind, Name: "devs"}}
	fielderrors.Want(t, []string{
		`roleRef.apiGroup: Unsupported value: "": supported values: "rbac.authorization.k8s.io"`,
		`roleRef.kind: Unsupported value: "Thing": supported values: "Role", "ClusterRole"`,
		`roleRef.name: Required value`,
		`subjects[0].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"`,
		`subjects[1].apiGroup: Unsupported value: "": supported values: "rbac.authorization.k8s.io"`,
	}, ValidateRoleBinding(bad))

	changed := rb.DeepCopy()
	changed.RoleRef.Name = "writer"
	fielderrors.Want(t, []string{`roleRef: Invalid value: {"APIGroup":"rbac.authorization.k8s.io","Kind":"Role","Name":"writer"}: field is immutable`}, ValidateRoleBindingUpdate(changed, rb))

	crb := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "admins"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "admin"},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "builder"}},
	}
	fielderrors.Want(t, []string{
		`roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"`,
		`subjects[0].namespace: Required value`,
	}, ValidateClusterRoleBinding(crb))
}
