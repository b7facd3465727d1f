// Package rbac is the RBAC authorizer and rule resolver: requests are
// allowed by the rules of the Roles and ClusterRoles that RoleBindings and
// ClusterRoleBindings grant their user, groups or service account, with
// upstream's semantics (k8s.io/kubernetes plugin/pkg/auth/authorizer/rbac and
// pkg/registry/rbac/validation are the spec):
//
//   - a rule matches a verb, an API group, a resource ("pods"), a
//     subresource ("pods/log", or "*/scale" for every resource's), and, when
//     it names any, the object's name; "*" matches every verb, group and
//     resource;
//   - a nonResourceURLs rule matches a path exactly, or by prefix when it
//     ends in "*";
//   - ClusterRoleBindings apply everywhere, RoleBindings in their namespace
//     only, and a ServiceAccount subject without a namespace is the
//     binding's namespace's.
//
// A request no rule allows gets no opinion, not a denial, so that a later
// authorizer of the union may still allow it; the reason is empty unless
// some binding could not be resolved, as upstream's.
//
// The escalation checks the rbac.authorization.k8s.io storage makes before
// it accepts a role or a binding (ConfirmNoEscalation, EscalationAllowed,
// RoleEscalationAuthorized, BindingAuthorized) live here too: they are
// questions about the same rules.
package rbac
