package horizontalpodautoscaler

import (
	"context"
	"errors"
	"fmt"
	"time"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// replicasForMetrics is the highest replica count the HPA's metrics ask
// for, with the metric that asked and every metric's status. A metric that
// fails is skipped; if all fail, or the others would scale down (a broken
// metric might have asked for more), the proposal is -1 and ScalingActive
// is set from the first failure. Otherwise ScalingActive is True, and a
// failure is returned beside the proposal.
func (c *Controller) replicasForMetrics(ctx context.Context, hpa *autoscalingv2.HorizontalPodAutoscaler, sc *autoscalingv1.Scale, now time.Time) (int32, string, []autoscalingv2.MetricStatus, time.Time, error) {
	selector, err := c.targetSelector(hpa, sc.Status.Selector, now)
	if err != nil {
		return -1, "", nil, time.Time{}, err
	}
	specs := hpa.Spec.Metrics
	statuses := make([]autoscalingv2.MetricStatus, len(specs))
	var (
		replicas     int32
		metric       string
		ts           time.Time
		invalid      int
		firstErr     error
		firstInvalid autoscalingv2.HorizontalPodAutoscalerCondition
	)
	for i, spec := range specs {
		r, name, t, cond, err := c.replicasForMetric(ctx, hpa, spec, sc.Spec.Replicas, sc.Status.Replicas, selector, &statuses[i])
		if err != nil {
			if invalid == 0 {
				firstInvalid, firstErr = cond, err
			}
			invalid++
			continue
		}
		if replicas == 0 || r > replicas {
			replicas, metric, ts = r, name, t
		}
	}
	if firstErr != nil {
		firstErr = fmt.Errorf("invalid metrics (%v invalid out of %v), first error is: %w", invalid, len(specs), firstErr)
	}
	if invalid >= len(specs) || (invalid > 0 && replicas < sc.Spec.Replicas) {
		setCondition(hpa, firstInvalid.Type, firstInvalid.Status, firstInvalid.Reason, firstInvalid.Message, now)
		return -1, "", statuses, time.Time{}, firstErr
	}
	setCondition(hpa, autoscalingv2.ScalingActive, corev1.ConditionTrue, "ValidMetricFound",
		fmt.Sprintf("the HPA was able to successfully calculate a replica count from %s", metric), now)
	return replicas, metric, statuses, ts, firstErr
}

// targetSelector parses the pod selector the target's scale reports and
// checks that no other HPA scales the same pods.
func (c *Controller) targetSelector(hpa *autoscalingv2.HorizontalPodAutoscaler, s string, now time.Time) (labels.Selector, error) {
	if s == "" {
		msg := "selector is required"
		c.recorder.Event(hpa, corev1.EventTypeWarning, "SelectorRequired", msg)
		setCondition(hpa, autoscalingv2.ScalingActive, corev1.ConditionFalse, "InvalidSelector", "the HPA target's scale is missing a selector", now)
		return nil, errors.New(msg)
	}
	selector, err := labels.Parse(s)
	if err != nil {
		msg := fmt.Sprintf("couldn't convert selector into a corresponding internal selector object: %v", err)
		c.recorder.Event(hpa, corev1.EventTypeWarning, "InvalidSelector", msg)
		setCondition(hpa, autoscalingv2.ScalingActive, corev1.ConditionFalse, "InvalidSelector", msg, now)
		return nil, errors.New(msg)
	}
	if !c.tracked.update(hpa.Namespace, hpa.Name, selector) {
		return nil, fmt.Errorf("HPA %s/%s was deleted during reconciliation", hpa.Namespace, hpa.Name)
	}
	pods, err := c.pods.Pods(hpa.Namespace).List(selector)
	if err != nil {
		return nil, err
	}
	if hpas := c.tracked.matching(hpa.Namespace, pods, 2); len(hpas) > 1 {
		msg := fmt.Sprintf("pods by selector %v are controlled by more than one HPA (e.g. %v)", s, hpas)
		c.recorder.Event(hpa, corev1.EventTypeWarning, "AmbiguousSelector", msg)
		setCondition(hpa, autoscalingv2.ScalingActive, corev1.ConditionFalse, "AmbiguousSelector", msg, now)
		return nil, errors.New(msg)
	}
	return selector, nil
}

// failedMetric records the event of a metric that could not be read and
// returns the ScalingActive condition it would set.
func (c *Controller) failedMetric(hpa *autoscalingv2.HorizontalPodAutoscaler, reason string, err error) autoscalingv2.HorizontalPodAutoscalerCondition {
	c.recorder.Event(hpa, corev1.EventTypeWarning, reason, err.Error())
	return autoscalingv2.HorizontalPodAutoscalerCondition{
		Type:    autoscalingv2.ScalingActive,
		Status:  corev1.ConditionFalse,
		Reason:  reason,
		Message: fmt.Sprintf("the HPA was unable to compute the replica count: %v", err),
	}
}

type noCondition = autoscalingv2.HorizontalPodAutoscalerCondition

// replicasForMetric is one metric's proposal, the name the rescale reason
// gives it and its status; on failure, the condition to set.
func (c *Controller) replicasForMetric(ctx context.Context, hpa *autoscalingv2.HorizontalPodAutoscaler, spec autoscalingv2.MetricSpec,
	specReplicas, statusReplicas int32, selector labels.Selector, status *autoscalingv2.MetricStatus) (int32, string, time.Time, autoscalingv2.HorizontalPodAutoscalerCondition, error) {
	tol := c.tolerances(hpa)
	ns := hpa.Namespace
	switch spec.Type {
	case autoscalingv2.ObjectMetricSourceType:
		return c.objectMetric(ctx, hpa, spec.Object, specReplicas, statusReplicas, selector, tol, status)

	case autoscalingv2.PodsMetricSourceType:
		src := spec.Pods
		metricSelector, err := metav1.LabelSelectorAsSelector(src.Metric.Selector)
		if err != nil {
			return 0, "", time.Time{}, c.failedMetric(hpa, "FailedGetPodsMetric", err), fmt.Errorf("failed to get pods metric value: %w", err)
		}
		if src.Target.AverageValue == nil {
			// Validation requires it upstream; the server here does
			// not validate HPAs.
			err := errors.New("invalid pods metric source: no average value target was set")
			return 0, "", time.Time{}, c.failedMetric(hpa, "FailedGetPodsMetric", err), fmt.Errorf("failed to get pods metric value: %w", err)
		}
		r, usage, ts, err := c.calc.podsReplicas(ctx, specReplicas, src.Target.AverageValue.MilliValue(), src.Metric.Name, tol, ns, selector, metricSelector)
		if err != nil {
			return 0, "", time.Time{}, c.failedMetric(hpa, "FailedGetPodsMetric", err), fmt.Errorf("failed to get pods metric value: %w", err)
		}
		*status = autoscalingv2.MetricStatus{Type: autoscalingv2.PodsMetricSourceType, Pods: &autoscalingv2.PodsMetricStatus{
			Metric:  autoscalingv2.MetricIdentifier{Name: src.Metric.Name, Selector: src.Metric.Selector},
			Current: autoscalingv2.MetricValueStatus{AverageValue: resource.NewMilliQuantity(usage, resource.DecimalSI)},
		}}
		return r, "pods metric " + src.Metric.Name, ts, noCondition{}, nil

	case autoscalingv2.ResourceMetricSourceType:
		src := spec.Resource
		r, current, ts, name, err := c.resourceMetric(ctx, specReplicas, src.Target, src.Name, ns, "", selector, tol)
		if err != nil {
			return 0, "", time.Time{}, c.failedMetric(hpa, "FailedGetResourceMetric", err), fmt.Errorf("failed to get %s resource metric value: %w", src.Name, err)
		}
		*status = autoscalingv2.MetricStatus{Type: autoscalingv2.ResourceMetricSourceType,
			Resource: &autoscalingv2.ResourceMetricStatus{Name: src.Name, Current: current}}
		return r, name, ts, noCondition{}, nil

	case autoscalingv2.ContainerResourceMetricSourceType:
		src := spec.ContainerResource
		r, current, ts, name, err := c.resourceMetric(ctx, specReplicas, src.Target, src.Name, ns, src.Container, selector, tol)
		if err != nil {
			return 0, "", time.Time{}, c.failedMetric(hpa, "FailedGetContainerResourceMetric", err), fmt.Errorf("failed to get %s container metric value: %w", src.Container, err)
		}
		*status = autoscalingv2.MetricStatus{Type: autoscalingv2.ContainerResourceMetricSourceType,
			ContainerResource: &autoscalingv2.ContainerResourceMetricStatus{Name: src.Name, Container: src.Container, Current: current}}
		return r, name, ts, noCondition{}, nil

	case autoscalingv2.ExternalMetricSourceType:
		return c.externalMetric(ctx, hpa, spec.External, specReplicas, statusReplicas, selector, tol, status)
	}
	err := fmt.Errorf("unknown metric source type %q", string(spec.Type))
	return 0, "", time.Time{}, c.failedMetric(hpa, "InvalidMetricSourceType", err), err
}

// resourceMetric handles Resource and ContainerResource metrics: an average
// value, or a utilization of the pods' requests.
func (c *Controller) resourceMetric(ctx context.Context, current int32, target autoscalingv2.MetricTarget, res corev1.ResourceName,
	namespace, container string, selector labels.Selector, tol tolerances) (int32, autoscalingv2.MetricValueStatus, time.Time, string, error) {
	if target.AverageValue != nil {
		r, usage, ts, err := c.calc.rawResourceReplicas(ctx, current, target.AverageValue.MilliValue(), res, tol, namespace, selector, container)
		if err != nil {
			return 0, autoscalingv2.MetricValueStatus{}, time.Time{}, "", fmt.Errorf("failed to get %s usage: %w", res, err)
		}
		q := quantity(res, usage)
		return r, autoscalingv2.MetricValueStatus{AverageValue: &q}, ts, fmt.Sprintf("%s resource", res), nil
	}
	if target.AverageUtilization == nil {
		return 0, autoscalingv2.MetricValueStatus{}, time.Time{}, "",
			errors.New("invalid resource metric source: neither an average utilization target nor an average value (usage) target was set")
	}
	r, utilization, raw, ts, err := c.calc.resourceReplicas(ctx, current, *target.AverageUtilization, res, tol, namespace, selector, container)
	if err != nil {
		return 0, autoscalingv2.MetricValueStatus{}, time.Time{}, "", fmt.Errorf("failed to get %s utilization: %w", res, err)
	}
	name := fmt.Sprintf("%s resource utilization (percentage of request)", res)
	if container != "" {
		name = fmt.Sprintf("%s container resource utilization (percentage of request)", res)
	}
	q := quantity(res, raw)
	return r, autoscalingv2.MetricValueStatus{AverageUtilization: &utilization, AverageValue: &q}, ts, name, nil
}

// quantity formats a milli-value as metrics-server does: memory in binary
// units (Ki, Mi), everything else in decimal ones (m).
func quantity(res corev1.ResourceName, milli int64) resource.Quantity {
	format := resource.DecimalSI
	if res == corev1.ResourceMemory {
		format = resource.BinarySI
	}
	return *resource.NewMilliQuantity(milli, format)
}

func (c *Controller) objectMetric(ctx context.Context, hpa *autoscalingv2.HorizontalPodAutoscaler, src *autoscalingv2.ObjectMetricSource,
	specReplicas, statusReplicas int32, selector labels.Selector, tol tolerances, status *autoscalingv2.MetricStatus) (int32, string, time.Time, autoscalingv2.HorizontalPodAutoscalerCondition, error) {
	metricSelector, err := metav1.LabelSelectorAsSelector(src.Metric.Selector)
	if err != nil {
		return 0, "", time.Time{}, c.failedMetric(hpa, "FailedGetObjectMetric", err), fmt.Errorf("failed to get object metric value: %w", err)
	}
	st := autoscalingv2.MetricStatus{Type: autoscalingv2.ObjectMetricSourceType, Object: &autoscalingv2.ObjectMetricStatus{
		DescribedObject: src.DescribedObject,
		Metric:          autoscalingv2.MetricIdentifier{Name: src.Metric.Name, Selector: src.Metric.Selector},
	}}
	ns := hpa.Namespace
	switch {
	case src.Target.Type == autoscalingv2.ValueMetricType && src.Target.Value != nil:
		r, usage, ts, err := c.calc.objectReplicas(ctx, specReplicas, src.Target.Value.MilliValue(), src.Metric.Name, tol, ns, &src.DescribedObject, selector, metricSelector)
		if err != nil {
			return 0, "", time.Time{}, c.failedMetric(hpa, "FailedGetObjectMetric", err), fmt.Errorf("failed to get object metric value: %w", err)
		}
		st.Object.Current.Value = resource.NewMilliQuantity(usage, resource.DecimalSI)
		*status = st
		return r, fmt.Sprintf("%s metric %s", src.DescribedObject.Kind, src.Metric.Name), ts, noCondition{}, nil
	case src.Target.Type == autoscalingv2.AverageValueMetricType && src.Target.AverageValue != nil:
		r, usage, ts, err := c.calc.objectPerPodReplicas(ctx, statusReplicas, src.Target.AverageValue.MilliValue(), src.Metric.Name, tol, ns, &src.DescribedObject, metricSelector)
		if err != nil {
			cond := c.failedMetric(hpa, "FailedGetObjectMetric", err)
			return 0, "", time.Time{}, cond, fmt.Errorf("failed to get object metric value: failed to get %s object metric: %w", src.Metric.Name, err)
		}
		st.Object.Current.AverageValue = resource.NewMilliQuantity(usage, resource.DecimalSI)
		*status = st
		// Upstream's wording, "external" included: it is what the
		// rescale events say.
		return r, fmt.Sprintf("external metric %s(%+v)", src.Metric.Name, src.Metric.Selector), ts, noCondition{}, nil
	}
	err = errors.New("invalid object metric source: neither a value target nor an average value target was set")
	return 0, "", time.Time{}, c.failedMetric(hpa, "FailedGetObjectMetric", err), fmt.Errorf("failed to get object metric value: %w", err)
}

func (c *Controller) externalMetric(ctx context.Context, hpa *autoscalingv2.HorizontalPodAutoscaler, src *autoscalingv2.ExternalMetricSource,
	specReplicas, statusReplicas int32, selector labels.Selector, tol tolerances, status *autoscalingv2.MetricStatus) (int32, string, time.Time, autoscalingv2.HorizontalPodAutoscalerCondition, error) {
	ns := hpa.Namespace
	name := src.Metric.Name
	wrap := func(err error) error { return fmt.Errorf("failed to get %s external metric value: %w", name, err) }
	st := autoscalingv2.MetricStatus{Type: autoscalingv2.ExternalMetricSourceType, External: &autoscalingv2.ExternalMetricStatus{
		Metric: autoscalingv2.MetricIdentifier{Name: name, Selector: src.Metric.Selector},
	}}
	reason := fmt.Sprintf("external metric %s(%+v)", name, src.Metric.Selector)
	switch {
	case src.Target.AverageValue != nil:
		r, usage, ts, err := c.calc.externalPerPodReplicas(ctx, statusReplicas, src.Target.AverageValue.MilliValue(), name, tol, ns, src.Metric.Selector)
		if err != nil {
			cond := c.failedMetric(hpa, "FailedGetExternalMetric", err)
			return 0, "", time.Time{}, cond, wrap(fmt.Errorf("failed to get %s external metric: %w", name, err))
		}
		st.External.Current.AverageValue = resource.NewMilliQuantity(usage, resource.DecimalSI)
		*status = st
		return r, reason, ts, noCondition{}, nil
	case src.Target.Value != nil:
		r, usage, ts, err := c.calc.externalReplicas(ctx, specReplicas, src.Target.Value.MilliValue(), name, tol, ns, src.Metric.Selector, selector)
		if err != nil {
			cond := c.failedMetric(hpa, "FailedGetExternalMetric", err)
			return 0, "", time.Time{}, cond, wrap(fmt.Errorf("failed to get external metric %s: %w", name, err))
		}
		st.External.Current.Value = resource.NewMilliQuantity(usage, resource.DecimalSI)
		*status = st
		return r, reason, ts, noCondition{}, nil
	}
	err := errors.New("invalid external metric source: neither a value target nor an average value target was set")
	return 0, "", time.Time{}, c.failedMetric(hpa, "FailedGetExternalMetric", err), wrap(err)
}
