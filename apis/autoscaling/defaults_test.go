package autoscaling

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
)

var (
	cpu80 = []autoscalingv2.MetricSpec{{
		Type: autoscalingv2.ResourceMetricSourceType,
		Resource: &autoscalingv2.ResourceMetricSource{
			Name:   corev1.ResourceCPU,
			Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr.To[int32](80)},
		},
	}}
	memory = []autoscalingv2.MetricSpec{{
		Type: autoscalingv2.ResourceMetricSourceType,
		Resource: &autoscalingv2.ResourceMetricSource{
			Name:   corev1.ResourceMemory,
			Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: ptr.To(resource.MustParse("1Gi"))},
		},
	}}
	scaleUp = &autoscalingv2.HPAScalingRules{
		StabilizationWindowSeconds: ptr.To[int32](0),
		SelectPolicy:               ptr.To(autoscalingv2.MaxChangePolicySelect),
		Policies: []autoscalingv2.HPAScalingPolicy{
			{Type: autoscalingv2.PodsScalingPolicy, Value: 4, PeriodSeconds: 15},
			{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15},
		},
	}
	scaleDown = &autoscalingv2.HPAScalingRules{
		SelectPolicy: ptr.To(autoscalingv2.MaxChangePolicySelect),
		Policies: []autoscalingv2.HPAScalingPolicy{
			{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15},
		},
	}
)

func TestSetObjectDefaultsHorizontalPodAutoscaler(t *testing.T) {
	tests := []struct {
		name string
		in   autoscalingv2.HorizontalPodAutoscalerSpec
		want autoscalingv2.HorizontalPodAutoscalerSpec
	}{
		{
			name: "no metrics target 80% CPU; no behavior stays none",
			in:   autoscalingv2.HorizontalPodAutoscalerSpec{MaxReplicas: 5},
			want: autoscalingv2.HorizontalPodAutoscalerSpec{MaxReplicas: 5, MinReplicas: ptr.To[int32](1), Metrics: cpu80},
		},
		{
			name: "set metrics and min replicas are kept",
			in:   autoscalingv2.HorizontalPodAutoscalerSpec{MinReplicas: ptr.To[int32](3), MaxReplicas: 5, Metrics: memory},
			want: autoscalingv2.HorizontalPodAutoscalerSpec{MinReplicas: ptr.To[int32](3), MaxReplicas: 5, Metrics: memory},
		},
		{
			name: "an empty behavior gets both rules",
			in:   autoscalingv2.HorizontalPodAutoscalerSpec{Behavior: &autoscalingv2.HorizontalPodAutoscalerBehavior{}},
			want: autoscalingv2.HorizontalPodAutoscalerSpec{
				MinReplicas: ptr.To[int32](1), Metrics: cpu80,
				Behavior: &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleUp: scaleUp, ScaleDown: scaleDown},
			},
		},
		{
			name: "a partial rule keeps what it sets",
			in: autoscalingv2.HorizontalPodAutoscalerSpec{Behavior: &autoscalingv2.HorizontalPodAutoscalerBehavior{
				ScaleDown: &autoscalingv2.HPAScalingRules{
					StabilizationWindowSeconds: ptr.To[int32](60),
					Tolerance:                  ptr.To(resource.MustParse("0.05")),
				},
				ScaleUp: &autoscalingv2.HPAScalingRules{
					SelectPolicy: ptr.To(autoscalingv2.DisabledPolicySelect),
					Policies:     []autoscalingv2.HPAScalingPolicy{},
				},
			}},
			want: autoscalingv2.HorizontalPodAutoscalerSpec{
				MinReplicas: ptr.To[int32](1), Metrics: cpu80,
				Behavior: &autoscalingv2.HorizontalPodAutoscalerBehavior{
					ScaleUp: &autoscalingv2.HPAScalingRules{
						StabilizationWindowSeconds: ptr.To[int32](0),
						SelectPolicy:               ptr.To(autoscalingv2.DisabledPolicySelect),
						Policies:                   []autoscalingv2.HPAScalingPolicy{},
					},
					ScaleDown: &autoscalingv2.HPAScalingRules{
						StabilizationWindowSeconds: ptr.To[int32](60),
						SelectPolicy:               ptr.To(autoscalingv2.MaxChangePolicySelect),
						Policies:                   scaleDown.Policies,
						Tolerance:                  ptr.To(resource.MustParse("0.05")),
					},
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := &autoscalingv2.HorizontalPodAutoscaler{Spec: *tt.in.DeepCopy()}
			SetObjectDefaultsHorizontalPodAutoscaler(got)
			if diff := cmp.Diff(&autoscalingv2.HorizontalPodAutoscaler{Spec: tt.want}, got); diff != "" {
				t.Errorf("SetObjectDefaultsHorizontalPodAutoscaler() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDefaultRulesAreNotShared guards the package's default rules against an
// object that is edited after defaulting.
func TestDefaultRulesAreNotShared(t *testing.T) {
	first := &autoscalingv2.HorizontalPodAutoscaler{Spec: autoscalingv2.HorizontalPodAutoscalerSpec{Behavior: &autoscalingv2.HorizontalPodAutoscalerBehavior{}}}
	SetObjectDefaultsHorizontalPodAutoscaler(first)
	first.Spec.Behavior.ScaleUp.Policies[0].Value = 99
	*first.Spec.Behavior.ScaleUp.SelectPolicy = autoscalingv2.MinChangePolicySelect

	second := &autoscalingv2.HorizontalPodAutoscaler{Spec: autoscalingv2.HorizontalPodAutoscalerSpec{Behavior: &autoscalingv2.HorizontalPodAutoscalerBehavior{}}}
	SetObjectDefaultsHorizontalPodAutoscaler(second)
	if diff := cmp.Diff(scaleUp, second.Spec.Behavior.ScaleUp); diff != "" {
		t.Errorf("scale-up defaults changed by an earlier object (-want +got):\n%s", diff)
	}
}

func TestSetObjectDefaultsHorizontalPodAutoscalerV1(t *testing.T) {
	tests := []struct {
		name string
		in   autoscalingv1.HorizontalPodAutoscalerSpec
		want autoscalingv1.HorizontalPodAutoscalerSpec
	}{
		{
			name: "min replicas only; the CPU target is conversion's",
			in:   autoscalingv1.HorizontalPodAutoscalerSpec{MaxReplicas: 3},
			want: autoscalingv1.HorizontalPodAutoscalerSpec{MaxReplicas: 3, MinReplicas: ptr.To[int32](1)},
		},
		{
			name: "set min replicas is kept",
			in:   autoscalingv1.HorizontalPodAutoscalerSpec{MinReplicas: ptr.To[int32](2), TargetCPUUtilizationPercentage: ptr.To[int32](50)},
			want: autoscalingv1.HorizontalPodAutoscalerSpec{MinReplicas: ptr.To[int32](2), TargetCPUUtilizationPercentage: ptr.To[int32](50)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := &autoscalingv1.HorizontalPodAutoscaler{Spec: *tt.in.DeepCopy()}
			SetObjectDefaultsHorizontalPodAutoscalerV1(got)
			if diff := cmp.Diff(&autoscalingv1.HorizontalPodAutoscaler{Spec: tt.want}, got); diff != "" {
				t.Errorf("SetObjectDefaultsHorizontalPodAutoscalerV1() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSchemeDefault(t *testing.T) {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{autoscalingv2.AddToScheme, autoscalingv1.AddToScheme, Install} {
		if err := add(s); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		in   runtime.Object
		want runtime.Object
	}{
		{
			name: "v2 autoscaler list",
			in:   &autoscalingv2.HorizontalPodAutoscalerList{Items: []autoscalingv2.HorizontalPodAutoscaler{{}}},
			want: &autoscalingv2.HorizontalPodAutoscalerList{Items: []autoscalingv2.HorizontalPodAutoscaler{{
				Spec: autoscalingv2.HorizontalPodAutoscalerSpec{MinReplicas: ptr.To[int32](1), Metrics: cpu80},
			}}},
		},
		{
			name: "v1 autoscaler",
			in:   &autoscalingv1.HorizontalPodAutoscaler{},
			want: &autoscalingv1.HorizontalPodAutoscaler{Spec: autoscalingv1.HorizontalPodAutoscalerSpec{MinReplicas: ptr.To[int32](1)}},
		},
		{
			name: "scale has no defaults",
			in:   &autoscalingv1.Scale{},
			want: &autoscalingv1.Scale{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.in.DeepCopyObject()
			s.Default(got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Default() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
