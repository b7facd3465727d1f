package rbac

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apiserver/pkg/authentication/user"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
)

func TestConfirmNoEscalation(t *testing.T) {
	resolver := NewResolver(testSource())
	alice := &user.DefaultInfo{Name: "alice", Groups: []string{user.AllAuthenticated}}
	tests := []struct {
		name      string
		namespace string
		rules     []rbacv1.PolicyRule
		want      string
	}{
		{name: "held in the namespace", namespace: "x", rules: []rbacv1.PolicyRule{readPods, writePods}},
		{name: "a part of what is held", namespace: "x", rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}, ResourceNames: []string{"p"}}}},
		{name: "URLs held cluster-wide", namespace: "", rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, NonResourceURLs: []string{"/version"}}}},
		{name: "not held in another namespace", namespace: "y", rules: []rbacv1.PolicyRule{readPods},
			want: "user \"alice\" (groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n" +
				`{APIGroups:[""], Resources:["pods"], Verbs:["get" "list" "watch"]}`},
		{name: "more than held", namespace: "x", rules: []rbacv1.PolicyRule{
			{Verbs: []string{"get", "update"}, APIGroups: []string{"", "apps"}, Resources: []string{"pods", "deployments"}},
			{Verbs: []string{"get"}, NonResourceURLs: []string{"/metrics"}},
		},
			want: "user \"alice\" (groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n" +
				`{APIGroups:[""], Resources:["deployments"], Verbs:["get" "update"]}` + "\n" +
				`{APIGroups:[""], Resources:["pods"], Verbs:["update"]}` + "\n" +
				`{APIGroups:["apps"], Resources:["deployments"], Verbs:["get" "update"]}` + "\n" +
				`{APIGroups:["apps"], Resources:["pods"], Verbs:["get" "update"]}` + "\n" +
				`{NonResourceURLs:["/metrics"], Verbs:["get"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := genericapirequest.WithNamespace(genericapirequest.WithUser(context.Background(), alice), tt.namespace)
			var got string
			if err := ConfirmNoEscalation(ctx, resolver, tt.rules); err != nil {
				got = err.Error()
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ConfirmNoEscalation (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEscalateAndBindVerbs(t *testing.T) {
	source := testSource()
	source.clusterRoles = append(source.clusterRoles,
		clusterRole("role-admin",
			rbacv1.PolicyRule{Verbs: []string{"escalate"}, APIGroups: []string{rbacv1.GroupName}, Resources: []string{"roles"}},
			rbacv1.PolicyRule{Verbs: []string{"bind"}, APIGroups: []string{rbacv1.GroupName}, Resources: []string{"clusterroles"}, ResourceNames: []string{"view"}}))
	source.roleBindings = append(source.roleBindings, binding("x", "carol", "ClusterRole", "role-admin", userSubject("carol")))
	a := New(source)
	carol := &user.DefaultInfo{Name: "carol"}
	request := func(namespace, resource, name string) context.Context {
		ctx := genericapirequest.WithNamespace(genericapirequest.WithUser(context.Background(), carol), namespace)
		return genericapirequest.WithRequestInfo(ctx, &genericapirequest.RequestInfo{
			IsResourceRequest: true, Verb: "update", APIGroup: rbacv1.GroupName, APIVersion: "v1", Resource: resource, Namespace: namespace, Name: name,
		})
	}
	view := rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"}
	edit := rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "edit"}
	for _, tt := range []struct {
		name string
		got  bool
		want bool
	}{
		{name: "escalate roles in x", got: RoleEscalationAuthorized(request("x", "roles", "r"), a), want: true},
		{name: "escalate roles in y", got: RoleEscalationAuthorized(request("y", "roles", "r"), a), want: false},
		{name: "escalate clusterroles", got: RoleEscalationAuthorized(request("", "clusterroles", "r"), a), want: false},
		{name: "escalate is about roles only", got: RoleEscalationAuthorized(request("x", "rolebindings", "r"), a), want: false},
		{name: "bind view in x", got: BindingAuthorized(request("x", "rolebindings", "b"), view, "x", a), want: true},
		{name: "bind edit in x", got: BindingAuthorized(request("x", "rolebindings", "b"), edit, "x", a), want: false},
		{name: "bind view cluster-wide", got: BindingAuthorized(request("", "clusterrolebindings", "b"), view, "", a), want: false},
		{name: "carol is no master", got: EscalationAllowed(request("x", "roles", "r")), want: false},
		{name: "masters may", got: EscalationAllowed(genericapirequest.WithUser(context.Background(), &user.DefaultInfo{Name: "admin", Groups: []string{user.SystemPrivilegedGroup}})), want: true},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}
