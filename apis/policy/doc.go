// Package policy is what the policy API group means beyond its k8s.io/api
// types: upstream's validation of its kinds (PodDisruptionBudget), with upstream's
// field paths and messages, for the registry to call.
package policy
