package scheduling

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
)

func TestSetObjectDefaultsPriorityClass(t *testing.T) {
	tests := []struct {
		name string
		in   *schedulingv1.PriorityClass
		want *schedulingv1.PriorityClass
	}{
		{
			name: "preempts lower priority",
			in:   &schedulingv1.PriorityClass{Value: 1000},
			want: &schedulingv1.PriorityClass{Value: 1000, PreemptionPolicy: ptr.To(corev1.PreemptLowerPriority)},
		},
		{
			name: "Never is kept",
			in:   &schedulingv1.PriorityClass{PreemptionPolicy: ptr.To(corev1.PreemptNever)},
			want: &schedulingv1.PriorityClass{PreemptionPolicy: ptr.To(corev1.PreemptNever)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.in.DeepCopy()
			SetObjectDefaultsPriorityClass(got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("SetObjectDefaultsPriorityClass() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSchemeDefault(t *testing.T) {
	s := runtime.NewScheme()
	if err := schedulingv1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := Install(s); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   runtime.Object
		want runtime.Object
	}{
		{
			name: "priority class",
			in:   &schedulingv1.PriorityClass{},
			want: &schedulingv1.PriorityClass{PreemptionPolicy: ptr.To(corev1.PreemptLowerPriority)},
		},
		{
			name: "priority class list",
			in:   &schedulingv1.PriorityClassList{Items: []schedulingv1.PriorityClass{{}, {}}},
			want: &schedulingv1.PriorityClassList{Items: []schedulingv1.PriorityClass{
				{PreemptionPolicy: ptr.To(corev1.PreemptLowerPriority)},
				{PreemptionPolicy: ptr.To(corev1.PreemptLowerPriority)},
			}},
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
