// Package csrapproving is kube-controller-manager's csrapproving
// controller: it approves a kubelet's client certificate request (signer
// kubernetes.io/kube-apiserver-client-kubelet, a system:node:<name> in
// system:nodes subject and the kubelet client usages) when a
// SubjectAccessReview says the requester may "create"
// certificatesigningrequests/selfnodeclient (renewing its own) or
// certificatesigningrequests/nodeclient (a bootstrap token joining a
// node). Anything else it leaves for an administrator to approve.
package csrapproving
