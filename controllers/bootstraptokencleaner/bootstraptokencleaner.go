package bootstraptokencleaner

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	bootstrapapi "k8s.io/cluster-bootstrap/token/api"
	bootstrapsecrets "k8s.io/cluster-bootstrap/util/secrets"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/kubeshim/kubeshim/controllers/queue"
)

// Name is the controller's, kube-controller-manager's.
const Name = "tokencleaner"

// Controller deletes expired bootstrap token Secrets.
type Controller struct {
	client  kubernetes.Interface
	secrets corelisters.SecretLister
	synced  cache.InformerSynced
	clock   clock.PassiveClock
	queue   *queue.Queue
}

// New returns the controller on the shared secret informer.
func New(client kubernetes.Interface, secrets coreinformers.SecretInformer) *Controller {
	return newController(client, secrets, clock.RealClock{})
}

func newController(client kubernetes.Interface, secrets coreinformers.SecretInformer, clk clock.PassiveClock) *Controller {
	c := &Controller{client: client, secrets: secrets.Lister(), synced: secrets.Informer().HasSynced, clock: clk}
	c.queue = queue.New(Name, c.sync)
	// A deleted token needs nothing more.
	_, _ = secrets.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueue,
		UpdateFunc: func(_, obj any) { c.enqueue(obj) },
	})
	return c
}

// Run processes bootstrap token Secrets until ctx is done.
func (c *Controller) Run(ctx context.Context, workers int) {
	klog.FromContext(ctx).Info("Starting controller", "controller", Name)
	c.queue.Run(ctx, workers, c.synced)
}

func (c *Controller) enqueue(obj any) {
	if s, ok := obj.(*corev1.Secret); ok && isToken(s) {
		c.queue.Add(queue.Key(s.Namespace, s.Name))
	}
}

// isToken: only bootstrap tokens in kube-system are ever deleted; a Secret
// of that type elsewhere is no token and none of this controller's business.
func isToken(s *corev1.Secret) bool {
	return s.Namespace == metav1.NamespaceSystem && s.Type == bootstrapapi.SecretTypeBootstrapToken
}

// sync deletes the token if it has expired, or asks to come back when it
// will have.
func (c *Controller) sync(ctx context.Context, key string) (time.Duration, error) {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, nil
	}
	s, err := c.secrets.Secrets(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if !isToken(s) || s.DeletionTimestamp != nil {
		return 0, nil
	}
	left, expired := bootstrapsecrets.GetExpiration(s, c.clock.Now())
	if !expired {
		// Zero without an expiration: nothing to come back for.
		return left, nil
	}
	klog.FromContext(ctx).V(2).Info("Deleting expired bootstrap token", "secret", klog.KObj(s), "expiration", string(s.Data[bootstrapapi.BootstrapTokenExpirationKey]))
	err = c.client.CoreV1().Secrets(namespace).Delete(ctx, name, metav1.DeleteOptions{
		Preconditions: &metav1.Preconditions{UID: &s.UID, ResourceVersion: &s.ResourceVersion},
	})
	// Not found: already gone. Conflict: it changed or was recreated since
	// the cache saw it, and its update event brings it back.
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return 0, fmt.Errorf("delete expired bootstrap token %s: %w", key, err)
	}
	return 0, nil
}
