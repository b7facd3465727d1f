package metrics

import (
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/registry/rest"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"
)

// The resources NotFound errors name, as metrics-server's: "nodemetrics.metrics.k8s.io".
var (
	nodeMetricsResource = metricsv1beta1.Resource("nodemetrics")
	podMetricsResource  = metricsv1beta1.Resource("podmetrics")
)

// nodeREST is NodeMetrics: one per node with two samples.
type nodeREST struct{ s *Scraper }

var (
	_ rest.Storage              = &nodeREST{}
	_ rest.KindProvider         = &nodeREST{}
	_ rest.Scoper               = &nodeREST{}
	_ rest.SingularNameProvider = &nodeREST{}
	_ rest.Getter               = &nodeREST{}
	_ rest.Lister               = &nodeREST{}
)

func (r *nodeREST) New() runtime.Object     { return &metricsv1beta1.NodeMetrics{} }
func (r *nodeREST) NewList() runtime.Object { return &metricsv1beta1.NodeMetricsList{} }
func (r *nodeREST) Destroy()                {}
func (r *nodeREST) Kind() string            { return "NodeMetrics" }
func (r *nodeREST) NamespaceScoped() bool   { return false }

// GetSingularName is empty, as metrics-server's: clients fall back to the lowercased
// kind, "nodemetrics".
func (r *nodeREST) GetSingularName() string { return "" }

// Get returns a node's metrics: the node lister's NotFound for a node that does not
// exist, nodemetrics' NotFound for one without two samples yet.
func (r *nodeREST) Get(ctx context.Context, name string, _ *metav1.GetOptions) (runtime.Object, error) {
	node, err := r.s.nodes.Get(name)
	if err != nil {
		return nil, err
	}
	m, ok := r.s.nodeMetrics(node)
	if !ok {
		return nil, apierrors.NewNotFound(nodeMetricsResource, name)
	}
	return m, nil
}

// List returns the metrics of the nodes the selectors pick, by name.
func (r *nodeREST) List(ctx context.Context, options *metainternalversion.ListOptions) (runtime.Object, error) {
	nodes, err := r.s.nodes.List(labelSelector(options))
	if err != nil {
		return nil, apierrors.NewInternalError(fmt.Errorf("list nodes: %w", err))
	}
	list := &metricsv1beta1.NodeMetricsList{Items: []metricsv1beta1.NodeMetrics{}}
	for _, node := range nodes {
		if !fieldsMatch(options, &node.ObjectMeta, false) {
			continue
		}
		if m, ok := r.s.nodeMetrics(node); ok {
			list.Items = append(list.Items, *m)
		}
	}
	slices.SortFunc(list.Items, func(a, b metricsv1beta1.NodeMetrics) int { return strings.Compare(a.Name, b.Name) })
	return list, nil
}

func (r *nodeREST) ConvertToTable(_ context.Context, obj runtime.Object, _ runtime.Object) (*metav1.Table, error) {
	return nodeTable(obj)
}

// podREST is PodMetrics: one per pod whose containers all have two samples.
type podREST struct{ s *Scraper }

var (
	_ rest.Storage              = &podREST{}
	_ rest.KindProvider         = &podREST{}
	_ rest.Scoper               = &podREST{}
	_ rest.SingularNameProvider = &podREST{}
	_ rest.Getter               = &podREST{}
	_ rest.Lister               = &podREST{}
)

func (r *podREST) New() runtime.Object     { return &metricsv1beta1.PodMetrics{} }
func (r *podREST) NewList() runtime.Object { return &metricsv1beta1.PodMetricsList{} }
func (r *podREST) Destroy()                {}
func (r *podREST) Kind() string            { return "PodMetrics" }
func (r *podREST) NamespaceScoped() bool   { return true }

// GetSingularName is empty, as metrics-server's ("podmetrics").
func (r *podREST) GetSingularName() string { return "" }

// Get returns a pod's metrics: the pod lister's NotFound for a pod that does not
// exist, podmetrics' NotFound (naming it namespace/name, as metrics-server does) for
// one without metrics.
func (r *podREST) Get(ctx context.Context, name string, _ *metav1.GetOptions) (runtime.Object, error) {
	namespace := genericapirequest.NamespaceValue(ctx)
	obj, err := r.s.pods.ByNamespace(namespace).Get(name)
	if err != nil {
		return nil, err
	}
	pod, err := podMeta(obj)
	if err != nil {
		return nil, err
	}
	m, ok := r.s.podMetrics(pod)
	if !ok {
		return nil, apierrors.NewNotFound(podMetricsResource, namespace+"/"+name)
	}
	return m, nil
}

// List returns the metrics of the pods in the request's namespace (all namespaces for
// none) that the selectors pick, by namespace and name.
func (r *podREST) List(ctx context.Context, options *metainternalversion.ListOptions) (runtime.Object, error) {
	namespace := genericapirequest.NamespaceValue(ctx)
	objs, err := r.s.pods.ByNamespace(namespace).List(labelSelector(options))
	if err != nil {
		return nil, apierrors.NewInternalError(fmt.Errorf("list pods: %w", err))
	}
	list := &metricsv1beta1.PodMetricsList{Items: []metricsv1beta1.PodMetrics{}}
	for _, obj := range objs {
		pod, err := podMeta(obj)
		if err != nil {
			return nil, err
		}
		if !fieldsMatch(options, &pod.ObjectMeta, true) {
			continue
		}
		if m, ok := r.s.podMetrics(pod); ok {
			list.Items = append(list.Items, *m)
		}
	}
	slices.SortFunc(list.Items, func(a, b metricsv1beta1.PodMetrics) int {
		if c := strings.Compare(a.Namespace, b.Namespace); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return list, nil
}

func (r *podREST) ConvertToTable(_ context.Context, obj runtime.Object, _ runtime.Object) (*metav1.Table, error) {
	return podTable(obj)
}

func labelSelector(options *metainternalversion.ListOptions) labels.Selector {
	if options == nil || options.LabelSelector == nil {
		return labels.Everything()
	}
	return options.LabelSelector
}

// fieldsMatch applies a field selector to the object the metrics are of: the request
// handler has already refused fields other than metadata.name and metadata.namespace.
func fieldsMatch(options *metainternalversion.ListOptions, meta *metav1.ObjectMeta, namespaced bool) bool {
	if options == nil || options.FieldSelector == nil || options.FieldSelector.Empty() {
		return true
	}
	return options.FieldSelector.Matches(generic.AddObjectMetaFieldsSet(fields.Set{}, meta, namespaced))
}

// nodeMetrics is a node's NodeMetrics, if it has two samples. Its labels are the node's,
// so that a label selector reads the same on both.
func (s *Scraper) nodeMetrics(node *corev1.Node) (*metricsv1beta1.NodeMetrics, bool) {
	u, ok := s.store.node(node.Name)
	if !ok {
		return nil, false
	}
	return &metricsv1beta1.NodeMetrics{
		ObjectMeta: metav1.ObjectMeta{Name: node.Name, Labels: node.Labels, CreationTimestamp: metav1.NewTime(s.clock.Now())},
		Timestamp:  metav1.NewTime(u.time),
		Window:     metav1.Duration{Duration: u.window},
		Usage:      corev1.ResourceList{corev1.ResourceCPU: u.cpu, corev1.ResourceMemory: u.memory},
	}, true
}

// podMeta is a pod from the metadata informer.
func podMeta(obj runtime.Object) (*metav1.PartialObjectMetadata, error) {
	pod, ok := obj.(*metav1.PartialObjectMetadata)
	if !ok {
		return nil, apierrors.NewInternalError(fmt.Errorf("pod lister returned %T", obj))
	}
	return pod, nil
}

// podMetrics is a pod's PodMetrics, if its containers have two samples each.
func (s *Scraper) podMetrics(pod *metav1.PartialObjectMetadata) (*metricsv1beta1.PodMetrics, bool) {
	containers, u, ok := s.store.pod(types.NamespacedName{Namespace: pod.Namespace, Name: pod.Name})
	if !ok {
		return nil, false
	}
	return &metricsv1beta1.PodMetrics{
		ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace, Labels: pod.Labels, CreationTimestamp: metav1.NewTime(s.clock.Now())},
		Timestamp:  metav1.NewTime(u.time),
		Window:     metav1.Duration{Duration: u.window},
		Containers: containers,
	}, true
}
