// Package podtopologyspread is the PodTopologySpread plugin, as in
// kube-scheduler: a pod's topologySpreadConstraints with whenUnsatisfiable
// DoNotSchedule filter the nodes (a node is out when placing the pod there
// would make its domain hold more than maxSkew matching pods above the
// least loaded domain, or when it lacks a topology key), those with
// ScheduleAnyway score them (fewer matching pods in a node's domains is
// better). minDomains, nodeAffinityPolicy, nodeTaintsPolicy and
// matchLabelKeys are honoured.
//
// A pod without constraints of its own that belongs to a Service,
// ReplicationController, ReplicaSet or StatefulSet is spread by upstream's
// system default constraints (maxSkew 3 on kubernetes.io/hostname, 5 on
// topology.kubernetes.io/zone, both ScheduleAnyway), selecting the pods
// those objects select.
//
// PreFilter and PreScore count the matching pods per domain once per pass
// over the whole snapshot, so Filter and Score are lookups per node. For
// the changed copies of a node that preemption and nominated pods filter,
// Filter corrects the node's domain by the difference of the copy's pods.
package podtopologyspread
