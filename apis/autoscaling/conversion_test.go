package autoscaling

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
)

// The annotations below are what upstream's conversion writes for the same
// objects (k8s.io/kubernetes v1.37 pkg/apis/autoscaling/v1), byte for byte.
const (
	memoryAnnotation   = `[{"type":"Resource","resource":{"name":"memory","targetAverageValue":"1Gi"}}]`
	behaviorAnnotation = `{"ScaleUp":{"StabilizationWindowSeconds":0,"SelectPolicy":"Max","Policies":[{"Type":"Pods","Value":4,"PeriodSeconds":15},{"Type":"Percent","Value":100,"PeriodSeconds":15}],"Tolerance":null},` +
		`"ScaleDown":{"StabilizationWindowSeconds":300,"SelectPolicy":"Min","Policies":null,"Tolerance":"50m"}}`
	currentAnnotation = `[{"type":"Resource","resource":{"name":"cpu","currentAverageUtilization":40,"currentAverageValue":"200m"}},` +
		`{"type":"Pods","pods":{"metricName":"qps","currentAverageValue":"10"}}]`
	conditionsAnnotation = `[{"type":"AbleToScale","status":"True","lastTransitionTime":"2025-01-02T03:04:05Z","reason":"ReadyForNewScale","observedGeneration":2}]`
)

var (
	when = metav1.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	ref  = autoscalingv2.CrossVersionObjectReference{Kind: "Deployment", Name: "web", APIVersion: "apps/v1"}

	behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{
		ScaleUp: scaleUp,
		ScaleDown: &autoscalingv2.HPAScalingRules{
			StabilizationWindowSeconds: ptr.To[int32](300),
			SelectPolicy:               ptr.To(autoscalingv2.MinChangePolicySelect),
			Tolerance:                  ptr.To(resource.MustParse("50m")),
		},
	}
	currentMetrics = []autoscalingv2.MetricStatus{
		{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricStatus{
			Name:    corev1.ResourceCPU,
			Current: autoscalingv2.MetricValueStatus{AverageUtilization: ptr.To[int32](40), AverageValue: ptr.To(resource.MustParse("200m"))},
		}},
		{Type: autoscalingv2.PodsMetricSourceType, Pods: &autoscalingv2.PodsMetricStatus{
			Metric:  autoscalingv2.MetricIdentifier{Name: "qps"},
			Current: autoscalingv2.MetricValueStatus{AverageValue: ptr.To(resource.MustParse("10"))},
		}},
	}
	conditions = []autoscalingv2.HorizontalPodAutoscalerCondition{{
		Type: autoscalingv2.AbleToScale, Status: corev1.ConditionTrue, LastTransitionTime: when,
		Reason: "ReadyForNewScale", ObservedGeneration: ptr.To[int64](2),
	}}
)

func cpuTarget(percent int32) []autoscalingv2.MetricSpec {
	return []autoscalingv2.MetricSpec{cpuUtilization(percent)}
}

func v2HPA(annotations map[string]string, spec autoscalingv2.HorizontalPodAutoscalerSpec, status autoscalingv2.HorizontalPodAutoscalerStatus) *autoscalingv2.HorizontalPodAutoscaler {
	spec.ScaleTargetRef = ref
	if spec.MaxReplicas == 0 {
		spec.MinReplicas, spec.MaxReplicas = ptr.To[int32](1), 5
	}
	return &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default", Annotations: annotations},
		Spec:       spec,
		Status:     status,
	}
}

func v1HPA(annotations map[string]string, targetCPU *int32, status autoscalingv1.HorizontalPodAutoscalerStatus) *autoscalingv1.HorizontalPodAutoscaler {
	return &autoscalingv1.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default", Annotations: annotations},
		Spec: autoscalingv1.HorizontalPodAutoscalerSpec{
			ScaleTargetRef:                 autoscalingv1.CrossVersionObjectReference(ref),
			MinReplicas:                    ptr.To[int32](1),
			MaxReplicas:                    5,
			TargetCPUUtilizationPercentage: targetCPU,
		},
		Status: status,
	}
}

func newScheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{autoscalingv2.AddToScheme, autoscalingv1.AddToScheme, Install} {
		if err := add(s); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func TestConvertV2ToV1(t *testing.T) {
	s := newScheme(t)
	tests := []struct {
		name string
		in   *autoscalingv2.HorizontalPodAutoscaler
		want *autoscalingv1.HorizontalPodAutoscaler
	}{
		{
			name: "a CPU utilization target needs no annotation",
			in:   v2HPA(nil, autoscalingv2.HorizontalPodAutoscalerSpec{Metrics: cpuTarget(50)}, autoscalingv2.HorizontalPodAutoscalerStatus{}),
			want: v1HPA(nil, ptr.To[int32](50), autoscalingv1.HorizontalPodAutoscalerStatus{}),
		},
		{
			name: "other metrics go to the metrics annotation",
			in:   v2HPA(map[string]string{"team": "a"}, autoscalingv2.HorizontalPodAutoscalerSpec{Metrics: memory}, autoscalingv2.HorizontalPodAutoscalerStatus{}),
			want: v1HPA(map[string]string{"team": "a", MetricSpecsAnnotation: memoryAnnotation}, nil, autoscalingv1.HorizontalPodAutoscalerStatus{}),
		},
		{
			name: "the first CPU utilization is the target; a CPU average value is another metric",
			in: v2HPA(nil, autoscalingv2.HorizontalPodAutoscalerSpec{Metrics: []autoscalingv2.MetricSpec{
				{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
					Name:   corev1.ResourceCPU,
					Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: ptr.To(resource.MustParse("300m"))},
				}},
				cpuUtilization(70),
				cpuUtilization(90),
			}}, autoscalingv2.HorizontalPodAutoscalerStatus{}),
			want: v1HPA(map[string]string{
				MetricSpecsAnnotation: `[{"type":"Resource","resource":{"name":"cpu","targetAverageValue":"300m"}}]`,
			}, ptr.To[int32](70), autoscalingv1.HorizontalPodAutoscalerStatus{}),
		},
		{
			name: "behavior in upstream's internal JSON",
			in:   v2HPA(nil, autoscalingv2.HorizontalPodAutoscalerSpec{Metrics: cpuTarget(80), Behavior: behavior}, autoscalingv2.HorizontalPodAutoscalerStatus{}),
			want: v1HPA(map[string]string{BehaviorAnnotation: behaviorAnnotation}, ptr.To[int32](80), autoscalingv1.HorizontalPodAutoscalerStatus{}),
		},
		{
			name: "status: every current metric and the conditions are annotations, CPU utilization a field too",
			in: v2HPA(nil, autoscalingv2.HorizontalPodAutoscalerSpec{Metrics: cpuTarget(80)}, autoscalingv2.HorizontalPodAutoscalerStatus{
				ObservedGeneration: ptr.To[int64](2), LastScaleTime: &when, CurrentReplicas: 2, DesiredReplicas: 3,
				CurrentMetrics: currentMetrics, Conditions: conditions,
			}),
			want: v1HPA(map[string]string{MetricStatusesAnnotation: currentAnnotation, ConditionsAnnotation: conditionsAnnotation}, ptr.To[int32](80),
				autoscalingv1.HorizontalPodAutoscalerStatus{
					ObservedGeneration: ptr.To[int64](2), LastScaleTime: &when, CurrentReplicas: 2, DesiredReplicas: 3,
					CurrentCPUUtilizationPercentage: ptr.To[int32](40),
				}),
		},
		{
			name: "round-trip annotations the v2 object carries are dropped",
			in: v2HPA(map[string]string{MetricSpecsAnnotation: memoryAnnotation, toleranceScaleUpAnnotation: "1"},
				autoscalingv2.HorizontalPodAutoscalerSpec{Metrics: cpuTarget(60)}, autoscalingv2.HorizontalPodAutoscalerStatus{}),
			want: v1HPA(nil, ptr.To[int32](60), autoscalingv1.HorizontalPodAutoscalerStatus{}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in.DeepCopy()
			got := &autoscalingv1.HorizontalPodAutoscaler{}
			if err := s.Convert(in, got, nil); err != nil {
				t.Fatalf("Convert() error = %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Convert() mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.in, in); diff != "" {
				t.Errorf("Convert() changed its input (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConvertV1ToV2(t *testing.T) {
	s := newScheme(t)
	tests := []struct {
		name string
		in   *autoscalingv1.HorizontalPodAutoscaler
		want *autoscalingv2.HorizontalPodAutoscaler
	}{
		{
			name: "the CPU target becomes a resource metric",
			in:   v1HPA(nil, ptr.To[int32](50), autoscalingv1.HorizontalPodAutoscalerStatus{}),
			want: v2HPA(nil, autoscalingv2.HorizontalPodAutoscalerSpec{Metrics: cpuTarget(50)}, autoscalingv2.HorizontalPodAutoscalerStatus{}),
		},
		{
			name: "no target and no metrics target 80% CPU",
			in:   v1HPA(nil, nil, autoscalingv1.HorizontalPodAutoscalerStatus{}),
			want: v2HPA(nil, autoscalingv2.HorizontalPodAutoscalerSpec{Metrics: cpuTarget(80)}, autoscalingv2.HorizontalPodAutoscalerStatus{}),
		},
		{
			name: "annotated metrics come before the CPU target; the annotation is dropped",
			in:   v1HPA(map[string]string{"team": "a", MetricSpecsAnnotation: memoryAnnotation}, ptr.To[int32](50), autoscalingv1.HorizontalPodAutoscalerStatus{}),
			want: v2HPA(map[string]string{"team": "a"}, autoscalingv2.HorizontalPodAutoscalerSpec{Metrics: []autoscalingv2.MetricSpec{memory[0], cpuUtilization(50)}}, autoscalingv2.HorizontalPodAutoscalerStatus{}),
		},
		{
			name: "behavior in upstream's internal JSON",
			in:   v1HPA(map[string]string{BehaviorAnnotation: behaviorAnnotation}, ptr.To[int32](80), autoscalingv1.HorizontalPodAutoscalerStatus{}),
			want: v2HPA(nil, autoscalingv2.HorizontalPodAutoscalerSpec{Metrics: cpuTarget(80), Behavior: behavior}, autoscalingv2.HorizontalPodAutoscalerStatus{}),
		},
		{
			name: "behavior in v2's JSON",
			in: v1HPA(map[string]string{BehaviorAnnotation: `{"scaleDown":{"stabilizationWindowSeconds":60,"policies":[{"type":"Pods","value":1,"periodSeconds":30}]}}`},
				ptr.To[int32](80), autoscalingv1.HorizontalPodAutoscalerStatus{}),
			want: v2HPA(nil, autoscalingv2.HorizontalPodAutoscalerSpec{Metrics: cpuTarget(80), Behavior: &autoscalingv2.HorizontalPodAutoscalerBehavior{
				ScaleDown: &autoscalingv2.HPAScalingRules{
					StabilizationWindowSeconds: ptr.To[int32](60),
					Policies:                   []autoscalingv2.HPAScalingPolicy{{Type: autoscalingv2.PodsScalingPolicy, Value: 1, PeriodSeconds: 30}},
				},
			}}, autoscalingv2.HorizontalPodAutoscalerStatus{}),
		},
		{
			name: "an empty behavior is none",
			in:   v1HPA(map[string]string{BehaviorAnnotation: `{}`}, ptr.To[int32](80), autoscalingv1.HorizontalPodAutoscalerStatus{}),
			want: v2HPA(nil, autoscalingv2.HorizontalPodAutoscalerSpec{Metrics: cpuTarget(80)}, autoscalingv2.HorizontalPodAutoscalerStatus{}),
		},
		{
			name: "the current CPU utilization alone is a current metric",
			in:   v1HPA(nil, ptr.To[int32](80), autoscalingv1.HorizontalPodAutoscalerStatus{CurrentReplicas: 1, CurrentCPUUtilizationPercentage: ptr.To[int32](30)}),
			want: v2HPA(nil, autoscalingv2.HorizontalPodAutoscalerSpec{Metrics: cpuTarget(80)}, autoscalingv2.HorizontalPodAutoscalerStatus{
				CurrentReplicas: 1,
				CurrentMetrics: []autoscalingv2.MetricStatus{{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricStatus{
					Name: corev1.ResourceCPU, Current: autoscalingv2.MetricValueStatus{AverageUtilization: ptr.To[int32](30)},
				}}},
			}),
		},
		{
			name: "annotated current metrics replace the current CPU utilization; conditions come back",
			in: v1HPA(map[string]string{MetricStatusesAnnotation: currentAnnotation, ConditionsAnnotation: conditionsAnnotation}, ptr.To[int32](80),
				autoscalingv1.HorizontalPodAutoscalerStatus{CurrentCPUUtilizationPercentage: ptr.To[int32](99)}),
			want: v2HPA(nil, autoscalingv2.HorizontalPodAutoscalerSpec{Metrics: cpuTarget(80)}, autoscalingv2.HorizontalPodAutoscalerStatus{
				CurrentMetrics: currentMetrics, Conditions: conditions,
			}),
		},
		{
			name: "annotations that do not parse are ignored and dropped",
			in: v1HPA(map[string]string{MetricSpecsAnnotation: "{", BehaviorAnnotation: "[]", ConditionsAnnotation: "x", MetricStatusesAnnotation: "7"},
				nil, autoscalingv1.HorizontalPodAutoscalerStatus{}),
			want: v2HPA(nil, autoscalingv2.HorizontalPodAutoscalerSpec{Metrics: cpuTarget(80)}, autoscalingv2.HorizontalPodAutoscalerStatus{}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in.DeepCopy()
			got := &autoscalingv2.HorizontalPodAutoscaler{}
			if err := s.Convert(in, got, nil); err != nil {
				t.Fatalf("Convert() error = %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Convert() mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.in, in); diff != "" {
				t.Errorf("Convert() changed its input (-want +got):\n%s", diff)
			}
		})
	}
}

// everyMetric has one metric of each source type, in the forms that survive
// v1's shape: v1 cannot tell an unset value from a zero one.
var everyMetric = []autoscalingv2.MetricSpec{
	{Type: autoscalingv2.ObjectMetricSourceType, Object: &autoscalingv2.ObjectMetricSource{
		DescribedObject: autoscalingv2.CrossVersionObjectReference{Kind: "Ingress", Name: "main", APIVersion: "networking.k8s.io/v1"},
		Target:          autoscalingv2.MetricTarget{Type: autoscalingv2.ValueMetricType, Value: ptr.To(resource.MustParse("2k"))},
		Metric:          autoscalingv2.MetricIdentifier{Name: "requests", Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"path": "/"}}},
	}},
	{Type: autoscalingv2.ObjectMetricSourceType, Object: &autoscalingv2.ObjectMetricSource{
		DescribedObject: autoscalingv2.CrossVersionObjectReference{Kind: "Service", Name: "web"},
		Target:          autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: ptr.To(resource.MustParse("100"))},
		Metric:          autoscalingv2.MetricIdentifier{Name: "connections"},
	}},
	{Type: autoscalingv2.PodsMetricSourceType, Pods: &autoscalingv2.PodsMetricSource{
		Metric: autoscalingv2.MetricIdentifier{Name: "qps"},
		Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: ptr.To(resource.MustParse("1k"))},
	}},
	memory[0],
	{Type: autoscalingv2.ContainerResourceMetricSourceType, ContainerResource: &autoscalingv2.ContainerResourceMetricSource{
		Name: corev1.ResourceCPU, Container: "app",
		Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr.To[int32](60)},
	}},
	{Type: autoscalingv2.ExternalMetricSourceType, External: &autoscalingv2.ExternalMetricSource{
		Metric: autoscalingv2.MetricIdentifier{Name: "queue", Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"q": "jobs"}}},
		Target: autoscalingv2.MetricTarget{Type: autoscalingv2.ValueMetricType, Value: ptr.To(resource.MustParse("30"))},
	}},
	{Type: autoscalingv2.ExternalMetricSourceType, External: &autoscalingv2.ExternalMetricSource{
		Metric: autoscalingv2.MetricIdentifier{Name: "lag"},
		Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: ptr.To(resource.MustParse("5"))},
	}},
	// Last: v1 puts its CPU target after the annotated metrics.
	cpuUtilization(75),
}

var everyCurrentMetric = []autoscalingv2.MetricStatus{
	{Type: autoscalingv2.ObjectMetricSourceType, Object: &autoscalingv2.ObjectMetricStatus{
		Metric:          autoscalingv2.MetricIdentifier{Name: "requests"},
		Current:         autoscalingv2.MetricValueStatus{Value: ptr.To(resource.MustParse("1500")), AverageValue: ptr.To(resource.MustParse("500"))},
		DescribedObject: autoscalingv2.CrossVersionObjectReference{Kind: "Ingress", Name: "main", APIVersion: "networking.k8s.io/v1"},
	}},
	currentMetrics[1],
	currentMetrics[0],
	{Type: autoscalingv2.ContainerResourceMetricSourceType, ContainerResource: &autoscalingv2.ContainerResourceMetricStatus{
		Name: corev1.ResourceMemory, Container: "app",
		Current: autoscalingv2.MetricValueStatus{AverageValue: ptr.To(resource.MustParse("300Mi"))},
	}},
	{Type: autoscalingv2.ExternalMetricSourceType, External: &autoscalingv2.ExternalMetricStatus{
		Metric:  autoscalingv2.MetricIdentifier{Name: "queue"},
		Current: autoscalingv2.MetricValueStatus{Value: ptr.To(resource.MustParse("12")), AverageValue: ptr.To(resource.MustParse("4"))},
	}},
}

func TestRoundTripV2(t *testing.T) {
	s := newScheme(t)
	tests := []struct {
		name string
		in   *autoscalingv2.HorizontalPodAutoscaler
	}{
		{name: "CPU target only", in: v2HPA(nil, autoscalingv2.HorizontalPodAutoscalerSpec{Metrics: cpuTarget(50)}, autoscalingv2.HorizontalPodAutoscalerStatus{})},
		{name: "no CPU target", in: v2HPA(map[string]string{"team": "a"}, autoscalingv2.HorizontalPodAutoscalerSpec{Metrics: memory}, autoscalingv2.HorizontalPodAutoscalerStatus{})},
		{
			name: "everything",
			in: v2HPA(map[string]string{"team": "a"}, autoscalingv2.HorizontalPodAutoscalerSpec{
				MinReplicas: ptr.To[int32](2), MaxReplicas: 10, Metrics: everyMetric, Behavior: behavior,
			}, autoscalingv2.HorizontalPodAutoscalerStatus{
				ObservedGeneration: ptr.To[int64](3), LastScaleTime: &when, CurrentReplicas: 4, DesiredReplicas: 5,
				CurrentMetrics: everyCurrentMetric, Conditions: conditions,
			}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v1 := &autoscalingv1.HorizontalPodAutoscaler{}
			if err := s.Convert(tt.in, v1, nil); err != nil {
				t.Fatalf("convert to v1: %v", err)
			}
			got := &autoscalingv2.HorizontalPodAutoscaler{}
			if err := s.Convert(v1, got, nil); err != nil {
				t.Fatalf("convert back to v2: %v", err)
			}
			if diff := cmp.Diff(tt.in, got); diff != "" {
				t.Errorf("v2 -> v1 -> v2 mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRoundTripV1(t *testing.T) {
	s := newScheme(t)
	tests := []struct {
		name string
		in   *autoscalingv1.HorizontalPodAutoscaler
	}{
		{name: "CPU target", in: v1HPA(nil, ptr.To[int32](50), autoscalingv1.HorizontalPodAutoscalerStatus{})},
		{
			name: "annotations the server wrote",
			in: v1HPA(map[string]string{
				"team": "a", MetricSpecsAnnotation: memoryAnnotation, BehaviorAnnotation: behaviorAnnotation,
				MetricStatusesAnnotation: currentAnnotation, ConditionsAnnotation: conditionsAnnotation,
			}, ptr.To[int32](80), autoscalingv1.HorizontalPodAutoscalerStatus{
				ObservedGeneration: ptr.To[int64](2), LastScaleTime: &when, CurrentReplicas: 2, DesiredReplicas: 3,
				CurrentCPUUtilizationPercentage: ptr.To[int32](40),
			}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v2 := &autoscalingv2.HorizontalPodAutoscaler{}
			if err := s.Convert(tt.in, v2, nil); err != nil {
				t.Fatalf("convert to v2: %v", err)
			}
			got := &autoscalingv1.HorizontalPodAutoscaler{}
			if err := s.Convert(v2, got, nil); err != nil {
				t.Fatalf("convert back to v1: %v", err)
			}
			if diff := cmp.Diff(tt.in, got); diff != "" {
				t.Errorf("v1 -> v2 -> v1 mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestConvertToVersion converts lists as the API server does for a v1
// request: from the hub to the requested version, by kind.
func TestConvertToVersion(t *testing.T) {
	s := newScheme(t)
	tests := []struct {
		name string
		in   runtime.Object
		gv   schema.GroupVersion
		want runtime.Object
	}{
		{
			name: "v2 list to v1",
			in: &autoscalingv2.HorizontalPodAutoscalerList{ListMeta: metav1.ListMeta{ResourceVersion: "7"}, Items: []autoscalingv2.HorizontalPodAutoscaler{
				*v2HPA(nil, autoscalingv2.HorizontalPodAutoscalerSpec{Metrics: memory}, autoscalingv2.HorizontalPodAutoscalerStatus{}),
			}},
			gv: autoscalingv1.SchemeGroupVersion,
			want: &autoscalingv1.HorizontalPodAutoscalerList{
				TypeMeta: metav1.TypeMeta{APIVersion: "autoscaling/v1", Kind: "HorizontalPodAutoscalerList"},
				ListMeta: metav1.ListMeta{ResourceVersion: "7"},
				Items: []autoscalingv1.HorizontalPodAutoscaler{
					*v1HPA(map[string]string{MetricSpecsAnnotation: memoryAnnotation}, nil, autoscalingv1.HorizontalPodAutoscalerStatus{}),
				},
			},
		},
		{
			name: "empty v1 list to v2",
			in:   &autoscalingv1.HorizontalPodAutoscalerList{},
			gv:   autoscalingv2.SchemeGroupVersion,
			want: &autoscalingv2.HorizontalPodAutoscalerList{TypeMeta: metav1.TypeMeta{APIVersion: "autoscaling/v2", Kind: "HorizontalPodAutoscalerList"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ConvertToVersion(tt.in, tt.gv)
			if err != nil {
				t.Fatalf("ConvertToVersion() error = %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ConvertToVersion() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
