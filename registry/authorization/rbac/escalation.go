package rbac

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/component-helpers/auth/rbac/validation"
	"k8s.io/klog/v2"
)

// ConfirmNoEscalation returns an error unless the rules the request's user
// holds in the request's namespace cover rules: nobody grants what they do
// not have. The error lists what is missing, in upstream's words.
func ConfirmNoEscalation(ctx context.Context, resolver *Resolver, rules []rbacv1.PolicyRule) error {
	u, ok := genericapirequest.UserFrom(ctx)
	if !ok {
		return errors.New("no user on context")
	}
	namespace, _ := genericapirequest.NamespaceFrom(ctx)
	owned, resolveErr := resolver.RulesFor(ctx, u, namespace)
	if resolveErr != nil {
		// The rules found still count: rules only add.
		klog.FromContext(ctx).V(1).Info("Resolving the user's rules failed in part", "user", u.GetName(), "err", resolveErr)
	}
	covered, missing := validation.Covers(owned, rules)
	if covered {
		return nil
	}
	descriptions := sets.New[string]()
	for _, r := range compactRules(missing) {
		descriptions.Insert(compactString(r))
	}
	msg := fmt.Sprintf("user %q (groups=%q) is attempting to grant RBAC permissions not currently held:\n%s",
		u.GetName(), u.GetGroups(), strings.Join(sets.List(descriptions), "\n"))
	if resolveErr != nil {
		msg += fmt.Sprintf("; resolution errors: %v", []error{resolveErr})
	}
	return errors.New(msg)
}

// EscalationAllowed reports whether the request's user is in
// system:masters: the API server's own loopback identity is, and it must be
// able to write any role (the bootstrap policy).
func EscalationAllowed(ctx context.Context) bool {
	u, ok := genericapirequest.UserFrom(ctx)
	return ok && slices.Contains(u.GetGroups(), user.SystemPrivilegedGroup)
}

// RoleEscalationAuthorized reports whether the request's user may
// "escalate" the Role or ClusterRole the request is about: such a user may
// write rules they do not hold.
func RoleEscalationAuthorized(ctx context.Context, a authorizer.Authorizer) bool {
	u, ok := genericapirequest.UserFrom(ctx)
	if !ok || a == nil {
		return false
	}
	info, ok := genericapirequest.RequestInfoFrom(ctx)
	if !ok || !info.IsResourceRequest || info.APIGroup != rbacv1.GroupName ||
		(info.Resource != "roles" && info.Resource != "clusterroles") {
		return false
	}
	return allowed(ctx, a, authorizer.AttributesRecord{
		User: u, Verb: "escalate", APIGroup: info.APIGroup, APIVersion: "*",
		Resource: info.Resource, Name: info.Name, Namespace: info.Namespace, ResourceRequest: true,
	})
}

// BindingAuthorized reports whether the request's user may "bind" the role
// ref refers to in bindingNamespace ("" for a ClusterRoleBinding): such a
// user may grant a role they do not hold.
func BindingAuthorized(ctx context.Context, ref rbacv1.RoleRef, bindingNamespace string, a authorizer.Authorizer) bool {
	u, ok := genericapirequest.UserFrom(ctx)
	if !ok || a == nil {
		return false
	}
	attrs := authorizer.AttributesRecord{
		User: u, Verb: "bind", APIGroup: ref.APIGroup, APIVersion: "*", Name: ref.Name,
		// The binding's namespace, not the role's: a user may be allowed
		// to bind a ClusterRole in some namespaces only.
		Namespace: bindingNamespace, ResourceRequest: true,
	}
	switch ref.Kind {
	case "ClusterRole":
		attrs.Resource = "clusterroles"
	case "Role":
		attrs.Resource = "roles"
	default:
		return false
	}
	return allowed(ctx, a, attrs)
}

func allowed(ctx context.Context, a authorizer.Authorizer, attrs authorizer.AttributesRecord) bool {
	decision, _, err := a.Authorize(ctx, attrs)
	if err != nil {
		klog.FromContext(ctx).Error(err, "Authorizing an RBAC escalation check", "user", attrs.User.GetName(), "verb", attrs.Verb, "resource", attrs.Resource, "name", attrs.Name, "namespace", attrs.Namespace)
	}
	return decision == authorizer.DecisionAllow
}

// compactRules merges the missing rules that name one group and one
// resource (and at most one name) and differ only in verbs, so that the
// error lists "get, list" once instead of a rule per verb.
func compactRules(rules []rbacv1.PolicyRule) []rbacv1.PolicyRule {
	type key struct {
		group, resource string
		hasName         bool
		name            string
	}
	var out []rbacv1.PolicyRule
	simple := map[key]*rbacv1.PolicyRule{}
	var order []key
	for _, r := range rules {
		plain := rbacv1.PolicyRule{APIGroups: r.APIGroups, Resources: r.Resources, Verbs: r.Verbs, ResourceNames: r.ResourceNames}
		if len(r.ResourceNames) > 1 || len(r.NonResourceURLs) > 0 || len(r.APIGroups) != 1 || len(r.Resources) != 1 || !reflect.DeepEqual(plain, r) {
			out = append(out, r)
			continue
		}
		k := key{group: r.APIGroups[0], resource: r.Resources[0]}
		if len(r.ResourceNames) == 1 {
			k.hasName, k.name = true, r.ResourceNames[0]
		}
		if existing, ok := simple[k]; ok {
			existing.Verbs = append(existing.Verbs, r.Verbs...)
			continue
		}
		simple[k] = r.DeepCopy()
		order = append(order, k)
	}
	for _, k := range order {
		out = append(out, *simple[k])
	}
	return out
}

// compactString is upstream's rule description in escalation errors, e.g.
// {APIGroups:[""], Resources:["pods"], Verbs:["create"]}.
func compactString(r rbacv1.PolicyRule) string {
	var parts []string
	add := func(name string, values []string) {
		if len(values) > 0 {
			parts = append(parts, fmt.Sprintf("%s:%q", name, values))
		}
	}
	add("APIGroups", r.APIGroups)
	add("Resources", r.Resources)
	add("NonResourceURLs", r.NonResourceURLs)
	add("ResourceNames", r.ResourceNames)
	add("Verbs", r.Verbs)
	return "{" + strings.Join(parts, ", ") + "}"
}
