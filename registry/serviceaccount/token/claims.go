package token

import "gopkg.in/go-jose/go-jose.v2/jwt"

// privateClaims are the claims of a bound token beyond the registered ones,
// under "kubernetes.io" as upstream names them.
type privateClaims struct {
	Kubernetes kubernetesClaims `json:"kubernetes.io,omitempty"`
}

type kubernetesClaims struct {
	Namespace      string `json:"namespace,omitempty"`
	ServiceAccount ref    `json:"serviceaccount,omitempty"`
	// Pod, Secret and Node are the bound object. A pod-bound token names
	// the pod's node too, for information only.
	Pod    *ref `json:"pod,omitempty"`
	Secret *ref `json:"secret,omitempty"`
	Node   *ref `json:"node,omitempty"`
	// WarnAfter is when an extended token becomes stale.
	WarnAfter *jwt.NumericDate `json:"warnafter,omitempty"`
}

type ref struct {
	Name string `json:"name,omitempty"`
	UID  string `json:"uid,omitempty"`
}
