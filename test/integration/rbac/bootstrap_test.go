package rbac

import (
	"context"
	"crypto/x509"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/component-helpers/auth/rbac/validation"

	"github.com/kubeshim/kubeshim/registry/apiserver"
	"github.com/kubeshim/kubeshim/registry/apiserver/pki"
	"github.com/kubeshim/kubeshim/registry/rbac/bootstrappolicy"
	"github.com/kubeshim/kubeshim/test/integration/framework"
)

// TestBootstrapPolicy: after start, every bootstrap object is there as the
// policy has it.
func TestBootstrapPolicy(t *testing.T) {
	ctx := context.Background()
	admin := kubernetes.NewForConfigOrDie(framework.Shared(t))
	for _, want := range append(bootstrappolicy.ClusterRoles(), bootstrappolicy.ControllerRoles()...) {
		got, err := admin.RbacV1().ClusterRoles().Get(ctx, want.Name, metav1.GetOptions{})
		if err != nil {
			t.Errorf("get clusterrole %s: %v", want.Name, err)
			continue
		}
		if diff := cmp.Diff(want.Labels, got.Labels); diff != "" {
			t.Errorf("clusterrole %s labels (-want +got):\n%s", want.Name, diff)
		}
		if got.Annotations[rbacv1.AutoUpdateAnnotationKey] != "true" {
			t.Errorf("clusterrole %s annotations %v: not auto-updated", want.Name, got.Annotations)
		}
		// Aggregated roles' rules are the controller's.
		if want.AggregationRule == nil {
			if diff := cmp.Diff(want.Rules, got.Rules); diff != "" {
				t.Errorf("clusterrole %s rules (-want +got):\n%s", want.Name, diff)
			}
		}
	}
	for _, want := range append(bootstrappolicy.ClusterRoleBindings(), bootstrappolicy.ControllerRoleBindings()...) {
		got, err := admin.RbacV1().ClusterRoleBindings().Get(ctx, want.Name, metav1.GetOptions{})
		if err != nil {
			t.Errorf("get clusterrolebinding %s: %v", want.Name, err)
			continue
		}
		if diff := cmp.Diff(want.RoleRef, got.RoleRef); diff != "" {
			t.Errorf("clusterrolebinding %s roleRef (-want +got):\n%s", want.Name, diff)
		}
		if diff := cmp.Diff(want.Subjects, got.Subjects); diff != "" {
			t.Errorf("clusterrolebinding %s subjects (-want +got):\n%s", want.Name, diff)
		}
	}
	for ns, roles := range bootstrappolicy.NamespaceRoles() {
		for _, want := range roles {
			got, err := admin.RbacV1().Roles(ns).Get(ctx, want.Name, metav1.GetOptions{})
			if err != nil {
				t.Errorf("get role %s/%s: %v", ns, want.Name, err)
				continue
			}
			if diff := cmp.Diff(want.Rules, got.Rules); diff != "" {
				t.Errorf("role %s/%s rules (-want +got):\n%s", ns, want.Name, diff)
			}
		}
	}
	for ns, bindings := range bootstrappolicy.NamespaceRoleBindings() {
		for _, want := range bindings {
			if _, err := admin.RbacV1().RoleBindings(ns).Get(ctx, want.Name, metav1.GetOptions{}); err != nil {
				t.Errorf("get rolebinding %s/%s: %v", ns, want.Name, err)
			}
		}
	}
}

// TestBootstrapPolicyRestoredOnRestart: what was deleted or lost from an
// auto-updated object comes back at the next start; an object opted out
// of auto-update keeps its edits.
func TestBootstrapPolicyRestoredOnRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	start := func() (*framework.Server, kubernetes.Interface) {
		t.Helper()
		s, err := framework.Start(func(o *apiserver.Options) { o.DataDir = dir })
		if err != nil {
			t.Fatalf("start API server: %v", err)
		}
		return s, kubernetes.NewForConfigOrDie(s.Config)
	}
	server, admin := start()
	roles, bindings := admin.RbacV1().ClusterRoles(), admin.RbacV1().ClusterRoleBindings()
	for _, name := range []string{"system:discovery", "system:node-proxier"} {
		if err := roles.Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
			t.Fatalf("delete clusterrole %s: %v", name, err)
		}
	}
	if err := bindings.Delete(ctx, "system:basic-user", metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete clusterrolebinding system:basic-user: %v", err)
	}
	if err := admin.RbacV1().Roles("kube-system").Delete(ctx, "extension-apiserver-authentication-reader", metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete role: %v", err)
	}
	// Rules taken from an auto-updated role come back; rules added stay.
	kubeDNS, err := roles.Get(ctx, "system:kube-dns", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get system:kube-dns: %v", err)
	}
	extra := rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"configmaps"}}
	kubeDNS.Rules = []rbacv1.PolicyRule{extra}
	if _, err := roles.Update(ctx, kubeDNS, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("update system:kube-dns: %v", err)
	}
	// A role opted out of auto-update is the operator's.
	heapster, err := roles.Get(ctx, "system:heapster", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get system:heapster: %v", err)
	}
	heapster.Annotations[rbacv1.AutoUpdateAnnotationKey] = "false"
	heapster.Rules = []rbacv1.PolicyRule{extra}
	if _, err := roles.Update(ctx, heapster, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("update system:heapster: %v", err)
	}
	if err := server.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}

	server, admin = start()
	defer server.Stop()
	roles, bindings = admin.RbacV1().ClusterRoles(), admin.RbacV1().ClusterRoleBindings()
	policy := map[string]rbacv1.ClusterRole{}
	for _, r := range bootstrappolicy.ClusterRoles() {
		policy[r.Name] = r
	}
	for _, name := range []string{"system:discovery", "system:node-proxier"} {
		got, err := roles.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Errorf("clusterrole %s not restored: %v", name, err)
		} else if diff := cmp.Diff(policy[name].Rules, got.Rules); diff != "" {
			t.Errorf("clusterrole %s restored with rules (-want +got):\n%s", name, diff)
		}
	}
	if _, err := bindings.Get(ctx, "system:basic-user", metav1.GetOptions{}); err != nil {
		t.Errorf("clusterrolebinding system:basic-user not restored: %v", err)
	}
	if _, err := admin.RbacV1().Roles("kube-system").Get(ctx, "extension-apiserver-authentication-reader", metav1.GetOptions{}); err != nil {
		t.Errorf("role kube-system/extension-apiserver-authentication-reader not restored: %v", err)
	}
	kubeDNS, err = roles.Get(ctx, "system:kube-dns", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get system:kube-dns: %v", err)
	}
	// Reconciliation adds the missing rules broken down, one verb and
	// resource each, after the role's own, as upstream's.
	if covers, missing := validation.Covers(kubeDNS.Rules, policy["system:kube-dns"].Rules); !covers || !cmp.Equal(extra, kubeDNS.Rules[0]) {
		t.Errorf("system:kube-dns rules after restart %v: missing %v, or %v not kept first", kubeDNS.Rules, missing, extra)
	}
	heapster, err = roles.Get(ctx, "system:heapster", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get system:heapster: %v", err)
	}
	if diff := cmp.Diff([]rbacv1.PolicyRule{extra}, heapster.Rules); diff != "" {
		t.Errorf("system:heapster, opted out, rules after restart (-want +got):\n%s", diff)
	}

	// The restored system:basic-user binding lets a user authenticated by
	// a client certificate of the cluster CA ask about itself, and
	// nothing else.
	ivan := certClient(t, server, "ivan", "developers")
	if _, err := ivan.AuthorizationV1().SelfSubjectRulesReviews().Create(ctx, &authorizationv1.SelfSubjectRulesReview{Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: metav1.NamespaceDefault}}, metav1.CreateOptions{}); err != nil {
		t.Errorf("ivan reviews his rules: %v", err)
	}
	_, err = ivan.CoreV1().ConfigMaps(metav1.NamespaceDefault).List(ctx, metav1.ListOptions{})
	want := `configmaps is forbidden: User "ivan" cannot list resource "configmaps" in API group "" in the namespace "default"`
	if !apierrors.IsForbidden(err) || err.Error() != want {
		t.Errorf("ivan lists configmaps: error %v, want 403 %q", err, want)
	}
	if _, err := admin.RbacV1().RoleBindings(metav1.NamespaceDefault).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "developers-view"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
		Subjects:   []rbacv1.Subject{subject(rbacv1.GroupKind, "developers")},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("bind developers: %v", err)
	}
	eventually(t, "the developers group's binding lets ivan list configmaps", func(ctx context.Context) (bool, error) {
		_, err := ivan.CoreV1().ConfigMaps(metav1.NamespaceDefault).List(ctx, metav1.ListOptions{})
		return err == nil, err
	})
}

// certClient returns a client authenticating as user in groups with a
// client certificate the server's CA issues.
func certClient(t *testing.T, s *framework.Server, user string, groups ...string) kubernetes.Interface {
	t.Helper()
	dir := filepath.Join(s.DataDir, "pki")
	ca, err := pki.LoadOrCreateCA(dir, "ca", "kubeshim-ca")
	if err != nil {
		t.Fatalf("load CA: %v", err)
	}
	certFile, keyFile, err := ca.Issue(t.TempDir(), user, pki.Request{
		CommonName: user, Organization: groups, Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	if err != nil {
		t.Fatalf("issue a certificate for %s: %v", user, err)
	}
	c := rest.AnonymousClientConfig(s.Config)
	c.CertFile, c.KeyFile = certFile, keyFile
	return kubernetes.NewForConfigOrDie(c)
}
