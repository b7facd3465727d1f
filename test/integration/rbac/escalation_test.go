package rbac

import (
	"context"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeshim/kubeshim/test/integration/framework"
)

func rule(verbs []string, group string, resources ...string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{Verbs: verbs, APIGroups: []string{group}, Resources: resources}
}

// TestEscalation: a namespace admin may hand out what they hold, not more,
// unless they may escalate roles or bind the role.
func TestEscalation(t *testing.T) {
	ctx := context.Background()
	adminConfig := framework.Shared(t)
	admin := kubernetes.NewForConfigOrDie(adminConfig)
	ns := framework.Namespace(t, admin)
	bind(t, admin, ns, "frank-admin", "ClusterRole", "admin", subject(rbacv1.UserKind, "frank"))
	frank := as(t, adminConfig, "frank")
	eventually(t, "frank may create roles", canI(frank, ns, "create", rbacv1.GroupName, "roles", true))

	createRole := func(name string, rules ...rbacv1.PolicyRule) error {
		_, err := frank.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}, metav1.CreateOptions{})
		return err
	}
	createBinding := func(name, kind, role string) error {
		_, err := frank.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: kind, Name: role},
			Subjects:   []rbacv1.Subject{subject(rbacv1.UserKind, "grace")},
		}, metav1.CreateOptions{})
		return err
	}
	wantForbidden := func(what string, err error, want string) {
		t.Helper()
		if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want 403 containing %q", what, err, want)
		}
	}

	// What admin holds in the namespace.
	if err := createRole("pod-reader", rule([]string{"get", "list"}, "", "pods")); err != nil {
		t.Errorf("create a role within frank's rights: %v", err)
	}
	if err := createBinding("grace-view", "ClusterRole", "view"); err != nil {
		t.Errorf("bind view, which admin covers: %v", err)
	}
	// Nodes are not a namespace admin's.
	err := createRole("node-reader", rule([]string{"get"}, "", "nodes"))
	wantForbidden("create a role with rules frank lacks", err,
		`roles.rbac.authorization.k8s.io "node-reader" is forbidden: user "frank" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:`+"\n"+
			`{APIGroups:[""], Resources:["nodes"], Verbs:["get"]}`)
	err = createBinding("grace-cluster-admin", "ClusterRole", "cluster-admin")
	wantForbidden("bind cluster-admin", err, `rolebindings.rbac.authorization.k8s.io "grace-cluster-admin" is forbidden: user "frank" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:`)
	// Updating a role to more than frank holds is refused too.
	r, err := frank.RbacV1().Roles(ns).Get(ctx, "pod-reader", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get pod-reader: %v", err)
	}
	r.Rules = append(r.Rules, rule([]string{"delete"}, "", "nodes"))
	_, err = frank.RbacV1().Roles(ns).Update(ctx, r, metav1.UpdateOptions{})
	wantForbidden("update a role beyond frank's rights", err, `{APIGroups:[""], Resources:["nodes"], Verbs:["delete"]}`)

	// "bind" on cluster-admin, in this namespace, lets frank bind it.
	_, err = admin.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "binder"},
		Rules: []rbacv1.PolicyRule{
			{Verbs: []string{"bind"}, APIGroups: []string{rbacv1.GroupName}, Resources: []string{"clusterroles"}, ResourceNames: []string{"cluster-admin"}},
			{Verbs: []string{"escalate"}, APIGroups: []string{rbacv1.GroupName}, Resources: []string{"roles"}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create binder role: %v", err)
	}
	bind(t, admin, ns, "frank-binder", "Role", "binder", subject(rbacv1.UserKind, "frank"))
	eventually(t, "frank may bind cluster-admin", func(ctx context.Context) (bool, error) {
		err := createBinding("grace-cluster-admin", "ClusterRole", "cluster-admin")
		return err == nil, err
	})
	// "escalate" on roles lets frank write rules he lacks.
	if err := createRole("node-reader", rule([]string{"get"}, "", "nodes")); err != nil {
		t.Errorf("create a role with escalate: %v", err)
	}

	// An aggregation rule gathers anything: only who holds everything may
	// set one.
	_, err = admin.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "clusterrole-writer"},
		Rules: []rbacv1.PolicyRule{
			{Verbs: []string{"create"}, APIGroups: []string{rbacv1.GroupName}, Resources: []string{"clusterroles"}},
			{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create clusterrole-writer: %v", err)
	}
	_, err = admin.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "henry-clusterrole-writer"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "clusterrole-writer"},
		Subjects:   []rbacv1.Subject{subject(rbacv1.UserKind, "henry")},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("bind clusterrole-writer: %v", err)
	}
	henry := as(t, adminConfig, "henry")
	eventually(t, "henry may create clusterroles", canI(henry, "", "create", rbacv1.GroupName, "clusterroles", true))
	if _, err := henry.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "henry-pods"}, Rules: []rbacv1.PolicyRule{rule([]string{"get"}, "", "pods")},
	}, metav1.CreateOptions{}); err != nil {
		t.Errorf("henry creates a cluster role within his rights: %v", err)
	}
	_, err = henry.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta:      metav1.ObjectMeta{Name: "henry-aggregate"},
		AggregationRule: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{"henry": "true"}}}},
	}, metav1.CreateOptions{})
	wantForbidden("henry sets an aggregation rule", err,
		`clusterroles.rbac.authorization.k8s.io "henry-aggregate" is forbidden: must have cluster-admin privileges to use the aggregationRule`)
}
