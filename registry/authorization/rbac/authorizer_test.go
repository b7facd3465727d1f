package rbac

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
)

func clusterRole(name string, rules ...rbacv1.PolicyRule) *rbacv1.ClusterRole {
	return &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}
}

func role(namespace, name string, rules ...rbacv1.PolicyRule) *rbacv1.Role {
	return &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}, Rules: rules}
}

func clusterBinding(name, roleName string, subjects ...rbacv1.Subject) *rbacv1.ClusterRoleBinding {
	return &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: roleName}, Subjects: subjects}
}

func binding(namespace, name, kind, roleName string, subjects ...rbacv1.Subject) *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: kind, Name: roleName}, Subjects: subjects}
}

func userSubject(name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: name}
}

func groupSubject(name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: name}
}

func saSubject(namespace, name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: namespace, Name: name}
}

var (
	readPods   = rbacv1.PolicyRule{Verbs: []string{"get", "list", "watch"}, APIGroups: []string{""}, Resources: []string{"pods"}}
	writePods  = rbacv1.PolicyRule{Verbs: []string{"create", "delete"}, APIGroups: []string{""}, Resources: []string{"pods"}}
	readHealth = rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz", "/version"}}
)

func testSource() *staticSource {
	return &staticSource{
		clusterRoles: []*rbacv1.ClusterRole{
			clusterRole("pod-reader", readPods),
			clusterRole("pod-writer", writePods),
			clusterRole("health", readHealth),
		},
		roles: []*rbacv1.Role{role("x", "pod-writer", writePods)},
		clusterRoleBindings: []*rbacv1.ClusterRoleBinding{
			clusterBinding("health", "health", groupSubject(user.AllUnauthenticated), groupSubject(user.AllAuthenticated)),
			clusterBinding("readers", "pod-reader", groupSubject("readers")),
			// A ServiceAccount subject of a ClusterRoleBinding needs its
			// namespace: this one matches nobody.
			clusterBinding("sa-no-namespace", "pod-writer", saSubject("", "builder")),
			clusterBinding("dangling", "no-such-role", userSubject("dave")),
		},
		roleBindings: []*rbacv1.RoleBinding{
			binding("x", "alice-reads", "ClusterRole", "pod-reader", userSubject("alice")),
			binding("x", "alice-writes", "Role", "pod-writer", userSubject("alice")),
			binding("x", "robot", "ClusterRole", "pod-writer", saSubject("", "robot")),
			binding("x", "other-robot", "ClusterRole", "pod-writer", saSubject("y", "robot")),
		},
	}
}

func TestAuthorize(t *testing.T) {
	alice := &user.DefaultInfo{Name: "alice", Groups: []string{user.AllAuthenticated}}
	bob := &user.DefaultInfo{Name: "bob", Groups: []string{"readers", user.AllAuthenticated}}
	robotX := &user.DefaultInfo{Name: "system:serviceaccount:x:robot", Groups: []string{"system:serviceaccounts", user.AllAuthenticated}}
	robotY := &user.DefaultInfo{Name: "system:serviceaccount:y:robot", Groups: []string{"system:serviceaccounts", user.AllAuthenticated}}
	anonymous := &user.DefaultInfo{Name: user.Anonymous, Groups: []string{user.AllUnauthenticated}}
	dave := &user.DefaultInfo{Name: "dave"}
	on := func(u user.Info, a authorizer.AttributesRecord) authorizer.AttributesRecord { a.User = u; return a }

	type result struct {
		Decision authorizer.Decision
		Reason   string
	}
	allow := func(reason string) result { return result{authorizer.DecisionAllow, reason} }
	none := result{Decision: authorizer.DecisionNoOpinion}
	tests := []struct {
		name  string
		attrs authorizer.AttributesRecord
		want  result
	}{
		{name: "role binding of a cluster role", attrs: on(alice, resourceAttrs("list", "", "pods", "", "x", "")),
			want: allow(`RBAC: allowed by RoleBinding "alice-reads/x" of ClusterRole "pod-reader" to User "alice"`)},
		{name: "role binding of a role", attrs: on(alice, resourceAttrs("create", "", "pods", "", "x", "")),
			want: allow(`RBAC: allowed by RoleBinding "alice-writes/x" of Role "pod-writer" to User "alice"`)},
		{name: "role binding is its namespace's only", attrs: on(alice, resourceAttrs("list", "", "pods", "", "y", "")), want: none},
		{name: "role binding does not grant cluster-wide", attrs: on(alice, resourceAttrs("list", "", "pods", "", "", "")), want: none},
		{name: "cluster role binding to a group", attrs: on(bob, resourceAttrs("list", "", "pods", "", "", "")),
			want: allow(`RBAC: allowed by ClusterRoleBinding "readers" of ClusterRole "pod-reader" to Group "readers"`)},
		{name: "cluster role binding grants in every namespace", attrs: on(bob, resourceAttrs("get", "", "pods", "", "z", "p")),
			want: allow(`RBAC: allowed by ClusterRoleBinding "readers" of ClusterRole "pod-reader" to Group "readers"`)},
		{name: "group's rules only", attrs: on(bob, resourceAttrs("create", "", "pods", "", "x", "")), want: none},
		{name: "service account of the binding's namespace", attrs: on(robotX, resourceAttrs("create", "", "pods", "", "x", "")),
			want: allow(`RBAC: allowed by RoleBinding "robot/x" of ClusterRole "pod-writer" to ServiceAccount "robot/x"`)},
		{name: "service account of another namespace", attrs: on(robotY, resourceAttrs("create", "", "pods", "", "x", "")),
			want: allow(`RBAC: allowed by RoleBinding "other-robot/x" of ClusterRole "pod-writer" to ServiceAccount "robot/y"`)},
		{name: "service account's binding applies in the binding's namespace only", attrs: on(robotY, resourceAttrs("create", "", "pods", "", "y", "")), want: none},
		{name: "anonymous reads health", attrs: on(anonymous, urlAttrs("get", "/healthz")),
			want: allow(`RBAC: allowed by ClusterRoleBinding "health" of ClusterRole "health" to Group "system:unauthenticated"`)},
		{name: "anonymous reads nothing else", attrs: on(anonymous, urlAttrs("get", "/api")), want: none},
		{name: "anonymous lists no pods", attrs: on(anonymous, resourceAttrs("list", "", "pods", "", "x", "")), want: none},
		{name: "a missing role is the reason", attrs: on(dave, resourceAttrs("get", "", "pods", "", "x", "p")),
			want: result{authorizer.DecisionNoOpinion, `RBAC: clusterrole.rbac.authorization.k8s.io "no-such-role" not found`}},
	}
	a := New(testSource())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, reason, err := a.Authorize(context.Background(), tt.attrs)
			if err != nil {
				t.Fatalf("Authorize: %v", err)
			}
			if diff := cmp.Diff(tt.want, result{d, reason}); diff != "" {
				t.Errorf("Authorize (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRulesFor(t *testing.T) {
	a := New(testSource())
	alice := &user.DefaultInfo{Name: "alice", Groups: []string{user.AllAuthenticated}}
	type rules struct {
		Resource    []authorizer.DefaultResourceRuleInfo
		NonResource []authorizer.DefaultNonResourceRuleInfo
	}
	collect := func(namespace string) rules {
		res, nonRes, incomplete, err := a.RulesFor(context.Background(), alice, namespace)
		if err != nil || incomplete {
			t.Fatalf("RulesFor(%q): incomplete %v, error %v", namespace, incomplete, err)
		}
		var out rules
		for _, r := range res {
			out.Resource = append(out.Resource, authorizer.DefaultResourceRuleInfo{Verbs: r.GetVerbs(), APIGroups: r.GetAPIGroups(), Resources: r.GetResources(), ResourceNames: r.GetResourceNames()})
		}
		for _, r := range nonRes {
			out.NonResource = append(out.NonResource, authorizer.DefaultNonResourceRuleInfo{Verbs: r.GetVerbs(), NonResourceURLs: r.GetNonResourceURLs()})
		}
		return out
	}
	health := []authorizer.DefaultNonResourceRuleInfo{{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz", "/version"}}}
	for _, tt := range []struct {
		namespace string
		want      rules
	}{
		{namespace: "", want: rules{NonResource: health}},
		{namespace: "x", want: rules{
			Resource: []authorizer.DefaultResourceRuleInfo{
				{Verbs: readPods.Verbs, APIGroups: readPods.APIGroups, Resources: readPods.Resources},
				{Verbs: writePods.Verbs, APIGroups: writePods.APIGroups, Resources: writePods.Resources},
			},
			NonResource: health,
		}},
	} {
		if diff := cmp.Diff(tt.want, collect(tt.namespace)); diff != "" {
			t.Errorf("RulesFor(%q) (-want +got):\n%s", tt.namespace, diff)
		}
	}
}
