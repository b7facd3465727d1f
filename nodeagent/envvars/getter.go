package envvars

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Getter reads the objects that a container environment (and the configMap,
// secret and projected volumes) refer to. A missing object must be reported with
// an error for which apierrors.IsNotFound is true: optional references treat it
// as empty. Implementations backed by listers satisfy that already.
type Getter interface {
	ConfigMap(ctx context.Context, namespace, name string) (*corev1.ConfigMap, error)
	Secret(ctx context.Context, namespace, name string) (*corev1.Secret, error)
	// Services lists the services of one namespace.
	Services(ctx context.Context, namespace string) ([]*corev1.Service, error)
}

// NewClientGetter returns a Getter that reads straight from the API server.
// It reports a missing object the way the kubelet's object managers do
// (`configmap "x" not found`, singular), so error texts and the FailedMount
// events built from them read as upstream's.
func NewClientGetter(client kubernetes.Interface) Getter {
	return clientGetter{client: client}
}

type clientGetter struct {
	client kubernetes.Interface
}

func (g clientGetter) ConfigMap(ctx context.Context, namespace, name string) (*corev1.ConfigMap, error) {
	cm, err := g.client.CoreV1().ConfigMaps(namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, apierrors.NewNotFound(corev1.Resource("configmap"), name)
	}
	return cm, err
}

func (g clientGetter) Secret(ctx context.Context, namespace, name string) (*corev1.Secret, error) {
	s, err := g.client.CoreV1().Secrets(namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, apierrors.NewNotFound(corev1.Resource("secret"), name)
	}
	return s, err
}

func (g clientGetter) Services(ctx context.Context, namespace string) ([]*corev1.Service, error) {
	list, err := g.client.CoreV1().Services(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list services in %s: %w", namespace, err)
	}
	out := make([]*corev1.Service, 0, len(list.Items))
	for i := range list.Items {
		out = append(out, &list.Items[i])
	}
	return out, nil
}
