package serviceaccount

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

	"github.com/kubeshim/kubeshim/controllers/queue"
)

// Name is the service account every namespace has.
const Name = "default"

// Controller creates the default service account of each namespace.
type Controller struct {
	client     kubernetes.Interface
	namespaces corelisters.NamespaceLister
	accounts   corelisters.ServiceAccountLister
	synced     []cache.InformerSynced
	// queue holds namespace names.
	queue *queue.Queue
}

// New returns a controller on the given informers.
func New(client kubernetes.Interface, namespaces coreinformers.NamespaceInformer, accounts coreinformers.ServiceAccountInformer) *Controller {
	c := &Controller{
		client:     client,
		namespaces: namespaces.Lister(),
		accounts:   accounts.Lister(),
		synced:     []cache.InformerSynced{namespaces.Informer().HasSynced, accounts.Informer().HasSynced},
	}
	c.queue = queue.New("serviceaccount", func(ctx context.Context, ns string) (time.Duration, error) { return 0, c.sync(ctx, ns) })
	_, _ = namespaces.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { c.enqueueNamespace(obj) },
		UpdateFunc: func(_, obj any) { c.enqueueNamespace(obj) },
	})
	_, _ = accounts.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		DeleteFunc: func(obj any) {
			obj = queue.Unwrap(obj)
			if sa, ok := obj.(*corev1.ServiceAccount); ok && sa.Name == Name {
				c.queue.Add(sa.Namespace)
			}
		},
	})
	return c
}

func (c *Controller) enqueueNamespace(obj any) {
	if ns, ok := obj.(*corev1.Namespace); ok {
		c.queue.Add(ns.Name)
	}
}

// Run processes namespaces until ctx is done.
func (c *Controller) Run(ctx context.Context, workers int) {
	c.queue.Run(ctx, workers, c.synced...)
}

// sync makes sure the namespace has its default service account.
func (c *Controller) sync(ctx context.Context, namespace string) error {
	ns, err := c.namespaces.Get(namespace)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if ns.Status.Phase != corev1.NamespaceActive {
		return nil
	}
	if _, err := c.accounts.ServiceAccounts(namespace).Get(Name); err == nil {
		return nil
	} else if !apierrors.IsNotFound(err) {
		return err
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: Name}}
	_, err = c.client.CoreV1().ServiceAccounts(namespace).Create(ctx, sa, metav1.CreateOptions{})
	switch {
	case err == nil, apierrors.IsAlreadyExists(err):
		return nil
	case apierrors.IsForbidden(err) && apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause):
		// The namespace began terminating after the lister saw it.
		return nil
	}
	return fmt.Errorf("create %s/%s: %w", namespace, Name, err)
}
