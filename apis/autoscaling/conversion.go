package autoscaling

import (
	"encoding/json"
	"errors"
	"fmt"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/conversion"
	"k8s.io/apimachinery/pkg/runtime"
)

// The annotations by which an autoscaling/v1 HorizontalPodAutoscaler carries
// what only autoscaling/v2 can express, named and filled as upstream does.
const (
	// MetricSpecsAnnotation holds the metrics other than a CPU utilization
	// target, as a JSON list of v1 (v2beta1-shaped) MetricSpecs.
	MetricSpecsAnnotation = "autoscaling.alpha.kubernetes.io/metrics"
	// MetricStatusesAnnotation holds every current metric, as a JSON list of
	// v1 MetricStatuses: the CPU one too, whose raw value v1 cannot hold.
	MetricStatusesAnnotation = "autoscaling.alpha.kubernetes.io/current-metrics"
	// ConditionsAnnotation holds the conditions, as a JSON list of v1
	// HorizontalPodAutoscalerConditions.
	ConditionsAnnotation = "autoscaling.alpha.kubernetes.io/conditions"
	// BehaviorAnnotation holds the behavior, as JSON of upstream's internal
	// type (see behaviorJSON).
	BehaviorAnnotation = "autoscaling.alpha.kubernetes.io/behavior"

	// Upstream's autoscaling/v2beta2 conversion writes the tolerances into
	// these; kubeshim does not serve v2beta2 but drops them as upstream does.
	toleranceScaleDownAnnotation = "autoscaling.alpha.kubernetes.io/scale-down-tolerance"
	toleranceScaleUpAnnotation   = "autoscaling.alpha.kubernetes.io/scale-up-tolerance"
)

// roundTripAnnotations are dropped from every converted object: the v2 hub
// never stores them, and a v1 object gets only those its conversion wrote.
var roundTripAnnotations = []string{
	MetricSpecsAnnotation, MetricStatusesAnnotation, ConditionsAnnotation, BehaviorAnnotation,
	toleranceScaleDownAnnotation, toleranceScaleUpAnnotation,
}

// addConversionFuncs registers the conversions between autoscaling/v1 and the
// v2 hub, which is also the group's internal version.
func addConversionFuncs(s *runtime.Scheme) error {
	return errors.Join(
		s.AddConversionFunc((*autoscalingv1.HorizontalPodAutoscaler)(nil), (*autoscalingv2.HorizontalPodAutoscaler)(nil), func(a, b any, _ conversion.Scope) error {
			return convertV1ToV2(a.(*autoscalingv1.HorizontalPodAutoscaler), b.(*autoscalingv2.HorizontalPodAutoscaler))
		}),
		s.AddConversionFunc((*autoscalingv2.HorizontalPodAutoscaler)(nil), (*autoscalingv1.HorizontalPodAutoscaler)(nil), func(a, b any, _ conversion.Scope) error {
			return convertV2ToV1(a.(*autoscalingv2.HorizontalPodAutoscaler), b.(*autoscalingv1.HorizontalPodAutoscaler))
		}),
		s.AddConversionFunc((*autoscalingv1.HorizontalPodAutoscalerList)(nil), (*autoscalingv2.HorizontalPodAutoscalerList)(nil), func(a, b any, _ conversion.Scope) error {
			in, out := a.(*autoscalingv1.HorizontalPodAutoscalerList), b.(*autoscalingv2.HorizontalPodAutoscalerList)
			out.ListMeta = *in.ListMeta.DeepCopy()
			return convertItems(in.Items, &out.Items, convertV1ToV2)
		}),
		s.AddConversionFunc((*autoscalingv2.HorizontalPodAutoscalerList)(nil), (*autoscalingv1.HorizontalPodAutoscalerList)(nil), func(a, b any, _ conversion.Scope) error {
			in, out := a.(*autoscalingv2.HorizontalPodAutoscalerList), b.(*autoscalingv1.HorizontalPodAutoscalerList)
			out.ListMeta = *in.ListMeta.DeepCopy()
			return convertItems(in.Items, &out.Items, convertV2ToV1)
		}),
	)
}

// convertItems converts a list's items, keeping a nil list nil.
func convertItems[In, Out any](in []In, out *[]Out, convert func(*In, *Out) error) error {
	if in == nil {
		*out = nil
		return nil
	}
	*out = make([]Out, len(in))
	for i := range in {
		if err := convert(&in[i], &(*out)[i]); err != nil {
			return err
		}
	}
	return nil
}

// convertV2ToV1 converts the hub to autoscaling/v1. The first CPU
// utilization target becomes targetCPUUtilizationPercentage and the last CPU
// utilization reading currentCPUUtilizationPercentage; the other metrics, all
// current metrics, the conditions and the behavior go into annotations.
// out shares no memory with in.
func convertV2ToV1(in *autoscalingv2.HorizontalPodAutoscaler, out *autoscalingv1.HorizontalPodAutoscaler) error {
	in = in.DeepCopy()
	out.ObjectMeta = in.ObjectMeta
	out.Annotations = withoutRoundTripAnnotations(out.Annotations)
	out.Spec = autoscalingv1.HorizontalPodAutoscalerSpec{
		ScaleTargetRef: autoscalingv1.CrossVersionObjectReference(in.Spec.ScaleTargetRef),
		MinReplicas:    in.Spec.MinReplicas,
		MaxReplicas:    in.Spec.MaxReplicas,
	}
	out.Status = autoscalingv1.HorizontalPodAutoscalerStatus{
		ObservedGeneration: in.Status.ObservedGeneration,
		LastScaleTime:      in.Status.LastScaleTime,
		CurrentReplicas:    in.Status.CurrentReplicas,
		DesiredReplicas:    in.Status.DesiredReplicas,
	}

	var otherMetrics []autoscalingv1.MetricSpec
	for _, m := range in.Spec.Metrics {
		if r := m.Resource; m.Type == autoscalingv2.ResourceMetricSourceType && r != nil && r.Name == corev1.ResourceCPU && r.Target.AverageUtilization != nil {
			if out.Spec.TargetCPUUtilizationPercentage == nil {
				out.Spec.TargetCPUUtilizationPercentage = r.Target.AverageUtilization
			}
			continue
		}
		otherMetrics = append(otherMetrics, metricSpecToV1(m))
	}
	currentMetrics := make([]autoscalingv1.MetricStatus, 0, len(in.Status.CurrentMetrics))
	for _, m := range in.Status.CurrentMetrics {
		if r := m.Resource; m.Type == autoscalingv2.ResourceMetricSourceType && r != nil && r.Name == corev1.ResourceCPU && r.Current.AverageUtilization != nil {
			out.Status.CurrentCPUUtilizationPercentage = r.Current.AverageUtilization
		}
		currentMetrics = append(currentMetrics, metricStatusToV1(m))
	}
	conditions := make([]autoscalingv1.HorizontalPodAutoscalerCondition, 0, len(in.Status.Conditions))
	for _, c := range in.Status.Conditions {
		conditions = append(conditions, autoscalingv1.HorizontalPodAutoscalerCondition{
			Type:               autoscalingv1.HorizontalPodAutoscalerConditionType(c.Type),
			Status:             c.Status,
			LastTransitionTime: c.LastTransitionTime,
			Reason:             c.Reason,
			Message:            c.Message,
			ObservedGeneration: c.ObservedGeneration,
		})
	}

	annotate := func(key string, v any) error {
		data, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("encode annotation %s: %w", key, err)
		}
		if out.Annotations == nil {
			out.Annotations = map[string]string{}
		}
		out.Annotations[key] = string(data)
		return nil
	}
	var errs []error
	if len(otherMetrics) > 0 {
		errs = append(errs, annotate(MetricSpecsAnnotation, otherMetrics))
	}
	if len(currentMetrics) > 0 {
		errs = append(errs, annotate(MetricStatusesAnnotation, currentMetrics))
	}
	if in.Spec.Behavior != nil {
		errs = append(errs, annotate(BehaviorAnnotation, behaviorToJSON(in.Spec.Behavior)))
	}
	if len(conditions) > 0 {
		errs = append(errs, annotate(ConditionsAnnotation, conditions))
	}
	return errors.Join(errs...)
}

// convertV1ToV2 converts autoscaling/v1 to the hub: targetCPUUtilizationPercentage
// becomes a CPU utilization metric, placed after the metrics of the metrics
// annotation, and the annotations give back what v1 cannot hold. As upstream,
// an annotation that does not parse is ignored, an autoscaler left without
// metrics targets 80% CPU (v1's implicit default), and the round-trip
// annotations are dropped. out shares no memory with in.
func convertV1ToV2(in *autoscalingv1.HorizontalPodAutoscaler, out *autoscalingv2.HorizontalPodAutoscaler) error {
	in = in.DeepCopy()
	out.ObjectMeta = in.ObjectMeta
	out.Spec = autoscalingv2.HorizontalPodAutoscalerSpec{
		ScaleTargetRef: autoscalingv2.CrossVersionObjectReference(in.Spec.ScaleTargetRef),
		MinReplicas:    in.Spec.MinReplicas,
		MaxReplicas:    in.Spec.MaxReplicas,
	}
	if in.Spec.TargetCPUUtilizationPercentage != nil {
		out.Spec.Metrics = []autoscalingv2.MetricSpec{cpuUtilization(*in.Spec.TargetCPUUtilizationPercentage)}
	}
	out.Status = autoscalingv2.HorizontalPodAutoscalerStatus{
		ObservedGeneration: in.Status.ObservedGeneration,
		LastScaleTime:      in.Status.LastScaleTime,
		CurrentReplicas:    in.Status.CurrentReplicas,
		DesiredReplicas:    in.Status.DesiredReplicas,
	}
	if in.Status.CurrentCPUUtilizationPercentage != nil {
		out.Status.CurrentMetrics = []autoscalingv2.MetricStatus{{
			Type: autoscalingv2.ResourceMetricSourceType,
			Resource: &autoscalingv2.ResourceMetricStatus{
				Name:    corev1.ResourceCPU,
				Current: autoscalingv2.MetricValueStatus{AverageUtilization: in.Status.CurrentCPUUtilizationPercentage},
			},
		}}
	}

	var otherMetrics []autoscalingv1.MetricSpec
	if annotation(in.Annotations, MetricSpecsAnnotation, &otherMetrics) {
		metrics := make([]autoscalingv2.MetricSpec, 0, len(otherMetrics)+len(out.Spec.Metrics))
		for _, m := range otherMetrics {
			metrics = append(metrics, metricSpecFromV1(m))
		}
		out.Spec.Metrics = append(metrics, out.Spec.Metrics...)
	}
	var behavior behaviorJSON
	if annotation(in.Annotations, BehaviorAnnotation, &behavior) && (behavior.ScaleUp != nil || behavior.ScaleDown != nil) {
		out.Spec.Behavior = behavior.toV2()
	}
	var currentMetrics []autoscalingv1.MetricStatus
	if annotation(in.Annotations, MetricStatusesAnnotation, &currentMetrics) {
		out.Status.CurrentMetrics = make([]autoscalingv2.MetricStatus, 0, len(currentMetrics))
		for _, m := range currentMetrics {
			out.Status.CurrentMetrics = append(out.Status.CurrentMetrics, metricStatusFromV1(m))
		}
	}
	if len(out.Spec.Metrics) == 0 {
		out.Spec.Metrics = []autoscalingv2.MetricSpec{cpuUtilization(defaultCPUUtilization)}
	}
	var conditions []autoscalingv1.HorizontalPodAutoscalerCondition
	if annotation(in.Annotations, ConditionsAnnotation, &conditions) {
		out.Status.Conditions = make([]autoscalingv2.HorizontalPodAutoscalerCondition, 0, len(conditions))
		for _, c := range conditions {
			out.Status.Conditions = append(out.Status.Conditions, autoscalingv2.HorizontalPodAutoscalerCondition{
				Type:               autoscalingv2.HorizontalPodAutoscalerConditionType(c.Type),
				Status:             c.Status,
				LastTransitionTime: c.LastTransitionTime,
				Reason:             c.Reason,
				Message:            c.Message,
				ObservedGeneration: c.ObservedGeneration,
			})
		}
	}
	out.Annotations = withoutRoundTripAnnotations(out.Annotations)
	return nil
}

// annotation decodes the JSON of annotations[key] into v and reports whether
// it was there and valid.
func annotation(annotations map[string]string, key string, v any) bool {
	data, ok := annotations[key]
	return ok && json.Unmarshal([]byte(data), v) == nil
}

// withoutRoundTripAnnotations returns annotations without the round-trip
// ones, and nil when nothing is left. It changes annotations in place: the
// conversions call it on their own copy.
func withoutRoundTripAnnotations(annotations map[string]string) map[string]string {
	for _, key := range roundTripAnnotations {
		delete(annotations, key)
	}
	if len(annotations) == 0 {
		return nil
	}
	return annotations
}

// cpuUtilization is a target of percent average CPU utilization.
func cpuUtilization(percent int32) autoscalingv2.MetricSpec {
	return autoscalingv2.MetricSpec{
		Type: autoscalingv2.ResourceMetricSourceType,
		Resource: &autoscalingv2.ResourceMetricSource{
			Name:   corev1.ResourceCPU,
			Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: &percent},
		},
	}
}

// metricSpecToV1 converts a v2 metric to v1's (v2beta1's) shape, which has
// no target type: it follows from which target field is set.
func metricSpecToV1(in autoscalingv2.MetricSpec) autoscalingv1.MetricSpec {
	out := autoscalingv1.MetricSpec{Type: autoscalingv1.MetricSourceType(in.Type)}
	if m := in.Object; m != nil {
		out.Object = &autoscalingv1.ObjectMetricSource{
			Target:       autoscalingv1.CrossVersionObjectReference(m.DescribedObject),
			MetricName:   m.Metric.Name,
			TargetValue:  valueOf(m.Target.Value),
			Selector:     m.Metric.Selector,
			AverageValue: m.Target.AverageValue,
		}
	}
	if m := in.Pods; m != nil {
		out.Pods = &autoscalingv1.PodsMetricSource{
			MetricName:         m.Metric.Name,
			TargetAverageValue: valueOf(m.Target.AverageValue),
			Selector:           m.Metric.Selector,
		}
	}
	if m := in.Resource; m != nil {
		out.Resource = &autoscalingv1.ResourceMetricSource{
			Name:                     m.Name,
			TargetAverageUtilization: m.Target.AverageUtilization,
			TargetAverageValue:       m.Target.AverageValue,
		}
	}
	if m := in.ContainerResource; m != nil {
		out.ContainerResource = &autoscalingv1.ContainerResourceMetricSource{
			Name:                     m.Name,
			Container:                m.Container,
			TargetAverageUtilization: m.Target.AverageUtilization,
			TargetAverageValue:       m.Target.AverageValue,
		}
	}
	if m := in.External; m != nil {
		out.External = &autoscalingv1.ExternalMetricSource{
			MetricName:         m.Metric.Name,
			MetricSelector:     m.Metric.Selector,
			TargetValue:        m.Target.Value,
			TargetAverageValue: m.Target.AverageValue,
		}
	}
	return out
}

// metricSpecFromV1 is the inverse of metricSpecToV1; it derives each target's
// type as upstream does.
func metricSpecFromV1(in autoscalingv1.MetricSpec) autoscalingv2.MetricSpec {
	out := autoscalingv2.MetricSpec{Type: autoscalingv2.MetricSourceType(in.Type)}
	if m := in.Object; m != nil {
		target := autoscalingv2.MetricTarget{Type: autoscalingv2.ValueMetricType, Value: &m.TargetValue}
		if m.AverageValue != nil {
			target = autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: m.AverageValue}
			// v1 always serializes targetValue; a zero one is not a
			// target, and would fail validation once back in v2.
			if !m.TargetValue.IsZero() {
				target.Value = &m.TargetValue
			}
		}
		out.Object = &autoscalingv2.ObjectMetricSource{
			DescribedObject: autoscalingv2.CrossVersionObjectReference(m.Target),
			Target:          target,
			Metric:          autoscalingv2.MetricIdentifier{Name: m.MetricName, Selector: m.Selector},
		}
	}
	if m := in.Pods; m != nil {
		out.Pods = &autoscalingv2.PodsMetricSource{
			Metric: autoscalingv2.MetricIdentifier{Name: m.MetricName, Selector: m.Selector},
			Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: &m.TargetAverageValue},
		}
	}
	if m := in.Resource; m != nil {
		out.Resource = &autoscalingv2.ResourceMetricSource{
			Name:   m.Name,
			Target: averageTarget(m.TargetAverageUtilization, m.TargetAverageValue),
		}
	}
	if m := in.ContainerResource; m != nil {
		out.ContainerResource = &autoscalingv2.ContainerResourceMetricSource{
			Name:      m.Name,
			Container: m.Container,
			Target:    averageTarget(m.TargetAverageUtilization, m.TargetAverageValue),
		}
	}
	if m := in.External; m != nil {
		targetType := autoscalingv2.ValueMetricType
		if m.TargetValue == nil {
			targetType = autoscalingv2.AverageValueMetricType
		}
		out.External = &autoscalingv2.ExternalMetricSource{
			Metric: autoscalingv2.MetricIdentifier{Name: m.MetricName, Selector: m.MetricSelector},
			Target: autoscalingv2.MetricTarget{Type: targetType, Value: m.TargetValue, AverageValue: m.TargetAverageValue},
		}
	}
	return out
}

// averageTarget is a (container) resource target: a utilization when one is
// given, else an average value.
func averageTarget(utilization *int32, value *resource.Quantity) autoscalingv2.MetricTarget {
	t := autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageUtilization: utilization, AverageValue: value}
	if utilization != nil {
		t.Type = autoscalingv2.UtilizationMetricType
	}
	return t
}

// metricStatusToV1 converts a v2 current metric to v1's (v2beta1's) shape,
// where an unset value reads as zero.
func metricStatusToV1(in autoscalingv2.MetricStatus) autoscalingv1.MetricStatus {
	out := autoscalingv1.MetricStatus{Type: autoscalingv1.MetricSourceType(in.Type)}
	if m := in.Object; m != nil {
		out.Object = &autoscalingv1.ObjectMetricStatus{
			Target:       autoscalingv1.CrossVersionObjectReference(m.DescribedObject),
			MetricName:   m.Metric.Name,
			CurrentValue: valueOf(m.Current.Value),
			Selector:     m.Metric.Selector,
			AverageValue: m.Current.AverageValue,
		}
	}
	if m := in.Pods; m != nil {
		out.Pods = &autoscalingv1.PodsMetricStatus{
			MetricName:          m.Metric.Name,
			CurrentAverageValue: valueOf(m.Current.AverageValue),
			Selector:            m.Metric.Selector,
		}
	}
	if m := in.Resource; m != nil {
		out.Resource = &autoscalingv1.ResourceMetricStatus{
			Name:                      m.Name,
			CurrentAverageUtilization: m.Current.AverageUtilization,
			CurrentAverageValue:       valueOf(m.Current.AverageValue),
		}
	}
	if m := in.ContainerResource; m != nil {
		out.ContainerResource = &autoscalingv1.ContainerResourceMetricStatus{
			Name:                      m.Name,
			Container:                 m.Container,
			CurrentAverageUtilization: m.Current.AverageUtilization,
			CurrentAverageValue:       valueOf(m.Current.AverageValue),
		}
	}
	if m := in.External; m != nil {
		out.External = &autoscalingv1.ExternalMetricStatus{
			MetricName:          m.Metric.Name,
			MetricSelector:      m.Metric.Selector,
			CurrentValue:        valueOf(m.Current.Value),
			CurrentAverageValue: m.Current.AverageValue,
		}
	}
	return out
}

// metricStatusFromV1 is the inverse of metricStatusToV1: v1's always-present
// values come back set, as upstream converts them.
func metricStatusFromV1(in autoscalingv1.MetricStatus) autoscalingv2.MetricStatus {
	out := autoscalingv2.MetricStatus{Type: autoscalingv2.MetricSourceType(in.Type)}
	if m := in.Object; m != nil {
		out.Object = &autoscalingv2.ObjectMetricStatus{
			Metric:          autoscalingv2.MetricIdentifier{Name: m.MetricName, Selector: m.Selector},
			Current:         autoscalingv2.MetricValueStatus{Value: &m.CurrentValue, AverageValue: m.AverageValue},
			DescribedObject: autoscalingv2.CrossVersionObjectReference(m.Target),
		}
	}
	if m := in.Pods; m != nil {
		out.Pods = &autoscalingv2.PodsMetricStatus{
			Metric:  autoscalingv2.MetricIdentifier{Name: m.MetricName, Selector: m.Selector},
			Current: autoscalingv2.MetricValueStatus{AverageValue: &m.CurrentAverageValue},
		}
	}
	if m := in.Resource; m != nil {
		out.Resource = &autoscalingv2.ResourceMetricStatus{
			Name:    m.Name,
			Current: autoscalingv2.MetricValueStatus{AverageValue: &m.CurrentAverageValue, AverageUtilization: m.CurrentAverageUtilization},
		}
	}
	if m := in.ContainerResource; m != nil {
		out.ContainerResource = &autoscalingv2.ContainerResourceMetricStatus{
			Name:      m.Name,
			Container: m.Container,
			Current:   autoscalingv2.MetricValueStatus{AverageValue: &m.CurrentAverageValue, AverageUtilization: m.CurrentAverageUtilization},
		}
	}
	if m := in.External; m != nil {
		out.External = &autoscalingv2.ExternalMetricStatus{
			Metric:  autoscalingv2.MetricIdentifier{Name: m.MetricName, Selector: m.MetricSelector},
			Current: autoscalingv2.MetricValueStatus{Value: &m.CurrentValue, AverageValue: m.CurrentAverageValue},
		}
	}
	return out
}

// valueOf is *q, or zero for nil.
func valueOf(q *resource.Quantity) resource.Quantity {
	if q == nil {
		return resource.Quantity{}
	}
	return *q
}

// behaviorJSON is the behavior annotation's shape. Upstream marshals its
// internal type, whose fields have no JSON tags: keys are Go field names and
// unset fields are null, e.g. {"ScaleUp":{"StabilizationWindowSeconds":0,
// "SelectPolicy":"Max","Policies":[...],"Tolerance":null},"ScaleDown":null}.
// Decoding also reads v2's camelCase keys: encoding/json matches keys
// case-insensitively.
type behaviorJSON struct {
	ScaleUp   *scalingRulesJSON
	ScaleDown *scalingRulesJSON
}

type scalingRulesJSON struct {
	StabilizationWindowSeconds *int32
	SelectPolicy               *autoscalingv2.ScalingPolicySelect
	Policies                   []scalingPolicyJSON
	Tolerance                  *resource.Quantity
}

type scalingPolicyJSON struct {
	Type          autoscalingv2.HPAScalingPolicyType
	Value         int32
	PeriodSeconds int32
}

func behaviorToJSON(in *autoscalingv2.HorizontalPodAutoscalerBehavior) behaviorJSON {
	rules := func(in *autoscalingv2.HPAScalingRules) *scalingRulesJSON {
		if in == nil {
			return nil
		}
		out := &scalingRulesJSON{StabilizationWindowSeconds: in.StabilizationWindowSeconds, SelectPolicy: in.SelectPolicy, Tolerance: in.Tolerance}
		if in.Policies != nil {
			out.Policies = make([]scalingPolicyJSON, len(in.Policies))
			for i, p := range in.Policies {
				out.Policies[i] = scalingPolicyJSON(p)
			}
		}
		return out
	}
	return behaviorJSON{ScaleUp: rules(in.ScaleUp), ScaleDown: rules(in.ScaleDown)}
}

func (b behaviorJSON) toV2() *autoscalingv2.HorizontalPodAutoscalerBehavior {
	rules := func(in *scalingRulesJSON) *autoscalingv2.HPAScalingRules {
		if in == nil {
			return nil
		}
		out := &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: in.StabilizationWindowSeconds, SelectPolicy: in.SelectPolicy, Tolerance: in.Tolerance}
		if in.Policies != nil {
			out.Policies = make([]autoscalingv2.HPAScalingPolicy, len(in.Policies))
			for i, p := range in.Policies {
				out.Policies[i] = autoscalingv2.HPAScalingPolicy(p)
			}
		}
		return out
	}
	return &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleUp: rules(b.ScaleUp), ScaleDown: rules(b.ScaleDown)}
}
