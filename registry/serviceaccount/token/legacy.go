package token

import (
	"context"
	"errors"
	"fmt"

	"gopkg.in/go-jose/go-jose.v2/jwt"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apiserver/pkg/authentication/serviceaccount"
	"k8s.io/klog/v2"
)

// LegacyIssuer is the "iss" of secret-based (legacy) service account
// tokens: the tokens the tokens controller writes into Secrets of type
// kubernetes.io/service-account-token.
const LegacyIssuer = "kubernetes/serviceaccount"

// InvalidSinceLabel marks a legacy token Secret whose token no longer
// authenticates (upstream's legacy token cleaner sets it).
const InvalidSinceLabel = "kubernetes.io/legacy-token-invalid-since"

// legacyClaims are a secret-based token's claims beyond "iss" and "sub",
// upstream's names.
type legacyClaims struct {
	Namespace          string `json:"kubernetes.io/serviceaccount/namespace,omitempty"`
	SecretName         string `json:"kubernetes.io/serviceaccount/secret.name,omitempty"`
	ServiceAccountName string `json:"kubernetes.io/serviceaccount/service-account.name,omitempty"`
	ServiceAccountUID  string `json:"kubernetes.io/serviceaccount/service-account.uid,omitempty"`
}

// IssueLegacy signs the secret-based token of sa kept in secret, as
// upstream's tokens controller does: issuer LegacyIssuer, no audience, no
// expiry. It authenticates as long as the Secret holds it and it and the
// service account exist.
func (i *Issuer) IssueLegacy(sa *corev1.ServiceAccount, secret *corev1.Secret) (string, error) {
	if sa == nil || sa.Name == "" || sa.Namespace == "" || secret == nil || secret.Name == "" {
		return "", errors.New("legacy token for no service account or secret")
	}
	public := &jwt.Claims{Issuer: LegacyIssuer, Subject: serviceaccount.MakeUsername(sa.Namespace, sa.Name)}
	private := &legacyClaims{Namespace: sa.Namespace, SecretName: secret.Name, ServiceAccountName: sa.Name, ServiceAccountUID: string(sa.UID)}
	raw, err := jwt.Signed(i.signer).Claims(private).Claims(public).CompactSerialize()
	if err != nil {
		return "", fmt.Errorf("sign legacy service account token: %w", err)
	}
	return raw, nil
}

// validateLegacy checks a secret-based token whose signature is good, as
// upstream's legacy validator: the Secret it names still holds this very
// token and is not being deleted or marked invalid, and the service
// account exists with the UID the token names.
func (a *Authenticator) validateLegacy(ctx context.Context, raw string, public *jwt.Claims, c *legacyClaims) (*serviceaccount.ServiceAccountInfo, error) {
	if c.Namespace == "" || c.ServiceAccountName == "" || c.SecretName == "" {
		return nil, errors.New("service account token names no service account or secret")
	}
	if public.Subject != serviceaccount.MakeUsername(c.Namespace, c.ServiceAccountName) {
		return nil, errors.New("service account token's subject does not match its service account")
	}
	ns, name := c.Namespace, c.ServiceAccountName
	logger := klog.FromContext(ctx).WithValues("serviceAccount", klog.KRef(ns, name), "secret", c.SecretName)
	secret, err := a.objects.GetSecret(ctx, ns, c.SecretName)
	if err != nil {
		logger.V(4).Info("Could not read the Secret of a legacy token", "err", err)
		return nil, errors.New("service account token has been invalidated")
	}
	if secret.DeletionTimestamp != nil {
		return nil, errors.New("service account token has been invalidated")
	}
	if string(secret.Data[corev1.ServiceAccountTokenKey]) != raw {
		return nil, fmt.Errorf("token does not match server's copy")
	}
	if _, ok := secret.Labels[InvalidSinceLabel]; ok {
		return nil, fmt.Errorf("the token in secret %s/%s for service account %s/%s has been marked invalid. Use tokens from the TokenRequest API or manually created secret-based tokens, or remove the '%s' label from the secret to re-enable it",
			ns, c.SecretName, ns, name, InvalidSinceLabel)
	}
	sa, err := a.objects.GetServiceAccount(ctx, ns, name)
	if err != nil {
		logger.V(4).Info("Could not read the service account of a legacy token", "err", err)
		return nil, err
	}
	if sa.DeletionTimestamp != nil {
		return nil, fmt.Errorf("service account %s/%s has been deleted", ns, name)
	}
	if string(sa.UID) != c.ServiceAccountUID {
		return nil, fmt.Errorf("service account UID (%s) does not match claim (%s)", sa.UID, c.ServiceAccountUID)
	}
	return &serviceaccount.ServiceAccountInfo{Namespace: ns, Name: name, UID: string(sa.UID)}, nil
}
