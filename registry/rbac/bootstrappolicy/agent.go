package bootstrappolicy

import (
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apiserver/pkg/authentication/user"
)

// NodeRules are what a kubelet may do, before the Node authorizer narrows
// them to the node's own objects: upstream's Node authorizer checks the
// requests it does not subdivide against these, as the system:node role
// (bound to no one) lists them.
func NodeRules() []rbacv1.PolicyRule { return rules(nodeRules()...) }

// Names of the roles kubeshim's node agent needs beyond a kubelet's.
const (
	NodeProxierBinding       = "kubeshim:node-proxier"
	ClusterDNSRole           = "kubeshim:cluster-dns"
	LocalPathProvisionerRole = "kubeshim:local-path-provisioner"
)

// NodeAgentClusterRoles are the roles of what `kubeshim agent` runs beside
// its kubelet: upstream runs the cluster DNS (CoreDNS) and a local-path
// provisioner as pods with their own service accounts; kubeshim's agent
// runs them in-process on the node's credentials, so they get these roles
// (the part of upstream's system:coredns kubeshim's DNS reads, and the
// local-path provisioner's rules).
func NodeAgentClusterRoles() []rbacv1.ClusterRole {
	return []rbacv1.ClusterRole{
		// Services and their endpoint slices: the DNS answers no pod
		// records from pods (upstream's pods insecure mode).
		clusterRole(ClusterDNSRole,
			verbs("list", "watch").in(core).on("services"),
			verbs("list", "watch").in(discovery).on("endpointslices")),
		clusterRole(LocalPathProvisionerRole,
			verbs(read...).in(core).on("nodes"),
			verbs("get", "list", "watch", "update", "patch").in(core).on("persistentvolumeclaims"),
			verbs("update", "patch").in(core).on("persistentvolumeclaims/status"),
			verbs("get", "list", "watch", "create", "update", "patch", "delete").in(core).on("persistentvolumes"),
			verbs("update", "patch").in(core).on("persistentvolumes/status"),
			verbs(read...).in(storage).on("storageclasses"),
			eventsRule()),
	}
}

// NodeAgentClusterRoleBindings give every node the roles of
// NodeAgentClusterRoles and kube-proxy's system:node-proxier (the agent's
// service proxy). None of them reads Secrets or ConfigMaps: those stay
// behind the Node authorizer's graph.
func NodeAgentClusterRoleBindings() []rbacv1.ClusterRoleBinding {
	proxier := clusterRoleBinding(NodeProxierBinding, groups(user.NodesGroup)...)
	proxier.RoleRef.Name = "system:node-proxier"
	return []rbacv1.ClusterRoleBinding{
		proxier,
		clusterRoleBinding(ClusterDNSRole, groups(user.NodesGroup)...),
		clusterRoleBinding(LocalPathProvisionerRole, groups(user.NodesGroup)...),
	}
}

// NodeBootstrapGroup is the group kubeadm's bootstrap tokens add (their
// Secret's auth-extra-groups): a token in it may join a node.
const NodeBootstrapGroup = "system:bootstrappers:kubeadm:default-node-token"

// NodeBootstrapClusterRoleBindings are kubeadm's bindings for joining
// nodes: a bootstrap token of NodeBootstrapGroup may ask for a node client
// certificate, which the csrapproving controller approves; a node may
// renew its own.
func NodeBootstrapClusterRoleBindings() []rbacv1.ClusterRoleBinding {
	bind := func(name, role string, subjects ...rbacv1.Subject) rbacv1.ClusterRoleBinding {
		b := clusterRoleBinding(name, subjects...)
		b.RoleRef.Name = role
		return b
	}
	return []rbacv1.ClusterRoleBinding{
		bind("kubeadm:kubelet-bootstrap", "system:node-bootstrapper", groups(NodeBootstrapGroup)...),
		bind("kubeadm:node-autoapprove-bootstrap", "system:certificates.k8s.io:certificatesigningrequests:nodeclient", groups(NodeBootstrapGroup)...),
		bind("kubeadm:node-autoapprove-certificate-rotation", "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient", groups(user.NodesGroup)...),
	}
}
