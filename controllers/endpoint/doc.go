// Package endpoint keeps the core/v1 Endpoints of every Service that has a
// selector equal to the pods it selects, as upstream's endpoints controller
// (pkg/controller/endpoint) does.
//
// A selected pod is listed once it has an IP of the service's first IP
// family: under addresses when it is Ready (or the service publishes
// not-ready addresses), under notReadyAddresses otherwise. Terminal pods are
// never listed, terminating ones only when the service publishes not-ready
// addresses. Each service port is resolved per pod (a named targetPort is
// looked up among the pod's container ports), and subsets are repacked so
// that addresses sharing the same ports share one subset. Beyond 1000
// addresses the Endpoints is truncated (ready addresses first) and marked
// endpoints.kubernetes.io/over-capacity=truncated.
//
// The controller owns the Endpoints of services with selectors only: it
// deletes them with their service and leaves the Endpoints of selector-less
// services, which users write, alone. Repack is shared with the EndpointSlice
// mirroring controller, which reads those user-written Endpoints.
package endpoint
