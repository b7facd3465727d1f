// Package bootstrappolicy is the RBAC policy every cluster starts with:
// upstream's default ClusterRoles and ClusterRoleBindings (cluster-admin,
// admin/edit/view and the aggregate-to-* roles that hold their rules, the
// system:* roles of discovery, nodes, the scheduler, the controller
// manager, DNS and the certificate signers), the system:controller:<name>
// roles of the controllers kubeshim runs, and the Roles and RoleBindings
// upstream keeps in kube-system and kube-public.
//
// The rules are upstream's for the default feature gates of Kubernetes
// v1.37 (k8s.io/kubernetes plugin/pkg/auth/authorizer/rbac/bootstrappolicy
// and its testdata are the spec): clients, the upstream e2e tests among
// them, compare against them. Every object carries the
// kubernetes.io/bootstrapping=rbac-defaults label and the
// rbac.authorization.kubernetes.io/autoupdate=true annotation; the API
// server reconciles them at every start (registry/apiserver's
// rbac/bootstrap-roles hook).
package bootstrappolicy
