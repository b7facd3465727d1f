package horizontalpodautoscaler

import (
	"context"
	"errors"
	"fmt"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/klog/v2"
	custommetricsv1beta2 "k8s.io/metrics/pkg/apis/custom_metrics/v1beta2"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"
	resourceclient "k8s.io/metrics/pkg/client/clientset/versioned/typed/metrics/v1beta1"
	customclient "k8s.io/metrics/pkg/client/custom_metrics"
	externalclient "k8s.io/metrics/pkg/client/external_metrics"
)

// defaultMetricWindow is the window a custom metric without windowSeconds is
// taken to cover, metrics-server's resolution as upstream assumes.
const defaultMetricWindow = time.Minute

// podMetric is one pod's sample: a milli-value, when it was taken and over
// what window (the window matters to whether a pod that just became ready
// has been measured since).
type podMetric struct {
	Timestamp time.Time
	Window    time.Duration
	Value     int64
}

// podMetrics maps pod names to their samples.
type podMetrics map[string]podMetric

// MetricsClient is where the controller reads metrics from: the resource
// metrics API (metrics.k8s.io), the custom metrics API
// (custom.metrics.k8s.io) and the external metrics API
// (external.metrics.k8s.io). Every value is a milli-value.
type MetricsClient interface {
	// ResourceMetric is the usage of resource by each pod selector picks,
	// or by its container named container when that is not empty, with
	// the time of the first sample.
	ResourceMetric(ctx context.Context, resource corev1.ResourceName, namespace string, selector labels.Selector, container string) (podMetrics, time.Time, error)
	// PodsMetric is the custom metric name of each pod selector picks.
	PodsMetric(ctx context.Context, name, namespace string, selector, metricSelector labels.Selector) (podMetrics, time.Time, error)
	// ObjectMetric is the custom metric name of one object.
	ObjectMetric(ctx context.Context, name, namespace string, ref *autoscalingv2.CrossVersionObjectReference, metricSelector labels.Selector) (int64, time.Time, error)
	// ExternalMetric is every value of the external metric name.
	ExternalMetric(ctx context.Context, name, namespace string, metricSelector labels.Selector) ([]int64, time.Time, error)
}

// NewMetricsClient reads metrics through the three APIs' clients.
func NewMetricsClient(resources resourceclient.PodMetricsesGetter, custom customclient.CustomMetricsClient, external externalclient.ExternalMetricsClient) MetricsClient {
	return &restMetrics{resources: resources, custom: custom, external: external}
}

type restMetrics struct {
	resources resourceclient.PodMetricsesGetter
	custom    customclient.CustomMetricsClient
	external  externalclient.ExternalMetricsClient
}

func (m *restMetrics) ResourceMetric(ctx context.Context, resource corev1.ResourceName, namespace string, selector labels.Selector, container string) (podMetrics, time.Time, error) {
	list, err := m.resources.PodMetricses(namespace).List(ctx, metav1.ListOptions{LabelSelector: selector.String()})
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("unable to fetch metrics from resource metrics API: %w", err)
	}
	if len(list.Items) == 0 {
		return nil, time.Time{}, errors.New("no metrics returned from resource metrics API")
	}
	logger := klog.FromContext(ctx)
	out := make(podMetrics, len(list.Items))
	for i := range list.Items {
		pm := &list.Items[i]
		if v, ok := podUsage(pm, resource, container); ok {
			out[pm.Name] = podMetric{Timestamp: pm.Timestamp.Time, Window: pm.Window.Duration, Value: v}
		} else {
			logger.V(2).Info("Missing resource metric", "resource", resource, "container", container, "pod", klog.KRef(pm.Namespace, pm.Name))
		}
	}
	return out, list.Items[0].Timestamp.Time, nil
}

// podUsage is a pod's usage of resource: its container's when container is
// set, else the sum over its containers. A pod with no containers, or one
// missing the resource, has no usage: a partial sum would read low.
func podUsage(pm *metricsv1beta1.PodMetrics, resource corev1.ResourceName, container string) (int64, bool) {
	if container != "" {
		for _, c := range pm.Containers {
			if c.Name == container {
				q, ok := c.Usage[resource]
				return q.MilliValue(), ok
			}
		}
		return 0, false
	}
	if len(pm.Containers) == 0 {
		return 0, false
	}
	var sum int64
	for _, c := range pm.Containers {
		q, ok := c.Usage[resource]
		if !ok {
			return 0, false
		}
		sum += q.MilliValue()
	}
	return sum, true
}

func (m *restMetrics) PodsMetric(_ context.Context, name, namespace string, selector, metricSelector labels.Selector) (podMetrics, time.Time, error) {
	list, err := m.custom.NamespacedMetrics(namespace).GetForObjects(schema.GroupKind{Kind: "Pod"}, selector, name, metricSelector)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("unable to fetch metrics from custom metrics API: %w", err)
	}
	if len(list.Items) == 0 {
		return nil, time.Time{}, errors.New("no metrics returned from custom metrics API")
	}
	out := make(podMetrics, len(list.Items))
	for _, v := range list.Items {
		window := defaultMetricWindow
		if v.WindowSeconds != nil {
			window = time.Duration(*v.WindowSeconds) * time.Second
		}
		out[v.DescribedObject.Name] = podMetric{Timestamp: v.Timestamp.Time, Window: window, Value: v.Value.MilliValue()}
	}
	return out, list.Items[0].Timestamp.Time, nil
}

func (m *restMetrics) ObjectMetric(_ context.Context, name, namespace string, ref *autoscalingv2.CrossVersionObjectReference, metricSelector labels.Selector) (int64, time.Time, error) {
	gk := schema.FromAPIVersionAndKind(ref.APIVersion, ref.Kind).GroupKind()
	var (
		v   *custommetricsv1beta2.MetricValue
		err error
	)
	// A namespace's metrics are root-scoped: the namespace is the object.
	if gk == (schema.GroupKind{Kind: "Namespace"}) {
		v, err = m.custom.RootScopedMetrics().GetForObject(gk, namespace, name, metricSelector)
	} else {
		v, err = m.custom.NamespacedMetrics(namespace).GetForObject(gk, ref.Name, name, metricSelector)
	}
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("unable to fetch metrics from custom metrics API: %w", err)
	}
	return v.Value.MilliValue(), v.Timestamp.Time, nil
}

func (m *restMetrics) ExternalMetric(_ context.Context, name, namespace string, metricSelector labels.Selector) ([]int64, time.Time, error) {
	list, err := m.external.NamespacedMetrics(namespace).List(name, metricSelector)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("unable to fetch metrics from external metrics API: %w", err)
	}
	if len(list.Items) == 0 {
		return nil, time.Time{}, errors.New("no metrics returned from external metrics API")
	}
	out := make([]int64, 0, len(list.Items))
	for _, v := range list.Items {
		out = append(out, v.Value.MilliValue())
	}
	return out, list.Items[0].Timestamp.Time, nil
}
