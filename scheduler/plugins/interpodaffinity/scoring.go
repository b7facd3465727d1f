package interpodaffinity

import (
	"context"
	"fmt"
	"math"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/scheduler/framework"
)

// topologyScore is the score of each value of one topology key.
type topologyScore struct {
	key    string
	values map[string]int64
}

// preScoreState holds the scores per topology pair; a node scores the sum
// over its labels.
type preScoreState struct {
	scores []topologyScore // few keys: a slice walks faster than a map
}

type scorer struct {
	pod      *corev1.Pod
	nsLabels labels.Set
	// The pod's preferred terms, namespaceSelectors resolved.
	affinity, antiAffinity []framework.WeightedAffinityTerm
	byKey                  map[string]int // index in scores
	scores                 []topologyScore
}

func (sc *scorer) add(node *corev1.Node, key string, weight int64) {
	v, ok := node.Labels[key]
	if !ok {
		return
	}
	i, ok := sc.byKey[key]
	if !ok {
		i = len(sc.scores)
		sc.byKey[key] = i
		sc.scores = append(sc.scores, topologyScore{key: key, values: map[string]int64{}})
	}
	sc.scores[i].values[v] += weight
}

// processExistingPod scores the topology pairs of an existing pod's node,
// as upstream: by the pod's preferred terms that select the existing pod,
// and by the existing pod's required affinity (hardPodAffinityWeight) and
// preferred terms that select the pod.
func (sc *scorer) processExistingPod(p *framework.PodInfo, node *corev1.Node) {
	for i := range sc.affinity {
		if t := &sc.affinity[i]; t.Matches(p.Pod, nil) {
			sc.add(node, t.TopologyKey, int64(t.Weight))
		}
	}
	for i := range sc.antiAffinity {
		if t := &sc.antiAffinity[i]; t.Matches(p.Pod, nil) {
			sc.add(node, t.TopologyKey, -int64(t.Weight))
		}
	}
	for i := range p.RequiredAffinityTerms {
		if t := &p.RequiredAffinityTerms[i]; t.Matches(sc.pod, sc.nsLabels) {
			sc.add(node, t.TopologyKey, int64(HardPodAffinityWeight))
		}
	}
	for i := range p.PreferredAffinityTerms {
		if t := &p.PreferredAffinityTerms[i]; t.Matches(sc.pod, sc.nsLabels) {
			sc.add(node, t.TopologyKey, int64(t.Weight))
		}
	}
	for i := range p.PreferredAntiAffinityTerms {
		if t := &p.PreferredAntiAffinityTerms[i]; t.Matches(sc.pod, sc.nsLabels) {
			sc.add(node, t.TopologyKey, -int64(t.Weight))
		}
	}
}

// PreScore sums the weights per topology pair over every node of the
// snapshot (not only the feasible ones: a pod elsewhere in a domain counts
// for all its nodes). Without preferred terms of its own the pod is
// scored only by the pods with affinity terms; with neither it returns
// Skip.
func (pl *InterPodAffinity) PreScore(ctx context.Context, cs *framework.CycleState, pod *corev1.Pod, feasible []*framework.NodeInfo) *framework.Status {
	a := pod.Spec.Affinity
	hasPreferred := a != nil && ((a.PodAffinity != nil && len(a.PodAffinity.PreferredDuringSchedulingIgnoredDuringExecution) > 0) ||
		(a.PodAntiAffinity != nil && len(a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution) > 0))
	// Without preferred terms of its own, only pods with affinity terms
	// score the pod: the nodes with none are passed over.
	snap := cs.Snapshot()
	var nodes []*framework.NodeInfo
	switch {
	case !hasPreferred:
		all := feasible
		if snap != nil {
			all = snap.Nodes()
		}
		if nodes = nodesWithPodAffinity(snap, all); len(nodes) == 0 {
			return skip
		}
	case snap != nil:
		nodes = snap.Nodes()
	default:
		nodes = feasible
	}
	sc := &scorer{pod: pod, byKey: map[string]int{}}
	if hasPreferred {
		var err error
		if a.PodAffinity != nil {
			if sc.affinity, err = framework.NewWeightedAffinityTerms(pod, a.PodAffinity.PreferredDuringSchedulingIgnoredDuringExecution); err != nil {
				return framework.AsStatus(fmt.Errorf("parse preferred pod affinity: %w", err))
			}
		}
		if a.PodAntiAffinity != nil {
			if sc.antiAffinity, err = framework.NewWeightedAffinityTerms(pod, a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution); err != nil {
				return framework.AsStatus(fmt.Errorf("parse preferred pod anti-affinity: %w", err))
			}
		}
		for _, terms := range [][]framework.WeightedAffinityTerm{sc.affinity, sc.antiAffinity} {
			for i := range terms {
				if err := pl.mergeNamespaces(&terms[i].AffinityTerm); err != nil {
					return framework.AsStatus(err)
				}
			}
		}
	}
	sc.nsLabels = pl.namespaceLabels(klog.FromContext(ctx), pod.Namespace)
	for _, ni := range nodes {
		pods := ni.PodsWithAffinity
		if hasPreferred {
			pods = ni.Pods
		}
		if len(pods) == 0 {
			continue
		}
		node := ni.Node()
		if len(node.Labels) == 0 {
			continue
		}
		for _, p := range pods {
			sc.processExistingPod(p, node)
		}
	}
	if len(sc.scores) == 0 {
		return skip
	}
	cs.Write(preScoreStateKey, &preScoreState{scores: sc.scores})
	return nil
}

// Score sums the scores of the node's topology pairs: positive for
// affinity, negative for anti-affinity, until normalized.
func (pl *InterPodAffinity) Score(_ context.Context, cs *framework.CycleState, _ *corev1.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	v, err := cs.Read(preScoreStateKey)
	if err != nil {
		return 0, framework.AsStatus(err)
	}
	node := ni.Node()
	var score int64
	for _, ts := range v.(*preScoreState).scores {
		if value, ok := node.Labels[ts.key]; ok {
			score += ts.values[value]
		}
	}
	return score, nil
}

// NormalizeScore maps the scores linearly from [lowest, highest] onto
// [0, MaxNodeScore]; all equal scores become 0.
func (pl *InterPodAffinity) NormalizeScore(_ context.Context, cs *framework.CycleState, _ *corev1.Pod, scores []framework.NodeScore) *framework.Status {
	v, err := cs.Read(preScoreStateKey)
	if err != nil {
		return framework.AsStatus(err)
	}
	if len(v.(*preScoreState).scores) == 0 {
		return nil
	}
	lowest, highest := int64(math.MaxInt64), int64(math.MinInt64)
	for _, s := range scores {
		lowest = min(lowest, s.Score)
		highest = max(highest, s.Score)
	}
	diff := highest - lowest
	for i := range scores {
		var f float64
		if diff > 0 {
			f = float64(framework.MaxNodeScore) * float64(scores[i].Score-lowest) / float64(diff)
		}
		scores[i].Score = int64(f)
	}
	return nil
}
