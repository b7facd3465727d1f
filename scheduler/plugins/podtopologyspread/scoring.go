package podtopologyspread

import (
	"context"
	"math"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/scheduler/framework"
)

// preScoreState holds, per ScheduleAnyway constraint, the matching pods of
// the domains of the feasible nodes (hostname domains are counted in
// Score, from the node itself) and the constraint's weight.
type preScoreState struct {
	namespace   string
	constraints []constraint
	// ignored are feasible nodes lacking a topology key: they score 0.
	ignored sets.Set[string]
	counts  []map[string]*int64
	weights []float64
}

// PreScore finds the pod's ScheduleAnyway constraints (or the default
// ones), the domains of the feasible nodes, and counts their matching
// pods over every node of the snapshot. Without constraints it returns
// Skip.
func (pl *PodTopologySpread) PreScore(ctx context.Context, cs *framework.CycleState, pod *corev1.Pod, feasible []*framework.NodeInfo) *framework.Status {
	all := feasible
	if snap := cs.Snapshot(); snap != nil {
		all = snap.Nodes()
	}
	if len(all) == 0 {
		return skip
	}
	constraints, err := pl.constraintsOf(pod, corev1.ScheduleAnyway)
	if err != nil {
		return framework.AsStatus(err)
	}
	if len(constraints) == 0 {
		return skip
	}
	// The system defaults spread by hostname even where nodes have no
	// zone label; explicit constraints need every key.
	requireAll := len(pod.Spec.TopologySpreadConstraints) > 0 || !pl.systemDefaulted
	s := &preScoreState{
		namespace:   pod.Namespace,
		constraints: constraints,
		ignored:     sets.New[string](),
		counts:      make([]map[string]*int64, len(constraints)),
		weights:     make([]float64, len(constraints)),
	}
	for i := range constraints {
		s.counts[i] = map[string]*int64{}
	}
	domains := make([]int, len(constraints))
	for _, ni := range feasible {
		node := ni.Node()
		if requireAll && !hasAllKeys(node.Labels, constraints) {
			s.ignored.Insert(node.Name)
			continue
		}
		for i, c := range constraints {
			if c.TopologyKey == corev1.LabelHostname {
				continue
			}
			value := node.Labels[c.TopologyKey]
			if s.counts[i][value] == nil {
				s.counts[i][value] = new(int64)
				domains[i]++
			}
		}
	}
	for i, c := range constraints {
		size := domains[i]
		if c.TopologyKey == corev1.LabelHostname {
			size = len(feasible) - len(s.ignored)
		}
		s.weights[i] = math.Log(float64(size + 2))
	}

	logger := klog.FromContext(ctx)
	policy := newNodePolicy(pod)
	for _, ni := range all {
		node := ni.Node()
		if requireAll && !hasAllKeys(node.Labels, constraints) {
			continue
		}
		for i := range constraints {
			c := &constraints[i]
			// Only domains of feasible nodes are scored; hostname
			// domains are the node's own, counted in Score.
			count := s.counts[i][node.Labels[c.TopologyKey]]
			if count == nil || c.TopologyKey == corev1.LabelHostname {
				continue
			}
			if !policy.includes(logger, c, node) {
				continue
			}
			*count += int64(countMatching(ni.Pods, c.Selector, pod.Namespace))
		}
	}
	cs.Write(preScoreStateKey, s)
	return nil
}

// Score adds, per constraint whose key the node has, its domain's matching
// pods times the constraint's weight plus maxSkew-1 (which softens small
// skews); fewer is better once normalized.
func (pl *PodTopologySpread) Score(_ context.Context, cs *framework.CycleState, _ *corev1.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	v, err := cs.Read(preScoreStateKey)
	if err != nil {
		return 0, framework.AsStatus(err)
	}
	s := v.(*preScoreState)
	node := ni.Node()
	if s.ignored.Has(node.Name) {
		return 0, nil
	}
	var score float64
	for i := range s.constraints {
		c := &s.constraints[i]
		value, ok := node.Labels[c.TopologyKey]
		if !ok {
			continue
		}
		var count int64
		if c.TopologyKey == corev1.LabelHostname {
			count = int64(countMatching(ni.Pods, c.Selector, s.namespace))
		} else if p := s.counts[i][value]; p != nil {
			count = *p
		}
		score += float64(count)*s.weights[i] + float64(c.MaxSkew-1)
	}
	return int64(math.Round(score)), nil
}

// NormalizeScore reverses the scores onto [0, MaxNodeScore], as upstream:
// the fewest matching pods score highest, ignored nodes 0.
func (pl *PodTopologySpread) NormalizeScore(_ context.Context, cs *framework.CycleState, _ *corev1.Pod, scores []framework.NodeScore) *framework.Status {
	v, err := cs.Read(preScoreStateKey)
	if err != nil {
		return framework.AsStatus(err)
	}
	s := v.(*preScoreState)
	lowest, highest := int64(math.MaxInt64), int64(0)
	for _, sc := range scores {
		if s.ignored.Has(sc.Name) {
			continue
		}
		lowest = min(lowest, sc.Score)
		highest = max(highest, sc.Score)
	}
	for i := range scores {
		switch {
		case s.ignored.Has(scores[i].Name):
			scores[i].Score = 0
		case highest == 0:
			scores[i].Score = framework.MaxNodeScore
		default:
			scores[i].Score = framework.MaxNodeScore * (highest + lowest - scores[i].Score) / highest
		}
	}
	return nil
}
