package rbac

import (
	"context"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeshim/kubeshim/test/integration/framework"
)

// canI asks, as the client's user, whether it may verb group/resource in
// namespace: `kubectl auth can-i`.
func canI(client kubernetes.Interface, namespace, verb, group, resource string, want bool) func(ctx context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		r, err := client.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{
			Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{
				Namespace: namespace, Verb: verb, Group: group, Resource: resource,
			}},
		}, metav1.CreateOptions{})
		if err != nil {
			return false, err
		}
		return r.Status.Allowed == want, nil
	}
}

// TestSelfSubjectRulesReview: `kubectl auth can-i --list` shows a user
// the rules of their bindings in the namespace, and those every
// authenticated user has.
func TestSelfSubjectRulesReview(t *testing.T) {
	ctx := context.Background()
	adminConfig := framework.Shared(t)
	admin := kubernetes.NewForConfigOrDie(adminConfig)
	ns := framework.Namespace(t, admin)
	_, err := admin.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "config-reader"},
		Rules: []rbacv1.PolicyRule{
			{Verbs: []string{"get", "list"}, APIGroups: []string{""}, Resources: []string{"configmaps"}},
			{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{"token"}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create role: %v", err)
	}
	bind(t, admin, ns, "erin-reads", "Role", "config-reader", subject(rbacv1.UserKind, "erin"))
	erin := as(t, adminConfig, "erin")
	eventually(t, "erin's binding is seen", canI(erin, ns, "list", "", "configmaps", true))

	review := func(namespace string) authorizationv1.SubjectRulesReviewStatus {
		t.Helper()
		r, err := erin.AuthorizationV1().SelfSubjectRulesReviews().Create(ctx, &authorizationv1.SelfSubjectRulesReview{
			Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: namespace},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("rules review in %s: %v", namespace, err)
		}
		return r.Status
	}
	got := review(ns)
	if got.Incomplete || got.EvaluationError != "" {
		t.Errorf("status incomplete %v, error %q; want complete", got.Incomplete, got.EvaluationError)
	}
	// The bindings' rules, then system:basic-user's; ClusterRoleBindings'
	// come first.
	wantResource := []authorizationv1.ResourceRule{
		{Verbs: []string{"create"}, APIGroups: []string{"authorization.k8s.io"}, Resources: []string{"selfsubjectaccessreviews", "selfsubjectrulesreviews"}},
		{Verbs: []string{"create"}, APIGroups: []string{"authentication.k8s.io"}, Resources: []string{"selfsubjectreviews"}},
		{Verbs: []string{"get", "list"}, APIGroups: []string{""}, Resources: []string{"configmaps"}},
		{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{"token"}},
	}
	if diff := cmp.Diff(wantResource, got.ResourceRules); diff != "" {
		t.Errorf("resource rules in %s (-want +got):\n%s", ns, diff)
	}
	// system:discovery's and system:public-info-viewer's URLs.
	for _, url := range []string{"/api", "/apis/*", "/version", "/healthz"} {
		if !slices.ContainsFunc(got.NonResourceRules, func(r authorizationv1.NonResourceRule) bool {
			return slices.Contains(r.NonResourceURLs, url) && slices.Contains(r.Verbs, "get")
		}) {
			t.Errorf("non-resource rules %v: no get %s", got.NonResourceRules, url)
		}
	}
	// In another namespace, only what everyone has.
	if other := review(metav1.NamespaceDefault); len(other.ResourceRules) != 2 {
		t.Errorf("resource rules in default: %v, want basic-user's two", other.ResourceRules)
	}
}
