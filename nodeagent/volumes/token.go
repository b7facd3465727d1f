package volumes

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
)

const (
	// defaultTokenExpirationSeconds is the API default of a projected token's
	// expirationSeconds.
	defaultTokenExpirationSeconds int64 = 3600
	// maxTokenTTL: a token is refreshed after a day whatever its lifetime.
	maxTokenTTL = 24 * time.Hour
	// maxTokenJitter spreads the refreshes of many pods.
	maxTokenJitter = 10 * time.Second
)

// tokenCache holds the service account tokens of projected volumes and
// refreshes them the way the kubelet's token manager does: when 80% of the
// lifetime has passed, or 24 hours, whichever comes first. A refresh that
// fails keeps the old token until it expires.
type tokenCache struct {
	client kubernetes.Interface
	clock  clock.Clock

	mu    sync.Mutex
	cache map[tokenKey]*authenticationv1.TokenRequest
}

type tokenKey struct {
	namespace, serviceAccount, audience string
	expirationSeconds                   int64
	podName                             string
	podUID                              types.UID
}

func newTokenCache(client kubernetes.Interface, c clock.Clock) *tokenCache {
	return &tokenCache{client: client, clock: c, cache: map[tokenKey]*authenticationv1.TokenRequest{}}
}

// get returns a token for the pod's service account, bound to the pod.
func (c *tokenCache) get(ctx context.Context, pod *corev1.Pod, audience string, expirationSeconds *int64) (string, error) {
	sa := pod.Spec.ServiceAccountName
	if sa == "" {
		sa = "default"
	}
	exp := defaultTokenExpirationSeconds
	if expirationSeconds != nil {
		exp = *expirationSeconds
	}
	key := tokenKey{namespace: pod.Namespace, serviceAccount: sa, audience: audience, expirationSeconds: exp, podName: pod.Name, podUID: pod.UID}

	c.mu.Lock()
	cached := c.cache[key]
	c.mu.Unlock()
	if cached != nil && !c.requiresRefresh(cached) {
		return cached.Status.Token, nil
	}

	if c.client == nil {
		return "", errors.New("failed to fetch token: no API client configured")
	}
	var auds []string
	if audience != "" {
		auds = []string{audience}
	}
	req := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
		Audiences:         auds,
		ExpirationSeconds: &exp,
		BoundObjectRef:    &authenticationv1.BoundObjectReference{APIVersion: "v1", Kind: "Pod", Name: pod.Name, UID: pod.UID},
	}}
	tr, err := c.client.CoreV1().ServiceAccounts(pod.Namespace).CreateToken(ctx, sa, req, metav1.CreateOptions{})
	if err == nil && (tr == nil || tr.Status.Token == "") {
		err = errors.New("the API server returned no token")
	}
	if err != nil {
		switch {
		case cached == nil:
			return "", fmt.Errorf("failed to fetch token: %w", err)
		case c.expired(cached):
			return "", fmt.Errorf("token for service account %s/%s expired and refresh failed: %w", pod.Namespace, sa, err)
		default:
			klog.FromContext(ctx).Error(err, "Couldn't refresh service account token; keeping the current one", "serviceAccount", sa)
			return cached.Status.Token, nil
		}
	}
	if tr.Spec.ExpirationSeconds == nil {
		// requiresRefresh needs the lifetime; the server may not echo it.
		tr.Spec.ExpirationSeconds = &exp
	}
	if tr.Status.ExpirationTimestamp.IsZero() {
		tr.Status.ExpirationTimestamp = metav1.NewTime(c.clock.Now().Add(time.Duration(*tr.Spec.ExpirationSeconds) * time.Second))
	}
	c.mu.Lock()
	c.cache[key] = tr
	c.dropExpiredLocked()
	c.mu.Unlock()
	return tr.Status.Token, nil
}

func (c *tokenCache) expired(tr *authenticationv1.TokenRequest) bool {
	return c.clock.Now().After(tr.Status.ExpirationTimestamp.Time)
}

func (c *tokenCache) requiresRefresh(tr *authenticationv1.TokenRequest) bool {
	now := c.clock.Now()
	exp := tr.Status.ExpirationTimestamp.Time
	ttl := time.Duration(*tr.Spec.ExpirationSeconds) * time.Second
	issued := exp.Add(-ttl)
	jitter := time.Duration(rand.Float64() * float64(maxTokenJitter))
	if now.After(issued.Add(maxTokenTTL - jitter)) {
		return true
	}
	return now.After(exp.Add(-ttl*20/100 - jitter))
}

func (c *tokenCache) dropExpiredLocked() {
	for k, tr := range c.cache {
		if c.expired(tr) {
			delete(c.cache, k)
		}
	}
}

// forget drops the tokens of a pod that is gone.
func (c *tokenCache) forget(uid types.UID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.cache {
		if k.podUID == uid {
			delete(c.cache, k)
		}
	}
}
