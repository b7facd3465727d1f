package schedulinggates

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	"github.com/kubeshim/kubeshim/scheduler/framework"
)

func TestPreEnqueue(t *testing.T) {
	tests := []struct {
		name  string
		gates []corev1.PodSchedulingGate
		want  *framework.Status
	}{
		{name: "no gates"},
		{
			name:  "gates",
			gates: []corev1.PodSchedulingGate{{Name: "example.com/quota"}, {Name: "example.com/storage"}},
			want:  framework.NewStatus(framework.UnschedulableAndUnresolvable, "waiting for scheduling gates: [example.com/quota example.com/storage]"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := (&SchedulingGates{}).PreEnqueue(context.Background(), &corev1.Pod{Spec: corev1.PodSpec{SchedulingGates: tt.gates}})
			if diff := cmp.Diff(tt.want.String(), got.String()); diff != "" {
				t.Errorf("PreEnqueue (-want +got):\n%s", diff)
			}
		})
	}
}
