// Package resourcequota is the ResourceQuota admission plugin and the quota
// evaluators behind it, as upstream's.
//
// The plugin is k8s.io/apiserver's own (plugin/resourcequota): it matches a
// request against the namespace's quotas, refuses one that would take
// status.used past spec.hard ("exceeded quota: ..., requested: ..., used:
// ..., limited: ...", 403 Forbidden) and charges what it admits into the
// quota's status.used before the object is stored, so two racing creations
// cannot both take the last unit. What the plugin needs from us is the quota
// configuration: the evaluators that know what an object costs. Upstream's
// core evaluators live in k8s.io/kubernetes, which we do not import; this
// package has our own for pods (compute requests and limits, the pods count,
// the Terminating, NotTerminating, BestEffort, NotBestEffort, PriorityClass
// and CrossNamespacePodAffinity scopes), services (services, node ports,
// load balancers) and persistent volume claims (count and storage, also per
// storage class), resource claims (count, devices per device class), plus
// object counts with the legacy names (configmaps,
// secrets, replicationcontrollers, resourcequotas). Any other resource is
// counted by count/<resource>.<group>, with an evaluator the plugin makes on
// first use.
//
// The resource quota controller (controllers/resourcequota) uses the same
// evaluators, so what admission charges and what the controller later
// recomputes agree.
package resourcequota
