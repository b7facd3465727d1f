// Package csrsigning is kube-controller-manager's csrsigning controller
// for the API server client signers: it signs approved certificate
// requests of kubernetes.io/kube-apiserver-client-kubelet (kubelet client
// certificates, checked as upstream checks them) and
// kubernetes.io/kube-apiserver-client with the cluster CA, for
// spec.expirationSeconds capped at the signing duration (a year by
// default), backdated five minutes. A request its signer's rules refuse
// gets the Failed condition with reason SignerValidationFailure.
//
// The kubernetes.io/kubelet-serving and kubernetes.io/legacy-unknown
// signers are not served: kubeshim's node agents make their own serving
// certificates.
package csrsigning
