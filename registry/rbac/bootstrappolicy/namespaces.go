package bootstrappolicy

import (
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apiserver/pkg/authentication/user"
)

func namespacedRole(namespace, name string, rs ...*ruleBuilder) rbacv1.Role {
	r := rbacv1.Role{ObjectMeta: meta(name), Rules: rules(rs...)}
	r.Namespace = namespace
	return r
}

func roleBinding(namespace, name, roleName string, subjects ...rbacv1.Subject) rbacv1.RoleBinding {
	b := rbacv1.RoleBinding{
		ObjectMeta: meta(name),
		RoleRef:    rbacv1.RoleRef{APIGroup: rbac, Kind: "Role", Name: roleName},
		Subjects:   subjects,
	}
	b.Namespace = namespace
	return b
}

// leaderLocking is what a leader-elected component needs in kube-system.
func leaderLocking(name string) rbacv1.Role {
	return namespacedRole("kube-system", "system::leader-locking-"+name,
		verbs("watch", "get", "list", "create", "update").in(coordination).on("leases"),
		verbs("watch", "get", "list", "create", "update").in(coordination).on("leasecandidates"))
}

// NamespaceRoles are the Roles upstream keeps in kube-system and
// kube-public, by namespace. Upstream's cloud-provider role is left out:
// kubeshim runs no cloud provider.
func NamespaceRoles() map[string][]rbacv1.Role {
	return map[string][]rbacv1.Role{
		"kube-system": {
			// Extension API servers read the client CA they trust from the
			// extension-apiserver-authentication ConfigMap.
			namespacedRole("kube-system", "extension-apiserver-authentication-reader",
				verbs("get", "list", "watch").in(core).on("configmaps").named("extension-apiserver-authentication")),
			leaderLocking("kube-controller-manager"),
			leaderLocking("kube-scheduler"),
			// Bootstrap tokens are secrets in kube-system.
			namespacedRole("kube-system", ControllerRolePrefix+"bootstrap-signer",
				verbs("get", "list", "watch").in(core).on("secrets")),
			namespacedRole("kube-system", ControllerRolePrefix+"token-cleaner",
				verbs("delete", "get", "list", "watch").in(core).on("secrets"),
				eventsRule()),
		},
		"kube-public": {
			// The bootstrap signer signs the cluster-info ConfigMap joining
			// nodes read.
			namespacedRole("kube-public", ControllerRolePrefix+"bootstrap-signer",
				verbs("get", "list", "watch").in(core).on("configmaps"),
				verbs("update").in(core).on("configmaps").named("cluster-info"),
				eventsRule()),
		},
	}
}

// NamespaceRoleBindings bind NamespaceRoles, by namespace.
func NamespaceRoleBindings() map[string][]rbacv1.RoleBinding {
	return map[string][]rbacv1.RoleBinding{
		"kube-system": {
			roleBinding("kube-system", "system::extension-apiserver-authentication-reader", "extension-apiserver-authentication-reader",
				users(user.KubeControllerManager, user.KubeScheduler)...),
			roleBinding("kube-system", "system::leader-locking-kube-controller-manager", "system::leader-locking-kube-controller-manager",
				append(users(user.KubeControllerManager),
					serviceAccount("kube-system", "kube-controller-manager"),
					serviceAccount("kube-system", "leader-election-controller"))...),
			roleBinding("kube-system", "system::leader-locking-kube-scheduler", "system::leader-locking-kube-scheduler",
				append(users(user.KubeScheduler), serviceAccount("kube-system", "kube-scheduler"))...),
			roleBinding("kube-system", ControllerRolePrefix+"bootstrap-signer", ControllerRolePrefix+"bootstrap-signer",
				serviceAccount("kube-system", "bootstrap-signer")),
			roleBinding("kube-system", ControllerRolePrefix+"token-cleaner", ControllerRolePrefix+"token-cleaner",
				serviceAccount("kube-system", "token-cleaner")),
		},
		"kube-public": {
			roleBinding("kube-public", ControllerRolePrefix+"bootstrap-signer", ControllerRolePrefix+"bootstrap-signer",
				serviceAccount("kube-system", "bootstrap-signer")),
		},
	}
}
