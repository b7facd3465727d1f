// Package admissionregistration is what the admissionregistration.k8s.io API
// group means beyond its k8s.io/api types: upstream's defaults for its kinds,
// registered in the server's scheme by Install, and upstream's validation of
// the webhook configurations, the admission policies and their bindings,
// CEL expressions compiled as the admission plugins will compile them.
package admissionregistration
