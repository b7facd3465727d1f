package rbac

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
)

func resourceAttrs(verb, group, resource, subresource, namespace, name string) authorizer.AttributesRecord {
	return authorizer.AttributesRecord{
		User: &user.DefaultInfo{Name: "alice"}, Verb: verb, APIGroup: group, Resource: resource,
		Subresource: subresource, Namespace: namespace, Name: name, ResourceRequest: true,
	}
}

func urlAttrs(verb, path string) authorizer.AttributesRecord {
	return authorizer.AttributesRecord{User: &user.DefaultInfo{Name: "alice"}, Verb: verb, Path: path}
}

func TestRuleAllows(t *testing.T) {
	pods := rbacv1.PolicyRule{Verbs: []string{"get", "list"}, APIGroups: []string{""}, Resources: []string{"pods"}}
	tests := []struct {
		name  string
		rule  rbacv1.PolicyRule
		attrs authorizer.AttributesRecord
		want  bool
	}{
		{name: "exact", rule: pods, attrs: resourceAttrs("get", "", "pods", "", "ns", "p"), want: true},
		{name: "other verb", rule: pods, attrs: resourceAttrs("create", "", "pods", "", "ns", ""), want: false},
		{name: "other group", rule: pods, attrs: resourceAttrs("get", "apps", "pods", "", "ns", "p"), want: false},
		{name: "other resource", rule: pods, attrs: resourceAttrs("get", "", "secrets", "", "ns", "s"), want: false},
		{name: "resource rule does not cover its subresource", rule: pods, attrs: resourceAttrs("get", "", "pods", "log", "ns", "p"), want: false},
		{name: "subresource named", rule: rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods/log"}},
			attrs: resourceAttrs("get", "", "pods", "log", "ns", "p"), want: true},
		{name: "subresource rule does not cover the resource", rule: rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods/log"}},
			attrs: resourceAttrs("get", "", "pods", "", "ns", "p"), want: false},
		{name: "any resource's subresource", rule: rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{"*"}, Resources: []string{"*/scale"}},
			attrs: resourceAttrs("get", "apps", "deployments", "scale", "ns", "d"), want: true},
		{name: "*/scale is not */status", rule: rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{"*"}, Resources: []string{"*/scale"}},
			attrs: resourceAttrs("get", "apps", "deployments", "status", "ns", "d"), want: false},
		{name: "*/scale is not the resource", rule: rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{"*"}, Resources: []string{"*/scale"}},
			attrs: resourceAttrs("get", "apps", "deployments", "", "ns", "d"), want: false},
		{name: "wildcards", rule: rbacv1.PolicyRule{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}},
			attrs: resourceAttrs("deletecollection", "batch", "jobs", "status", "ns", ""), want: true},
		{name: "resource name matches", rule: rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"configmaps"}, ResourceNames: []string{"a", "b"}},
			attrs: resourceAttrs("get", "", "configmaps", "", "ns", "b"), want: true},
		{name: "resource name differs", rule: rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"configmaps"}, ResourceNames: []string{"a"}},
			attrs: resourceAttrs("get", "", "configmaps", "", "ns", "c"), want: false},
		{name: "named rule does not cover a list", rule: rbacv1.PolicyRule{Verbs: []string{"list"}, APIGroups: []string{""}, Resources: []string{"configmaps"}, ResourceNames: []string{"a"}},
			attrs: resourceAttrs("list", "", "configmaps", "", "ns", ""), want: false},
		{name: "resource rule does not cover a URL", rule: pods, attrs: urlAttrs("get", "/api"), want: false},
		{name: "URL exact", rule: rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz"}}, attrs: urlAttrs("get", "/healthz"), want: true},
		{name: "URL is not a prefix", rule: rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz"}}, attrs: urlAttrs("get", "/healthz/etcd"), want: false},
		{name: "URL trailing star", rule: rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz/*"}}, attrs: urlAttrs("get", "/healthz/etcd"), want: true},
		{name: "URL trailing star needs the prefix", rule: rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz/*"}}, attrs: urlAttrs("get", "/healthz"), want: false},
		{name: "URL star in a prefix without slash", rule: rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceURLs: []string{"/api*"}}, attrs: urlAttrs("get", "/apis/apps"), want: true},
		{name: "URL all", rule: rbacv1.PolicyRule{Verbs: []string{"*"}, NonResourceURLs: []string{"*"}}, attrs: urlAttrs("post", "/anything"), want: true},
		{name: "URL wrong verb", rule: rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceURLs: []string{"*"}}, attrs: urlAttrs("post", "/metrics"), want: false},
		{name: "URL rule does not cover a resource", rule: rbacv1.PolicyRule{Verbs: []string{"*"}, NonResourceURLs: []string{"*"}},
			attrs: resourceAttrs("get", "", "pods", "", "ns", "p"), want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, RuleAllows(tt.attrs, &tt.rule)); diff != "" {
				t.Errorf("RuleAllows (-want +got):\n%s", diff)
			}
		})
	}
}
