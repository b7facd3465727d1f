// Package defaultpreemption is the DefaultPreemption PostFilter plugin:
// when a pod fits nowhere, it looks for a node where evicting pods of lower
// priority would make it fit, respecting PodDisruptionBudgets where it can,
// and picks the node whose eviction costs least, as kube-scheduler does.
//
// It only decides (the node to nominate, the victims); the scheduler
// evicts. When no node would do, its message completes the FitError:
// "preemption: 0/3 nodes are available: 1 No preemption victims found for
// incoming pod, 2 Preemption is not helpful for scheduling."
package defaultpreemption
