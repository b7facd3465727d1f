package printers

import (
	"fmt"
	"strings"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// horizontalPodAutoscalers prints autoscaling/v2, the group's hub version.
var horizontalPodAutoscalers = printer[*autoscalingv2.HorizontalPodAutoscaler]{
	header: []metav1.TableColumnDefinition{
		nameColumn,
		text("Reference", autoscalingv2.HorizontalPodAutoscalerSpec{}.SwaggerDoc()["scaleTargetRef"]),
		text("Targets", autoscalingv2.HorizontalPodAutoscalerSpec{}.SwaggerDoc()["metrics"]),
		text("MinPods", autoscalingv2.HorizontalPodAutoscalerSpec{}.SwaggerDoc()["minReplicas"]),
		text("MaxPods", autoscalingv2.HorizontalPodAutoscalerSpec{}.SwaggerDoc()["maxReplicas"]),
		text("Replicas", autoscalingv2.HorizontalPodAutoscalerStatus{}.SwaggerDoc()["currentReplicas"]),
		ageColumn,
	},
	cells: func(c clock, hpa *autoscalingv2.HorizontalPodAutoscaler) []any {
		minPods := "<unset>"
		if hpa.Spec.MinReplicas != nil {
			minPods = fmt.Sprint(*hpa.Spec.MinReplicas)
		}
		ref := hpa.Spec.ScaleTargetRef
		return []any{hpa.Name, ref.Kind + "/" + ref.Name, hpaTargets(hpa.Spec.Metrics, hpa.Status.CurrentMetrics),
			minPods, int64(hpa.Spec.MaxReplicas), int64(hpa.Status.CurrentReplicas), c.since(hpa.CreationTimestamp)}
	},
}

// hpaTargets is "current/target" of the first two metrics: "cpu: 40%/80%".
// The i-th status is taken to be the i-th spec's, as upstream does.
func hpaTargets(specs []autoscalingv2.MetricSpec, statuses []autoscalingv2.MetricStatus) string {
	if len(specs) == 0 {
		return "<none>"
	}
	list := make([]string, 0, len(specs))
	for i, spec := range specs {
		var status autoscalingv2.MetricStatus
		if i < len(statuses) {
			status = statuses[i]
		}
		list = append(list, hpaTarget(spec, status))
	}
	const shown = 2
	if len(list) > shown {
		return fmt.Sprintf("%s + %d more...", strings.Join(list[:shown], ", "), len(list)-shown)
	}
	return strings.Join(list, ", ")
}

// hpaTarget is upstream's rendering of one metric: "cpu: 40%/80%",
// "3/5 (avg)" for average values; "<unknown>" until a value is reported.
func hpaTarget(spec autoscalingv2.MetricSpec, status autoscalingv2.MetricStatus) string {
	var (
		target *autoscalingv2.MetricTarget
		cur    *autoscalingv2.MetricValueStatus
		name   corev1.ResourceName
	)
	switch {
	case spec.Type == autoscalingv2.ExternalMetricSourceType && spec.External != nil:
		target = &spec.External.Target
		if status.External != nil {
			cur = &status.External.Current
		}
	case spec.Type == autoscalingv2.ObjectMetricSourceType && spec.Object != nil:
		target = &spec.Object.Target
		if status.Object != nil {
			cur = &status.Object.Current
		}
	case spec.Type == autoscalingv2.PodsMetricSourceType && spec.Pods != nil:
		target = &spec.Pods.Target
		if status.Pods != nil {
			cur = &status.Pods.Current
		}
	case spec.Type == autoscalingv2.ResourceMetricSourceType && spec.Resource != nil:
		target, name = &spec.Resource.Target, spec.Resource.Name
		if status.Resource != nil {
			cur = &status.Resource.Current
		}
	case spec.Type == autoscalingv2.ContainerResourceMetricSourceType && spec.ContainerResource != nil:
		target, name = &spec.ContainerResource.Target, spec.ContainerResource.Name
		if status.ContainerResource != nil {
			cur = &status.ContainerResource.Current
		}
	default:
		return "<unknown type>"
	}

	current := "<unknown>"
	switch spec.Type {
	case autoscalingv2.ExternalMetricSourceType, autoscalingv2.ObjectMetricSourceType:
		if target.AverageValue != nil {
			if cur != nil && cur.AverageValue != nil {
				current = cur.AverageValue.String()
			}
			return current + "/" + target.AverageValue.String() + " (avg)"
		}
		if cur != nil {
			current = cur.Value.String()
		}
		return current + "/" + target.Value.String()
	case autoscalingv2.PodsMetricSourceType:
		if cur != nil {
			current = cur.AverageValue.String()
		}
		return current + "/" + target.AverageValue.String()
	}
	// Resource metrics, of the whole pod or of one container.
	if target.AverageValue != nil {
		if cur != nil {
			current = cur.AverageValue.String()
		}
		return fmt.Sprintf("%s: %s/%s", name, current, target.AverageValue.String())
	}
	if cur != nil && cur.AverageUtilization != nil {
		current = fmt.Sprintf("%d%%", *cur.AverageUtilization)
	}
	wanted := "<auto>"
	if target.AverageUtilization != nil {
		wanted = fmt.Sprintf("%d%%", *target.AverageUtilization)
	}
	return fmt.Sprintf("%s: %s/%s", name, current, wanted)
}
