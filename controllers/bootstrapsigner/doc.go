// Package bootstrapsigner signs the cluster-info ConfigMap with bootstrap
// tokens, as kube-controller-manager's bootstrapsigner (upstream's
// pkg/controller/bootstrap/bootstrapsigner.go).
//
// kube-public/cluster-info holds, under "kubeconfig", a kubeconfig naming
// the API server and its CA; anyone may read it. A node joining with a
// bootstrap token "abcdef.0123456789abcdef" trusts that kubeconfig only if
// the ConfigMap also carries "jws-kubeconfig-abcdef": a detached JWS (RFC
// 7515 appendix F, HS256 keyed with the token's secret, "kid" its ID) over
// the kubeconfig, which only a holder of the token could have made.
//
// The controller keeps exactly one such signature for every bootstrap token
// in kube-system marked usage-bootstrap-signing=true, unexpired and not being
// deleted, and removes the signatures of every other: a token deleted (by
// hand or by the token cleaner), expired, or no longer for signing. A
// changed kubeconfig is signed again. It comes back at the next expiration
// of a signing token, so an expired token's signature goes even if the
// token cleaner does not run (upstream waits for the token's deletion).
//
// kubeshim does not create cluster-info itself (kubeadm init does): the
// controller acts when someone has, and is idle otherwise.
package bootstrapsigner
