package token

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
)

// Getter reads the objects a token names: its service account and the
// object it is bound to. Errors are the API's (apierrors.IsNotFound).
type Getter interface {
	GetServiceAccount(ctx context.Context, namespace, name string) (*corev1.ServiceAccount, error)
	GetPod(ctx context.Context, namespace, name string) (*corev1.Pod, error)
	GetSecret(ctx context.Context, namespace, name string) (*corev1.Secret, error)
	GetNode(ctx context.Context, name string) (*corev1.Node, error)
}

// NewGetter returns a Getter that reads the caches of factory's informers
// and, for what they do not hold (not yet synced, or just created), the API
// through client, as upstream's token getter does. With a nil factory it
// always reads the API.
//
// NewGetter registers the informers it reads with factory: call it before
// the factory is started.
func NewGetter(client kubernetes.Interface, factory informers.SharedInformerFactory) Getter {
	g := &getter{client: client}
	if factory != nil {
		core := factory.Core().V1()
		g.serviceAccounts = core.ServiceAccounts().Lister()
		g.pods = core.Pods().Lister()
		g.secrets = core.Secrets().Lister()
		g.nodes = core.Nodes().Lister()
	}
	return g
}

type getter struct {
	client          kubernetes.Interface
	serviceAccounts corelisters.ServiceAccountLister
	pods            corelisters.PodLister
	secrets         corelisters.SecretLister
	nodes           corelisters.NodeLister
}

func (g *getter) GetServiceAccount(ctx context.Context, namespace, name string) (*corev1.ServiceAccount, error) {
	if g.serviceAccounts != nil {
		if sa, err := g.serviceAccounts.ServiceAccounts(namespace).Get(name); err == nil {
			return sa, nil
		}
	}
	return g.client.CoreV1().ServiceAccounts(namespace).Get(ctx, name, metav1.GetOptions{})
}

func (g *getter) GetPod(ctx context.Context, namespace, name string) (*corev1.Pod, error) {
	if g.pods != nil {
		if pod, err := g.pods.Pods(namespace).Get(name); err == nil {
			return pod, nil
		}
	}
	return g.client.CoreV1().Pods(namespace).Get(ctx, name, metav1.GetOptions{})
}

func (g *getter) GetSecret(ctx context.Context, namespace, name string) (*corev1.Secret, error) {
	if g.secrets != nil {
		if secret, err := g.secrets.Secrets(namespace).Get(name); err == nil {
			return secret, nil
		}
	}
	return g.client.CoreV1().Secrets(namespace).Get(ctx, name, metav1.GetOptions{})
}

func (g *getter) GetNode(ctx context.Context, name string) (*corev1.Node, error) {
	if g.nodes != nil {
		if node, err := g.nodes.Get(name); err == nil {
			return node, nil
		}
	}
	return g.client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
}
