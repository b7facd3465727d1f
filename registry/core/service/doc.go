// Package service stores core/v1 Services and gives them their cluster IPs
// and node ports, as upstream's service storage does for a single-stack
// cluster.
//
// NewStorage wires the allocators (ipallocator over
// --service-cluster-ip-range, portallocator over --service-node-port-range)
// into the store's BeginCreate, BeginUpdate and AfterDelete hooks:
//
//   - create takes the requested cluster IP and node ports, or free ones, and
//     fills in clusterIPs, ipFamilies and ipFamilyPolicy; headless and
//     ExternalName services get no address, only NodePort and LoadBalancer
//     services get node ports (and a health check node port for a load
//     balancer with externalTrafficPolicy Local);
//   - update takes what a type change needs (ExternalName → ClusterIP, ClusterIP
//     → NodePort) and gives back what it drops, once the update is written;
//   - delete gives back everything;
//   - a write that fails gives back what it took, and a dry run takes
//     nothing.
//
// The allocators live in memory and are rebuilt from the stored services
// when the server starts: one server owns them (see docs/differences.md).
package service
