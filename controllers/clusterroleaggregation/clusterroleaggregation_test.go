package clusterroleaggregation

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
)

func role(name string, labels map[string]string, rules ...rbacv1.PolicyRule) *rbacv1.ClusterRole {
	return &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}, Rules: rules}
}

func aggregating(name string, rules []rbacv1.PolicyRule, selectors ...map[string]string) *rbacv1.ClusterRole {
	r := role(name, nil, rules...)
	r.AggregationRule = &rbacv1.AggregationRule{}
	for _, s := range selectors {
		r.AggregationRule.ClusterRoleSelectors = append(r.AggregationRule.ClusterRoleSelectors, metav1.LabelSelector{MatchLabels: s})
	}
	return r
}

func rule(verb, resource string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{Verbs: []string{verb}, APIGroups: []string{""}, Resources: []string{resource}}
}

var (
	toView = map[string]string{"aggregate-to-view": "true"}
	toEdit = map[string]string{"aggregate-to-edit": "true"}
)

func TestSync(t *testing.T) {
	tests := []struct {
		name  string
		roles []*rbacv1.ClusterRole
		// sync names the role synced.
		sync string
		// want is the synced role's rules after the sync; applied is
		// whether the controller wrote them.
		want    []rbacv1.PolicyRule
		applied bool
	}{
		{
			name:  "selected roles' rules, by name",
			roles: []*rbacv1.ClusterRole{aggregating("view", nil, toView), role("b", toView, rule("get", "pods")), role("a", toView, rule("get", "secrets")), role("c", nil, rule("get", "nodes"))},
			sync:  "view", want: []rbacv1.PolicyRule{rule("get", "secrets"), rule("get", "pods")}, applied: true,
		},
		{
			name:  "a rule is taken once",
			roles: []*rbacv1.ClusterRole{aggregating("view", nil, toView), role("a", toView, rule("get", "pods")), role("b", toView, rule("get", "pods"), rule("list", "pods"))},
			sync:  "view", want: []rbacv1.PolicyRule{rule("get", "pods"), rule("list", "pods")}, applied: true,
		},
		{
			name: "selectors in order, and an aggregated role aggregated in turn",
			roles: []*rbacv1.ClusterRole{
				aggregating("edit", []rbacv1.PolicyRule{rule("get", "pods")}, toEdit, toView),
				role("writer", toEdit, rule("create", "pods")),
				role("view", toView, rule("get", "pods")),
			},
			sync: "edit", want: []rbacv1.PolicyRule{rule("create", "pods"), rule("get", "pods")}, applied: true,
		},
		{
			name:  "a role does not aggregate itself",
			roles: []*rbacv1.ClusterRole{aggregating("view", nil, toView), role("a", toView, rule("get", "pods"))},
			sync:  "view", want: []rbacv1.PolicyRule{rule("get", "pods")}, applied: true,
		},
		{
			name:  "rules removed from the selected roles go",
			roles: []*rbacv1.ClusterRole{aggregating("view", []rbacv1.PolicyRule{rule("get", "pods"), rule("get", "secrets")}, toView), role("a", toView, rule("get", "pods"))},
			sync:  "view", want: []rbacv1.PolicyRule{rule("get", "pods")}, applied: true,
		},
		{
			name:  "up to date: no write",
			roles: []*rbacv1.ClusterRole{aggregating("view", []rbacv1.PolicyRule{rule("get", "pods")}, toView), role("a", toView, rule("get", "pods"))},
			sync:  "view", want: []rbacv1.PolicyRule{rule("get", "pods")},
		},
		{
			name:  "nothing selected, nothing held: no write",
			roles: []*rbacv1.ClusterRole{aggregating("view", nil, toView)},
			sync:  "view",
		},
		{
			name:  "not aggregated: left alone",
			roles: []*rbacv1.ClusterRole{role("plain", nil, rule("get", "pods")), role("a", toView, rule("get", "secrets"))},
			sync:  "plain", want: []rbacv1.PolicyRule{rule("get", "pods")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var objs []runtime.Object
			for _, r := range tt.roles {
				objs = append(objs, r)
			}
			client := fake.NewClientset(objs...)
			factory := informers.NewSharedInformerFactory(client, 0)
			informer := factory.Rbac().V1().ClusterRoles()
			for _, r := range tt.roles {
				if err := informer.Informer().GetIndexer().Add(r); err != nil {
					t.Fatal(err)
				}
			}
			c := New(client, informer)
			client.ClearActions()
			if err := c.sync(context.Background(), tt.sync); err != nil {
				t.Fatalf("sync: %v", err)
			}
			applied := false
			for _, a := range client.Actions() {
				if p, ok := a.(clienttesting.PatchAction); ok && a.GetVerb() == "patch" {
					applied = true
					if p.GetName() != tt.sync {
						t.Errorf("applied to %s, want %s", p.GetName(), tt.sync)
					}
				}
			}
			if applied != tt.applied {
				t.Errorf("applied = %v, want %v (actions %v)", applied, tt.applied, client.Actions())
			}
			got, err := client.RbacV1().ClusterRoles().Get(context.Background(), tt.sync, metav1.GetOptions{})
			if err != nil {
				t.Fatalf("get %s: %v", tt.sync, err)
			}
			if diff := cmp.Diff(tt.want, got.Rules); diff != "" {
				t.Errorf("rules of %s (-want +got):\n%s", tt.sync, diff)
			}
		})
	}
}
