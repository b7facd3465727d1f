// Package token issues and authenticates bound service account tokens: the
// JWTs of the serviceaccounts/token subresource (TokenRequest), as upstream's
// k8s.io/kubernetes pkg/serviceaccount does.
//
// An Issuer signs a token for a service account, for some audiences and a
// lifetime, optionally bound to a pod, a secret or a node. An Authenticator
// (an authenticator.Token) accepts a token only while it is unexpired, was
// signed by a known key for a known issuer, is meant for the audiences asked
// about, and the service account and the bound object still exist with the
// UIDs the token names: deleting either revokes the token. Discovery serves
// the issuer's OpenID Connect discovery document and its public keys, so
// that relying parties outside the cluster can check tokens themselves.
//
// The claims are upstream's, so tokens and their users look the same:
//
//	{
//	  "iss": "https://kubernetes.default.svc.cluster.local",
//	  "sub": "system:serviceaccount:web:default",
//	  "aud": ["https://kubernetes.default.svc.cluster.local"],
//	  "exp": 1767229200, "iat": 1767225600, "nbf": 1767225600,
//	  "jti": "0b7a...",
//	  "kubernetes.io": {
//	    "namespace": "web",
//	    "serviceaccount": {"name": "default", "uid": "..."},
//	    "pod": {"name": "web-0", "uid": "..."},
//	    "node": {"name": "node-1", "uid": "..."}
//	  }
//	}
//
// authenticates as system:serviceaccount:web:default in the groups
// system:serviceaccounts and system:serviceaccounts:web, with the pod, node
// and credential ID (JTI=<jti>) in the user's extra.
package token
