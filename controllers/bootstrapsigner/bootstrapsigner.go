package bootstrapsigner

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	bootstrapapi "k8s.io/cluster-bootstrap/token/api"
	"k8s.io/cluster-bootstrap/token/jws"
	bootstrapsecrets "k8s.io/cluster-bootstrap/util/secrets"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/kubeshim/kubeshim/controllers/queue"
)

// Name is the controller's, kube-controller-manager's.
const Name = "bootstrapsigner"

// key is the one key the queue ever holds: the ConfigMap's. Every event,
// of the ConfigMap or of a token, collapses into it.
var key = queue.Key(metav1.NamespacePublic, bootstrapapi.ConfigMapClusterInfo)

// Controller signs kube-public/cluster-info with the signing tokens.
type Controller struct {
	client     kubernetes.Interface
	secrets    corelisters.SecretLister
	configMaps corelisters.ConfigMapLister
	synced     []cache.InformerSynced
	clock      clock.PassiveClock
	queue      *queue.Queue
}

// New returns the controller on the shared secret and ConfigMap informers.
func New(client kubernetes.Interface, secrets coreinformers.SecretInformer, configMaps coreinformers.ConfigMapInformer) *Controller {
	return newController(client, secrets, configMaps, clock.RealClock{})
}

func newController(client kubernetes.Interface, secrets coreinformers.SecretInformer, configMaps coreinformers.ConfigMapInformer, clk clock.PassiveClock) *Controller {
	c := &Controller{
		client:     client,
		secrets:    secrets.Lister(),
		configMaps: configMaps.Lister(),
		synced:     []cache.InformerSynced{secrets.Informer().HasSynced, configMaps.Informer().HasSynced},
		clock:      clk,
	}
	// One worker suffices and Add deduplicates: the single key is never
	// synced twice at once.
	c.queue = queue.New(Name, func(ctx context.Context, _ string) (time.Duration, error) { return c.sync(ctx) })
	// A deleted ConfigMap needs nothing; a deleted token, its signature
	// removed.
	_, _ = configMaps.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueueConfigMap,
		UpdateFunc: func(_, obj any) { c.enqueueConfigMap(obj) },
	})
	_, _ = secrets.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueueToken,
		UpdateFunc: func(_, obj any) { c.enqueueToken(obj) },
		DeleteFunc: c.enqueueToken,
	})
	return c
}

// Run keeps the ConfigMap signed until ctx is done.
func (c *Controller) Run(ctx context.Context) {
	klog.FromContext(ctx).Info("Starting controller", "controller", Name)
	c.queue.Run(ctx, 1, c.synced...)
}

func (c *Controller) enqueueConfigMap(obj any) {
	if cm, ok := obj.(*corev1.ConfigMap); ok && cm.Namespace == metav1.NamespacePublic && cm.Name == bootstrapapi.ConfigMapClusterInfo {
		c.queue.Add(key)
	}
}

func (c *Controller) enqueueToken(obj any) {
	if s, ok := queue.Unwrap(obj).(*corev1.Secret); ok && s.Namespace == metav1.NamespaceSystem && s.Type == bootstrapapi.SecretTypeBootstrapToken {
		c.queue.Add(key)
	}
}

// sync makes the ConfigMap's signatures exactly those of the signing
// tokens over its kubeconfig, and asks to come back when the first of those
// tokens expires.
func (c *Controller) sync(ctx context.Context) (time.Duration, error) {
	logger := klog.FromContext(ctx)
	cm, err := c.configMaps.ConfigMaps(metav1.NamespacePublic).Get(bootstrapapi.ConfigMapClusterInfo)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	content, ok := cm.Data[bootstrapapi.KubeConfigKey]
	if !ok {
		logger.V(3).Info("No kubeconfig to sign", "configMap", klog.KObj(cm), "key", bootstrapapi.KubeConfigKey)
		return 0, nil
	}
	tokens, next, err := c.signingTokens(logger)
	if err != nil {
		return 0, err
	}
	want := map[string]string{}
	for id, secret := range tokens {
		sig, err := jws.ComputeDetachedSignature(content, id, secret)
		if err != nil {
			// Never for an HMAC key; the token is left out rather than
			// every other token's signature held back.
			logger.Error(err, "Cannot sign with bootstrap token", "tokenID", id)
			continue
		}
		want[bootstrapapi.JWSSignatureKeyPrefix+id] = sig
	}
	have := map[string]string{}
	for k, v := range cm.Data {
		if strings.HasPrefix(k, bootstrapapi.JWSSignatureKeyPrefix) {
			have[k] = v
		}
	}
	if maps.Equal(want, have) {
		return next, nil
	}
	cm = cm.DeepCopy()
	for k := range have {
		delete(cm.Data, k)
	}
	maps.Copy(cm.Data, want)
	logger.V(2).Info("Signing cluster-info", "configMap", klog.KObj(cm), "signatures", len(want))
	_, err = c.client.CoreV1().ConfigMaps(cm.Namespace).Update(ctx, cm, metav1.UpdateOptions{})
	// Conflict: the ConfigMap changed since the cache saw it, and its
	// update event brings the key back. Not found: deleted, nothing to sign.
	if err != nil && !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) {
		return 0, fmt.Errorf("update %s: %w", key, err)
	}
	return next, nil
}

// signingTokens returns the secret of every token that may sign, by ID,
// and how long until the first of them expires (zero if none does).
func (c *Controller) signingTokens(logger klog.Logger) (map[string]string, time.Duration, error) {
	secrets, err := c.secrets.Secrets(metav1.NamespaceSystem).List(labels.Everything())
	if err != nil {
		return nil, 0, err
	}
	now := c.clock.Now()
	tokens := map[string]string{}
	var next time.Duration
	for _, s := range secrets {
		if s.Type != bootstrapapi.SecretTypeBootstrapToken || s.DeletionTimestamp != nil {
			continue
		}
		id, ok := bootstrapsecrets.ParseName(s.Name)
		if !ok || string(s.Data[bootstrapapi.BootstrapTokenIDKey]) != id {
			logger.V(3).Info("Bootstrap token Secret's name does not match its token-id", "secret", klog.KObj(s))
			continue
		}
		secret := string(s.Data[bootstrapapi.BootstrapTokenSecretKey])
		if secret == "" || string(s.Data[bootstrapapi.BootstrapTokenUsageSigningKey]) != "true" {
			continue
		}
		left, expired := bootstrapsecrets.GetExpiration(s, now)
		if expired {
			continue
		}
		if left > 0 && (next == 0 || left < next) {
			next = left
		}
		// The name is unique in its namespace, and so is the ID.
		tokens[id] = secret
	}
	return tokens, next, nil
}
