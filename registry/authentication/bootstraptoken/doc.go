// Package bootstraptoken authenticates bootstrap tokens, as kube-apiserver's
// --enable-bootstrap-token-auth (upstream's
// plugin/pkg/auth/authenticator/token/bootstrap): the short-lived bearer
// tokens a new node (kubeadm join, a kubelet's TLS bootstrap) presents
// before it has a client certificate.
//
// A token "abcdef.0123456789abcdef" is an ID (6 of [a-z0-9]) and a secret
// (16 of [a-z0-9]). It is stored as the Secret kube-system/bootstrap-token-abcdef:
//
//	apiVersion: v1
//	kind: Secret
//	metadata:
//	  name: bootstrap-token-abcdef
//	  namespace: kube-system
//	type: bootstrap.kubernetes.io/token
//	stringData:
//	  token-id: abcdef
//	  token-secret: 0123456789abcdef
//	  usage-bootstrap-authentication: "true"
//	  expiration: "2030-01-01T00:00:00Z"                 # optional, RFC 3339
//	  auth-extra-groups: system:bootstrappers:worker     # optional
//
// and authenticates as the user system:bootstrap:abcdef in the group
// system:bootstrappers and the extra groups. A token that matches no such
// Secret, or whose Secret is of another type, is being deleted, holds
// another secret or ID, has expired (or has an unparsable expiration), is
// not marked for authentication, or names an extra group outside
// system:bootstrappers:*, is simply not authenticated: the authenticator
// answers "not mine" rather than an error, so that the request is a 401
// and other token authenticators are not disturbed, as upstream.
//
// Secrets are read from an informer's lister, never from etcd per request.
package bootstraptoken
