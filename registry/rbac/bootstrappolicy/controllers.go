package bootstrappolicy

import (
	"strings"

	certificatesv1 "k8s.io/api/certificates/v1"
	certificatesv1beta1 "k8s.io/api/certificates/v1beta1"
	rbacv1 "k8s.io/api/rbac/v1"
)

// ControllerRolePrefix starts every controller role's name; the rest is
// the controller's service account in kube-system.
const ControllerRolePrefix = "system:controller:"

// controllerRole is the role of one controller, upstream's rules under
// upstream's name.
func controllerRole(name string, rs ...*ruleBuilder) rbacv1.ClusterRole {
	return clusterRole(ControllerRolePrefix+name, rs...)
}

// ControllerRoles are the roles of the controllers kubeshim runs
// (controllers/), upstream's rules under upstream's names: each is bound to
// the controller's service account in kube-system, which the controller
// manager's clients authenticate as (--use-service-account-credentials).
func ControllerRoles() []rbacv1.ClusterRole {
	return []rbacv1.ClusterRole{
		// clusterroleaggregation: it must be able to write any rule.
		controllerRole("clusterrole-aggregation-controller",
			verbs("escalate", "get", "list", "watch", "update", "patch").in(rbac).on("clusterroles")),
		// csrapproving and csrsigning.
		controllerRole("certificate-controller",
			verbs("get", "list", "watch", "delete").in(certificates).on("certificatesigningrequests"),
			verbs("update").in(certificates).on("certificatesigningrequests/status", "certificatesigningrequests/approval"),
			verbs("approve").in(certificates).on("signers").named(certificatesv1.KubeAPIServerClientKubeletSignerName),
			verbs("sign").in(certificates).on("signers").named(certificatesv1beta1.LegacyUnknownSignerName,
				certificatesv1.KubeAPIServerClientSignerName, certificatesv1.KubeAPIServerClientKubeletSignerName, certificatesv1.KubeletServingSignerName),
			verbs("create").in(authorization).on("subjectaccessreviews"),
			eventsRule()),
		controllerRole("cronjob-controller",
			verbs("get", "list", "watch", "update").in(batch).on("cronjobs"),
			verbs("get", "list", "watch", "create", "update", "delete", "patch").in(batch).on("jobs"),
			verbs("update").in(batch).on("cronjobs/status"),
			verbs("update").in(batch).on("cronjobs/finalizers"),
			verbs("list", "watch", "delete").in(core).on("pods"),
			eventsRule()),
		controllerRole("daemon-set-controller",
			verbs("get", "list", "watch").in(extensions, apps).on("daemonsets"),
			verbs("update").in(extensions, apps).on("daemonsets/status"),
			verbs("update").in(extensions, apps).on("daemonsets/finalizers"),
			verbs("list", "watch").in(core).on("nodes"),
			verbs("list", "watch", "create", "delete", "patch").in(core).on("pods"),
			verbs("create").in(core).on("pods/binding"),
			verbs("get", "list", "watch", "create", "delete", "update", "patch").in(apps).on("controllerrevisions"),
			eventsRule()),
		controllerRole("deployment-controller",
			verbs("get", "list", "watch", "update").in(extensions, apps).on("deployments"),
			verbs("update").in(extensions, apps).on("deployments/status"),
			verbs("update").in(extensions, apps).on("deployments/finalizers"),
			verbs("get", "list", "watch", "create", "update", "patch", "delete").in(apps, extensions).on("replicasets"),
			verbs("get", "list", "watch", "update").in(core).on("pods"),
			eventsRule()),
		controllerRole("disruption-controller",
			verbs("get", "list", "watch").in(extensions, apps).on("deployments"),
			verbs("get", "list", "watch").in(apps, extensions).on("replicasets"),
			verbs("get", "list", "watch").in(core).on("replicationcontrollers"),
			verbs("get", "list", "watch").in(policy).on("poddisruptionbudgets"),
			verbs("get", "list", "watch").in(apps).on("statefulsets"),
			verbs("update").in(policy).on("poddisruptionbudgets/status"),
			verbs("patch", "update").in(core).on("pods/status"),
			// Any scalable owner's scale, custom resources' too.
			verbs("get").in("*").on("*/scale"),
			eventsRule()),
		controllerRole("endpoint-controller",
			verbs("get", "list", "watch").in(core).on("services", "pods"),
			verbs("get", "list", "watch", "create", "update", "delete").in(core).on("endpoints"),
			verbs("create").in(core).on("endpoints/restricted"),
			eventsRule()),
		controllerRole("endpointslice-controller",
			verbs("get", "list", "watch").in(core).on("services", "pods", "nodes"),
			// Owner references with blockOwnerDeletion need the owner's
			// finalizers.
			verbs("update").in(core).on("services/finalizers"),
			verbs("get", "list", "watch", "create", "update", "delete").in(discovery).on("endpointslices"),
			eventsRule()),
		controllerRole("endpointslicemirroring-controller",
			verbs("get", "list", "watch").in(core).on("services", "endpoints"),
			verbs("update").in(core).on("services/finalizers"),
			verbs("update").in(core).on("endpoints/finalizers"),
			verbs("get", "list", "watch", "create", "update", "delete").in(discovery).on("endpointslices"),
			eventsRule()),
		// volumeexpand.
		controllerRole("expand-controller",
			verbs("get", "list", "watch", "update", "patch").in(core).on("persistentvolumes"),
			verbs("update", "patch").in(core).on("persistentvolumeclaims/status"),
			verbs("get", "list", "watch").in(core).on("persistentvolumeclaims"),
			eventsRule()),
		// garbagecollector.
		controllerRole("generic-garbage-collector",
			verbs("get", "list", "watch", "patch", "update", "delete").in("*").on("*"),
			eventsRule()),
		controllerRole("horizontal-pod-autoscaler",
			verbs("get", "list", "watch").in(autoscaling).on("horizontalpodautoscalers"),
			verbs("update").in(autoscaling).on("horizontalpodautoscalers/status"),
			verbs("get", "update").in("*").on("*/scale"),
			verbs("list", "watch").in(core).on("pods"),
			verbs("list", "watch").in("metrics.k8s.io").on("pods"),
			verbs("get", "list", "watch").in("custom.metrics.k8s.io").on("*"),
			verbs("get", "list", "watch").in("external.metrics.k8s.io").on("*"),
			eventsRule()),
		controllerRole("job-controller",
			verbs("get", "list", "watch", "update", "patch").in(batch).on("jobs"),
			verbs("update").in(batch).on("jobs/status"),
			verbs("update").in(batch).on("jobs/finalizers"),
			verbs("list", "watch", "create", "delete", "patch").in(core).on("pods"),
			eventsRule()),
		controllerRole("namespace-controller",
			verbs("get", "list", "watch", "delete").in(core).on("namespaces"),
			verbs("update").in(core).on("namespaces/finalize", "namespaces/status"),
			verbs("get", "list", "watch", "delete", "deletecollection").in("*").on("*")),
		// nodelifecycle, tainteviction and nodeipam, upstream's node
		// controller's parts.
		controllerRole("node-controller",
			verbs("get", "list", "update", "delete", "patch", "watch").in(core).on("nodes"),
			verbs("patch", "update").in(core).on("nodes/status"),
			verbs("patch", "update").in(core).on("pods/status"),
			verbs("list", "watch", "delete", "get").in(core).on("pods"),
			verbs("get", "list", "watch").in(coordination).on("leases"),
			eventsRule()),
		// persistentvolume: pods create and delete, and events watch, are
		// upstream's recycler's, which kubeshim lacks; the rules are
		// upstream's all the same.
		controllerRole("persistent-volume-binder",
			verbs("get", "list", "watch", "update", "create", "delete").in(core).on("persistentvolumes"),
			verbs("update").in(core).on("persistentvolumes/status"),
			verbs("get", "list", "watch", "update").in(core).on("persistentvolumeclaims"),
			verbs("update").in(core).on("persistentvolumeclaims/status"),
			verbs("list", "watch", "get", "create", "delete").in(core).on("pods"),
			verbs("get", "list", "watch").in(storage).on("storageclasses"),
			verbs("list", "watch").in(core).on("nodes"),
			eventsRule(),
			verbs("watch").in(core).on("events")),
		controllerRole("pod-garbage-collector",
			verbs("list", "watch", "delete").in(core).on("pods"),
			verbs("get", "list", "watch").in(core).on("nodes"),
			verbs("patch").in(core).on("pods/status")),
		controllerRole("pv-protection-controller",
			verbs("get", "list", "watch", "update").in(core).on("persistentvolumes"),
			eventsRule()),
		controllerRole("pvc-protection-controller",
			verbs("get", "list", "watch", "update").in(core).on("persistentvolumeclaims"),
			verbs("update").in(core).on("persistentvolumeclaims/status"),
			verbs("list", "watch", "get").in(core).on("pods"),
			eventsRule()),
		controllerRole("replicaset-controller",
			verbs("get", "list", "watch", "update").in(apps, extensions).on("replicasets"),
			verbs("update").in(apps, extensions).on("replicasets/status"),
			verbs("update").in(apps, extensions).on("replicasets/finalizers"),
			verbs("list", "watch", "patch", "create", "delete").in(core).on("pods"),
			eventsRule()),
		controllerRole("replication-controller",
			verbs("get", "list", "watch", "update").in(core).on("replicationcontrollers"),
			verbs("update").in(core).on("replicationcontrollers/status"),
			verbs("update").in(core).on("replicationcontrollers/finalizers"),
			verbs("list", "watch", "patch", "create", "delete").in(core).on("pods"),
			eventsRule()),
		// Quota counts anything.
		controllerRole("resourcequota-controller",
			verbs("list", "watch").in("*").on("*"),
			verbs("update").in(core).on("resourcequotas/status"),
			eventsRule()),
		// rootca.
		controllerRole("root-ca-cert-publisher",
			verbs("create", "update").in(core).on("configmaps"),
			eventsRule()),
		controllerRole("service-account-controller",
			verbs("create").in(core).on("serviceaccounts"),
			eventsRule()),
		controllerRole("statefulset-controller",
			verbs("list", "watch").in(core).on("pods"),
			verbs("get", "list", "watch").in(apps).on("statefulsets"),
			verbs("update").in(apps).on("statefulsets/status"),
			verbs("update").in(apps).on("statefulsets/finalizers"),
			verbs("get", "create", "delete", "update", "patch").in(core).on("pods"),
			verbs("get", "create", "delete", "update", "patch", "list", "watch").in(apps).on("controllerrevisions"),
			verbs("get", "create", "list", "watch").in(core).on("persistentvolumeclaims"),
			verbs("update", "delete").in(core).on("persistentvolumeclaims"),
			verbs("update").in(core).on("pods/finalizers"),
			eventsRule()),
		controllerRole("ttl-after-finished-controller",
			verbs("get", "list", "watch", "delete").in(batch).on("jobs"),
			eventsRule()),
		controllerRole("volumeattributesclass-protection-controller",
			verbs("list", "watch", "get").in(core).on("persistentvolumeclaims"),
			verbs("list", "watch", "get").in(core).on("persistentvolumes"),
			verbs("get", "list", "watch", "update").in(storage).on("volumeattributesclasses"),
			eventsRule()),
	}
}

// ControllerRoleBindings bind each controller role to its service account
// in kube-system.
func ControllerRoleBindings() []rbacv1.ClusterRoleBinding {
	roles := ControllerRoles()
	out := make([]rbacv1.ClusterRoleBinding, len(roles))
	for i, r := range roles {
		out[i] = clusterRoleBinding(r.Name, serviceAccount("kube-system", strings.TrimPrefix(r.Name, ControllerRolePrefix)))
	}
	return out
}
