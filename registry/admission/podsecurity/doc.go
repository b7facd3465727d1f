// Package podsecurity is the PodSecurity admission plugin: the Pod Security
// Standards (privileged, baseline, restricted) enforced, audited and warned
// about per namespace through the pod-security.kubernetes.io/ labels, as
// upstream's kube-apiserver does. The policy checks and their messages are
// k8s.io/pod-security-admission's, the library upstream's plugin wraps;
// this package wires it to the server's informers and client. Without a
// label a namespace is privileged (upstream's default configuration), so a
// cluster nobody configured behaves as before.
package podsecurity
