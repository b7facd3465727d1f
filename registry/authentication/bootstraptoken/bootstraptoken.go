package bootstraptoken

import (
	"context"
	"crypto/subtle"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/user"
	corelisters "k8s.io/client-go/listers/core/v1"
	bootstrapapi "k8s.io/cluster-bootstrap/token/api"
	bootstrapsecrets "k8s.io/cluster-bootstrap/util/secrets"
	bootstraptokens "k8s.io/cluster-bootstrap/util/tokens"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
)

// Authenticator is an authenticator.Token for bootstrap tokens.
type Authenticator struct {
	secrets corelisters.SecretNamespaceLister
	clock   clock.PassiveClock
}

var _ authenticator.Token = (*Authenticator)(nil)

// New returns an authenticator that finds token Secrets through secrets,
// a lister of the kube-system namespace.
func New(secrets corelisters.SecretNamespaceLister) *Authenticator {
	return &Authenticator{secrets: secrets, clock: clock.RealClock{}}
}

// AuthenticateToken authenticates token if it is a bootstrap token whose
// Secret allows authentication. Only a failure to read the Secret is an
// error; a token that is not a valid bootstrap token is (nil, false, nil).
func (a *Authenticator) AuthenticateToken(ctx context.Context, token string) (*authenticator.Response, bool, error) {
	id, secret, err := bootstraptokens.ParseToken(token)
	if err != nil {
		// Not of the bootstrap token form: another authenticator's.
		return nil, false, nil
	}
	logger := klog.FromContext(ctx)
	name := bootstrapapi.BootstrapTokenSecretPrefix + id
	s, err := a.secrets.Get(name)
	if apierrors.IsNotFound(err) {
		logger.V(3).Info("No bootstrap token Secret matches the bearer token", "secret", name)
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	groups, reason := a.check(s, id, secret)
	if reason != "" {
		// The reason never quotes the token's secret.
		logger.V(3).Info("Bootstrap token Secret matching the bearer token does not authenticate it", "secret", klog.KObj(s), "reason", reason)
		return nil, false, nil
	}
	return &authenticator.Response{User: &user.DefaultInfo{
		Name:   bootstrapapi.BootstrapUserPrefix + id,
		Groups: groups,
	}}, true, nil
}

// check returns the groups of the token id.secret stored in s, or why s
// does not authenticate it. The order of the checks is upstream's; the
// secret is compared in constant time so that its bytes cannot be guessed
// one at a time.
func (a *Authenticator) check(s *corev1.Secret, id, secret string) ([]string, string) {
	if s.DeletionTimestamp != nil {
		return nil, "being deleted"
	}
	if s.Type != bootstrapapi.SecretTypeBootstrapToken || s.Data == nil {
		return nil, "not of type " + string(bootstrapapi.SecretTypeBootstrapToken)
	}
	if subtle.ConstantTimeCompare(s.Data[bootstrapapi.BootstrapTokenSecretKey], []byte(secret)) != 1 {
		return nil, "wrong " + bootstrapapi.BootstrapTokenSecretKey
	}
	if string(s.Data[bootstrapapi.BootstrapTokenIDKey]) != id {
		return nil, "wrong " + bootstrapapi.BootstrapTokenIDKey
	}
	if _, expired := bootstrapsecrets.GetExpiration(s, a.clock.Now()); expired {
		// An expiration that does not parse counts as past.
		return nil, "expired"
	}
	if string(s.Data[bootstrapapi.BootstrapTokenUsageAuthentication]) != "true" {
		return nil, "not marked " + bootstrapapi.BootstrapTokenUsageAuthentication + "=true"
	}
	groups, err := bootstrapsecrets.GetGroups(s)
	if err != nil {
		return nil, "invalid " + bootstrapapi.BootstrapTokenExtraGroupsKey + ": " + err.Error()
	}
	return groups, ""
}
