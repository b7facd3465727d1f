package bootstrappolicy

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/component-helpers/auth/rbac/validation"
	"sigs.k8s.io/yaml"

	rbacvalidation "github.com/kubeshim/kubeshim/apis/rbac"
)

func allClusterRoles() []rbacv1.ClusterRole { return append(ClusterRoles(), ControllerRoles()...) }

func allClusterRoleBindings() []rbacv1.ClusterRoleBinding {
	return append(ClusterRoleBindings(), ControllerRoleBindings()...)
}

// TestValid checks every object as the API would on create, and the
// metadata reconciliation relies on.
func TestValid(t *testing.T) {
	names := map[string]bool{}
	check := func(kind, name string, labels, annotations map[string]string, errs []string) {
		t.Helper()
		key := kind + "/" + name
		if names[key] {
			t.Errorf("%s defined twice", key)
		}
		names[key] = true
		if labels[BootstrappingLabel] != "rbac-defaults" || annotations[AutoUpdateAnnotation] != "true" {
			t.Errorf("%s: labels %v, annotations %v; want the bootstrapping label and autoupdate annotation", key, labels, annotations)
		}
		for _, e := range errs {
			t.Errorf("%s: %s", key, e)
		}
	}
	text := func(errs field.ErrorList) []string {
		if len(errs) > 0 {
			return []string{errs.ToAggregate().Error()}
		}
		return nil
	}
	roles := map[string]bool{}
	for _, r := range allClusterRoles() {
		check("ClusterRole", r.Name, r.Labels, r.Annotations, text(rbacvalidation.ValidateClusterRole(&r)))
		roles[r.Name] = true
	}
	for _, b := range allClusterRoleBindings() {
		check("ClusterRoleBinding", b.Name, b.Labels, b.Annotations, text(rbacvalidation.ValidateClusterRoleBinding(&b)))
		if !roles[b.RoleRef.Name] {
			t.Errorf("ClusterRoleBinding %s binds the unknown ClusterRole %s", b.Name, b.RoleRef.Name)
		}
	}
	nsRoles := map[string]bool{}
	for ns, rs := range NamespaceRoles() {
		for _, r := range rs {
			if r.Namespace != ns {
				t.Errorf("Role %s is listed under %s, in %s", r.Name, ns, r.Namespace)
			}
			check("Role", ns+"/"+r.Name, r.Labels, r.Annotations, text(rbacvalidation.ValidateRole(&r)))
			nsRoles[ns+"/"+r.Name] = true
		}
	}
	for ns, bs := range NamespaceRoleBindings() {
		for _, b := range bs {
			if b.Namespace != ns {
				t.Errorf("RoleBinding %s is listed under %s, in %s", b.Name, ns, b.Namespace)
			}
			check("RoleBinding", ns+"/"+b.Name, b.Labels, b.Annotations, text(rbacvalidation.ValidateRoleBinding(&b)))
			if !nsRoles[ns+"/"+b.RoleRef.Name] {
				t.Errorf("RoleBinding %s/%s binds the unknown Role %s", ns, b.Name, b.RoleRef.Name)
			}
		}
	}
}

// TestAggregation checks the admin ⊇ edit ⊇ view chain: each aggregated
// role selects the roles labelled for it, and the aggregate-to-* roles
// carry the labels.
func TestAggregation(t *testing.T) {
	byName := map[string]rbacv1.ClusterRole{}
	for _, r := range ClusterRoles() {
		byName[r.Name] = r
	}
	selects := func(aggregated, role string) bool {
		for _, s := range byName[aggregated].AggregationRule.ClusterRoleSelectors {
			matches := true
			for k, v := range s.MatchLabels {
				matches = matches && byName[role].Labels[k] == v
			}
			if matches {
				return true
			}
		}
		return false
	}
	for _, tt := range []struct{ aggregated, role string }{
		{"admin", "system:aggregate-to-admin"}, {"admin", "edit"},
		{"edit", "system:aggregate-to-edit"}, {"edit", "view"},
		{"view", "system:aggregate-to-view"},
	} {
		if !selects(tt.aggregated, tt.role) {
			t.Errorf("%s does not aggregate %s", tt.aggregated, tt.role)
		}
	}
	if selects("view", "system:aggregate-to-edit") || selects("edit", "system:aggregate-to-admin") {
		t.Errorf("a narrower role aggregates a wider one's rules")
	}
	// Whoever may write something in a namespace may read it: edit's
	// rules cover the reads of what view reads, as upstream's.
	edit := append(byName["system:aggregate-to-edit"].Rules, byName["system:aggregate-to-view"].Rules...)
	if ok, missing := validation.Covers(edit, byName["system:aggregate-to-view"].Rules); !ok {
		t.Errorf("edit does not cover view: missing %v", missing)
	}
}

// upstreamTestdataEnv names the directory of upstream's bootstrap policy
// fixtures (k8s.io/kubernetes@v1.37.2's
// plugin/pkg/auth/authorizer/rbac/bootstrappolicy/testdata);
// hack/verify-bootstrappolicy.sh sets it.
const upstreamTestdataEnv = "KUBESHIM_UPSTREAM_BOOTSTRAPPOLICY"

type list[T any] struct {
	Items []T `json:"items"`
}

func readUpstream[T any](t *testing.T, file string) []T {
	t.Helper()
	dir := os.Getenv(upstreamTestdataEnv)
	if dir == "" {
		t.Skipf("%s is not set: run hack/verify-bootstrappolicy.sh to compare with upstream's policy", upstreamTestdataEnv)
	}
	data, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		t.Fatalf("read upstream policy: %v", err)
	}
	var l list[T]
	if err := yaml.Unmarshal(data, &l); err != nil {
		t.Fatalf("parse %s: %v", file, err)
	}
	return l.Items
}

// compareUpstream compares ours with upstream's by name. Every object of
// ours must be upstream's exactly; upstream's objects that kubeshim leaves
// out must be listed in omitted.
func compareUpstream[T any](t *testing.T, ours, upstream []T, name func(T) string, omitted func(string) bool) {
	t.Helper()
	theirs := map[string]T{}
	for _, o := range upstream {
		theirs[name(o)] = o
	}
	seen := map[string]bool{}
	for _, o := range ours {
		n := name(o)
		seen[n] = true
		u, ok := theirs[n]
		if !ok {
			t.Errorf("%s is not upstream's", n)
			continue
		}
		if diff := cmp.Diff(u, o, cmpopts.IgnoreTypes(metav1.TypeMeta{})); diff != "" {
			t.Errorf("%s differs from upstream's (-upstream +ours):\n%s", n, diff)
		}
	}
	var missing []string
	for n := range theirs {
		if !seen[n] && !omitted(n) {
			missing = append(missing, n)
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("upstream's %v missing", missing)
	}
}

func none(string) bool { return false }

// controllersOmitted are upstream's controllers kubeshim does not run:
// their roles are left out.
func controllersOmitted(name string) bool {
	return slices.Contains([]string{
		"attachdetach-controller", "device-taint-eviction-controller", "ephemeral-volume-controller",
		"kube-apiserver-serving-clustertrustbundle-publisher",
		"legacy-service-account-token-cleaner", "podcertificaterequestcleaner",
		"resource-claim-controller", "route-controller",
		"selinux-warning-controller", "service-cidrs-controller", "service-controller", "storage-version-migrator-controller",
		"ttl-controller", "validatingadmissionpolicy-status-controller",
	}, strings.TrimPrefix(name, ControllerRolePrefix))
}

func cloudProvider(name string) bool {
	return strings.HasSuffix(name, "/system:controller:cloud-provider")
}

func TestUpstreamClusterRoles(t *testing.T) {
	name := func(r rbacv1.ClusterRole) string { return r.Name }
	compareUpstream(t, ClusterRoles(), readUpstream[rbacv1.ClusterRole](t, "cluster-roles.yaml"), name, none)
	compareUpstream(t, ControllerRoles(), readUpstream[rbacv1.ClusterRole](t, "controller-roles.yaml"), name, controllersOmitted)
}

func TestUpstreamClusterRoleBindings(t *testing.T) {
	name := func(b rbacv1.ClusterRoleBinding) string { return b.Name }
	compareUpstream(t, ClusterRoleBindings(), readUpstream[rbacv1.ClusterRoleBinding](t, "cluster-role-bindings.yaml"), name, none)
	compareUpstream(t, ControllerRoleBindings(), readUpstream[rbacv1.ClusterRoleBinding](t, "controller-role-bindings.yaml"), name, controllersOmitted)
}

func TestUpstreamNamespaceRoles(t *testing.T) {
	var roles []rbacv1.Role
	for _, rs := range NamespaceRoles() {
		roles = append(roles, rs...)
	}
	var bindings []rbacv1.RoleBinding
	for _, bs := range NamespaceRoleBindings() {
		bindings = append(bindings, bs...)
	}
	compareUpstream(t, roles, readUpstream[rbacv1.Role](t, "namespace-roles.yaml"),
		func(r rbacv1.Role) string { return r.Namespace + "/" + r.Name }, cloudProvider)
	compareUpstream(t, bindings, readUpstream[rbacv1.RoleBinding](t, "namespace-role-bindings.yaml"),
		func(b rbacv1.RoleBinding) string { return b.Namespace + "/" + b.Name }, cloudProvider)
}
