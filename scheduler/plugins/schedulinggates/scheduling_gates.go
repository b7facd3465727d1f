package schedulinggates

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubeshim/kubeshim/scheduler/framework"
)

// Name is the plugin's name in the registry.
const Name = "SchedulingGates"

// SchedulingGates holds gated pods back.
type SchedulingGates struct{}

var _ framework.PreEnqueuePlugin = &SchedulingGates{}

// New builds the plugin.
func New(framework.Handle) (framework.Plugin, error) { return &SchedulingGates{}, nil }

// Name returns the plugin's name.
func (*SchedulingGates) Name() string { return Name }

// PreEnqueue refuses a pod with gates, naming them as kube-scheduler does.
// The queue retries it when the pod itself is updated.
func (*SchedulingGates) PreEnqueue(_ context.Context, pod *corev1.Pod) *framework.Status {
	if len(pod.Spec.SchedulingGates) == 0 {
		return nil
	}
	gates := make([]string, 0, len(pod.Spec.SchedulingGates))
	for _, g := range pod.Spec.SchedulingGates {
		gates = append(gates, g.Name)
	}
	return framework.NewStatus(framework.UnschedulableAndUnresolvable, fmt.Sprintf("waiting for scheduling gates: %v", gates))
}
