package token

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"gopkg.in/go-jose/go-jose.v2/jwt"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apiserver/pkg/audit"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/serviceaccount"
	tokenjwt "k8s.io/apiserver/pkg/authentication/token/jwt"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
)

// Leeway is how far the clocks of an issuer and an authenticator may
// disagree: a token is valid from Leeway before its "nbf" to Leeway after its
// "exp", and a service account or bound object is still there until Leeway
// after its deletion began. Upstream's, go-jose's default.
const Leeway = jwt.DefaultLeeway

// staleTokenAnnotation is the audit annotation of a token used after its
// "warnafter".
const staleTokenAnnotation = "authentication.k8s.io/stale-token"

// Config configures an Authenticator.
type Config struct {
	// Issuers are the accepted "iss". A token of another issuer is not
	// this authenticator's to judge: it is passed on, unauthenticated and
	// without error, to the next authenticator of a union.
	Issuers []string
	// Keys verify the tokens' signatures.
	Keys []PublicKey
	// APIAudiences are the API server's audiences: a request is checked
	// against them unless its context names others
	// (authenticator.WithAudiences), and a token that names no audience is
	// taken to be for them.
	APIAudiences authenticator.Audiences
	// Objects reads the service accounts and bound objects tokens name.
	Objects Getter
	// Legacy accepts secret-based tokens too (issuer LegacyIssuer), as
	// kube-apiserver does by default.
	Legacy bool
	// Clock is the time tokens are checked at; nil means the real clock.
	Clock clock.PassiveClock
}

// Authenticator authenticates bound service account tokens.
type Authenticator struct {
	issuers   sets.Set[string]
	keys      []PublicKey
	audiences authenticator.Audiences
	objects   Getter
	clock     clock.PassiveClock
}

var _ authenticator.Token = &Authenticator{}

// NewAuthenticator returns an Authenticator.
func NewAuthenticator(c Config) *Authenticator {
	clk := c.Clock
	if clk == nil {
		clk = clock.RealClock{}
	}
	issuers := sets.New(c.Issuers...)
	if c.Legacy {
		issuers.Insert(LegacyIssuer)
	}
	return &Authenticator{issuers: issuers, keys: c.Keys, audiences: c.APIAudiences, objects: c.Objects, clock: clk}
}

// AuthenticateToken implements authenticator.Token. It answers (nil, false,
// nil) for what is not a token of its issuers, so that others may try it,
// and an error for a token of its issuers it rejects.
func (a *Authenticator) AuthenticateToken(ctx context.Context, raw string) (*authenticator.Response, bool, error) {
	if !a.ownToken(raw) {
		return nil, false, nil
	}
	tok, err := jwt.ParseSigned(raw)
	if err != nil || len(tok.Headers) != 1 {
		return nil, false, nil
	}
	kid := tok.Headers[0].KeyID
	public := &jwt.Claims{}
	private := &privateClaims{}
	legacy := &legacyClaims{}
	var errs []error
	verified := false
	for _, key := range a.keys {
		if kid != "" && key.ID != kid {
			continue
		}
		if err := tok.Claims(key.Key, public, private, legacy); err != nil {
			errs = append(errs, err)
			continue
		}
		verified = true
		break
	}
	if !verified {
		if len(errs) == 0 {
			return nil, false, errors.New("invalid signature, no keys found")
		}
		return nil, false, utilerrors.NewAggregate(errs)
	}
	// ownToken read the issuer before the signature was checked.
	if !a.issuers.Has(public.Issuer) {
		return nil, false, fmt.Errorf("token issuer %q is invalid", public.Issuer)
	}

	tokenAudiences := authenticator.Audiences(public.Audience)
	if len(tokenAudiences) == 0 {
		// A token without audiences is for the API server.
		tokenAudiences = a.audiences
	}
	requested, ok := authenticator.AudiencesFrom(ctx)
	if !ok {
		requested = a.audiences
	}
	auds := tokenAudiences.Intersect(requested)
	if len(auds) == 0 && len(a.audiences) != 0 {
		return nil, false, fmt.Errorf("token audiences %q is invalid for the target audiences %q", tokenAudiences, requested)
	}

	var info *serviceaccount.ServiceAccountInfo
	if public.Issuer == LegacyIssuer {
		info, err = a.validateLegacy(ctx, raw, public, legacy)
	} else {
		info, err = a.validate(ctx, public, &private.Kubernetes)
	}
	if err != nil {
		return nil, false, err
	}
	return &authenticator.Response{User: info.UserInfo(), Audiences: auds}, true, nil
}

// ownToken reports whether raw looks like a token of this authenticator's
// issuers: a compact JWS, canonically encoded, whose unverified "iss" is
// one of them. Canonical means no padding, no line breaks and zero padding
// bits, which base64 decoders tolerate: only the exact bytes an issuer
// signed are a token, not the other spellings of them.
func (a *Authenticator) ownToken(raw string) bool {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return false
	}
	var payload []byte
	for i, p := range parts {
		if strings.ContainsFunc(p, func(r rune) bool {
			return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_')
		}) {
			return false
		}
		b, err := base64.RawURLEncoding.Strict().DecodeString(p)
		if err != nil {
			return false
		}
		if i == 1 {
			payload = b
		}
	}
	var claims struct {
		// Not verified yet: only to pick the authenticator.
		Issuer string `json:"iss"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return false
	}
	return a.issuers.Has(claims.Issuer)
}

// validate checks the claims of a token whose signature and issuer are
// good: its lifetime, and that what it names still exists.
func (a *Authenticator) validate(ctx context.Context, public *jwt.Claims, k *kubernetesClaims) (*serviceaccount.ServiceAccountInfo, error) {
	now := a.clock.Now()
	if public.Expiry == nil {
		// Upstream's issuers always set one; a token without is not theirs.
		return nil, errors.New("service account token has no expiry")
	}
	switch err := public.ValidateWithLeeway(jwt.Expected{Time: now}, Leeway); {
	case err == nil:
	case errors.Is(err, jwt.ErrExpired):
		return nil, errors.New("service account token has expired")
	case errors.Is(err, jwt.ErrNotValidYet):
		return nil, errors.New("service account token is not valid yet")
	case errors.Is(err, jwt.ErrIssuedInTheFuture):
		return nil, errors.New("service account token is issued in the future")
	default:
		return nil, fmt.Errorf("service account token claims could not be validated: %w", err)
	}
	if k.Namespace == "" || k.ServiceAccount.Name == "" {
		return nil, errors.New("service account token names no service account")
	}

	// What is being deleted goes Leeway after its deletion began.
	deletedBefore := now.Add(-Leeway)
	gone := func(t *metav1.Time) bool { return t != nil && t.Time.Before(deletedBefore) }
	ns, name := k.Namespace, k.ServiceAccount.Name
	logger := klog.FromContext(ctx).WithValues("serviceAccount", klog.KRef(ns, name))

	sa, err := a.objects.GetServiceAccount(ctx, ns, name)
	if err != nil {
		logger.V(4).Info("Could not read the service account of a token", "err", err)
		return nil, err
	}
	if string(sa.UID) != k.ServiceAccount.UID {
		return nil, fmt.Errorf("service account UID (%s) does not match claim (%s)", sa.UID, k.ServiceAccount.UID)
	}
	if gone(sa.DeletionTimestamp) {
		return nil, fmt.Errorf("service account %s/%s has been deleted", ns, name)
	}
	// The messages of a bound object that is gone do not say which, as
	// upstream's: the token is invalidated.
	invalidated := errors.New("service account token has been invalidated")

	info := &serviceaccount.ServiceAccountInfo{Namespace: ns, Name: name, UID: k.ServiceAccount.UID, CredentialID: tokenjwt.CredentialIDForJTI(public.ID)}
	if r := k.Secret; r != nil {
		secret, err := a.objects.GetSecret(ctx, ns, r.Name)
		if err != nil {
			logger.V(4).Info("Could not read the bound secret of a token", "secret", r.Name, "err", err)
			return nil, invalidated
		}
		if string(secret.UID) != r.UID {
			return nil, fmt.Errorf("secret UID (%s) does not match service account secret ref claim (%s)", secret.UID, r.UID)
		}
		if gone(secret.DeletionTimestamp) {
			return nil, invalidated
		}
	}
	if r := k.Pod; r != nil {
		pod, err := a.objects.GetPod(ctx, ns, r.Name)
		if err != nil {
			logger.V(4).Info("Could not read the bound pod of a token", "pod", r.Name, "err", err)
			return nil, invalidated
		}
		if string(pod.UID) != r.UID {
			return nil, fmt.Errorf("pod UID (%s) does not match service account pod ref claim (%s)", pod.UID, r.UID)
		}
		if gone(pod.DeletionTimestamp) {
			return nil, invalidated
		}
		info.PodName, info.PodUID = r.Name, r.UID
	}
	if r := k.Node; r != nil {
		if k.Pod == nil {
			// Bound to the node itself.
			node, err := a.objects.GetNode(ctx, r.Name)
			if err != nil {
				logger.V(4).Info("Could not read the bound node of a token", "node", r.Name, "err", err)
				return nil, invalidated
			}
			if string(node.UID) != r.UID {
				return nil, fmt.Errorf("node UID (%s) does not match service account node ref claim (%s)", node.UID, r.UID)
			}
			if gone(node.DeletionTimestamp) {
				return nil, invalidated
			}
		}
		// A pod-bound token's node is information, not a binding.
		info.NodeName, info.NodeUID = r.Name, r.UID
	}

	if w := k.WarnAfter; w != nil && *w != 0 && now.After(w.Time()) {
		audit.AddAuditAnnotation(ctx, staleTokenAnnotation,
			fmt.Sprintf("subject: %s, seconds after warning threshold: %d", public.Subject, now.Unix()-w.Time().Unix()))
	}
	return info, nil
}
