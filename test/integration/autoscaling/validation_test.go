package autoscaling

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// causes returns the (type, field) pairs of a 422 Invalid error.
func causes(t *testing.T, err error) []string {
	t.Helper()
	if !apierrors.IsInvalid(err) {
		t.Fatalf("err = %v, want 422 Invalid", err)
	}
	status := err.(apierrors.APIStatus).Status()
	if status.Details == nil {
		t.Fatalf("err = %v, want a Status with details", err)
	}
	var out []string
	for _, c := range status.Details.Causes {
		out = append(out, string(c.Type)+" "+c.Field)
	}
	return out
}

// TestValidation: the server refuses what upstream's validation refuses,
// through either version, at the v2 field paths (upstream reports them from
// its internal version, which has v2's shape).
func TestValidation(t *testing.T) {
	ctx := context.Background()
	client, ns := clients(t)
	v1 := client.AutoscalingV1().HorizontalPodAutoscalers(ns)
	v2 := client.AutoscalingV2().HorizontalPodAutoscalers(ns)

	v2Cases := []struct {
		name string
		spec autoscalingv2.HorizontalPodAutoscalerSpec
		want []string
	}{
		{
			name: "max below min",
			spec: autoscalingv2.HorizontalPodAutoscalerSpec{ScaleTargetRef: webV2, MinReplicas: ptr.To[int32](4), MaxReplicas: 3},
			want: []string{"FieldValueInvalid spec.maxReplicas"},
		},
		{
			name: "scale to zero on cpu",
			spec: autoscalingv2.HorizontalPodAutoscalerSpec{ScaleTargetRef: webV2, MinReplicas: ptr.To[int32](0), MaxReplicas: 3, Metrics: []autoscalingv2.MetricSpec{cpu(50)}},
			want: []string{"FieldValueForbidden spec.metrics"},
		},
		{
			name: "target without kind and group",
			spec: autoscalingv2.HorizontalPodAutoscalerSpec{ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "v1", Name: "web"}, MaxReplicas: 3},
			want: []string{"FieldValueRequired spec.scaleTargetRef.kind", "FieldValueInvalid spec.scaleTargetRef.apiVersion"},
		},
		{
			name: "metric source other than its type",
			spec: autoscalingv2.HorizontalPodAutoscalerSpec{ScaleTargetRef: webV2, MaxReplicas: 3, Metrics: []autoscalingv2.MetricSpec{
				{Type: autoscalingv2.PodsMetricSourceType, Resource: cpu(50).Resource}}},
			want: []string{"FieldValueRequired spec.metrics[0].pods"},
		},
		{
			name: "policy period over 30 minutes",
			spec: autoscalingv2.HorizontalPodAutoscalerSpec{ScaleTargetRef: webV2, MaxReplicas: 3, Behavior: &autoscalingv2.HorizontalPodAutoscalerBehavior{
				ScaleDown: &autoscalingv2.HPAScalingRules{Policies: []autoscalingv2.HPAScalingPolicy{{Type: autoscalingv2.PodsScalingPolicy, Value: 1, PeriodSeconds: 1801}}}}},
			want: []string{"FieldValueInvalid spec.behavior.scaleDown.policies[0].periodSeconds"},
		},
	}
	for _, tc := range v2Cases {
		t.Run("v2 "+tc.name, func(t *testing.T) {
			_, err := v2.Create(ctx, &autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: metav1.ObjectMeta{Name: "bad"}, Spec: tc.spec}, metav1.CreateOptions{})
			if diff := cmp.Diff(tc.want, causes(t, err)); diff != "" {
				t.Errorf("causes (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("v1 target utilization 0", func(t *testing.T) {
		_, err := v1.Create(ctx, &autoscalingv1.HorizontalPodAutoscaler{ObjectMeta: metav1.ObjectMeta{Name: "bad"},
			Spec: autoscalingv1.HorizontalPodAutoscalerSpec{ScaleTargetRef: webV1, MaxReplicas: 3, TargetCPUUtilizationPercentage: ptr.To[int32](0)}}, metav1.CreateOptions{})
		if diff := cmp.Diff([]string{"FieldValueInvalid spec.metrics[0].resource.target.averageUtilization"}, causes(t, err)); diff != "" {
			t.Errorf("causes (-want +got):\n%s", diff)
		}
	})

	t.Run("v1 update", func(t *testing.T) {
		created, err := v1.Create(ctx, &autoscalingv1.HorizontalPodAutoscaler{ObjectMeta: metav1.ObjectMeta{Name: "good"},
			Spec: autoscalingv1.HorizontalPodAutoscalerSpec{ScaleTargetRef: webV1, MaxReplicas: 3}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("create a valid autoscaler through v1: %v", err)
		}
		created.Spec.MinReplicas = ptr.To[int32](-1)
		created.Spec.ScaleTargetRef.Name = ""
		_, err = v1.Update(ctx, created, metav1.UpdateOptions{})
		if diff := cmp.Diff([]string{"FieldValueInvalid spec.minReplicas", "FieldValueRequired spec.scaleTargetRef.name"}, causes(t, err)); diff != "" {
			t.Errorf("causes (-want +got):\n%s", diff)
		}
	})

	t.Run("status", func(t *testing.T) {
		created, err := v2.Create(ctx, &autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: metav1.ObjectMeta{Name: "status"},
			Spec: autoscalingv2.HorizontalPodAutoscalerSpec{ScaleTargetRef: webV2, MaxReplicas: 3}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		created.Status.DesiredReplicas = -1
		_, err = v2.UpdateStatus(ctx, created, metav1.UpdateOptions{})
		if diff := cmp.Diff([]string{"FieldValueInvalid status.desiredReplicas"}, causes(t, err)); diff != "" {
			t.Errorf("causes (-want +got):\n%s", diff)
		}
	})
}
