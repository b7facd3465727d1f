// Package noderesources holds the resource plugins of kube-scheduler's
// default profile:
//
//   - NodeResourcesFit filters out nodes whose allocatable cpu, memory,
//     ephemeral storage, pod count or extended resources cannot take the
//     pod's requests (containers, sidecar and init containers, pod-level
//     requests and overhead, as framework.PodRequests counts them) on top of
//     what the node's pods already request, and scores by the
//     LeastAllocated strategy (cpu and memory, weight 1 each, counting
//     100m/200Mi for containers that request nothing).
//   - NodeResourcesBalancedAllocation scores nodes by how evenly the pod
//     would leave cpu and memory used.
package noderesources
