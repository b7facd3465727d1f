package rbac

import (
	"context"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeshim/kubeshim/test/integration/framework"
)

// TestAggregation: a ClusterRole labelled to aggregate to view extends
// view, and through it edit and admin; deleting it takes its rules back.
func TestAggregation(t *testing.T) {
	ctx := context.Background()
	adminConfig := framework.Shared(t)
	admin := kubernetes.NewForConfigOrDie(adminConfig)
	widgets := rbacv1.PolicyRule{Verbs: []string{"get", "list", "watch"}, APIGroups: []string{"example.com"}, Resources: []string{"widgets"}}
	has := func(role string, want bool) func(ctx context.Context) (bool, error) {
		return func(ctx context.Context) (bool, error) {
			r, err := admin.RbacV1().ClusterRoles().Get(ctx, role, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			return slices.ContainsFunc(r.Rules, func(r rbacv1.PolicyRule) bool { return cmp.Equal(r, widgets) }) == want, nil
		}
	}
	for _, role := range []string{"view", "edit", "admin"} {
		eventually(t, role+" aggregated at start", func(ctx context.Context) (bool, error) {
			r, err := admin.RbacV1().ClusterRoles().Get(ctx, role, metav1.GetOptions{})
			return err == nil && len(r.Rules) > 0, err
		})
	}
	_, err := admin.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "widget-viewer", Labels: map[string]string{"rbac.authorization.k8s.io/aggregate-to-view": "true"}},
		Rules:      []rbacv1.PolicyRule{widgets},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create widget-viewer: %v", err)
	}
	for _, role := range []string{"view", "edit", "admin"} {
		eventually(t, role+" gets the widget rule", has(role, true))
	}
	// The aggregated rules are the controller's, kept under its field
	// manager.
	view, err := admin.RbacV1().ClusterRoles().Get(ctx, "view", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get view: %v", err)
	}
	if !slices.ContainsFunc(view.ManagedFields, func(f metav1.ManagedFieldsEntry) bool {
		return f.Manager == "clusterrole-aggregation-controller" && f.Operation == metav1.ManagedFieldsOperationApply
	}) {
		t.Errorf("view's managed fields %v: no apply by clusterrole-aggregation-controller", view.ManagedFields)
	}

	// A user bound to view reads widgets now.
	ns := framework.Namespace(t, admin)
	bind(t, admin, ns, "dora-view", "ClusterRole", "view", subject(rbacv1.UserKind, "dora"))
	dora := as(t, adminConfig, "dora")
	eventually(t, "dora may list widgets", canI(dora, ns, "list", "example.com", "widgets", true))

	if err := admin.RbacV1().ClusterRoles().Delete(ctx, "widget-viewer", metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete widget-viewer: %v", err)
	}
	for _, role := range []string{"view", "edit", "admin"} {
		eventually(t, role+" loses the widget rule", has(role, false))
	}
	eventually(t, "dora may no longer list widgets", canI(dora, ns, "list", "example.com", "widgets", false))
}
