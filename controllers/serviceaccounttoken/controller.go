package serviceaccounttoken

import (
	"bytes"
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/controllers/queue"
)

// Name is the controller's, kube-controller-manager's.
const Name = "serviceaccount-token"

// Generator signs the secret-based token of an account kept in a Secret.
type Generator interface {
	IssueLegacy(sa *corev1.ServiceAccount, secret *corev1.Secret) (string, error)
}

// Controller keeps service account token Secrets filled.
type Controller struct {
	client    kubernetes.Interface
	generator Generator
	rootCA    []byte
	secrets   corelisters.SecretLister
	accounts  corelisters.ServiceAccountLister
	synced    []cache.InformerSynced
	queue     *queue.Queue
}

// New returns the controller on the shared informers; rootCA is the
// bundle written as ca.crt.
func New(client kubernetes.Interface, generator Generator, rootCA []byte, secrets coreinformers.SecretInformer, accounts coreinformers.ServiceAccountInformer) *Controller {
	c := &Controller{
		client: client, generator: generator, rootCA: rootCA,
		secrets: secrets.Lister(), accounts: accounts.Lister(),
		synced: []cache.InformerSynced{secrets.Informer().HasSynced, accounts.Informer().HasSynced},
	}
	c.queue = queue.New(Name, c.sync)
	_, _ = secrets.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueueSecret,
		UpdateFunc: func(_, obj any) { c.enqueueSecret(obj) },
	})
	// An account's change (created, recreated, deleted) is its token
	// Secrets' change.
	enqueueAccount := func(obj any) {
		if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = d.Obj
		}
		sa, ok := obj.(*corev1.ServiceAccount)
		if !ok {
			return
		}
		all, _ := c.secrets.Secrets(sa.Namespace).List(labels.Everything())
		for _, s := range all {
			if s.Type == corev1.SecretTypeServiceAccountToken && s.Annotations[corev1.ServiceAccountNameKey] == sa.Name {
				c.queue.Add(queue.Key(s.Namespace, s.Name))
			}
		}
	}
	_, _ = accounts.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueueAccount,
		UpdateFunc: func(_, obj any) { enqueueAccount(obj) },
		DeleteFunc: enqueueAccount,
	})
	return c
}

// Run fills token Secrets until ctx is done.
func (c *Controller) Run(ctx context.Context, workers int) {
	klog.FromContext(ctx).Info("Starting controller", "controller", Name)
	c.queue.Run(ctx, workers, c.synced...)
}

func (c *Controller) enqueueSecret(obj any) {
	if s, ok := obj.(*corev1.Secret); ok && s.Type == corev1.SecretTypeServiceAccountToken {
		c.queue.Add(queue.Key(s.Namespace, s.Name))
	}
}

func (c *Controller) sync(ctx context.Context, key string) (time.Duration, error) {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, nil
	}
	secret, err := c.secrets.Secrets(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if secret.DeletionTimestamp != nil {
		return 0, nil
	}
	sa, err := c.account(ctx, secret)
	if err != nil {
		return 0, err
	}
	if sa == nil {
		// The account is gone or is another one now: so is its token,
		// as upstream deletes it.
		return 0, c.delete(ctx, secret)
	}
	return 0, c.fill(ctx, secret, sa)
}

// account returns the account the Secret is for, or nil when there is
// none (or no longer the one whose UID the Secret recorded). The lister
// may lag behind a just-created account: a miss is checked with the API.
func (c *Controller) account(ctx context.Context, secret *corev1.Secret) (*corev1.ServiceAccount, error) {
	name := secret.Annotations[corev1.ServiceAccountNameKey]
	if name == "" {
		return nil, nil
	}
	sa, err := c.accounts.ServiceAccounts(secret.Namespace).Get(name)
	if apierrors.IsNotFound(err) {
		sa, err = c.client.CoreV1().ServiceAccounts(secret.Namespace).Get(ctx, name, metav1.GetOptions{})
	}
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if uid := secret.Annotations[corev1.ServiceAccountUIDKey]; uid != "" && types.UID(uid) != sa.UID {
		return nil, nil
	}
	return sa, nil
}

func (c *Controller) delete(ctx context.Context, secret *corev1.Secret) error {
	uid := secret.UID
	err := c.client.CoreV1().Secrets(secret.Namespace).Delete(ctx, secret.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return fmt.Errorf("delete token secret %s/%s: %w", secret.Namespace, secret.Name, err)
	}
	klog.FromContext(ctx).V(2).Info("Deleted the token Secret of a service account that is gone", "secret", klog.KObj(secret))
	return nil
}

// fill writes what is missing: the token, ca.crt, namespace and the
// account's UID. A token already there is kept, as upstream keeps it.
func (c *Controller) fill(ctx context.Context, secret *corev1.Secret, sa *corev1.ServiceAccount) error {
	needToken := len(secret.Data[corev1.ServiceAccountTokenKey]) == 0
	needCA := len(c.rootCA) > 0 && !bytes.Equal(secret.Data[corev1.ServiceAccountRootCAKey], c.rootCA)
	needNS := string(secret.Data[corev1.ServiceAccountNamespaceKey]) != secret.Namespace
	needUID := secret.Annotations[corev1.ServiceAccountUIDKey] != string(sa.UID)
	if !needToken && !needCA && !needNS && !needUID {
		return nil
	}
	s := secret.DeepCopy()
	if s.Data == nil {
		s.Data = map[string][]byte{}
	}
	if s.Annotations == nil {
		s.Annotations = map[string]string{}
	}
	s.Annotations[corev1.ServiceAccountUIDKey] = string(sa.UID)
	if needToken {
		token, err := c.generator.IssueLegacy(sa, s)
		if err != nil {
			return fmt.Errorf("token for %s/%s: %w", s.Namespace, s.Name, err)
		}
		s.Data[corev1.ServiceAccountTokenKey] = []byte(token)
	}
	if len(c.rootCA) > 0 {
		s.Data[corev1.ServiceAccountRootCAKey] = c.rootCA
	}
	s.Data[corev1.ServiceAccountNamespaceKey] = []byte(s.Namespace)
	_, err := c.client.CoreV1().Secrets(s.Namespace).Update(ctx, s, metav1.UpdateOptions{})
	if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
		return nil // a newer version is queued, or it is gone
	}
	if err != nil {
		return fmt.Errorf("fill token secret %s/%s: %w", s.Namespace, s.Name, err)
	}
	return nil
}
