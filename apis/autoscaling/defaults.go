package autoscaling

import (
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
)

// defaultCPUUtilization is the target of an autoscaler that names no metric.
const defaultCPUUtilization = 80

// addDefaultingFuncs registers upstream's defaults for the served
// HorizontalPodAutoscaler versions, as k8s.io/kubernetes v1.37
// pkg/apis/autoscaling/v2 and v1 apply them. Scale has none.
func addDefaultingFuncs(s *runtime.Scheme) error {
	s.AddTypeDefaultingFunc(&autoscalingv2.HorizontalPodAutoscaler{}, func(obj any) {
		SetObjectDefaultsHorizontalPodAutoscaler(obj.(*autoscalingv2.HorizontalPodAutoscaler))
	})
	s.AddTypeDefaultingFunc(&autoscalingv2.HorizontalPodAutoscalerList{}, func(obj any) {
		defaultEach(obj.(*autoscalingv2.HorizontalPodAutoscalerList).Items, SetObjectDefaultsHorizontalPodAutoscaler)
	})
	s.AddTypeDefaultingFunc(&autoscalingv1.HorizontalPodAutoscaler{}, func(obj any) {
		SetObjectDefaultsHorizontalPodAutoscalerV1(obj.(*autoscalingv1.HorizontalPodAutoscaler))
	})
	s.AddTypeDefaultingFunc(&autoscalingv1.HorizontalPodAutoscalerList{}, func(obj any) {
		defaultEach(obj.(*autoscalingv1.HorizontalPodAutoscalerList).Items, SetObjectDefaultsHorizontalPodAutoscalerV1)
	})
	return nil
}

// SetObjectDefaultsHorizontalPodAutoscaler applies upstream's autoscaling/v2
// defaults: at least one replica, an 80% CPU target when no metric is named,
// and, once a behavior is given, every scaling rule filled in.
func SetObjectDefaultsHorizontalPodAutoscaler(hpa *autoscalingv2.HorizontalPodAutoscaler) {
	spec := &hpa.Spec
	if spec.MinReplicas == nil {
		spec.MinReplicas = ptr.To[int32](1)
	}
	if len(spec.Metrics) == 0 {
		spec.Metrics = []autoscalingv2.MetricSpec{{
			Type: autoscalingv2.ResourceMetricSourceType,
			Resource: &autoscalingv2.ResourceMetricSource{
				Name: corev1.ResourceCPU,
				Target: autoscalingv2.MetricTarget{
					Type:               autoscalingv2.UtilizationMetricType,
					AverageUtilization: ptr.To[int32](defaultCPUUtilization),
				},
			},
		}}
	}
	if b := spec.Behavior; b != nil {
		b.ScaleUp = mergeScalingRules(b.ScaleUp, defaultScaleUpRules())
		b.ScaleDown = mergeScalingRules(b.ScaleDown, defaultScaleDownRules())
	}
}

// defaultScaleUpRules repeat the autoscaler's behavior from before behaviors
// existed: scale up at once, by 4 pods or 100% per 15s, whichever is more.
func defaultScaleUpRules() *autoscalingv2.HPAScalingRules {
	return &autoscalingv2.HPAScalingRules{
		StabilizationWindowSeconds: ptr.To[int32](0),
		SelectPolicy:               ptr.To(autoscalingv2.MaxChangePolicySelect),
		Policies: []autoscalingv2.HPAScalingPolicy{
			{Type: autoscalingv2.PodsScalingPolicy, Value: 4, PeriodSeconds: 15},
			{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15},
		},
	}
}

// defaultScaleDownRules leave the stabilization window nil: the controller
// then uses its --horizontal-pod-autoscaler-downscale-stabilization flag.
func defaultScaleDownRules() *autoscalingv2.HPAScalingRules {
	return &autoscalingv2.HPAScalingRules{
		SelectPolicy: ptr.To(autoscalingv2.MaxChangePolicySelect),
		Policies: []autoscalingv2.HPAScalingPolicy{
			{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15},
		},
	}
}

// mergeScalingRules returns defaults overridden by each field set in rules.
func mergeScalingRules(rules, defaults *autoscalingv2.HPAScalingRules) *autoscalingv2.HPAScalingRules {
	if rules == nil {
		return defaults
	}
	if rules.SelectPolicy != nil {
		defaults.SelectPolicy = rules.SelectPolicy
	}
	if rules.StabilizationWindowSeconds != nil {
		defaults.StabilizationWindowSeconds = rules.StabilizationWindowSeconds
	}
	if rules.Policies != nil {
		defaults.Policies = rules.Policies
	}
	if rules.Tolerance != nil {
		defaults.Tolerance = rules.Tolerance
	}
	return defaults
}

// SetObjectDefaultsHorizontalPodAutoscalerV1 applies upstream's
// autoscaling/v1 defaults. Its CPU target is defaulted in conversion, not
// here, because it depends on annotations that carry the v2 metrics.
func SetObjectDefaultsHorizontalPodAutoscalerV1(hpa *autoscalingv1.HorizontalPodAutoscaler) {
	if hpa.Spec.MinReplicas == nil {
		hpa.Spec.MinReplicas = ptr.To[int32](1)
	}
}

// defaultEach defaults each item of a list in place.
func defaultEach[T any](items []T, setDefaults func(*T)) {
	for i := range items {
		setDefaults(&items[i])
	}
}
