package bootstrappolicy

import (
	certificatesv1 "k8s.io/api/certificates/v1"
	certificatesv1beta1 "k8s.io/api/certificates/v1beta1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/authentication/serviceaccount"
	"k8s.io/apiserver/pkg/authentication/user"
)

// Aggregation labels: a ClusterRole carrying one adds its rules to admin,
// edit or view (controllers/clusterroleaggregation).
const (
	AggregateToAdmin = "rbac.authorization.k8s.io/aggregate-to-admin"
	AggregateToEdit  = "rbac.authorization.k8s.io/aggregate-to-edit"
	AggregateToView  = "rbac.authorization.k8s.io/aggregate-to-view"
)

// aggregated is a role whose rules are those of the ClusterRoles with the
// label selectLabel=true; labels are its own.
func aggregated(name, selectLabel string, labels ...string) rbacv1.ClusterRole {
	r := rbacv1.ClusterRole{ObjectMeta: meta(name), AggregationRule: &rbacv1.AggregationRule{
		ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{selectLabel: "true"}}},
	}}
	for _, l := range labels {
		r.Labels[l] = "true"
	}
	return r
}

// aggregatedInto is a role holding rules that aggregate into the roles
// selecting label.
func aggregatedInto(name, label string, rs ...*ruleBuilder) rbacv1.ClusterRole {
	r := clusterRole(name, rs...)
	r.Labels[label] = "true"
	return r
}

// viewRules read what a namespace's user works with, short of secrets and
// of the subresources that run code in pods.
func viewRules() []*ruleBuilder {
	return []*ruleBuilder{
		verbs(read...).in(core).on("pods", "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts",
			"services", "services/status", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "configmaps"),
		verbs(read...).in(core).on("limitranges", "resourcequotas", "bindings", "pods/status", "resourcequotas/status",
			"namespaces/status", "replicationcontrollers/status", "pods/log"),
		// In a RoleBinding this is the namespace itself: a user can tell
		// which namespaces they may work in.
		verbs(read...).in(core).on("namespaces"),
		verbs(read...).in(core, events).on("events"),
		verbs(read...).in(discovery).on("endpointslices"),
		verbs(read...).in(apps).on("controllerrevisions", "statefulsets", "statefulsets/status", "statefulsets/scale",
			"daemonsets", "daemonsets/status", "deployments", "deployments/status", "deployments/scale",
			"replicasets", "replicasets/status", "replicasets/scale"),
		verbs(read...).in(autoscaling).on("horizontalpodautoscalers", "horizontalpodautoscalers/status"),
		verbs(read...).in(batch).on("jobs", "cronjobs", "cronjobs/status", "jobs/status"),
		verbs(read...).in(extensions).on("daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status",
			"ingresses", "ingresses/status", "replicasets", "replicasets/scale", "replicasets/status", "replicationcontrollers/scale",
			"networkpolicies"),
		verbs(read...).in(policy).on("poddisruptionbudgets", "poddisruptionbudgets/status"),
		verbs(read...).in(networking).on("networkpolicies", "ingresses", "ingresses/status"),
		verbs(read...).in(resourceGroup).on("resourceclaims", "resourceclaims/status", "resourceclaimtemplates"),
	}
}

// editRules change what a namespace's user works with; not quotas, limits
// or status, which are the system's.
func editRules() []*ruleBuilder {
	return []*ruleBuilder{
		verbs(read...).in(core).on("pods/attach", "pods/proxy", "pods/exec", "pods/portforward", "secrets", "services/proxy"),
		verbs("impersonate").in(core).on("serviceaccounts"),
		verbs(write...).in(core).on("pods", "pods/attach", "pods/proxy", "pods/exec", "pods/portforward"),
		verbs("create").in(core).on("pods/eviction"),
		verbs(write...).in(core).on("replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts",
			"services", "services/proxy", "persistentvolumeclaims", "configmaps", "secrets"),
		verbs("create").in(core).on("serviceaccounts/token"),
		verbs(write...).in(core, events).on("events"),
		verbs(write...).in(apps).on("statefulsets", "statefulsets/scale", "daemonsets",
			"deployments", "deployments/scale", "deployments/rollback", "replicasets", "replicasets/scale"),
		verbs(write...).in(autoscaling).on("horizontalpodautoscalers"),
		verbs(write...).in(batch).on("jobs", "cronjobs"),
		verbs(write...).in(extensions).on("daemonsets", "deployments", "deployments/scale", "deployments/rollback", "ingresses",
			"replicasets", "replicasets/scale", "replicationcontrollers/scale", "networkpolicies"),
		verbs(write...).in(policy).on("poddisruptionbudgets"),
		verbs(write...).in(networking).on("networkpolicies", "ingresses"),
		verbs(readWrite...).in(coordination).on("leases"),
		verbs(write...).in(resourceGroup).on("resourceclaims", "resourceclaimtemplates"),
	}
}

// nodeRules are what a kubelet needs; the Node authorizer and the
// NodeRestriction admission plugin narrow them to the node's own objects.
func nodeRules() []*ruleBuilder {
	return []*ruleBuilder{
		verbs("create").in(authentication).on("tokenreviews"),
		verbs("create").in(authorization).on("subjectaccessreviews", "localsubjectaccessreviews"),
		verbs(read...).in(core).on("services"),
		verbs("create", "get", "list", "watch").in(core).on("nodes"),
		verbs("update", "patch").in(core).on("nodes/status"),
		verbs("update", "patch").in(core).on("nodes"),
		verbs("create", "update", "patch").in(core, events).on("events"),
		verbs(read...).in(core).on("pods"),
		verbs("create", "delete").in(core).on("pods"),
		verbs("update", "patch").in(core).on("pods/status"),
		verbs("create").in(core).on("pods/eviction"),
		verbs("get", "list", "watch").in(core).on("secrets", "configmaps"),
		verbs("get").in(core).on("persistentvolumeclaims", "persistentvolumes"),
		verbs("get").in(core).on("endpoints"),
		verbs("create", "get", "list", "watch").in(certificates).on("certificatesigningrequests"),
		verbs("get", "create", "update", "patch", "delete").in(coordination).on("leases"),
		verbs("get").in(storage).on("volumeattachments"),
		verbs("create").in(core).on("serviceaccounts/token"),
		verbs("get", "update", "patch").in(core).on("persistentvolumeclaims/status"),
		verbs("get", "watch", "list").in(storage).on("csidrivers"),
		verbs("get", "create", "update", "patch", "delete").in(storage).on("csinodes"),
		verbs("get", "list", "watch").in(nodeGroup).on("runtimeclasses"),
		verbs("get").in(resourceGroup).on("resourceclaims"),
		verbs("deletecollection").in(resourceGroup).on("resourceslices"),
		verbs("get", "list", "watch").in(certificates).on("clustertrustbundles"),
		verbs("get").in(core).on("serviceaccounts"),
		verbs("get", "list", "watch", "create").in(certificates).on("podcertificaterequests"),
	}
}

func schedulerRules() []*ruleBuilder {
	return []*ruleBuilder{
		eventsRule(),
		// Leader election.
		verbs("create").in(coordination).on("leases"),
		verbs("get", "update", "list", "watch").in(coordination).on("leases").named("kube-scheduler"),
		verbs(readWrite...).in(coordination).on("leasecandidates"),
		verbs(read...).in(core).on("nodes"),
		verbs("get", "list", "watch", "delete").in(core).on("pods"),
		verbs("create").in(core).on("pods/binding", "bindings"),
		verbs("patch", "update").in(core).on("pods/status"),
		// What selects pods, for spreading.
		verbs(read...).in(core).on("services", "replicationcontrollers"),
		verbs(read...).in(apps, extensions).on("replicasets"),
		verbs(read...).in(apps).on("statefulsets"),
		verbs(read...).in(policy).on("poddisruptionbudgets"),
		verbs(read...).in(core).on("persistentvolumeclaims", "persistentvolumes"),
		verbs("create").in(authentication).on("tokenreviews"),
		verbs("create").in(authorization).on("subjectaccessreviews"),
		verbs(read...).in(storage).on("csinodes"),
		verbs("get", "list", "watch").in(storage).on("volumeattachments"),
		// Pod affinity's namespace selectors.
		verbs(read...).in(core).on("namespaces"),
		verbs(read...).in(storage).on("csidrivers"),
		verbs(read...).in(storage).on("csistoragecapacities"),
		// Dynamic resource allocation.
		verbs(read...).in(resourceGroup).on("deviceclasses"),
		verbs(readUpdate...).in(resourceGroup).on("resourceclaims"),
		verbs(readUpdate...).in(resourceGroup).on("resourceclaims/status"),
		verbs("update").in(core).on("pods/finalizers"),
		verbs(read...).in(resourceGroup).on("resourceslices"),
		verbs("create", "delete").in(resourceGroup).on("resourceclaims"),
		verbs(read...).in(resourceGroup).on("devicetaintrules"),
		verbs("update", "patch").in(resourceGroup).on("resourceclaims/binding"),
	}
}

func controllerManagerRules() []*ruleBuilder {
	return []*ruleBuilder{
		eventsRule(),
		verbs("create").in(coordination).on("leases"),
		verbs("get", "update").in(coordination).on("leases").named("kube-controller-manager"),
		// Enough to make each controller its service account and token.
		verbs("create").in(core).on("secrets", "serviceaccounts"),
		verbs("delete").in(core).on("secrets"),
		verbs("get").in(core).on("namespaces", "secrets", "serviceaccounts", "configmaps"),
		verbs("update").in(core).on("secrets", "serviceaccounts"),
		verbs("create").in(authentication).on("tokenreviews"),
		verbs("create").in(authorization).on("subjectaccessreviews"),
		// The shared informers.
		verbs("list", "watch").in("*").on("*"),
		verbs("create").in(core).on("serviceaccounts/token"),
	}
}

// ClusterRoles are the default cluster roles.
func ClusterRoles() []rbacv1.ClusterRole {
	return []rbacv1.ClusterRole{
		// Anything, anywhere: bound to system:masters.
		clusterRole("cluster-admin",
			verbs("*").in("*").on("*"),
			verbs("*").urls("*")),
		// Enough to tell whether the server is up and which APIs it serves.
		clusterRole("system:discovery",
			verbs("get").urls("/livez", "/readyz", "/healthz", "/version", "/version/",
				"/openapi", "/openapi/*", "/api", "/api/*", "/apis", "/apis/*")),
		clusterRole("system:monitoring",
			verbs("get").urls("/metrics", "/metrics/slis", "/livez", "/readyz", "/healthz",
				"/livez/*", "/readyz/*", "/healthz/*", "/flagz", "/statusz"),
			verbs("get").in(core).on("nodes/metrics")),
		// What a user may ask about themselves.
		clusterRole("system:basic-user",
			verbs("create").in(authorization).on("selfsubjectaccessreviews", "selfsubjectrulesreviews"),
			verbs("create").in(authentication).on("selfsubjectreviews")),
		// What anyone, even anonymous, may read.
		clusterRole("system:public-info-viewer",
			verbs("get").urls("/livez", "/readyz", "/healthz", "/version", "/version/")),

		// admin ⊇ edit ⊇ view, each the union of the roles labelled to
		// aggregate into it: add a ClusterRole with the label to extend
		// them (a CRD's, say).
		aggregated("admin", AggregateToAdmin),
		aggregated("edit", AggregateToEdit, AggregateToAdmin),
		aggregated("view", AggregateToView, AggregateToEdit),
		aggregatedInto("system:aggregate-to-admin", AggregateToAdmin,
			verbs("create").in(authorization).on("localsubjectaccessreviews"),
			verbs(readWrite...).in(rbac).on("roles", "rolebindings")),
		aggregatedInto("system:aggregate-to-edit", AggregateToEdit, editRules()...),
		aggregatedInto("system:aggregate-to-view", AggregateToView, viewRules()...),

		clusterRole("system:heapster",
			verbs(read...).in(core).on("events", "pods", "nodes", "namespaces"),
			verbs(read...).in(extensions).on("deployments")),
		clusterRole("system:node", nodeRules()...),
		clusterRole("system:node-problem-detector",
			verbs("get").in(core).on("nodes"),
			verbs("patch").in(core).on("nodes/status"),
			eventsRule()),
		// A node's bootstrap token: ask for a client certificate.
		clusterRole("system:node-bootstrapper",
			verbs("create", "get", "list", "watch").in(certificates).on("certificatesigningrequests")),
		// For servers that delegate authentication and authorization to
		// this one.
		clusterRole("system:auth-delegator",
			verbs("create").in(authentication).on("tokenreviews"),
			verbs("create").in(authorization).on("subjectaccessreviews")),
		clusterRole("system:kube-aggregator",
			verbs(read...).in(core).on("services", "endpoints")),
		clusterRole("system:kube-controller-manager", controllerManagerRules()...),
		clusterRole("system:kube-dns",
			verbs("list", "watch").in(core).on("endpoints", "services")),
		clusterRole("system:persistent-volume-provisioner",
			verbs("get", "list", "watch", "create", "delete").in(core).on("persistentvolumes"),
			verbs("get", "list", "watch", "update").in(core).on("persistentvolumeclaims"),
			verbs(read...).in(storage).on("storageclasses"),
			verbs("watch").in(core).on("events"),
			eventsRule()),
		// The CSR approver approves node client certificates for users
		// holding these.
		clusterRole("system:certificates.k8s.io:certificatesigningrequests:nodeclient",
			verbs("create").in(certificates).on("certificatesigningrequests/nodeclient")),
		clusterRole("system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
			verbs("create").in(certificates).on("certificatesigningrequests/selfnodeclient")),
		clusterRole("system:volume-scheduler",
			verbs(readUpdate...).in(core).on("persistentvolumes"),
			verbs(read...).in(storage).on("storageclasses"),
			verbs(readUpdate...).in(core).on("persistentvolumeclaims")),
		signerApprover("legacy-unknown-approver", certificatesv1beta1.LegacyUnknownSignerName),
		signerApprover("kubelet-serving-approver", certificatesv1.KubeletServingSignerName),
		signerApprover("kube-apiserver-client-approver", certificatesv1.KubeAPIServerClientSignerName),
		signerApprover("kube-apiserver-client-kubelet-approver", certificatesv1.KubeAPIServerClientKubeletSignerName),
		// Service account issuer discovery, with and without the trailing
		// slash older generated clients add.
		clusterRole("system:service-account-issuer-discovery",
			verbs("get").urls("/.well-known/openid-configuration", "/.well-known/openid-configuration/",
				"/openid/v1/jwks", "/openid/v1/jwks/")),
		// Full access to kubelets' APIs (the API server's own kubelet
		// client certificate is in system:masters instead).
		clusterRole("system:kubelet-api-admin",
			verbs("get", "list", "watch").in(core).on("nodes"),
			verbs("proxy").in(core).on("nodes"),
			verbs("*").in(core).on("nodes/proxy", "nodes/metrics", "nodes/stats", "nodes/log"),
			verbs("*").in(core).on("nodes/pods", "nodes/healthz", "nodes/configz")),
		// kube-proxy's; kubeshim's proxy runs in the agent.
		clusterRole("system:node-proxier",
			verbs("list", "watch").in(core).on("services", "endpoints"),
			verbs("get", "list", "watch").in(core).on("nodes"),
			eventsRule(),
			verbs("list", "watch").in(networking).on("servicecidrs"),
			verbs("list", "watch").in(discovery).on("endpointslices")),
		clusterRole("system:kube-scheduler", schedulerRules()...),
		clusterRole("system:cluster-trust-bundle-discovery",
			verbs(read...).in(certificates).on("clustertrustbundles")),
	}
}

func signerApprover(name, signer string) rbacv1.ClusterRole {
	return clusterRole("system:certificates.k8s.io:"+name, verbs("approve").in(certificates).on("signers").named(signer))
}

// ClusterRoleBindings are the default bindings of the default cluster
// roles.
func ClusterRoleBindings() []rbacv1.ClusterRoleBinding {
	return []rbacv1.ClusterRoleBinding{
		clusterRoleBinding("cluster-admin", groups(user.SystemPrivilegedGroup)...),
		clusterRoleBinding("system:monitoring", groups(user.MonitoringGroup)...),
		clusterRoleBinding("system:discovery", groups(user.AllAuthenticated)...),
		clusterRoleBinding("system:basic-user", groups(user.AllAuthenticated)...),
		clusterRoleBinding("system:public-info-viewer", groups(user.AllAuthenticated, user.AllUnauthenticated)...),
		clusterRoleBinding("system:node-proxier", users(user.KubeProxy)...),
		clusterRoleBinding("system:kube-controller-manager", users(user.KubeControllerManager)...),
		clusterRoleBinding("system:kube-dns", serviceAccount("kube-system", "kube-dns")),
		clusterRoleBinding("system:kube-scheduler", users(user.KubeScheduler)...),
		clusterRoleBinding("system:volume-scheduler", users(user.KubeScheduler)...),
		// Upstream keeps the binding of system:node without subjects:
		// nodes are authorized by the Node authorizer instead.
		clusterRoleBinding("system:node"),
		clusterRoleBinding("system:service-account-issuer-discovery", groups(serviceaccount.AllServiceAccountsGroup)...),
		clusterRoleBinding("system:cluster-trust-bundle-discovery", groups(serviceaccount.AllServiceAccountsGroup)...),
	}
}

// ClusterRolesToAggregate maps the roles that used to hold admin, edit and
// view's rules to the aggregate-to-* roles that hold them now: an old
// cluster's customised rules move over once.
func ClusterRolesToAggregate() map[string]string {
	return map[string]string{
		"admin": "system:aggregate-to-admin",
		"edit":  "system:aggregate-to-edit",
		"view":  "system:aggregate-to-view",
	}
}
