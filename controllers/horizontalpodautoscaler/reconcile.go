package horizontalpodautoscaler

import (
	"context"
	"errors"
	"fmt"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/util/retry"
	"k8s.io/klog/v2"
)

// reconcile scales one HPA's target and writes its status, as upstream's
// reconcileAutoscaler: read the target's scale; outside [min, max] go to
// the bound without looking at metrics; else take the highest replica
// count any metric asks for, stabilize and rate-limit it, and write it to
// the scale subresource.
func (c *Controller) reconcile(ctx context.Context, shared *autoscalingv2.HorizontalPodAutoscaler, key string) (retErr error) {
	logger := klog.FromContext(ctx)
	hpa := shared.DeepCopy()
	oldStatus := hpa.Status.DeepCopy()
	now := c.clock.Now()
	target := hpa.Spec.ScaleTargetRef
	reference := fmt.Sprintf("%s/%s/%s", target.Kind, hpa.Namespace, target.Name)

	// failScale reports a target whose scale cannot be read.
	failScale := func(err, ret error) error {
		c.recorder.Event(hpa, corev1.EventTypeWarning, "FailedGetScale", err.Error())
		setCondition(hpa, autoscalingv2.AbleToScale, corev1.ConditionFalse, "FailedGetScale",
			fmt.Sprintf("the HPA controller was unable to get the target's current scale: %v", err), now)
		if err := c.writeStatus(ctx, oldStatus, hpa); err != nil {
			utilruntime.HandleErrorWithContext(ctx, err, "Writing HPA status failed", "HPA", klog.KObj(hpa))
		}
		return ret
	}
	gv, err := schema.ParseGroupVersion(target.APIVersion)
	if err != nil {
		return failScale(err, fmt.Errorf("invalid API version in scale target reference: %w", err))
	}
	mappings, err := c.mapper.RESTMappings(schema.GroupKind{Group: gv.Group, Kind: target.Kind})
	if err != nil {
		return failScale(err, fmt.Errorf("unable to determine resource for scale target reference: %w", err))
	}
	sc, gr, err := c.scaleFor(ctx, hpa.Namespace, target.Name, mappings)
	if err != nil {
		return failScale(err, fmt.Errorf("failed to query scale subresource for %s: %w", reference, err))
	}
	setCondition(hpa, autoscalingv2.AbleToScale, corev1.ConditionTrue, "SucceededGetScale", "the HPA controller was able to get the target's current scale", now)
	current := sc.Spec.Replicas
	c.history.seed(key, current)

	minReplicas := int32(1)
	if hpa.Spec.MinReplicas != nil {
		minReplicas = *hpa.Spec.MinReplicas
	}
	objectOrExternal := hasObjectOrExternalMetric(hpa)
	if minReplicas == 0 && !objectOrExternal {
		// Upstream's validation refuses minReplicas 0 without an Object
		// or External metric, the only ones that can bring a target back
		// from zero; the API server here does not validate HPAs, so the
		// controller holds such a target at one replica instead.
		minReplicas = 1
	}
	if hpa.Spec.MaxReplicas < minReplicas {
		// Upstream's validation refuses this too; left to the bounds
		// below, it would scale the target to the maximum, zero when
		// maxReplicas was left out.
		setCondition(hpa, autoscalingv2.ScalingActive, corev1.ConditionFalse, "InvalidSpec",
			fmt.Sprintf("maxReplicas (%d) must be greater than or equal to minReplicas (%d)", hpa.Spec.MaxReplicas, minReplicas), now)
		c.setStatus(hpa, current, hpa.Status.DesiredReplicas, nil, false)
		return c.writeStatus(ctx, oldStatus, hpa)
	}
	// HPAScaleToZero is on by default in v1.37: a target the controller
	// scaled to zero (ScaledToZero=True) keeps being autoscaled; one
	// scaled to zero by someone else is left alone.
	scaledToZero := conditionTrue(hpa, autoscalingv2.ScaledToZero)

	var (
		desired       int32
		rescaleReason string
		statuses      []autoscalingv2.MetricStatus
		rescale       = true
		needMetrics   = true
	)
	switch {
	case current == 0:
		if !(minReplicas != 0 && scaledToZero) && !(scaledToZero && objectOrExternal) {
			rescale, needMetrics = false, false
			setCondition(hpa, autoscalingv2.ScalingActive, corev1.ConditionFalse, "ScalingDisabled", "scaling is disabled since the replica count of the target is zero", now)
		}
	case current > hpa.Spec.MaxReplicas:
		rescaleReason = "Current number of replicas above Spec.MaxReplicas"
		desired, needMetrics = hpa.Spec.MaxReplicas, false
	case current < minReplicas:
		rescaleReason = "Current number of replicas below Spec.MinReplicas"
		desired, needMetrics = minReplicas, false
	}

	if needMetrics {
		proposal, metric, sts, ts, err := c.replicasForMetrics(ctx, hpa, sc, now)
		statuses = sts
		if err != nil && proposal == -1 {
			c.setStatus(hpa, current, hpa.Status.DesiredReplicas, statuses, false)
			if err := c.writeStatus(ctx, oldStatus, hpa); err != nil {
				utilruntime.HandleErrorWithContext(ctx, err, "Writing HPA status failed", "HPA", klog.KObj(hpa))
			}
			c.recorder.Event(hpa, corev1.EventTypeWarning, "FailedComputeMetricsReplicas", err.Error())
			return fmt.Errorf("failed to compute desired number of replicas based on listed metrics for %s: %w", reference, err)
		}
		// Some metrics failed but the others ask for more: scale on
		// those, and report the failure after.
		retErr = err
		logger.V(4).Info("Proposing desired replicas", "desiredReplicas", proposal, "metric", metric,
			"tolerances", c.tolerances(hpa), "timestamp", ts, "scaleTarget", reference)

		rescaleMetric := ""
		if proposal > desired {
			desired, rescaleMetric = proposal, metric
		}
		switch {
		case desired > current:
			rescaleReason = rescaleMetric + " above target"
		case desired < current:
			rescaleReason = "All metrics below target"
		}
		if hpa.Spec.Behavior == nil {
			desired = c.history.normalize(hpa, key, current, desired, minReplicas, now)
		} else {
			desired = c.history.normalizeWithBehavior(hpa, key, current, desired, minReplicas, now)
		}
		if current == 0 && minReplicas != 0 && scaledToZero && desired < minReplicas {
			desired = minReplicas
			if rescaleReason == "" {
				rescaleReason = "Current number of replicas below Spec.MinReplicas"
			}
		}
		rescale = desired != current
	}

	if rescale {
		if err := c.writeScale(ctx, hpa, gr, sc, desired); err != nil {
			c.recorder.Eventf(hpa, corev1.EventTypeWarning, "FailedRescale", "New size: %d; reason: %s; error: %v", desired, rescaleReason, err.Error())
			setCondition(hpa, autoscalingv2.AbleToScale, corev1.ConditionFalse, "FailedUpdateScale",
				fmt.Sprintf("the HPA controller was unable to update the target scale: %v", err), now)
			c.setStatus(hpa, current, hpa.Status.DesiredReplicas, statuses, false)
			if err := c.writeStatus(ctx, oldStatus, hpa); err != nil {
				utilruntime.HandleErrorWithContext(ctx, err, "Writing HPA status failed", "HPA", klog.KObj(hpa))
			}
			return fmt.Errorf("failed to rescale %s: %w", reference, err)
		}
		setCondition(hpa, autoscalingv2.AbleToScale, corev1.ConditionTrue, "SucceededRescale",
			fmt.Sprintf("the HPA controller was able to update the target scale to %d", desired), now)
		c.recorder.Eventf(hpa, corev1.EventTypeNormal, "SuccessfulRescale", "New size: %d; reason: %s", desired, rescaleReason)
		c.history.recordScale(hpa.Spec.Behavior, key, current, desired)
		logger.Info("Successfully rescaled", "HPA", klog.KObj(hpa), "currentReplicas", current, "desiredReplicas", desired, "reason", rescaleReason)
		// Every rescale says whether it went to zero, so that the
		// condition is never stale.
		if current > 0 && desired == 0 && minReplicas == 0 && objectOrExternal {
			setCondition(hpa, autoscalingv2.ScaledToZero, corev1.ConditionTrue, "ScaledToZero", "the HPA controller scaled the workload to zero", now)
		} else {
			setCondition(hpa, autoscalingv2.ScaledToZero, corev1.ConditionFalse, "NotScaledToZero", "the HPA controller did not scale the workload to zero", now)
		}
	} else {
		logger.V(4).Info("Decided not to scale", "scaleTarget", reference, "desiredReplicas", desired, "lastScaleTime", hpa.Status.LastScaleTime)
		desired = current
	}

	c.setStatus(hpa, current, desired, statuses, rescale)
	if err := c.writeStatus(ctx, oldStatus, hpa); err != nil {
		return err
	}
	return retErr
}

// scaleFor reads the scale through the first mapping that serves it; the
// error is the first mapping's.
func (c *Controller) scaleFor(ctx context.Context, namespace, name string, mappings []*apimeta.RESTMapping) (*autoscalingv1.Scale, schema.GroupResource, error) {
	var first error
	for i, m := range mappings {
		gr := m.Resource.GroupResource()
		sc, err := c.scales.Scales(namespace).Get(ctx, gr, name, metav1.GetOptions{})
		if err == nil {
			return sc, gr, nil
		}
		if i == 0 {
			first = err
		}
	}
	if first == nil {
		first = errors.New("unrecognized resource")
	}
	return nil, schema.GroupResource{}, first
}

// writeScale sets the target's replicas, rereading the scale on a conflict.
func (c *Controller) writeScale(ctx context.Context, hpa *autoscalingv2.HorizontalPodAutoscaler, gr schema.GroupResource, sc *autoscalingv1.Scale, replicas int32) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		sc.Spec.Replicas = replicas
		_, err := c.scales.Scales(hpa.Namespace).Update(ctx, gr, sc, metav1.UpdateOptions{})
		if err == nil {
			return nil
		}
		if latest, getErr := c.scales.Scales(hpa.Namespace).Get(ctx, gr, hpa.Spec.ScaleTargetRef.Name, metav1.GetOptions{}); getErr == nil {
			sc = latest
		} else {
			utilruntime.HandleErrorWithContext(ctx, getErr, "Rereading the scale failed", "HPA", klog.KObj(hpa))
		}
		return err
	})
}

func hasObjectOrExternalMetric(hpa *autoscalingv2.HorizontalPodAutoscaler) bool {
	for _, m := range hpa.Spec.Metrics {
		if m.Type == autoscalingv2.ObjectMetricSourceType || m.Type == autoscalingv2.ExternalMetricSourceType {
			return true
		}
	}
	return false
}

// tolerances are the controller's, or the HPA's own where its behavior
// sets them.
func (c *Controller) tolerances(hpa *autoscalingv2.HorizontalPodAutoscaler) tolerances {
	t := tolerances{down: c.opts.Tolerance, up: c.opts.Tolerance}
	if b := hpa.Spec.Behavior; b != nil {
		if b.ScaleDown != nil && b.ScaleDown.Tolerance != nil {
			t.down = b.ScaleDown.Tolerance.AsApproximateFloat64()
		}
		if b.ScaleUp != nil && b.ScaleUp.Tolerance != nil {
			t.up = b.ScaleUp.Tolerance.AsApproximateFloat64()
		}
	}
	return t
}
