package replicaset

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	appsinformers "k8s.io/client-go/informers/apps/v1"
	"k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"
	"k8s.io/client-go/tools/cache"
)

// Kind is what a Controller reconciles, seen as ReplicaSets. Objects that
// come out of it are the controller's to read, never to mutate.
type Kind interface {
	// GroupVersionKind names the owner in its pods' ownerReferences.
	GroupVersionKind() schema.GroupVersionKind
	// Informer watches the owners; its handlers receive the kind's own objects.
	Informer() cache.SharedIndexInformer
	// Convert turns an object the informer delivered into a ReplicaSet.
	Convert(obj any) (*appsv1.ReplicaSet, error)
	// Get and List read the informer's cache.
	Get(namespace, name string) (*appsv1.ReplicaSet, error)
	List(namespace string) ([]*appsv1.ReplicaSet, error)
	// GetLive reads the owner from the API server, past the cache.
	GetLive(ctx context.Context, namespace, name string) (*appsv1.ReplicaSet, error)
	// UpdateStatus writes rs.Status through the status subresource.
	UpdateStatus(ctx context.Context, rs *appsv1.ReplicaSet) (*appsv1.ReplicaSet, error)
	// TerminatingReplicas says whether the kind's status has
	// terminatingReplicas (ReplicaSets do, ReplicationControllers do not).
	TerminatingReplicas() bool
}

// replicaSets is the Kind of ReplicaSets themselves.
type replicaSets struct {
	client   kubernetes.Interface
	informer cache.SharedIndexInformer
	lister   appslisters.ReplicaSetLister
}

// ReplicaSets returns the Kind for apps/v1 ReplicaSets.
func ReplicaSets(client kubernetes.Interface, informer appsinformers.ReplicaSetInformer) Kind {
	return replicaSets{client: client, informer: informer.Informer(), lister: informer.Lister()}
}

func (replicaSets) GroupVersionKind() schema.GroupVersionKind {
	return appsv1.SchemeGroupVersion.WithKind("ReplicaSet")
}

func (k replicaSets) Informer() cache.SharedIndexInformer { return k.informer }

func (replicaSets) Convert(obj any) (*appsv1.ReplicaSet, error) {
	rs, ok := obj.(*appsv1.ReplicaSet)
	if !ok {
		return nil, fmt.Errorf("unexpected object %T", obj)
	}
	return rs, nil
}

func (k replicaSets) Get(namespace, name string) (*appsv1.ReplicaSet, error) {
	return k.lister.ReplicaSets(namespace).Get(name)
}

func (k replicaSets) List(namespace string) ([]*appsv1.ReplicaSet, error) {
	return k.lister.ReplicaSets(namespace).List(labels.Everything())
}

func (k replicaSets) GetLive(ctx context.Context, namespace, name string) (*appsv1.ReplicaSet, error) {
	return k.client.AppsV1().ReplicaSets(namespace).Get(ctx, name, metav1.GetOptions{})
}

func (k replicaSets) UpdateStatus(ctx context.Context, rs *appsv1.ReplicaSet) (*appsv1.ReplicaSet, error) {
	return k.client.AppsV1().ReplicaSets(rs.Namespace).UpdateStatus(ctx, rs, metav1.UpdateOptions{})
}

func (replicaSets) TerminatingReplicas() bool { return true }
