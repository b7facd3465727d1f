// Package endpointslicemirroring mirrors the Endpoints users write for
// Services without a selector into EndpointSlices, as upstream's
// endpointslicemirroring controller does, so that clients that read only
// EndpointSlices (the service proxy, cluster DNS) see them too.
//
// Endpoints are mirrored while their Service exists and has no selector,
// unless they are labelled endpointslice.kubernetes.io/skip-mirror=true
// (the API server labels the default/kubernetes Endpoints so, and writes that
// service's slice itself) or hold a leader-election record. Each subset
// becomes one slice per address family, with at most 1000 addresses a
// subset mirrored; invalid IPs are skipped with an event. The slices carry
// the Endpoints' labels and annotations, are labelled
// endpointslice.kubernetes.io/managed-by=endpointslicemirroring-controller.k8s.io
// and are controlled by the Endpoints, so they go when it goes.
package endpointslicemirroring
