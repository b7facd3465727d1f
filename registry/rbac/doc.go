// Package rbac serves rbac.authorization.k8s.io: the Roles, RoleBindings,
// ClusterRoles and ClusterRoleBindings stores (one package each beside this
// one), guarded against privilege escalation as upstream's "policybased"
// storage guards them:
//
//   - a Role or ClusterRole may be written only by a user who holds every
//     rule it grants, where it grants them, or who may "escalate" roles;
//     an aggregationRule, which can gather anything, needs every
//     permission ("*" on everything);
//   - a RoleBinding or ClusterRoleBinding may be written only by a user who
//     holds every rule of the role it binds, where it binds it, or who may
//     "bind" that role;
//   - members of system:masters, the API server's own loopback identity
//     among them, are never checked;
//   - an update that only changes owner references or finalizers (the
//     garbage collector's) is never checked.
//
// The user's rules are read from the stores themselves, not from
// informers, so that a role written a moment ago counts.
package rbac
