package printers

import (
	"testing"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
)

func TestHorizontalPodAutoscalers(t *testing.T) {
	q := func(s string) *resource.Quantity { return ptr.To(resource.MustParse(s)) }
	hpa := func(metrics []autoscalingv2.MetricSpec, current []autoscalingv2.MetricStatus) *autoscalingv2.HorizontalPodAutoscaler {
		return &autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: objectMeta("web"),
			Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
				ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{Kind: "Deployment", Name: "web"},
				MinReplicas:    ptr.To[int32](2), MaxReplicas: 10, Metrics: metrics},
			Status: autoscalingv2.HorizontalPodAutoscalerStatus{CurrentReplicas: 4, CurrentMetrics: current}}
	}
	cpu := autoscalingv2.MetricSpec{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
		Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{AverageUtilization: ptr.To[int32](80)}}}
	cpuNow := autoscalingv2.MetricStatus{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricStatus{
		Name: corev1.ResourceCPU, Current: autoscalingv2.MetricValueStatus{AverageUtilization: ptr.To[int32](40)}}}
	memory := autoscalingv2.MetricSpec{Type: autoscalingv2.ContainerResourceMetricSourceType,
		ContainerResource: &autoscalingv2.ContainerResourceMetricSource{Name: corev1.ResourceMemory, Container: "app",
			Target: autoscalingv2.MetricTarget{AverageValue: q("512Mi")}}}
	memoryNow := autoscalingv2.MetricStatus{Type: autoscalingv2.ContainerResourceMetricSourceType,
		ContainerResource: &autoscalingv2.ContainerResourceMetricStatus{Current: autoscalingv2.MetricValueStatus{AverageValue: q("300Mi")}}}
	pods := autoscalingv2.MetricSpec{Type: autoscalingv2.PodsMetricSourceType, Pods: &autoscalingv2.PodsMetricSource{
		Target: autoscalingv2.MetricTarget{AverageValue: q("1k")}}}
	object := autoscalingv2.MetricSpec{Type: autoscalingv2.ObjectMetricSourceType, Object: &autoscalingv2.ObjectMetricSource{
		Target: autoscalingv2.MetricTarget{Value: q("10")}}}
	external := autoscalingv2.MetricSpec{Type: autoscalingv2.ExternalMetricSourceType, External: &autoscalingv2.ExternalMetricSource{
		Target: autoscalingv2.MetricTarget{AverageValue: q("30")}}}
	externalNow := autoscalingv2.MetricStatus{Type: autoscalingv2.ExternalMetricSourceType, External: &autoscalingv2.ExternalMetricStatus{
		Current: autoscalingv2.MetricValueStatus{AverageValue: q("12")}}}
	row := func(targets string) []any {
		return []any{"web", "Deployment/web", targets, "2", int64(10), int64(4), "3h"}
	}

	testRows(t, schema.GroupResource{Group: "autoscaling", Resource: "horizontalpodautoscalers"},
		[]string{"Name", "Reference", "Targets", "MinPods", "MaxPods", "Replicas", "Age"},
		[]rowCase{
			{name: "no metrics", obj: hpa(nil, nil), row: row("<none>")},
			{name: "utilization not yet reported", obj: hpa([]autoscalingv2.MetricSpec{cpu}, nil), row: row("cpu: <unknown>/80%")},
			{name: "utilization", obj: hpa([]autoscalingv2.MetricSpec{cpu}, []autoscalingv2.MetricStatus{cpuNow}), row: row("cpu: 40%/80%")},
			{
				name: "container average value",
				obj:  hpa([]autoscalingv2.MetricSpec{memory}, []autoscalingv2.MetricStatus{memoryNow}),
				row:  row("memory: 300Mi/512Mi"),
			},
			{
				name: "pods and object, more than two",
				obj:  hpa([]autoscalingv2.MetricSpec{pods, object, external}, nil),
				row:  row("<unknown>/1k, <unknown>/10 + 1 more..."),
			},
			{
				name: "external average",
				obj:  hpa([]autoscalingv2.MetricSpec{external}, []autoscalingv2.MetricStatus{externalNow}),
				row:  row("12/30 (avg)"),
			},
			{
				name: "unknown type",
				obj:  hpa([]autoscalingv2.MetricSpec{{Type: "Magic"}}, nil),
				row:  row("<unknown type>"),
			},
			{
				name: "no min replicas",
				obj: func() *autoscalingv2.HorizontalPodAutoscaler {
					h := hpa(nil, nil)
					h.Spec.MinReplicas = nil
					return h
				}(),
				row: []any{"web", "Deployment/web", "<none>", "<unset>", int64(10), int64(4), "3h"},
			},
		})
}
