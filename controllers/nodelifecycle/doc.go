// Package nodelifecycle watches nodes' heartbeats and keeps their
// conditions and taints in line with them, as upstream's node lifecycle
// controller (node-lifecycle-controller) does.
//
// A node's heartbeats are its Lease in kube-node-lease being renewed and
// its Ready condition's lastHeartbeatTime changing. When neither has been
// seen for the grace period (Options.GracePeriod, upstream's
// --node-monitor-grace-period, 50 s; Options.StartupGracePeriod, 60 s, for a
// node that never posted a Ready condition), the controller sets the node's
// Ready, MemoryPressure, DiskPressure and PIDPressure conditions to Unknown
// with reason NodeStatusUnknown and message "Kubelet stopped posting node
// status." (NodeStatusNeverUpdated and "Kubelet never posted node status."
// for those it never posted), records a NodeNotReady event, and marks the
// node's ready pods Ready=False.
//
// Heartbeats are timed by the controller's own clock when it sees them, as
// upstream, so that clock skew between hosts does not matter — with one
// exception: a heartbeat that is already older than the grace period (by
// its own timestamp) when the controller first sees the node does not earn
// the node a fresh grace period. That keeps a node that died while the
// controller was down from looking healthy for another grace period.
//
// Taints follow the conditions:
//   - NoSchedule, at once on every node change: node.kubernetes.io/not-ready
//     for Ready=False, node.kubernetes.io/unreachable for Ready=Unknown,
//     memory-pressure, disk-pressure, pid-pressure and network-unavailable
//     for those conditions, and node.kubernetes.io/unschedulable mirroring
//     spec.unschedulable (upstream's TaintNodesByCondition);
//   - NoExecute, on each monitor pass (Options.MonitorPeriod, 5 s):
//     not-ready or unreachable, swapped for each other without delay when
//     the Ready condition moves between False and Unknown, and removed as
//     soon as the node is seen Ready again. The taint-eviction controller
//     evicts the pods that do not tolerate them.
//
// Adding NoExecute taints is rate-limited per zone (the
// topology.kubernetes.io region and zone labels), simply: a token bucket
// per zone at Options.EvictionRate nodes a second (burst 1), checked on
// each monitor pass. A zone where at least Options.UnhealthyZoneThreshold
// of the nodes, and more than two, are not Ready is partially disrupted:
// its rate drops to Options.SecondaryEvictionRate in a zone larger than
// Options.LargeClusterThreshold and to zero in a smaller one. When no node
// of any zone is Ready the controller assumes that it, not the nodes, is
// cut off: it adds no NoExecute taints and removes those it added, and when
// nodes come back it gives every node a fresh grace period. A node labelled
// node.kubernetes.io/exclude-disruption does not count towards its zone.
//
// Upstream's reconciliation of the beta os and arch labels with the stable
// ones is done too.
package nodelifecycle
