// Package nodeaffinity is the NodeAffinity plugin: a pod fits a node whose
// labels match its spec.nodeSelector and one of the terms of its required
// node affinity, and prefers nodes by the summed weights of the preferred
// terms they match, as in kube-scheduler.
//
// The matcher follows k8s.io/component-helpers/scheduling/corev1/nodeaffinity,
// which is not in kubeshim's go.mod: terms are ORed, the expressions and
// fields of a term ANDed, an empty term matches nothing, matchFields knows
// only metadata.name, and a term that does not parse matches nothing.
package nodeaffinity
