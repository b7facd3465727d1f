package horizontalpodautoscaler

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
)

// Upstream's messages, spelled out once.
const (
	gotScale        = "True SucceededGetScale: the HPA controller was able to get the target's current scale"
	withinRange     = "False DesiredWithinRange: the desired count is within the acceptable range"
	notScaledToZero = "False NotScaledToZero: the HPA controller did not scale the workload to zero"
	noMetricsAPI    = "unable to fetch metrics from resource metrics API: the server could not find the requested resource (get pods.metrics.k8s.io)"
	noCustomAPI     = "unable to fetch metrics from custom metrics API: no custom metrics API (custom.metrics.k8s.io) registered"
)

func rescaledTo(n int32) string {
	return fmt.Sprintf("True SucceededRescale: the HPA controller was able to update the target scale to %d", n)
}

// metricSummary is a metric status in one line: type, name, and the
// current utilization / average value / value that are set.
func metricSummary(ms []autoscalingv2.MetricStatus) []string {
	var out []string
	q := func(q *resource.Quantity) string {
		if q == nil {
			return "-"
		}
		return q.String()
	}
	for _, m := range ms {
		if m.Type == "" {
			// What a metric that failed leaves, as upstream.
			out = append(out, "")
			continue
		}
		var name string
		var cur autoscalingv2.MetricValueStatus
		switch m.Type {
		case autoscalingv2.ResourceMetricSourceType:
			name, cur = string(m.Resource.Name), m.Resource.Current
		case autoscalingv2.ContainerResourceMetricSourceType:
			name, cur = string(m.ContainerResource.Name)+"/"+m.ContainerResource.Container, m.ContainerResource.Current
		case autoscalingv2.PodsMetricSourceType:
			name, cur = m.Pods.Metric.Name, m.Pods.Current
		case autoscalingv2.ObjectMetricSourceType:
			name, cur = m.Object.Metric.Name, m.Object.Current
		case autoscalingv2.ExternalMetricSourceType:
			name, cur = m.External.Metric.Name, m.External.Current
		}
		util := "-"
		if cur.AverageUtilization != nil {
			util = fmt.Sprintf("%d%%", *cur.AverageUtilization)
		}
		out = append(out, strings.TrimSpace(fmt.Sprintf("%s %s %s %s %s", m.Type, name, util, q(cur.AverageValue), q(cur.Value))))
	}
	return out
}

type status struct {
	Current, Desired   int32
	Scaled             bool // lastScaleTime is now
	ObservedGeneration int64
	Metrics            []string
}

func summary(hpa *autoscalingv2.HorizontalPodAutoscaler, now time.Time) status {
	s := status{Current: hpa.Status.CurrentReplicas, Desired: hpa.Status.DesiredReplicas, Metrics: metricSummary(hpa.Status.CurrentMetrics)}
	s.Scaled = hpa.Status.LastScaleTime != nil && hpa.Status.LastScaleTime.Time.Equal(now)
	if hpa.Status.ObservedGeneration != nil {
		s.ObservedGeneration = *hpa.Status.ObservedGeneration
	}
	return s
}

func podsMetric(name string, average string) autoscalingv2.MetricSpec {
	return autoscalingv2.MetricSpec{Type: autoscalingv2.PodsMetricSourceType, Pods: &autoscalingv2.PodsMetricSource{
		Metric: autoscalingv2.MetricIdentifier{Name: name},
		Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: ptr.To(resource.MustParse(average))},
	}}
}

func externalMetric(name string, value string) autoscalingv2.MetricSpec {
	return autoscalingv2.MetricSpec{Type: autoscalingv2.ExternalMetricSourceType, External: &autoscalingv2.ExternalMetricSource{
		Metric: autoscalingv2.MetricIdentifier{Name: name},
		Target: autoscalingv2.MetricTarget{Type: autoscalingv2.ValueMetricType, Value: ptr.To(resource.MustParse(value))},
	}}
}

func TestReconcile(t *testing.T) {
	cases := []struct {
		name       string
		replicas   int32
		pods       []*corev1.Pod
		cpu        map[string]int64
		setup      func(h *harness)
		hpa        *autoscalingv2.HorizontalPodAutoscaler
		wantWrites []int32
		wantEvents []string
		wantConds  map[string]string
		wantStatus status
		wantErr    string
	}{{
		name:     "CPU above target scales up",
		replicas: 1, pods: []*corev1.Pod{pod("a", 100)}, cpu: map[string]int64{"a": 150},
		hpa:        cpuHPA("busy", 1, 3, 50),
		wantWrites: []int32{3},
		wantEvents: []string{"Normal SuccessfulRescale New size: 3; reason: cpu resource utilization (percentage of request) above target"},
		wantConds: map[string]string{
			"AbleToScale":    rescaledTo(3),
			"ScalingActive":  "True ValidMetricFound: the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)",
			"ScalingLimited": withinRange,
			"ScaledToZero":   notScaledToZero,
		},
		wantStatus: status{Current: 1, Desired: 3, Scaled: true, ObservedGeneration: 1, Metrics: []string{"Resource cpu 150% 150m -"}},
	}, {
		name:     "maxReplicas limits a scale-up",
		replicas: 3, pods: []*corev1.Pod{pod("a", 100), pod("b", 100), pod("c", 100)}, cpu: map[string]int64{"a": 300, "b": 300, "c": 300},
		hpa:        cpuHPA("busy", 1, 5, 50),
		wantWrites: []int32{5},
		wantEvents: []string{"Normal SuccessfulRescale New size: 5; reason: cpu resource utilization (percentage of request) above target"},
		wantConds: map[string]string{
			"AbleToScale":    rescaledTo(5),
			"ScalingActive":  "True ValidMetricFound: the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)",
			"ScalingLimited": "True TooManyReplicas: the desired replica count is more than the maximum replica count",
			"ScaledToZero":   notScaledToZero,
		},
		wantStatus: status{Current: 3, Desired: 5, Scaled: true, ObservedGeneration: 1, Metrics: []string{"Resource cpu 300% 300m -"}},
	}, {
		name:     "on target nothing is written but the status",
		replicas: 2, pods: []*corev1.Pod{pod("a", 100), pod("b", 100)}, cpu: map[string]int64{"a": 52, "b": 50},
		hpa: cpuHPA("busy", 1, 5, 50),
		wantConds: map[string]string{
			"AbleToScale":    "True ReadyForNewScale: recommended size matches current size",
			"ScalingActive":  "True ValidMetricFound: the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)",
			"ScalingLimited": withinRange,
		},
		wantStatus: status{Current: 2, Desired: 2, ObservedGeneration: 1, Metrics: []string{"Resource cpu 51% 51m -"}},
	}, {
		name:     "without a metrics API the HPA is not active",
		replicas: 2, pods: []*corev1.Pod{pod("a", 100), pod("b", 100)},
		setup: func(h *harness) { h.noMetricsAPI() },
		hpa:   cpuHPA("busy", 1, 5, 50),
		wantEvents: []string{
			"Warning FailedGetResourceMetric failed to get cpu utilization: unable to get metrics for resource cpu: " + noMetricsAPI,
			"Warning FailedComputeMetricsReplicas invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource metric value: failed to get cpu utilization: unable to get metrics for resource cpu: " + noMetricsAPI,
		},
		wantConds: map[string]string{
			"AbleToScale":   gotScale,
			"ScalingActive": "False FailedGetResourceMetric: the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu: " + noMetricsAPI,
		},
		wantStatus: status{Current: 2, ObservedGeneration: 1, Metrics: []string{""}},
		wantErr:    "failed to compute desired number of replicas based on listed metrics for Deployment/default/web: invalid metrics (1 invalid out of 1)",
	}, {
		name:     "below minReplicas scales up without metrics",
		replicas: 1, pods: []*corev1.Pod{pod("a", 100)},
		setup:      func(h *harness) { h.noMetricsAPI() },
		hpa:        cpuHPA("busy", 3, 5, 50),
		wantWrites: []int32{3},
		wantEvents: []string{"Normal SuccessfulRescale New size: 3; reason: Current number of replicas below Spec.MinReplicas"},
		wantConds:  map[string]string{"AbleToScale": rescaledTo(3), "ScaledToZero": notScaledToZero},
		wantStatus: status{Current: 1, Desired: 3, Scaled: true, ObservedGeneration: 1},
	}, {
		name:       "above maxReplicas scales down without metrics",
		replicas:   7,
		setup:      func(h *harness) { h.noMetricsAPI() },
		hpa:        cpuHPA("busy", 1, 5, 50),
		wantWrites: []int32{5},
		wantEvents: []string{"Normal SuccessfulRescale New size: 5; reason: Current number of replicas above Spec.MaxReplicas"},
		wantConds:  map[string]string{"AbleToScale": rescaledTo(5), "ScaledToZero": notScaledToZero},
		wantStatus: status{Current: 7, Desired: 5, Scaled: true, ObservedGeneration: 1},
	}, {
		name:       "a target scaled to zero by hand is left alone",
		replicas:   0,
		hpa:        cpuHPA("busy", 1, 5, 50),
		wantConds:  map[string]string{"AbleToScale": gotScale, "ScalingActive": "False ScalingDisabled: scaling is disabled since the replica count of the target is zero"},
		wantStatus: status{ObservedGeneration: 1},
	}, {
		name:     "minReplicas 0 without an object or external metric means 1",
		replicas: 2, pods: []*corev1.Pod{pod("a", 100), pod("b", 100)}, cpu: map[string]int64{"a": 0, "b": 0},
		hpa: func() *autoscalingv2.HorizontalPodAutoscaler {
			hpa := cpuHPA("busy", 0, 5, 50)
			hpa.Spec.Behavior = behavior(func(b *autoscalingv2.HorizontalPodAutoscalerBehavior) {
				b.ScaleDown.StabilizationWindowSeconds = ptr.To[int32](0)
			})
			return hpa
		}(),
		wantWrites: []int32{1},
		wantEvents: []string{"Normal SuccessfulRescale New size: 1; reason: All metrics below target"},
		wantConds: map[string]string{
			"AbleToScale":    rescaledTo(1),
			"ScalingActive":  "True ValidMetricFound: the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)",
			"ScalingLimited": "True TooFewReplicas: the desired replica count is less than the minimum replica count",
			"ScaledToZero":   notScaledToZero,
		},
		wantStatus: status{Current: 2, Desired: 1, Scaled: true, ObservedGeneration: 1, Metrics: []string{"Resource cpu 0% 0 -"}},
	}, {
		name:     "maxReplicas below minReplicas is not acted on",
		replicas: 3,
		hpa:      cpuHPA("busy", 2, 0, 50),
		wantConds: map[string]string{"AbleToScale": gotScale,
			"ScalingActive": "False InvalidSpec: maxReplicas (0) must be greater than or equal to minReplicas (2)"},
		wantStatus: status{Current: 3, ObservedGeneration: 1},
	}, {
		name:     "a target whose scale cannot be read",
		replicas: 1,
		setup: func(h *harness) {
			h.scaleGetErr = apierrors.NewNotFound(schema.GroupResource{Group: "apps", Resource: "deployments"}, "web")
		},
		hpa:        cpuHPA("busy", 1, 5, 50),
		wantEvents: []string{`Warning FailedGetScale deployments.apps "web" not found`},
		wantConds:  map[string]string{"AbleToScale": `False FailedGetScale: the HPA controller was unable to get the target's current scale: deployments.apps "web" not found`},
		wantErr:    `failed to query scale subresource for Deployment/default/web: deployments.apps "web" not found`,
	}, {
		name:     "a target of a kind the server does not serve",
		replicas: 1,
		setup:    func(h *harness) {},
		hpa: func() *autoscalingv2.HorizontalPodAutoscaler {
			hpa := cpuHPA("busy", 1, 5, 50)
			hpa.Spec.ScaleTargetRef = autoscalingv2.CrossVersionObjectReference{APIVersion: "example.com/v1", Kind: "Widget", Name: "w"}
			return hpa
		}(),
		wantEvents: []string{`Warning FailedGetScale no matches for kind "Widget" in group "example.com"`},
		wantConds:  map[string]string{"AbleToScale": `False FailedGetScale: the HPA controller was unable to get the target's current scale: no matches for kind "Widget" in group "example.com"`},
		wantErr:    `unable to determine resource for scale target reference: no matches for kind "Widget" in group "example.com"`,
	}, {
		name:     "a scale that cannot be written",
		replicas: 1, pods: []*corev1.Pod{pod("a", 100)}, cpu: map[string]int64{"a": 150},
		setup: func(h *harness) {
			h.scaleUpdErr = apierrors.NewForbidden(schema.GroupResource{Group: "apps", Resource: "deployments"}, "web", fmt.Errorf("no"))
		},
		hpa:        cpuHPA("busy", 1, 3, 50),
		wantEvents: []string{`Warning FailedRescale New size: 3; reason: cpu resource utilization (percentage of request) above target; error: deployments.apps "web" is forbidden: no`},
		wantConds: map[string]string{
			"AbleToScale":    `False FailedUpdateScale: the HPA controller was unable to update the target scale: deployments.apps "web" is forbidden: no`,
			"ScalingActive":  "True ValidMetricFound: the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)",
			"ScalingLimited": withinRange,
		},
		wantStatus: status{Current: 1, ObservedGeneration: 1, Metrics: []string{"Resource cpu 150% 150m -"}},
		wantErr:    `failed to rescale Deployment/default/web: deployments.apps "web" is forbidden: no`,
	}, {
		name:     "a scale without a selector",
		replicas: 1,
		setup:    func(h *harness) { h.scale.Status.Selector = "" },
		hpa:      cpuHPA("busy", 1, 3, 50),
		wantEvents: []string{
			"Warning SelectorRequired selector is required",
			"Warning FailedComputeMetricsReplicas selector is required",
		},
		wantConds:  map[string]string{"AbleToScale": gotScale, "ScalingActive": "False InvalidSelector: the HPA target's scale is missing a selector"},
		wantStatus: status{Current: 1, ObservedGeneration: 1},
		wantErr:    "selector is required",
	}, {
		name:     "two HPAs on the same pods",
		replicas: 1, pods: []*corev1.Pod{pod("a", 100)}, cpu: map[string]int64{"a": 150},
		setup: func(h *harness) {
			h.create(cpuHPA("other", 1, 3, 50))
			h.c.tracked.update(ns, "other", mustSelector("app=web"))
		},
		hpa: cpuHPA("busy", 1, 3, 50),
		wantEvents: []string{
			"Warning AmbiguousSelector pods by selector app=web are controlled by more than one HPA (e.g. [default/busy default/other])",
			"Warning FailedComputeMetricsReplicas pods by selector app=web are controlled by more than one HPA (e.g. [default/busy default/other])",
		},
		wantConds: map[string]string{"AbleToScale": gotScale,
			"ScalingActive": "False AmbiguousSelector: pods by selector app=web are controlled by more than one HPA (e.g. [default/busy default/other])"},
		wantStatus: status{Current: 1, ObservedGeneration: 1},
		wantErr:    "controlled by more than one HPA",
	}, {
		name:     "a pods metric without a custom metrics API",
		replicas: 1, pods: []*corev1.Pod{pod("a", 100)},
		hpa: func() *autoscalingv2.HorizontalPodAutoscaler {
			hpa := cpuHPA("busy", 1, 3, 50)
			hpa.Spec.Metrics = []autoscalingv2.MetricSpec{podsMetric("qps", "10")}
			return hpa
		}(),
		wantEvents: []string{
			"Warning FailedGetPodsMetric unable to get metric qps: " + noCustomAPI,
			"Warning FailedComputeMetricsReplicas invalid metrics (1 invalid out of 1), first error is: failed to get pods metric value: unable to get metric qps: " + noCustomAPI,
		},
		wantConds: map[string]string{"AbleToScale": gotScale,
			"ScalingActive": "False FailedGetPodsMetric: the HPA was unable to compute the replica count: unable to get metric qps: " + noCustomAPI},
		wantStatus: status{Current: 1, ObservedGeneration: 1, Metrics: []string{""}},
		wantErr:    "invalid metrics (1 invalid out of 1)",
	}, {
		name:     "a pods metric",
		replicas: 2, pods: []*corev1.Pod{pod("a", 100), pod("b", 100)},
		setup: func(h *harness) { h.customValue = map[string]int64{"qps": 25000} },
		hpa: func() *autoscalingv2.HorizontalPodAutoscaler {
			hpa := cpuHPA("busy", 1, 10, 50)
			hpa.Spec.Metrics = []autoscalingv2.MetricSpec{podsMetric("qps", "10")}
			return hpa
		}(),
		wantWrites: []int32{4},
		wantEvents: []string{"Normal SuccessfulRescale New size: 4; reason: pods metric qps above target"},
		wantConds: map[string]string{
			"AbleToScale":    rescaledTo(4),
			"ScalingActive":  "True ValidMetricFound: the HPA was able to successfully calculate a replica count from pods metric qps",
			"ScalingLimited": "True ScaleUpLimit: the desired replica count is increasing faster than the maximum scale rate",
			"ScaledToZero":   notScaledToZero,
		},
		wantStatus: status{Current: 2, Desired: 4, Scaled: true, ObservedGeneration: 1, Metrics: []string{"Pods qps - 25 -"}},
	}, {
		name:     "an external metric not served",
		replicas: 1, pods: []*corev1.Pod{pod("a", 100)},
		hpa: func() *autoscalingv2.HorizontalPodAutoscaler {
			hpa := cpuHPA("busy", 1, 3, 50)
			hpa.Spec.Metrics = []autoscalingv2.MetricSpec{externalMetric("queue_depth", "10")}
			return hpa
		}(),
		wantEvents: []string{
			"Warning FailedGetExternalMetric unable to get external metric default/queue_depth/nil: unable to fetch metrics from external metrics API: the server could not find the requested resource (get queue_depth.external.metrics.k8s.io)",
			"Warning FailedComputeMetricsReplicas invalid metrics (1 invalid out of 1), first error is: failed to get queue_depth external metric value: failed to get external metric queue_depth: unable to get external metric default/queue_depth/nil: unable to fetch metrics from external metrics API: the server could not find the requested resource (get queue_depth.external.metrics.k8s.io)",
		},
		wantConds: map[string]string{"AbleToScale": gotScale,
			"ScalingActive": "False FailedGetExternalMetric: the HPA was unable to compute the replica count: unable to get external metric default/queue_depth/nil: unable to fetch metrics from external metrics API: the server could not find the requested resource (get queue_depth.external.metrics.k8s.io)"},
		wantStatus: status{Current: 1, ObservedGeneration: 1, Metrics: []string{""}},
		wantErr:    "invalid metrics (1 invalid out of 1)",
	}, {
		name:     "a failing metric does not stop another's scale-up",
		replicas: 1, pods: []*corev1.Pod{pod("a", 100)}, cpu: map[string]int64{"a": 150},
		hpa: func() *autoscalingv2.HorizontalPodAutoscaler {
			hpa := cpuHPA("busy", 1, 3, 50)
			hpa.Spec.Metrics = append(hpa.Spec.Metrics, podsMetric("qps", "10"))
			return hpa
		}(),
		wantWrites: []int32{3},
		wantEvents: []string{
			"Warning FailedGetPodsMetric unable to get metric qps: " + noCustomAPI,
			"Normal SuccessfulRescale New size: 3; reason: cpu resource utilization (percentage of request) above target",
		},
		wantConds: map[string]string{
			"AbleToScale":    rescaledTo(3),
			"ScalingActive":  "True ValidMetricFound: the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)",
			"ScalingLimited": withinRange,
			"ScaledToZero":   notScaledToZero,
		},
		wantStatus: status{Current: 1, Desired: 3, Scaled: true, ObservedGeneration: 1, Metrics: []string{"Resource cpu 150% 150m -", ""}},
		wantErr:    "invalid metrics (1 invalid out of 2), first error is: failed to get pods metric value",
	}, {
		name:     "a failing metric stops another's scale-down",
		replicas: 2, pods: []*corev1.Pod{pod("a", 100), pod("b", 100)}, cpu: map[string]int64{"a": 10, "b": 10},
		hpa: func() *autoscalingv2.HorizontalPodAutoscaler {
			hpa := cpuHPA("busy", 1, 3, 50)
			hpa.Spec.Metrics = append(hpa.Spec.Metrics, podsMetric("qps", "10"))
			return hpa
		}(),
		wantEvents: []string{
			"Warning FailedGetPodsMetric unable to get metric qps: " + noCustomAPI,
			"Warning FailedComputeMetricsReplicas invalid metrics (1 invalid out of 2), first error is: failed to get pods metric value: unable to get metric qps: " + noCustomAPI,
		},
		wantConds: map[string]string{"AbleToScale": gotScale,
			"ScalingActive": "False FailedGetPodsMetric: the HPA was unable to compute the replica count: unable to get metric qps: " + noCustomAPI},
		wantStatus: status{Current: 2, ObservedGeneration: 1, Metrics: []string{"Resource cpu 10% 10m -", ""}},
		wantErr:    "invalid metrics (1 invalid out of 2)",
	}, {
		name:     "a container resource metric not served",
		replicas: 1, pods: []*corev1.Pod{pod("a", 100)},
		setup: func(h *harness) { h.noMetricsAPI() },
		hpa: func() *autoscalingv2.HorizontalPodAutoscaler {
			hpa := cpuHPA("busy", 1, 3, 50)
			hpa.Spec.Metrics = []autoscalingv2.MetricSpec{{Type: autoscalingv2.ContainerResourceMetricSourceType, ContainerResource: &autoscalingv2.ContainerResourceMetricSource{
				Name: corev1.ResourceMemory, Container: "c",
				Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: ptr.To(resource.MustParse("64Mi"))},
			}}}
			return hpa
		}(),
		wantEvents: []string{
			"Warning FailedGetContainerResourceMetric failed to get memory usage: unable to get metrics for resource memory: " + noMetricsAPI,
			"Warning FailedComputeMetricsReplicas invalid metrics (1 invalid out of 1), first error is: failed to get c container metric value: failed to get memory usage: unable to get metrics for resource memory: " + noMetricsAPI,
		},
		wantConds: map[string]string{"AbleToScale": gotScale,
			"ScalingActive": "False FailedGetContainerResourceMetric: the HPA was unable to compute the replica count: failed to get memory usage: unable to get metrics for resource memory: " + noMetricsAPI},
		wantStatus: status{Current: 1, ObservedGeneration: 1, Metrics: []string{""}},
		wantErr:    "invalid metrics (1 invalid out of 1)",
	}, {
		name:     "a container's memory average value",
		replicas: 1, pods: []*corev1.Pod{pod("a", 100)},
		setup: func(h *harness) { h.usage("a", map[string][2]int64{"c": {10, 128 << 20}}) },
		hpa: func() *autoscalingv2.HorizontalPodAutoscaler {
			hpa := cpuHPA("busy", 1, 3, 50)
			hpa.Spec.Metrics = []autoscalingv2.MetricSpec{{Type: autoscalingv2.ContainerResourceMetricSourceType, ContainerResource: &autoscalingv2.ContainerResourceMetricSource{
				Name: corev1.ResourceMemory, Container: "c",
				Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: ptr.To(resource.MustParse("64Mi"))},
			}}}
			return hpa
		}(),
		wantWrites: []int32{2},
		wantEvents: []string{"Normal SuccessfulRescale New size: 2; reason: memory resource above target"},
		wantConds: map[string]string{
			"AbleToScale":    rescaledTo(2),
			"ScalingActive":  "True ValidMetricFound: the HPA was able to successfully calculate a replica count from memory resource",
			"ScalingLimited": withinRange,
			"ScaledToZero":   notScaledToZero,
		},
		wantStatus: status{Current: 1, Desired: 2, Scaled: true, ObservedGeneration: 1, Metrics: []string{"ContainerResource memory/c - 128Mi -"}},
	}, {
		name:     "the HPA's own tolerance",
		replicas: 1, pods: []*corev1.Pod{pod("a", 100)}, cpu: map[string]int64{"a": 70},
		hpa: func() *autoscalingv2.HorizontalPodAutoscaler {
			hpa := cpuHPA("busy", 1, 3, 50)
			hpa.Spec.Behavior = behavior(func(b *autoscalingv2.HorizontalPodAutoscalerBehavior) {
				b.ScaleUp.Tolerance = ptr.To(resource.MustParse("0.5"))
			})
			return hpa
		}(),
		wantConds: map[string]string{
			"AbleToScale":    "True ReadyForNewScale: recommended size matches current size",
			"ScalingActive":  "True ValidMetricFound: the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)",
			"ScalingLimited": withinRange,
		},
		wantStatus: status{Current: 1, Desired: 1, ObservedGeneration: 1, Metrics: []string{"Resource cpu 70% 70m -"}},
	}, {
		name:     "an external metric at zero scales to minReplicas 0",
		replicas: 2, pods: []*corev1.Pod{pod("a", 100), pod("b", 100)},
		setup: func(h *harness) { h.externalValues = map[string][]int64{"queue_depth": {0}} },
		hpa: func() *autoscalingv2.HorizontalPodAutoscaler {
			hpa := cpuHPA("busy", 0, 5, 50)
			hpa.Spec.Metrics = []autoscalingv2.MetricSpec{externalMetric("queue_depth", "10")}
			hpa.Spec.Behavior = behavior(func(b *autoscalingv2.HorizontalPodAutoscalerBehavior) {
				b.ScaleDown.StabilizationWindowSeconds = ptr.To[int32](0)
			})
			return hpa
		}(),
		wantWrites: []int32{0},
		wantEvents: []string{"Normal SuccessfulRescale New size: 0; reason: All metrics below target"},
		wantConds: map[string]string{
			"AbleToScale":    rescaledTo(0),
			"ScalingActive":  "True ValidMetricFound: the HPA was able to successfully calculate a replica count from external metric queue_depth(nil)",
			"ScalingLimited": withinRange,
			"ScaledToZero":   "True ScaledToZero: the HPA controller scaled the workload to zero",
		},
		wantStatus: status{Current: 2, Desired: 0, Scaled: true, ObservedGeneration: 1, Metrics: []string{"External queue_depth - - 0"}},
	}, {
		name:     "an external metric brings a target the controller scaled to zero back",
		replicas: 0,
		setup:    func(h *harness) { h.externalValues = map[string][]int64{"queue_depth": {25000}} },
		hpa: func() *autoscalingv2.HorizontalPodAutoscaler {
			hpa := cpuHPA("busy", 0, 5, 50)
			hpa.Spec.Metrics = []autoscalingv2.MetricSpec{externalMetric("queue_depth", "10")}
			hpa.Status.Conditions = []autoscalingv2.HorizontalPodAutoscalerCondition{{Type: autoscalingv2.ScaledToZero, Status: corev1.ConditionTrue, Reason: "ScaledToZero"}}
			return hpa
		}(),
		wantWrites: []int32{3},
		wantEvents: []string{"Normal SuccessfulRescale New size: 3; reason: external metric queue_depth(nil) above target"},
		wantConds: map[string]string{
			"AbleToScale":    rescaledTo(3),
			"ScalingActive":  "True ValidMetricFound: the HPA was able to successfully calculate a replica count from external metric queue_depth(nil)",
			"ScalingLimited": withinRange,
			"ScaledToZero":   notScaledToZero,
		},
		wantStatus: status{Current: 0, Desired: 3, Scaled: true, ObservedGeneration: 1, Metrics: []string{"External queue_depth - - 25"}},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.replicas, tc.pods...)
			h.cpu(tc.cpu)
			if tc.setup != nil {
				tc.setup(h)
			}
			h.create(tc.hpa)
			got, err, events := h.reconcile(tc.hpa.Name)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("error: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("error = %v, want one containing %q", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.wantWrites, h.scaleWrites); diff != "" {
				t.Errorf("scale writes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantEvents, events); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantConds, conditions(got)); diff != "" {
				t.Errorf("conditions (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantStatus, summary(got, t0)); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
		})
	}
}

func mustSelector(s string) labels.Selector {
	sel, err := labels.Parse(s)
	if err != nil {
		panic(err)
	}
	return sel
}

// TestReconcileOverTime steps the clock across reconciles: a scale-down
// waits out the downscale stabilization window, and a scale-up under the
// default behavior goes at the policies' rate.
func TestReconcileOverTime(t *testing.T) {
	t.Run("scale-down after the stabilization window", func(t *testing.T) {
		h := newHarness(t, 3, pod("a", 100), pod("b", 100), pod("c", 100))
		h.cpu(map[string]int64{"a": 10, "b": 10, "c": 10})
		h.create(cpuHPA("busy", 1, 5, 50))
		steps := []struct {
			at         time.Duration
			wantWrites []int32
			wantAble   string
		}{
			{0, nil, "True ScaleDownStabilized: recent recommendations were higher than current one, applying the highest recent recommendation"},
			{4 * time.Minute, nil, "True ScaleDownStabilized: recent recommendations were higher than current one, applying the highest recent recommendation"},
			{5*time.Minute + time.Second, []int32{1}, rescaledTo(1)},
		}
		for _, s := range steps {
			h.clock.SetTime(t0.Add(s.at))
			got, err, events := h.reconcile("busy")
			if err != nil {
				t.Fatalf("at %s: %v", s.at, err)
			}
			if diff := cmp.Diff(s.wantWrites, h.scaleWrites); diff != "" {
				t.Errorf("at %s: scale writes (-want +got):\n%s", s.at, diff)
			}
			if got := condition(got, autoscalingv2.AbleToScale); got != s.wantAble {
				t.Errorf("at %s: AbleToScale = %q, want %q", s.at, got, s.wantAble)
			}
			if s.wantWrites != nil {
				if diff := cmp.Diff([]string{"Normal SuccessfulRescale New size: 1; reason: All metrics below target"}, events); diff != "" {
					t.Errorf("events (-want +got):\n%s", diff)
				}
				if !summary(got, h.clock.Now()).Scaled {
					t.Errorf("lastScaleTime = %v, want %v", got.Status.LastScaleTime, h.clock.Now())
				}
			}
		}
	})
	t.Run("scale-up at the default behavior's rate", func(t *testing.T) {
		h := newHarness(t, 1, pod("a", 100))
		h.cpu(map[string]int64{"a": 1000})
		hpa := cpuHPA("busy", 1, 10, 50)
		hpa.Spec.Behavior = behavior(nil)
		h.create(hpa)
		steps := []struct {
			at          time.Duration
			wantWrites  []int32
			wantLimited string
		}{
			// 1 pod at 1000% of a 50% target asks for 20: 1+4 at most.
			{0, []int32{5}, "True ScaleUpLimit: the desired replica count is increasing faster than the maximum scale rate"},
			// Within 15 s of that, no more.
			{10 * time.Second, []int32{5}, "True ScaleUpLimit: the desired replica count is increasing faster than the maximum scale rate"},
			// After, doubling (10) beats 4 pods (9), and maxReplicas is 10.
			{16 * time.Second, []int32{5, 10}, "True TooManyReplicas: the desired replica count is more than the maximum replica count"},
		}
		for _, s := range steps {
			h.clock.SetTime(t0.Add(s.at))
			got, err, _ := h.reconcile("busy")
			if err != nil {
				t.Fatalf("at %s: %v", s.at, err)
			}
			if diff := cmp.Diff(s.wantWrites, h.scaleWrites); diff != "" {
				t.Errorf("at %s: scale writes (-want +got):\n%s", s.at, diff)
			}
			if got := condition(got, autoscalingv2.ScalingLimited); got != s.wantLimited {
				t.Errorf("at %s: ScalingLimited = %q, want %q", s.at, got, s.wantLimited)
			}
		}
	})
	t.Run("a deleted HPA's history is forgotten", func(t *testing.T) {
		h := newHarness(t, 3, pod("a", 100), pod("b", 100), pod("c", 100))
		h.cpu(map[string]int64{"a": 10, "b": 10, "c": 10})
		h.create(cpuHPA("busy", 1, 5, 50))
		if _, err, _ := h.reconcile("busy"); err != nil {
			t.Fatal(err)
		}
		if len(h.c.history.recommendations) != 1 {
			t.Fatalf("recommendations = %v", h.c.history.recommendations)
		}
		// The lister does not hold the HPA: sync takes it as deleted.
		deleted, err := h.c.sync(context.Background(), ns+"/busy")
		if err != nil || !deleted {
			t.Fatalf("sync = %v, %v; want deleted", deleted, err)
		}
		if len(h.c.history.recommendations) != 0 {
			t.Errorf("recommendations after delete = %v", h.c.history.recommendations)
		}
	})
}
