// Package endpointslice keeps the discovery.k8s.io/v1 EndpointSlices of every
// Service that has a selector equal to the pods it selects, as upstream's
// endpointslice controller does.
//
// The reconciling itself is upstream's, from the staging library
// k8s.io/endpointslice: one slice set per address type the service has
// (IPv4, IPv6, or both for dual-stack), at most 100 endpoints a slice,
// endpoint conditions ready/serving/terminating, ports resolved per pod,
// node name, zone (from the node's topology.kubernetes.io/zone label),
// hostname and target, topology hints for services that ask for them, and
// the least churn: changed slices are updated in place, emptied ones
// deleted or reused, new endpoints go into slices with room before new
// slices are made. This package supplies the rest of the controller around
// it: informers, the work queue, which events concern which service, and
// the tracking of its own writes so that a sync never acts on a cache that
// has not seen them yet.
//
// Slices are named <service>-<random>, labelled kubernetes.io/service-name
// and endpointslice.kubernetes.io/managed-by=endpointslice-controller.k8s.io
// and controlled by their Service, so the garbage collector deletes them
// with it.
package endpointslice
