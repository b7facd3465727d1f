package bootstrappolicy

import (
	"fmt"
	"slices"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Verb sets upstream's roles are written with.
var (
	read       = []string{"get", "list", "watch"}
	write      = []string{"create", "update", "patch", "delete", "deletecollection"}
	readWrite  = []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}
	readUpdate = []string{"get", "list", "watch", "update", "patch"}
)

// API groups by their upstream names.
const (
	core           = ""
	apps           = "apps"
	authentication = "authentication.k8s.io"
	authorization  = "authorization.k8s.io"
	autoscaling    = "autoscaling"
	batch          = "batch"
	certificates   = "certificates.k8s.io"
	coordination   = "coordination.k8s.io"
	discovery      = "discovery.k8s.io"
	events         = "events.k8s.io"
	extensions     = "extensions"
	networking     = "networking.k8s.io"
	nodeGroup      = "node.k8s.io"
	policy         = "policy"
	rbac           = rbacv1.GroupName
	resourceGroup  = "resource.k8s.io"
	storage        = "storage.k8s.io"
)

// Metadata every bootstrap object carries.
const (
	// BootstrappingLabel marks the objects of this policy.
	BootstrappingLabel = "kubernetes.io/bootstrapping"
	// AutoUpdateAnnotation, "true", lets reconciliation add missing rules
	// and subjects at every start; an operator who sets it to "false"
	// keeps their edits.
	AutoUpdateAnnotation = rbacv1.AutoUpdateAnnotationKey
)

// ruleBuilder writes a PolicyRule as a sentence: verbs(...).in(groups...).on(resources...).
type ruleBuilder struct{ r rbacv1.PolicyRule }

func verbs(v ...string) *ruleBuilder {
	return &ruleBuilder{r: rbacv1.PolicyRule{Verbs: slices.Clone(v)}}
}

func (b *ruleBuilder) in(groups ...string) *ruleBuilder {
	b.r.APIGroups = append(b.r.APIGroups, groups...)
	return b
}

func (b *ruleBuilder) on(resources ...string) *ruleBuilder {
	b.r.Resources = append(b.r.Resources, resources...)
	return b
}

func (b *ruleBuilder) named(names ...string) *ruleBuilder {
	b.r.ResourceNames = append(b.r.ResourceNames, names...)
	return b
}

func (b *ruleBuilder) urls(urls ...string) *ruleBuilder {
	b.r.NonResourceURLs = append(b.r.NonResourceURLs, urls...)
	return b
}

// rule returns the rule with every list sorted, as upstream stores them
// (reconciliation and clients comparing with upstream see the same order).
// A malformed rule is a bug in this package: it panics, and the package's
// tests build every rule.
func (b *ruleBuilder) rule() rbacv1.PolicyRule {
	r := b.r
	switch {
	case len(r.Verbs) == 0:
		panic(fmt.Sprintf("bootstrap rule without verbs: %+v", r))
	case len(r.NonResourceURLs) > 0 && (len(r.APIGroups) > 0 || len(r.Resources) > 0 || len(r.ResourceNames) > 0):
		panic(fmt.Sprintf("bootstrap rule with both URLs and resources: %+v", r))
	case len(r.Resources) > 0 && len(r.APIGroups) == 0:
		panic(fmt.Sprintf("bootstrap resource rule without API groups: %+v", r))
	case len(r.Resources) == 0 && len(r.NonResourceURLs) == 0:
		panic(fmt.Sprintf("bootstrap rule with neither resources nor URLs: %+v", r))
	}
	for _, s := range [][]string{r.Verbs, r.APIGroups, r.Resources, r.ResourceNames, r.NonResourceURLs} {
		slices.Sort(s)
	}
	return r
}

func rules(bs ...*ruleBuilder) []rbacv1.PolicyRule {
	out := make([]rbacv1.PolicyRule, len(bs))
	for i, b := range bs {
		out[i] = b.rule()
	}
	return out
}

// eventsRule lets a component record events, through either API.
func eventsRule() *ruleBuilder {
	return verbs("create", "update", "patch").in(core, events).on("events")
}

func meta(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name:        name,
		Labels:      map[string]string{BootstrappingLabel: "rbac-defaults"},
		Annotations: map[string]string{AutoUpdateAnnotation: "true"},
	}
}

func clusterRole(name string, rs ...*ruleBuilder) rbacv1.ClusterRole {
	return rbacv1.ClusterRole{ObjectMeta: meta(name), Rules: rules(rs...)}
}

// subject kinds for bindings.
func users(names ...string) []rbacv1.Subject {
	out := make([]rbacv1.Subject, len(names))
	for i, n := range names {
		out[i] = rbacv1.Subject{APIGroup: rbac, Kind: rbacv1.UserKind, Name: n}
	}
	return out
}

func groups(names ...string) []rbacv1.Subject {
	out := make([]rbacv1.Subject, len(names))
	for i, n := range names {
		out[i] = rbacv1.Subject{APIGroup: rbac, Kind: rbacv1.GroupKind, Name: n}
	}
	return out
}

func serviceAccount(namespace, name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: namespace, Name: name}
}

// clusterRoleBinding binds the ClusterRole of the same name.
func clusterRoleBinding(name string, subjects ...rbacv1.Subject) rbacv1.ClusterRoleBinding {
	return rbacv1.ClusterRoleBinding{
		ObjectMeta: meta(name),
		RoleRef:    rbacv1.RoleRef{APIGroup: rbac, Kind: "ClusterRole", Name: name},
		Subjects:   subjects,
	}
}
