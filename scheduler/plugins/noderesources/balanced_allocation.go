package noderesources

import (
	"context"
	"math"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubeshim/kubeshim/scheduler/framework"
)

const (
	// BalancedAllocationName is the scorer's name in the registry.
	BalancedAllocationName = "NodeResourcesBalancedAllocation"

	balancedPreScoreStateKey framework.StateKey = "PreScore" + BalancedAllocationName
)

// BalancedAllocation favours nodes where the pod leaves the shares of cpu
// and memory in use closest to each other.
type BalancedAllocation struct{}

var (
	_ framework.PreScorePlugin = &BalancedAllocation{}
	_ framework.ScorePlugin    = &BalancedAllocation{}
)

// NewBalancedAllocation builds the plugin.
func NewBalancedAllocation(framework.Handle) (framework.Plugin, error) {
	return &BalancedAllocation{}, nil
}

// Name returns the plugin's name.
func (*BalancedAllocation) Name() string { return BalancedAllocationName }

// PreScore computes the pod's actual requests; a pod that requests nothing
// changes no balance and skips Score.
func (*BalancedAllocation) PreScore(_ context.Context, state *framework.CycleState, pod *corev1.Pod, _ []*framework.NodeInfo) *framework.Status {
	reqs := podRequestList(pod, false)
	if reqs != (vector{}) {
		state.Write(balancedPreScoreStateKey, reqs)
		return nil
	}
	return framework.NewStatus(framework.Skip)
}

// Score is kube-scheduler 1.37's: half the maximum, plus half the change in
// balance (1 - the standard deviation of the used shares, times 100) the pod
// brings, so a pod that evens a node out scores above 50.
func (*BalancedAllocation) Score(_ context.Context, state *framework.CycleState, _ *corev1.Pod, node *framework.NodeInfo) (int64, *framework.Status) {
	v, err := state.Read(balancedPreScoreStateKey)
	if err != nil {
		return 0, framework.AsStatus(err)
	}
	requested, allocated, allocatable := nodeRequestLists(node, v.(vector), true)
	withPod := balancedResourceScore(requested, allocatable)
	withoutPod := balancedResourceScore(allocated, allocatable)
	return framework.MaxNodeScore/2 + (framework.MaxNodeScore/2+withPod-withoutPod)/2, nil
}

func balancedResourceScore(requested, allocatable vector) int64 {
	var buf [len(vector{})]float64
	fractions := buf[:0]
	var total float64
	for i := range requested {
		if allocatable[i] == 0 {
			continue
		}
		f := min(float64(requested[i])/float64(allocatable[i]), 1)
		total += f
		fractions = append(fractions, f)
	}
	std := 0.0
	switch {
	case len(fractions) == 2:
		std = math.Abs((fractions[0] - fractions[1]) / 2)
	case len(fractions) > 2:
		mean := total / float64(len(fractions))
		var sum float64
		for _, f := range fractions {
			sum += (f - mean) * (f - mean)
		}
		std = math.Sqrt(sum / float64(len(fractions)))
	}
	return int64((1 - std) * float64(framework.MaxNodeScore))
}
