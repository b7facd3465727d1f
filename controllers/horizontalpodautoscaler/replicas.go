package horizontalpodautoscaler

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/sets"
	corelisters "k8s.io/client-go/listers/core/v1"
	resourcehelpers "k8s.io/component-helpers/resource"
	"k8s.io/utils/clock"
)

// tolerances bound the usage ratios, around 1, within which a metric asks
// for no change.
type tolerances struct {
	down, up float64
}

func (t tolerances) within(ratio float64) bool {
	return 1-t.down <= ratio && ratio <= 1+t.up
}

func (t tolerances) String() string {
	return fmt.Sprintf("[down:%.1f%%, up:%.1f%%]", t.down*100, t.up*100)
}

// calculator turns metrics into replica counts, as upstream's
// ReplicaCalculator: the usage ratio is taken over the pods that have a
// sample and are ready, and pods without one (missing) or not ready yet
// (unready) are then counted in whichever way damps the change, so that a
// rollout or a slow metrics pipeline cannot make the target swing.
type calculator struct {
	metrics MetricsClient
	pods    corelisters.PodLister
	clock   clock.PassiveClock
	// cpuInitializationPeriod is how long after a pod starts its CPU
	// samples are suspect (--horizontal-pod-autoscaler-cpu-initialization-period);
	// initialReadinessDelay is how long after it starts a pod that is not
	// ready is taken to be still starting rather than broken
	// (--horizontal-pod-autoscaler-initial-readiness-delay).
	cpuInitializationPeriod time.Duration
	initialReadinessDelay   time.Duration
}

// resourceReplicas is the replica count for a target utilization (percent
// of request) of resource, with the current utilization and the average
// raw usage (milli-units) of the pods counted.
func (c *calculator) resourceReplicas(ctx context.Context, current, targetUtilization int32, resource corev1.ResourceName, tol tolerances,
	namespace string, selector labels.Selector, container string) (replicas, utilization int32, rawAverage int64, ts time.Time, err error) {
	metrics, ts, err := c.metrics.ResourceMetric(ctx, resource, namespace, selector, container)
	if err != nil {
		return 0, 0, 0, time.Time{}, fmt.Errorf("unable to get metrics for resource %s: %w", resource, err)
	}
	pods, err := c.pods.Pods(namespace).List(selector)
	if err != nil {
		return 0, 0, 0, time.Time{}, fmt.Errorf("unable to get pods while calculating replica count: %w", err)
	}
	if len(pods) == 0 {
		return 0, 0, 0, time.Time{}, errors.New("no pods returned by selector while calculating replica count")
	}
	ready, unready, missing, ignored := c.groupPods(pods, metrics, resource)
	removePods(metrics, ignored)
	removePods(metrics, unready)
	if len(metrics) == 0 {
		return 0, 0, 0, time.Time{}, errors.New("did not receive metrics for targeted pods (pods might be unready)")
	}
	requests, err := podRequests(pods, container, resource)
	if err != nil {
		return 0, 0, 0, time.Time{}, err
	}
	ratio, utilization, rawAverage, err := utilizationRatio(metrics, requests, targetUtilization)
	if err != nil {
		return 0, 0, 0, time.Time{}, err
	}

	scaleUpWithUnready := len(unready) > 0 && ratio > 1
	if !scaleUpWithUnready && len(missing) == 0 {
		if tol.within(ratio) {
			return current, utilization, rawAverage, ts, nil
		}
		return int32(math.Ceil(ratio * float64(ready))), utilization, rawAverage, ts, nil
	}

	// Count the pods left out in the way that damps the change: on a
	// scale-down a pod without a sample uses its whole request (or the
	// target, when the target is above 100%); on a scale-up it, and every
	// unready pod, uses nothing.
	switch {
	case len(missing) > 0 && ratio < 1:
		fallback := int64(max(100, targetUtilization))
		for name := range missing {
			metrics[name] = podMetric{Value: requests[name] * fallback / 100}
		}
	case len(missing) > 0 && ratio > 1:
		for name := range missing {
			metrics[name] = podMetric{}
		}
	}
	if scaleUpWithUnready {
		for name := range unready {
			metrics[name] = podMetric{}
		}
	}
	newRatio, _, _, err := utilizationRatio(metrics, requests, targetUtilization)
	if err != nil {
		return 0, utilization, rawAverage, time.Time{}, err
	}
	return dampedReplicas(current, ratio, newRatio, len(metrics), tol), utilization, rawAverage, ts, nil
}

// dampedReplicas is the replica count for newRatio over n pods, unless the
// change is within tolerance or the pods left out reversed its direction:
// then the current count stands.
func dampedReplicas(current int32, ratio, newRatio float64, n int, tol tolerances) int32 {
	if tol.within(newRatio) || (ratio < 1 && newRatio > 1) || (ratio > 1 && newRatio < 1) {
		return current
	}
	replicas := int32(math.Ceil(newRatio * float64(n)))
	if (newRatio < 1 && replicas > current) || (newRatio > 1 && replicas < current) {
		return current
	}
	return replicas
}

// rawResourceReplicas is the replica count for a target average usage
// (milli-units) of resource per pod.
func (c *calculator) rawResourceReplicas(ctx context.Context, current int32, target int64, resource corev1.ResourceName, tol tolerances,
	namespace string, selector labels.Selector, container string) (int32, int64, time.Time, error) {
	metrics, ts, err := c.metrics.ResourceMetric(ctx, resource, namespace, selector, container)
	if err != nil {
		return 0, 0, time.Time{}, fmt.Errorf("unable to get metrics for resource %s: %w", resource, err)
	}
	replicas, usage, err := c.plainReplicas(metrics, current, target, tol, namespace, selector, resource)
	return replicas, usage, ts, err
}

// podsReplicas is the replica count for a target average value of a
// custom per-pod metric.
func (c *calculator) podsReplicas(ctx context.Context, current int32, target int64, metric string, tol tolerances,
	namespace string, selector, metricSelector labels.Selector) (int32, int64, time.Time, error) {
	metrics, ts, err := c.metrics.PodsMetric(ctx, metric, namespace, selector, metricSelector)
	if err != nil {
		return 0, 0, time.Time{}, fmt.Errorf("unable to get metric %s: %w", metric, err)
	}
	replicas, usage, err := c.plainReplicas(metrics, current, target, tol, namespace, selector, "")
	return replicas, usage, ts, err
}

// plainReplicas is the replica count for a target average value (not a
// utilization) over the pods. resource is empty for custom metrics: only
// CPU samples of starting pods are suspect.
func (c *calculator) plainReplicas(metrics podMetrics, current int32, target int64, tol tolerances,
	namespace string, selector labels.Selector, resource corev1.ResourceName) (int32, int64, error) {
	pods, err := c.pods.Pods(namespace).List(selector)
	if err != nil {
		return 0, 0, fmt.Errorf("unable to get pods while calculating replica count: %w", err)
	}
	if len(pods) == 0 {
		return 0, 0, errors.New("no pods returned by selector while calculating replica count")
	}
	ready, unready, missing, ignored := c.groupPods(pods, metrics, resource)
	removePods(metrics, ignored)
	removePods(metrics, unready)
	if len(metrics) == 0 {
		return 0, 0, errors.New("did not receive metrics for targeted pods (pods might be unready)")
	}
	ratio, usage := usageRatio(metrics, target)

	scaleUpWithUnready := len(unready) > 0 && ratio > 1
	if !scaleUpWithUnready && len(missing) == 0 {
		if tol.within(ratio) {
			return current, usage, nil
		}
		return int32(math.Ceil(ratio * float64(ready))), usage, nil
	}
	// As for utilization, but a pod without a sample is taken to use
	// exactly the target on a scale-down.
	switch {
	case len(missing) > 0 && ratio < 1:
		for name := range missing {
			metrics[name] = podMetric{Value: target}
		}
	case len(missing) > 0 && ratio > 1:
		for name := range missing {
			metrics[name] = podMetric{}
		}
	}
	if scaleUpWithUnready {
		for name := range unready {
			metrics[name] = podMetric{}
		}
	}
	newRatio, _ := usageRatio(metrics, target)
	return dampedReplicas(current, ratio, newRatio, len(metrics), tol), usage, nil
}

// objectReplicas is the replica count for a target value of one object's
// metric, scaled by the ready pods.
func (c *calculator) objectReplicas(ctx context.Context, current int32, target int64, metric string, tol tolerances, namespace string,
	ref *autoscalingv2.CrossVersionObjectReference, selector, metricSelector labels.Selector) (int32, int64, time.Time, error) {
	usage, _, err := c.metrics.ObjectMetric(ctx, metric, namespace, ref, metricSelector)
	if err != nil {
		return 0, 0, time.Time{}, fmt.Errorf("unable to get metric %s on %s %s/%s: %w", metric, ref.Kind, namespace, ref.Name, err)
	}
	// As upstream, the timestamp of an object's value is not reported.
	replicas, err := c.ratioReplicas(current, float64(usage)/float64(target), tol, namespace, selector)
	return replicas, usage, time.Time{}, err
}

// ratioReplicas scales the ready pods by ratio. From zero replicas there
// are no pods to count: the ratio itself is the count, so that a target
// scaled to zero can come back.
func (c *calculator) ratioReplicas(current int32, ratio float64, tol tolerances, namespace string, selector labels.Selector) (int32, error) {
	if current == 0 {
		return int32(math.Ceil(ratio)), nil
	}
	if tol.within(ratio) {
		return current, nil
	}
	ready, err := c.readyPods(namespace, selector)
	if err != nil {
		return 0, fmt.Errorf("unable to calculate ready pods: %s", err)
	}
	return clampInt32(math.Ceil(ratio * float64(ready))), nil
}

// objectPerPodReplicas is the replica count for a target average value per
// pod of one object's metric.
func (c *calculator) objectPerPodReplicas(ctx context.Context, statusReplicas int32, target int64, metric string, tol tolerances, namespace string,
	ref *autoscalingv2.CrossVersionObjectReference, metricSelector labels.Selector) (int32, int64, time.Time, error) {
	usage, ts, err := c.metrics.ObjectMetric(ctx, metric, namespace, ref, metricSelector)
	if err != nil {
		return 0, 0, time.Time{}, fmt.Errorf("unable to get metric %s on %s %s/%s: %w", metric, ref.Kind, namespace, ref.Name, err)
	}
	replicas := statusReplicas
	if !tol.within(float64(usage) / (float64(target) * float64(statusReplicas))) {
		replicas = int32(math.Ceil(float64(usage) / float64(target)))
	}
	return replicas, int64(math.Ceil(float64(usage) / float64(statusReplicas))), ts, nil
}

// externalReplicas is the replica count for a target total value of an
// external metric.
func (c *calculator) externalReplicas(ctx context.Context, current int32, target int64, metric string, tol tolerances, namespace string,
	metricSelector *metav1.LabelSelector, selector labels.Selector) (int32, int64, time.Time, error) {
	sel, err := metav1.LabelSelectorAsSelector(metricSelector)
	if err != nil {
		return 0, 0, time.Time{}, err
	}
	values, _, err := c.metrics.ExternalMetric(ctx, metric, namespace, sel)
	if err != nil {
		return 0, 0, time.Time{}, fmt.Errorf("unable to get external metric %s/%s/%+v: %s", namespace, metric, metricSelector, err)
	}
	usage := sumSaturating(values)
	replicas, err := c.ratioReplicas(current, float64(usage)/float64(target), tol, namespace, selector)
	return replicas, usage, time.Time{}, err
}

// externalPerPodReplicas is the replica count for a target average value
// per pod of an external metric.
func (c *calculator) externalPerPodReplicas(ctx context.Context, statusReplicas int32, target int64, metric string, tol tolerances, namespace string,
	metricSelector *metav1.LabelSelector) (int32, int64, time.Time, error) {
	sel, err := metav1.LabelSelectorAsSelector(metricSelector)
	if err != nil {
		return 0, 0, time.Time{}, err
	}
	values, ts, err := c.metrics.ExternalMetric(ctx, metric, namespace, sel)
	if err != nil {
		return 0, 0, time.Time{}, fmt.Errorf("unable to get external metric %s/%s/%+v: %s", namespace, metric, metricSelector, err)
	}
	usage := sumSaturating(values)
	replicas := statusReplicas
	if !tol.within(float64(usage) / (float64(target) * float64(statusReplicas))) {
		replicas = clampInt32(math.Ceil(float64(usage) / float64(target)))
	}
	if usage == math.MaxInt64 {
		return replicas, usage, ts, nil
	}
	return replicas, int64(math.Ceil(float64(usage) / float64(statusReplicas))), ts, nil
}

func sumSaturating(values []int64) int64 {
	var sum int64
	for _, v := range values {
		if v > 0 && sum > math.MaxInt64-v {
			return math.MaxInt64
		}
		sum += v
	}
	return sum
}

func clampInt32(f float64) int32 {
	if f > math.MaxInt32 {
		return math.MaxInt32
	}
	return int32(f)
}

func (c *calculator) readyPods(namespace string, selector labels.Selector) (int64, error) {
	pods, err := c.pods.Pods(namespace).List(selector)
	if err != nil {
		return 0, fmt.Errorf("unable to get pods while calculating replica count: %w", err)
	}
	if len(pods) == 0 {
		return 0, errors.New("no pods returned by selector while calculating replica count")
	}
	var n int64
	for _, p := range pods {
		if p.Status.Phase == corev1.PodRunning && podReady(p) {
			n++
		}
	}
	return n, nil
}

// groupPods sorts the pods: deleted or failed ones are ignored; pending
// ones, and for CPU those starting up, are unready; those without a sample
// are missing; the rest are counted as ready.
//
// A starting pod's CPU is spiky, so within the initialization period its
// sample counts only when the pod is ready and the sample was taken a whole
// window after it became so. After that, a pod that is not ready is left
// out only if it has never been ready (its readiness last changed within
// the initial readiness delay of its start).
func (c *calculator) groupPods(pods []*corev1.Pod, metrics podMetrics, resource corev1.ResourceName) (ready int, unready, missing, ignored sets.Set[string]) {
	unready, missing, ignored = sets.New[string](), sets.New[string](), sets.New[string]()
	now := c.clock.Now()
	for _, p := range pods {
		if p.DeletionTimestamp != nil || p.Status.Phase == corev1.PodFailed {
			ignored.Insert(p.Name)
			continue
		}
		if p.Status.Phase == corev1.PodPending {
			unready.Insert(p.Name)
			continue
		}
		m, ok := metrics[p.Name]
		if !ok {
			missing.Insert(p.Name)
			continue
		}
		if resource == corev1.ResourceCPU {
			cond := podCondition(p, corev1.PodReady)
			start := p.Status.StartTime
			var notReady bool
			switch {
			case cond == nil || start == nil:
				notReady = true
			case start.Add(c.cpuInitializationPeriod).After(now):
				notReady = cond.Status == corev1.ConditionFalse || m.Timestamp.Before(cond.LastTransitionTime.Add(m.Window))
			default:
				notReady = cond.Status == corev1.ConditionFalse && start.Add(c.initialReadinessDelay).After(cond.LastTransitionTime.Time)
			}
			if notReady {
				unready.Insert(p.Name)
				continue
			}
		}
		ready++
	}
	return ready, unready, missing, ignored
}

func removePods(metrics podMetrics, pods sets.Set[string]) {
	for name := range pods {
		delete(metrics, name)
	}
}

func podCondition(p *corev1.Pod, t corev1.PodConditionType) *corev1.PodCondition {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == t {
			return &p.Status.Conditions[i]
		}
	}
	return nil
}

func podReady(p *corev1.Pod) bool {
	c := podCondition(p, corev1.PodReady)
	return c != nil && c.Status == corev1.ConditionTrue
}

// podRequests is each pod's request of resource in milli-units: its
// container's when container is set; else the pod-level request when the pod
// has one (pod-level resources); else the sum over its containers and
// sidecars (restartable init containers). A pod without a request fails the
// whole calculation, as a utilization is meaningless without it.
func podRequests(pods []*corev1.Pod, container string, resource corev1.ResourceName) (map[string]int64, error) {
	out := make(map[string]int64, len(pods))
	for _, p := range pods {
		if container == "" && resourcehelpers.IsPodLevelRequestsSet(p) {
			q, ok := resourcehelpers.PodRequests(p, resourcehelpers.PodResourcesOptions{})[resource]
			if !ok {
				return nil, fmt.Errorf("missing pod-level request for %s in Pod %s", resource, p.Name)
			}
			out[p.Name] = q.MilliValue()
			continue
		}
		containers := append([]corev1.Container(nil), p.Spec.Containers...)
		for _, c := range p.Spec.InitContainers {
			if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
				containers = append(containers, c)
			}
		}
		var sum int64
		found := false
		for _, c := range containers {
			if container != "" && c.Name != container {
				continue
			}
			q, ok := c.Resources.Requests[resource]
			if !ok {
				return nil, fmt.Errorf("missing request for %s in container %s of Pod %s", resource, c.Name, p.Name)
			}
			sum += q.MilliValue()
			if container != "" {
				found = true
				break
			}
		}
		if container != "" && !found {
			return nil, fmt.Errorf("container %s not found in Pod %s", container, p.Name)
		}
		out[p.Name] = sum
	}
	return out, nil
}

// utilizationRatio is the usage over the request of the pods with both, in
// percent (rounded down, as upstream), divided by the target; with the
// utilization and the average raw usage.
func utilizationRatio(metrics podMetrics, requests map[string]int64, target int32) (float64, int32, int64, error) {
	var usage, request int64
	n := 0
	for name, m := range metrics {
		r, ok := requests[name]
		if !ok {
			continue
		}
		usage += m.Value
		request += r
		n++
	}
	if request == 0 {
		return 0, 0, 0, errors.New("no metrics returned matched known pods")
	}
	utilization := int32(usage * 100 / request)
	return float64(utilization) / float64(target), utilization, usage / int64(n), nil
}

// usageRatio is the average value over the target, with the average.
func usageRatio(metrics podMetrics, target int64) (float64, int64) {
	var sum int64
	for _, m := range metrics {
		sum += m.Value
	}
	avg := sum / int64(len(metrics))
	return float64(avg) / float64(target), avg
}
