package autoscaling

import (
	"fmt"
	"slices"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	"k8s.io/apimachinery/pkg/api/validate/content"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubeshim/kubeshim/apis/core"
)

// Validation of HorizontalPodAutoscalers, with upstream's paths and
// messages. It runs on the autoscaling/v2 hub whichever version a request
// came through, so an autoscaling/v1 targetCPUUtilizationPercentage is
// reported at its v2 place (spec.metrics[0].resource.target.averageUtilization),
// as upstream reports it from its internal version.

const (
	// maxPeriodSeconds bounds a scaling policy's period.
	maxPeriodSeconds int32 = 1800
	// maxStabilizationWindowSeconds bounds a scaling rule's window.
	maxStabilizationWindowSeconds int32 = 3600
	// minReplicasLowerBound is 0: the HPAScaleToZero feature is on by default
	// in v1.37 and kubeshim has no switch to turn it off. minReplicas 0 still
	// needs an Object or External metric (validateMetrics).
	minReplicasLowerBound int32 = 0
)

var (
	metricSourceTypes = []autoscalingv2.MetricSourceType{autoscalingv2.ContainerResourceMetricSourceType, autoscalingv2.ExternalMetricSourceType,
		autoscalingv2.ObjectMetricSourceType, autoscalingv2.PodsMetricSourceType, autoscalingv2.ResourceMetricSourceType}
	scalingPolicyTypes = []autoscalingv2.HPAScalingPolicyType{autoscalingv2.PercentScalingPolicy, autoscalingv2.PodsScalingPolicy}
	selectPolicies     = []autoscalingv2.ScalingPolicySelect{autoscalingv2.DisabledPolicySelect, autoscalingv2.MaxChangePolicySelect, autoscalingv2.MinChangePolicySelect}
)

// referenceOptions relax a CrossVersionObjectReference's apiVersion rule.
type referenceOptions struct {
	// allowEmptyGroup accepts a core-group apiVersion ("v1" or none).
	allowEmptyGroup bool
	// allowInvalidAPIVersion skips the apiVersion check: the old object
	// already had it, from before the check existed.
	allowInvalidAPIVersion bool
}

type hpaOptions struct {
	scaleTargetRef, describedObject referenceOptions
}

// ValidateHorizontalPodAutoscaler validates an autoscaler on create.
func ValidateHorizontalPodAutoscaler(hpa *autoscalingv2.HorizontalPodAutoscaler) field.ErrorList {
	allErrs := core.ValidateObjectMeta(&hpa.ObjectMeta, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	return append(allErrs, validateSpec(&hpa.Spec, optionsFor(hpa, nil), field.NewPath("spec"))...)
}

// ValidateHorizontalPodAutoscalerUpdate validates an update of an autoscaler.
func ValidateHorizontalPodAutoscalerUpdate(hpa, old *autoscalingv2.HorizontalPodAutoscaler) field.ErrorList {
	allErrs := core.ValidateObjectMetaUpdate(&hpa.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	return append(allErrs, validateSpec(&hpa.Spec, optionsFor(hpa, old), field.NewPath("spec"))...)
}

// ValidateHorizontalPodAutoscalerStatusUpdate validates an update through
// the status subresource.
func ValidateHorizontalPodAutoscalerStatusUpdate(hpa, old *autoscalingv2.HorizontalPodAutoscaler) field.ErrorList {
	allErrs := core.ValidateObjectMetaUpdate(&hpa.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	status, p := hpa.Status, field.NewPath("status")
	for i, c := range status.Conditions {
		if c.ObservedGeneration != nil {
			allErrs = append(allErrs, core.ValidateNonnegativeField(*c.ObservedGeneration, p.Child("conditions").Index(i).Child("observedGeneration"))...)
		}
	}
	allErrs = append(allErrs, core.ValidateNonnegativeField(int64(status.CurrentReplicas), p.Child("currentReplicas"))...)
	return append(allErrs, core.ValidateNonnegativeField(int64(status.DesiredReplicas), p.Child("desiredReplicas"))...)
}

// optionsFor relaxes the reference rules as upstream does: a core-group
// ReplicationController target is fine, and on update an apiVersion the old
// object already had (with the same kind) is not checked again.
func optionsFor(hpa, old *autoscalingv2.HorizontalPodAutoscaler) hpaOptions {
	opts := hpaOptions{describedObject: referenceOptions{allowEmptyGroup: true}}
	ref := hpa.Spec.ScaleTargetRef
	switch {
	case old != nil && old.Spec.ScaleTargetRef.APIVersion == ref.APIVersion && old.Spec.ScaleTargetRef.Kind == ref.Kind:
		opts.scaleTargetRef.allowInvalidAPIVersion = true
	case ref.Kind == "ReplicationController":
		opts.scaleTargetRef.allowEmptyGroup = true
	}
	if old != nil {
		for _, m := range old.Spec.Metrics {
			if m.Type == autoscalingv2.ObjectMetricSourceType && m.Object != nil && checkAPIVersion(m.Object.DescribedObject, opts.describedObject) != nil {
				opts.describedObject.allowInvalidAPIVersion = true
				break
			}
		}
	}
	return opts
}

func validateSpec(spec *autoscalingv2.HorizontalPodAutoscalerSpec, opts hpaOptions, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if spec.MinReplicas != nil && *spec.MinReplicas < minReplicasLowerBound {
		allErrs = append(allErrs, field.Invalid(p.Child("minReplicas"), *spec.MinReplicas, fmt.Sprintf("must be greater than or equal to %d", minReplicasLowerBound)))
	}
	switch {
	case spec.MaxReplicas == 0:
		allErrs = append(allErrs, field.Required(p.Child("maxReplicas"), "must be set and greater than 0"))
	case spec.MaxReplicas < 0:
		allErrs = append(allErrs, field.Invalid(p.Child("maxReplicas"), spec.MaxReplicas, "must be greater than or equal to 1"))
	}
	if spec.MinReplicas != nil && spec.MaxReplicas < *spec.MinReplicas {
		allErrs = append(allErrs, field.Invalid(p.Child("maxReplicas"), spec.MaxReplicas, "must be greater than or equal to `minReplicas`"))
	}
	allErrs = append(allErrs, validateReference(spec.ScaleTargetRef, opts.scaleTargetRef, p.Child("scaleTargetRef"))...)
	allErrs = append(allErrs, validateMetrics(spec.Metrics, spec.MinReplicas, opts.describedObject, p.Child("metrics"))...)
	if b := spec.Behavior; b != nil {
		allErrs = append(allErrs, validateScalingRules(b.ScaleUp, p.Child("behavior", "scaleUp"))...)
		allErrs = append(allErrs, validateScalingRules(b.ScaleDown, p.Child("behavior", "scaleDown"))...)
	}
	return allErrs
}

func validateReference(ref autoscalingv2.CrossVersionObjectReference, opts referenceOptions, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for _, f := range []struct{ name, value string }{{"kind", ref.Kind}, {"name", ref.Name}} {
		if f.value == "" {
			allErrs = append(allErrs, field.Required(p.Child(f.name), ""))
			continue
		}
		for _, msg := range content.IsPathSegmentName(f.value) {
			allErrs = append(allErrs, field.Invalid(p.Child(f.name), f.value, msg))
		}
	}
	if err := checkAPIVersion(ref, opts); err != nil {
		allErrs = append(allErrs, field.Invalid(p.Child("apiVersion"), ref.APIVersion, err.Error()))
	}
	return allErrs
}

func checkAPIVersion(ref autoscalingv2.CrossVersionObjectReference, opts referenceOptions) error {
	if opts.allowInvalidAPIVersion {
		return nil
	}
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil {
		return err
	}
	if !opts.allowEmptyGroup && gv.Group == "" {
		return fmt.Errorf("apiVersion must specify API group")
	}
	return nil
}

func validateMetrics(metrics []autoscalingv2.MetricSpec, minReplicas *int32, opts referenceOptions, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	scalesToZero := false
	for i, m := range metrics {
		allErrs = append(allErrs, validateMetricSpec(m, opts, p.Index(i))...)
		if m.Type == autoscalingv2.ObjectMetricSourceType || m.Type == autoscalingv2.ExternalMetricSourceType {
			scalesToZero = true
		}
	}
	// Only Object and External metrics can be read while no pod runs.
	if minReplicas != nil && *minReplicas == 0 && !scalesToZero {
		allErrs = append(allErrs, field.Forbidden(p, "must specify at least one Object or External metric to support scaling to zero replicas"))
	}
	return allErrs
}

func validateMetricSpec(m autoscalingv2.MetricSpec, opts referenceOptions, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if m.Type == "" {
		allErrs = append(allErrs, field.Required(p.Child("type"), "must specify a metric source type"))
	}
	if !slices.Contains(metricSourceTypes, m.Type) {
		allErrs = append(allErrs, field.NotSupported(p.Child("type"), m.Type, metricSourceTypes))
	}

	// The sources set, in upstream's order; only the first is validated, and
	// every one but the type's is forbidden.
	var present []string
	add := func(name string, set bool, validate func() field.ErrorList) {
		if !set {
			return
		}
		present = append(present, name)
		if len(present) == 1 {
			allErrs = append(allErrs, validate()...)
		}
	}
	add("object", m.Object != nil, func() field.ErrorList { return validateObjectSource(m.Object, opts, p.Child("object")) })
	add("external", m.External != nil, func() field.ErrorList { return validateExternalSource(m.External, p.Child("external")) })
	add("pods", m.Pods != nil, func() field.ErrorList { return validatePodsSource(m.Pods, p.Child("pods")) })
	add("resource", m.Resource != nil, func() field.ErrorList { return validateResourceSource(m.Resource, p.Child("resource")) })
	add("containerResource", m.ContainerResource != nil, func() field.ErrorList {
		return validateContainerResourceSource(m.ContainerResource, p.Child("containerResource"))
	})

	var expected string
	var set bool
	switch m.Type {
	case autoscalingv2.ObjectMetricSourceType:
		expected, set = "object", m.Object != nil
	case autoscalingv2.PodsMetricSourceType:
		expected, set = "pods", m.Pods != nil
	case autoscalingv2.ResourceMetricSourceType:
		expected, set = "resource", m.Resource != nil
	case autoscalingv2.ExternalMetricSourceType:
		expected, set = "external", m.External != nil
	case autoscalingv2.ContainerResourceMetricSourceType:
		expected, set = "containerResource", m.ContainerResource != nil
	default:
		// Upstream reports an unknown type twice; so does kubeshim, so the
		// error lists match.
		allErrs = append(allErrs, field.NotSupported(p.Child("type"), m.Type, metricSourceTypes))
	}
	if expected != "" && !set {
		allErrs = append(allErrs, field.Required(p.Child(expected), "must populate information for the given metric source"))
	}
	if len(present) != 1 {
		// Upstream walks a set here, in no fixed order; sorted is one of its orders.
		slices.Sort(present)
		for _, name := range present {
			if name != expected {
				allErrs = append(allErrs, field.Forbidden(p.Child(name), "must populate the given metric source only"))
			}
		}
	}
	return allErrs
}

func validateObjectSource(src *autoscalingv2.ObjectMetricSource, opts referenceOptions, p *field.Path) field.ErrorList {
	allErrs := validateReference(src.DescribedObject, opts, p.Child("describedObject"))
	allErrs = append(allErrs, validateMetricIdentifier(src.Metric, p.Child("metric"))...)
	allErrs = append(allErrs, validateMetricTarget(src.Target, p.Child("target"))...)
	if src.Target.Value == nil && src.Target.AverageValue == nil {
		allErrs = append(allErrs, field.Required(p.Child("target", "averageValue"), "must set either a target value or averageValue"))
	}
	return allErrs
}

func validateExternalSource(src *autoscalingv2.ExternalMetricSource, p *field.Path) field.ErrorList {
	allErrs := validateMetricIdentifier(src.Metric, p.Child("metric"))
	allErrs = append(allErrs, validateMetricTarget(src.Target, p.Child("target"))...)
	if src.Target.Value == nil && src.Target.AverageValue == nil {
		allErrs = append(allErrs, field.Required(p.Child("target", "averageValue"), "must set either a target value for metric or a per-pod target"))
	}
	if src.Target.Value != nil && src.Target.AverageValue != nil {
		allErrs = append(allErrs, field.Forbidden(p.Child("target", "value"), "may not set both a target value for metric and a per-pod target"))
	}
	return allErrs
}

func validatePodsSource(src *autoscalingv2.PodsMetricSource, p *field.Path) field.ErrorList {
	allErrs := validateMetricIdentifier(src.Metric, p.Child("metric"))
	allErrs = append(allErrs, validateMetricTarget(src.Target, p.Child("target"))...)
	if src.Target.AverageValue == nil {
		allErrs = append(allErrs, field.Required(p.Child("target", "averageValue"), "must specify a positive target averageValue"))
	}
	return allErrs
}

func validateResourceSource(src *autoscalingv2.ResourceMetricSource, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if src.Name == "" {
		allErrs = append(allErrs, field.Required(p.Child("name"), "must specify a resource name"))
	}
	allErrs = append(allErrs, validateMetricTarget(src.Target, p.Child("target"))...)
	return append(allErrs, validateResourceTarget(src.Target, p.Child("target"))...)
}

func validateContainerResourceSource(src *autoscalingv2.ContainerResourceMetricSource, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if src.Name == "" {
		allErrs = append(allErrs, field.Required(p.Child("name"), "must specify a resource name"))
	} else {
		allErrs = append(allErrs, core.ValidateContainerResourceName(src.Name, p.Child("name"))...)
	}
	if src.Container == "" {
		allErrs = append(allErrs, field.Required(p.Child("container"), "must specify a container"))
	} else {
		allErrs = append(allErrs, core.ValidateDNS1123Label(src.Container, p.Child("container"))...)
	}
	allErrs = append(allErrs, validateMetricTarget(src.Target, p.Child("target"))...)
	return append(allErrs, validateResourceTarget(src.Target, p.Child("target"))...)
}

// validateResourceTarget: a resource metric's target is a utilization or a
// raw average, exactly one.
func validateResourceTarget(t autoscalingv2.MetricTarget, p *field.Path) field.ErrorList {
	if t.AverageUtilization == nil && t.AverageValue == nil {
		return field.ErrorList{field.Required(p.Child("averageUtilization"), "must set either a target raw value or a target utilization")}
	}
	if t.AverageUtilization != nil && t.AverageValue != nil {
		return field.ErrorList{field.Forbidden(p.Child("averageValue"), "may not set both a target raw value and a target utilization")}
	}
	return nil
}

func validateMetricTarget(t autoscalingv2.MetricTarget, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if t.Type == "" {
		allErrs = append(allErrs, field.Required(p.Child("type"), "must specify a metric target type"))
	}
	if t.Type != autoscalingv2.UtilizationMetricType && t.Type != autoscalingv2.ValueMetricType && t.Type != autoscalingv2.AverageValueMetricType {
		allErrs = append(allErrs, field.Invalid(p.Child("type"), t.Type, "must be either Utilization, Value, or AverageValue"))
	}
	if t.Value != nil && t.Value.Sign() != 1 {
		allErrs = append(allErrs, field.Invalid(p.Child("value"), t.Value, "must be positive"))
	}
	if t.AverageValue != nil && t.AverageValue.Sign() != 1 {
		allErrs = append(allErrs, field.Invalid(p.Child("averageValue"), t.AverageValue, "must be positive"))
	}
	if t.AverageUtilization != nil && *t.AverageUtilization < 1 {
		allErrs = append(allErrs, field.Invalid(p.Child("averageUtilization"), t.AverageUtilization, "must be greater than 0"))
	}
	return allErrs
}

func validateMetricIdentifier(id autoscalingv2.MetricIdentifier, p *field.Path) field.ErrorList {
	if id.Name == "" {
		return field.ErrorList{field.Required(p.Child("name"), "must specify a metric name")}
	}
	var allErrs field.ErrorList
	for _, msg := range content.IsPathSegmentName(id.Name) {
		allErrs = append(allErrs, field.Invalid(p.Child("name"), id.Name, msg))
	}
	return allErrs
}

func validateScalingRules(rules *autoscalingv2.HPAScalingRules, p *field.Path) field.ErrorList {
	if rules == nil {
		return nil
	}
	var allErrs field.ErrorList
	if w := rules.StabilizationWindowSeconds; w != nil && *w < 0 {
		allErrs = append(allErrs, field.Invalid(p.Child("stabilizationWindowSeconds"), w, "must be greater than or equal to zero"))
	}
	if w := rules.StabilizationWindowSeconds; w != nil && *w > maxStabilizationWindowSeconds {
		allErrs = append(allErrs, field.Invalid(p.Child("stabilizationWindowSeconds"), w, fmt.Sprintf("must be less than or equal to %v", maxStabilizationWindowSeconds)))
	}
	if sp := rules.SelectPolicy; sp != nil && !slices.Contains(selectPolicies, *sp) {
		allErrs = append(allErrs, field.NotSupported(p.Child("selectPolicy"), sp, selectPolicies))
	}
	if len(rules.Policies) == 0 {
		allErrs = append(allErrs, field.Required(p.Child("policies"), "must specify at least one Policy"))
	}
	for i, policy := range rules.Policies {
		allErrs = append(allErrs, validateScalingPolicy(policy, p.Child("policies").Index(i))...)
	}
	if rules.Tolerance != nil {
		allErrs = append(allErrs, core.ValidateNonnegativeQuantity(*rules.Tolerance, p.Child("tolerance"))...)
	}
	return allErrs
}

func validateScalingPolicy(policy autoscalingv2.HPAScalingPolicy, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if !slices.Contains(scalingPolicyTypes, policy.Type) {
		allErrs = append(allErrs, field.NotSupported(p.Child("type"), policy.Type, scalingPolicyTypes))
	}
	if policy.Value <= 0 {
		allErrs = append(allErrs, field.Invalid(p.Child("value"), policy.Value, "must be greater than zero"))
	}
	if policy.PeriodSeconds <= 0 {
		allErrs = append(allErrs, field.Invalid(p.Child("periodSeconds"), policy.PeriodSeconds, "must be greater than zero"))
	}
	if policy.PeriodSeconds > maxPeriodSeconds {
		allErrs = append(allErrs, field.Invalid(p.Child("periodSeconds"), policy.PeriodSeconds, fmt.Sprintf("must be less than or equal to %v", maxPeriodSeconds)))
	}
	return allErrs
}
