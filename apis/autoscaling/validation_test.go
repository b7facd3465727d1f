package autoscaling

import (
	"testing"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/apis/internal/fielderrors"
)

// validHPA is what a v2 client sends after defaulting.
func validHPA() *autoscalingv2.HorizontalPodAutoscaler {
	return &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default", ResourceVersion: "1"},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"},
			MinReplicas:    ptr.To[int32](1),
			MaxReplicas:    5,
			Metrics:        append([]autoscalingv2.MetricSpec{}, cpu80...),
			Behavior:       &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleUp: scaleUp.DeepCopy(), ScaleDown: scaleDown.DeepCopy()},
		},
	}
}

func quantity(s string) *resource.Quantity { return ptr.To(resource.MustParse(s)) }

func objectMetric(apiVersion string) autoscalingv2.MetricSpec {
	return autoscalingv2.MetricSpec{Type: autoscalingv2.ObjectMetricSourceType, Object: &autoscalingv2.ObjectMetricSource{
		DescribedObject: autoscalingv2.CrossVersionObjectReference{APIVersion: apiVersion, Kind: "Ingress", Name: "main"},
		Metric:          autoscalingv2.MetricIdentifier{Name: "requests-per-second"},
		Target:          autoscalingv2.MetricTarget{Type: autoscalingv2.ValueMetricType, Value: quantity("10k")},
	}}
}

func TestValidateHorizontalPodAutoscaler(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*autoscalingv2.HorizontalPodAutoscaler)
		want   []string
		// createOnly: an update checks metadata otherwise (immutability, not the name's form).
		createOnly bool
	}{
		{name: "valid", mutate: func(*autoscalingv2.HorizontalPodAutoscaler) {}},
		{name: "no metrics, no behavior", mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) { h.Spec.Metrics, h.Spec.Behavior = nil, nil }},
		{
			name: "every metric source",
			mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) {
				h.Spec.Metrics = []autoscalingv2.MetricSpec{
					objectMetric("networking.k8s.io/v1"),
					objectMetric("v1"), // described objects may be in the core group
					{Type: autoscalingv2.PodsMetricSourceType, Pods: &autoscalingv2.PodsMetricSource{Metric: autoscalingv2.MetricIdentifier{Name: "queue"},
						Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: quantity("1")}}},
					{Type: autoscalingv2.ExternalMetricSourceType, External: &autoscalingv2.ExternalMetricSource{Metric: autoscalingv2.MetricIdentifier{Name: "queue"},
						Target: autoscalingv2.MetricTarget{Type: autoscalingv2.ValueMetricType, Value: quantity("30")}}},
					{Type: autoscalingv2.ContainerResourceMetricSourceType, ContainerResource: &autoscalingv2.ContainerResourceMetricSource{Name: corev1.ResourceMemory,
						Container: "app", Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: quantity("1Gi")}}},
				}
			},
		},
		{
			name: "replica bounds",
			mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) {
				h.Spec.MinReplicas = ptr.To[int32](-1)
				h.Spec.MaxReplicas = -2
			},
			want: []string{
				`spec.minReplicas: Invalid value: -1: must be greater than or equal to 0`,
				`spec.maxReplicas: Invalid value: -2: must be greater than or equal to 1`,
				"spec.maxReplicas: Invalid value: -2: must be greater than or equal to `minReplicas`",
			},
		},
		{
			name:   "maxReplicas left out",
			mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) { h.Spec.MaxReplicas = 0 },
			want: []string{
				`spec.maxReplicas: Required value: must be set and greater than 0`,
				"spec.maxReplicas: Invalid value: 0: must be greater than or equal to `minReplicas`",
			},
		},
		{
			name:   "maxReplicas below minReplicas",
			mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) { h.Spec.MinReplicas = ptr.To[int32](6) },
			want:   []string{"spec.maxReplicas: Invalid value: 5: must be greater than or equal to `minReplicas`"},
		},
		{
			name:   "scale to zero on a resource metric",
			mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) { h.Spec.MinReplicas = ptr.To[int32](0) },
			want:   []string{`spec.metrics: Forbidden: must specify at least one Object or External metric to support scaling to zero replicas`},
		},
		{
			name: "scale to zero on an object metric",
			mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) {
				h.Spec.MinReplicas = ptr.To[int32](0)
				h.Spec.Metrics = append(h.Spec.Metrics, objectMetric("networking.k8s.io/v1"))
			},
		},
		{
			name: "scale target without kind and name",
			mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) {
				h.Spec.ScaleTargetRef = autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1"}
			},
			want: []string{`spec.scaleTargetRef.kind: Required value`, `spec.scaleTargetRef.name: Required value`},
		},
		{
			name: "scale target name and apiVersion",
			mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) {
				h.Spec.ScaleTargetRef = autoscalingv2.CrossVersionObjectReference{APIVersion: "v1", Kind: "Deploy/ment", Name: ".."}
			},
			want: []string{
				`spec.scaleTargetRef.kind: Invalid value: "Deploy/ment": may not contain '/'`,
				`spec.scaleTargetRef.name: Invalid value: "..": may not be '..'`,
				`spec.scaleTargetRef.apiVersion: Invalid value: "v1": apiVersion must specify API group`,
			},
		},
		{
			name: "scale target apiVersion unparsable",
			mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) {
				h.Spec.ScaleTargetRef.APIVersion = "apps/v1/x"
			},
			want: []string{`spec.scaleTargetRef.apiVersion: Invalid value: "apps/v1/x": unexpected GroupVersion string: apps/v1/x`},
		},
		{
			name: "a ReplicationController is in the core group",
			mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) {
				h.Spec.ScaleTargetRef = autoscalingv2.CrossVersionObjectReference{APIVersion: "v1", Kind: "ReplicationController", Name: "web"}
			},
		},
		{
			name: "metric type unknown or missing",
			mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) {
				h.Spec.Metrics[0].Type = "Custom"
				h.Spec.Metrics = append(h.Spec.Metrics, autoscalingv2.MetricSpec{})
			},
			want: []string{
				`spec.metrics[0].type: Unsupported value: "Custom": supported values: "ContainerResource", "External", "Object", "Pods", "Resource"`,
				`spec.metrics[0].type: Unsupported value: "Custom": supported values: "ContainerResource", "External", "Object", "Pods", "Resource"`,
				`spec.metrics[1].type: Required value: must specify a metric source type`,
				`spec.metrics[1].type: Unsupported value: "": supported values: "ContainerResource", "External", "Object", "Pods", "Resource"`,
				`spec.metrics[1].type: Unsupported value: "": supported values: "ContainerResource", "External", "Object", "Pods", "Resource"`,
			},
		},
		{
			name: "type and source disagree",
			mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) {
				h.Spec.Metrics[0].Type = autoscalingv2.PodsMetricSourceType
				h.Spec.Metrics = append(h.Spec.Metrics, autoscalingv2.MetricSpec{Type: autoscalingv2.ObjectMetricSourceType, Object: objectMetric("v1").Object,
					External: &autoscalingv2.ExternalMetricSource{}})
			},
			want: []string{
				`spec.metrics[0].pods: Required value: must populate information for the given metric source`,
				`spec.metrics[1].external: Forbidden: must populate the given metric source only`,
			},
		},
		{
			name: "object target",
			mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) {
				m := objectMetric("networking.k8s.io/v1")
				m.Object.DescribedObject.Kind = ""
				m.Object.Metric.Name = ""
				m.Object.Target = autoscalingv2.MetricTarget{Type: "Total", AverageUtilization: ptr.To[int32](0)}
				h.Spec.Metrics = []autoscalingv2.MetricSpec{m}
			},
			want: []string{
				`spec.metrics[0].object.describedObject.kind: Required value`,
				`spec.metrics[0].object.metric.name: Required value: must specify a metric name`,
				`spec.metrics[0].object.target.type: Invalid value: "Total": must be either Utilization, Value, or AverageValue`,
				`spec.metrics[0].object.target.averageUtilization: Invalid value: 0: must be greater than 0`,
				`spec.metrics[0].object.target.averageValue: Required value: must set either a target value or averageValue`,
			},
		},
		{
			name: "external target",
			mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) {
				h.Spec.Metrics = []autoscalingv2.MetricSpec{{Type: autoscalingv2.ExternalMetricSourceType, External: &autoscalingv2.ExternalMetricSource{
					Metric: autoscalingv2.MetricIdentifier{Name: "a/b"},
					Target: autoscalingv2.MetricTarget{Type: autoscalingv2.ValueMetricType, Value: quantity("0"), AverageValue: quantity("-1")}}}}
			},
			want: []string{
				`spec.metrics[0].external.metric.name: Invalid value: "a/b": may not contain '/'`,
				`spec.metrics[0].external.target.value: Invalid value: "0": must be positive`,
				`spec.metrics[0].external.target.averageValue: Invalid value: "-1": must be positive`,
				`spec.metrics[0].external.target.value: Forbidden: may not set both a target value for metric and a per-pod target`,
			},
		},
		{
			name: "pods target",
			mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) {
				h.Spec.Metrics = []autoscalingv2.MetricSpec{{Type: autoscalingv2.PodsMetricSourceType, Pods: &autoscalingv2.PodsMetricSource{
					Metric: autoscalingv2.MetricIdentifier{Name: "queue"}, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.ValueMetricType, Value: quantity("1")}}}}
			},
			want: []string{`spec.metrics[0].pods.target.averageValue: Required value: must specify a positive target averageValue`},
		},
		{
			name: "resource target",
			mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) {
				h.Spec.Metrics = []autoscalingv2.MetricSpec{
					{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{Target: autoscalingv2.MetricTarget{}}},
					{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{Name: corev1.ResourceCPU,
						Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr.To[int32](50), AverageValue: quantity("100m")}}},
				}
			},
			want: []string{
				`spec.metrics[0].resource.name: Required value: must specify a resource name`,
				`spec.metrics[0].resource.target.type: Required value: must specify a metric target type`,
				`spec.metrics[0].resource.target.type: Invalid value: "": must be either Utilization, Value, or AverageValue`,
				`spec.metrics[0].resource.target.averageUtilization: Required value: must set either a target raw value or a target utilization`,
				`spec.metrics[1].resource.target.averageValue: Forbidden: may not set both a target raw value and a target utilization`,
			},
		},
		{
			name: "container resource",
			mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) {
				h.Spec.Metrics = []autoscalingv2.MetricSpec{
					{Type: autoscalingv2.ContainerResourceMetricSourceType, ContainerResource: &autoscalingv2.ContainerResourceMetricSource{
						Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr.To[int32](50)}}},
					{Type: autoscalingv2.ContainerResourceMetricSourceType, ContainerResource: &autoscalingv2.ContainerResourceMetricSource{
						Name: "pods", Container: "App", Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr.To[int32](50)}}},
				}
			},
			want: []string{
				`spec.metrics[0].containerResource.name: Required value: must specify a resource name`,
				`spec.metrics[0].containerResource.container: Required value: must specify a container`,
				`spec.metrics[1].containerResource.name: Invalid value: "pods": must be a standard resource for containers`,
				`spec.metrics[1].containerResource.container: Invalid value: "App": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
			},
		},
		{
			name: "behavior out of range",
			mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) {
				h.Spec.Behavior.ScaleUp = &autoscalingv2.HPAScalingRules{
					StabilizationWindowSeconds: ptr.To[int32](3601),
					SelectPolicy:               ptr.To[autoscalingv2.ScalingPolicySelect]("Average"),
					Policies: []autoscalingv2.HPAScalingPolicy{
						{Type: "Replicas", Value: 0, PeriodSeconds: 0},
						{Type: autoscalingv2.PodsScalingPolicy, Value: 1, PeriodSeconds: 1801},
					},
					Tolerance: quantity("-0.1"),
				}
				h.Spec.Behavior.ScaleDown = &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: ptr.To[int32](-1)}
			},
			want: []string{
				`spec.behavior.scaleUp.stabilizationWindowSeconds: Invalid value: 3601: must be less than or equal to 3600`,
				`spec.behavior.scaleUp.selectPolicy: Unsupported value: "Average": supported values: "Disabled", "Max", "Min"`,
				`spec.behavior.scaleUp.policies[0].type: Unsupported value: "Replicas": supported values: "Percent", "Pods"`,
				`spec.behavior.scaleUp.policies[0].value: Invalid value: 0: must be greater than zero`,
				`spec.behavior.scaleUp.policies[0].periodSeconds: Invalid value: 0: must be greater than zero`,
				`spec.behavior.scaleUp.policies[1].periodSeconds: Invalid value: 1801: must be less than or equal to 1800`,
				`spec.behavior.scaleUp.tolerance: Invalid value: "-100m": must be greater than or equal to 0`,
				`spec.behavior.scaleDown.stabilizationWindowSeconds: Invalid value: -1: must be greater than or equal to zero`,
				`spec.behavior.scaleDown.policies: Required value: must specify at least one Policy`,
			},
		},
		{
			name:       "metadata",
			createOnly: true,
			mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) {
				h.Name = "Web"
				h.Finalizers = []string{"keep"}
			},
			want: []string{
				`metadata.name: Invalid value: "Web": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
				`metadata.finalizers[0]: Invalid value: "keep": name is neither a standard finalizer name nor is it fully qualified`,
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := validHPA()
			tc.mutate(h)
			fielderrors.Want(t, tc.want, ValidateHorizontalPodAutoscaler(h))
			if tc.createOnly {
				return
			}
			// An update to the same spec from a valid one finds the same errors.
			fielderrors.Want(t, tc.want, ValidateHorizontalPodAutoscalerUpdate(h, withName(validHPA(), h.Name)))
		})
	}
}

func withName(h *autoscalingv2.HorizontalPodAutoscaler, name string) *autoscalingv2.HorizontalPodAutoscaler {
	h.Name = name
	return h
}

// On update, what the old object already had is tolerated where upstream
// tolerates it.
func TestValidateHorizontalPodAutoscalerUpdate(t *testing.T) {
	cases := []struct {
		name     string
		old, new func(*autoscalingv2.HorizontalPodAutoscaler)
		want     []string
	}{
		{
			name: "scale target apiVersion kept with the same kind",
			old:  func(h *autoscalingv2.HorizontalPodAutoscaler) { h.Spec.ScaleTargetRef.APIVersion = "extensions" },
			new: func(h *autoscalingv2.HorizontalPodAutoscaler) {
				h.Spec.ScaleTargetRef.APIVersion = "extensions"
				h.Spec.MaxReplicas = 7
			},
		},
		{
			name: "scale target apiVersion kept with another kind",
			old:  func(h *autoscalingv2.HorizontalPodAutoscaler) { h.Spec.ScaleTargetRef.APIVersion = "extensions" },
			new: func(h *autoscalingv2.HorizontalPodAutoscaler) {
				h.Spec.ScaleTargetRef.APIVersion = "extensions"
				h.Spec.ScaleTargetRef.Kind = "ReplicaSet"
			},
			want: []string{`spec.scaleTargetRef.apiVersion: Invalid value: "extensions": apiVersion must specify API group`},
		},
		{
			name: "described object apiVersion the old object had",
			old: func(h *autoscalingv2.HorizontalPodAutoscaler) {
				h.Spec.Metrics = []autoscalingv2.MetricSpec{objectMetric("a/b/c")}
			},
			new: func(h *autoscalingv2.HorizontalPodAutoscaler) {
				h.Spec.Metrics = []autoscalingv2.MetricSpec{objectMetric("x/y/z")}
			},
		},
		{
			name: "described object apiVersion new",
			new: func(h *autoscalingv2.HorizontalPodAutoscaler) {
				h.Spec.Metrics = []autoscalingv2.MetricSpec{objectMetric("a/b/c")}
			},
			want: []string{`spec.metrics[0].object.describedObject.apiVersion: Invalid value: "a/b/c": unexpected GroupVersion string: a/b/c`},
		},
		{
			name: "metadata is immutable where upstream says",
			new:  func(h *autoscalingv2.HorizontalPodAutoscaler) { h.Namespace = "other" },
			want: []string{`metadata.namespace: Invalid value: "other": field is immutable`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			old, h := validHPA(), validHPA()
			if tc.old != nil {
				tc.old(old)
			}
			tc.new(h)
			fielderrors.Want(t, tc.want, ValidateHorizontalPodAutoscalerUpdate(h, old))
		})
	}
}

func TestValidateHorizontalPodAutoscalerStatusUpdate(t *testing.T) {
	old := validHPA()
	h := validHPA()
	h.Status = autoscalingv2.HorizontalPodAutoscalerStatus{CurrentReplicas: -1, DesiredReplicas: -2, Conditions: []autoscalingv2.HorizontalPodAutoscalerCondition{
		{Type: autoscalingv2.AbleToScale, Status: corev1.ConditionTrue, ObservedGeneration: ptr.To[int64](-3)},
	}}
	fielderrors.Want(t, []string{
		`status.conditions[0].observedGeneration: Invalid value: -3: must be greater than or equal to 0`,
		`status.currentReplicas: Invalid value: -1: must be greater than or equal to 0`,
		`status.desiredReplicas: Invalid value: -2: must be greater than or equal to 0`,
	}, ValidateHorizontalPodAutoscalerStatusUpdate(h, old))

	h.Status = autoscalingv2.HorizontalPodAutoscalerStatus{CurrentReplicas: 3, DesiredReplicas: 0}
	fielderrors.Want(t, nil, ValidateHorizontalPodAutoscalerStatusUpdate(h, old))
}
