package token

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	jose "gopkg.in/go-jose/go-jose.v2"
	"gopkg.in/go-jose/go-jose.v2/jwt"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/apiserver/pkg/authentication/serviceaccount"
)

// PublicKey is a key that verifies tokens, with its key ID: the "kid" header
// of the tokens it signed and of its JWK.
type PublicKey struct {
	ID  string
	Key crypto.PublicKey
	// Algorithm is the JWS algorithm the key signs with: RS256, ES256,
	// ES384 or ES512.
	Algorithm jose.SignatureAlgorithm
}

// NewPublicKey returns key with upstream's key ID: the unpadded base64url
// SHA-256 of its PKIX DER, so that a key yields the same ID here and in a
// kube-apiserver.
func NewPublicKey(key crypto.PublicKey) (PublicKey, error) {
	alg, err := algorithm(key)
	if err != nil {
		return PublicKey{}, err
	}
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		return PublicKey{}, fmt.Errorf("serialize public key: %w", err)
	}
	sum := sha256.Sum256(der)
	return PublicKey{ID: base64.RawURLEncoding.EncodeToString(sum[:]), Key: key, Algorithm: alg}, nil
}

// algorithm is the JWS algorithm of a key, upstream's choice: RS256 for any
// RSA key, the ES algorithm of an ECDSA key's curve.
func algorithm(key crypto.PublicKey) (jose.SignatureAlgorithm, error) {
	switch k := key.(type) {
	case *rsa.PublicKey:
		return jose.RS256, nil
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return jose.ES256, nil
		case elliptic.P384():
			return jose.ES384, nil
		case elliptic.P521():
			return jose.ES512, nil
		}
		return "", errors.New("unsupported ECDSA curve: must be P-256, P-384 or P-521")
	}
	return "", fmt.Errorf("unsupported key type %T: must be RSA or ECDSA", key)
}

// Issuer signs bound service account tokens. It is safe for concurrent use.
type Issuer struct {
	issuer string
	key    PublicKey
	signer jose.Signer
	// newID returns a token's jti.
	newID func() string
}

// NewIssuer returns an Issuer whose tokens name issuer in "iss" and are
// signed with key, an RSA or ECDSA private key.
func NewIssuer(issuer string, key crypto.Signer) (*Issuer, error) {
	if issuer == "" {
		return nil, errors.New("service account issuer must not be empty")
	}
	pub, err := NewPublicKey(key.Public())
	if err != nil {
		return nil, fmt.Errorf("service account signing key: %w", err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{
		Algorithm: pub.Algorithm,
		Key:       &jose.JSONWebKey{Algorithm: string(pub.Algorithm), Key: key, KeyID: pub.ID, Use: "sig"},
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("service account token signer: %w", err)
	}
	return &Issuer{issuer: issuer, key: pub, signer: signer, newID: func() string { return string(uuid.NewUUID()) }}, nil
}

// Name is the issuer, the "iss" of its tokens.
func (i *Issuer) Name() string { return i.issuer }

// PublicKey is the key that verifies the issuer's tokens.
func (i *Issuer) PublicKey() PublicKey { return i.key }

// Request is what a token says.
type Request struct {
	ServiceAccount *corev1.ServiceAccount
	// Audiences are the token's "aud".
	Audiences []string
	// IssuedAt is the token's "iat" and "nbf"; its lifetime starts then.
	IssuedAt time.Time
	// Expiration is the token's lifetime.
	Expiration time.Duration
	// WarnAfter, if set, is how long after IssuedAt the token is stale:
	// it still authenticates, but the audit log says so. Upstream uses it
	// for the tokens whose lifetime it extended (kubelet's projected
	// tokens, during the migration from secret-based tokens).
	WarnAfter time.Duration

	// The object the token is bound to: a Pod (with the Node it runs on,
	// if any), a Secret or a Node; or none.
	Pod    *corev1.Pod
	Secret *corev1.Secret
	Node   *corev1.Node
}

// Token is a signed token.
type Token struct {
	// Raw is the compact JWS, what clients send as a bearer token.
	Raw string
	// ID is the "jti", which identifies the token in audit logs.
	ID string
}

// Issue signs a token for r.
func (i *Issuer) Issue(r Request) (Token, error) {
	sa := r.ServiceAccount
	if sa == nil || sa.Name == "" || sa.Namespace == "" {
		return Token{}, errors.New("token for no service account")
	}
	if r.Secret != nil && (r.Pod != nil || r.Node != nil) {
		return Token{}, errors.New("token bound to a secret and a pod or node: bind it to one object")
	}
	public := &jwt.Claims{
		Issuer:    i.issuer,
		Subject:   serviceaccount.MakeUsername(sa.Namespace, sa.Name),
		Audience:  jwt.Audience(r.Audiences),
		IssuedAt:  jwt.NewNumericDate(r.IssuedAt),
		NotBefore: jwt.NewNumericDate(r.IssuedAt),
		Expiry:    jwt.NewNumericDate(r.IssuedAt.Add(r.Expiration)),
		ID:        i.newID(),
	}
	private := &privateClaims{Kubernetes: kubernetesClaims{
		Namespace:      sa.Namespace,
		ServiceAccount: ref{Name: sa.Name, UID: string(sa.UID)},
	}}
	switch {
	case r.Pod != nil:
		private.Kubernetes.Pod = &ref{Name: r.Pod.Name, UID: string(r.Pod.UID)}
		if r.Node != nil {
			private.Kubernetes.Node = &ref{Name: r.Node.Name, UID: string(r.Node.UID)}
		}
	case r.Secret != nil:
		private.Kubernetes.Secret = &ref{Name: r.Secret.Name, UID: string(r.Secret.UID)}
	case r.Node != nil:
		private.Kubernetes.Node = &ref{Name: r.Node.Name, UID: string(r.Node.UID)}
	}
	if r.WarnAfter != 0 {
		private.Kubernetes.WarnAfter = jwt.NewNumericDate(r.IssuedAt.Add(r.WarnAfter))
	}
	raw, err := jwt.Signed(i.signer).Claims(private).Claims(public).CompactSerialize()
	if err != nil {
		return Token{}, fmt.Errorf("sign service account token: %w", err)
	}
	return Token{Raw: raw, ID: public.ID}, nil
}
