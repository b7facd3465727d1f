package podtopologyspread

import (
	"context"
	"math"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/scheduler/framework"
)

// criticalPaths keeps the two domains with the fewest matching pods (the
// first the fewest): enough to know the minimum after one domain changes,
// which is all a changed copy of one node can do.
type criticalPaths [2]struct {
	value string
	num   int
}

func newCriticalPaths() criticalPaths {
	var p criticalPaths
	p[0].num, p[1].num = math.MaxInt32, math.MaxInt32
	return p
}

// update records domain value's new count.
func (p *criticalPaths) update(value string, num int) {
	i := -1
	if value == p[0].value {
		i = 0
	} else if value == p[1].value {
		i = 1
	}
	if i >= 0 {
		p[i].num = num
		if p[0].num > p[1].num {
			p[0], p[1] = p[1], p[0]
		}
		return
	}
	if num < p[0].num {
		p[1] = p[0]
		p[0].value, p[0].num = value, num
	} else if num < p[1].num {
		p[1].value, p[1].num = value, num
	}
}

// preFilterState holds, per DoNotSchedule constraint, the matching pods of
// each eligible domain and the least loaded domains.
type preFilterState struct {
	pod         *corev1.Pod
	podLabels   labels.Set
	constraints []constraint
	policy      nodePolicy
	// counts[i] maps constraint i's domains (of eligible nodes) to their
	// matching pods; paths[i] are its least loaded domains.
	counts []map[string]int
	paths  []criticalPaths

	// generation tells snapshot nodes from copies changed after
	// PreFilter (preemption, nominated pods); nodes finds a copy's
	// original.
	generation int64
	snapshot   *framework.Snapshot
	nodes      []*framework.NodeInfo
	byNameOnce sync.Once
	byName     map[string]*framework.NodeInfo
}

// minMatch is the global minimum for constraint i: 0 while fewer domains
// than minDomains are eligible.
func (s *preFilterState) minMatch(i int, paths criticalPaths) int {
	if len(s.counts[i]) < int(s.constraints[i].MinDomains) {
		return 0
	}
	return paths[0].num
}

// PreFilter counts, for the pod's DoNotSchedule constraints (defaults
// have none), the matching pods of every domain of the nodes that carry
// all the topology keys and that the node inclusion policies admit. A pod
// without such constraints returns Skip.
func (pl *PodTopologySpread) PreFilter(ctx context.Context, cs *framework.CycleState, pod *corev1.Pod, nodes []*framework.NodeInfo) (*framework.PreFilterResult, *framework.Status) {
	constraints, err := pl.constraintsOf(pod, corev1.DoNotSchedule)
	if err != nil {
		return nil, framework.AsStatus(err)
	}
	if len(constraints) == 0 {
		return nil, skip
	}
	logger := klog.FromContext(ctx)
	s := &preFilterState{
		pod:         pod,
		podLabels:   labels.Set(pod.Labels),
		constraints: constraints,
		policy:      newNodePolicy(pod),
		counts:      make([]map[string]int, len(constraints)),
		paths:       make([]criticalPaths, len(constraints)),
		snapshot:    cs.Snapshot(),
		nodes:       nodes,
	}
	for i, c := range constraints {
		size := 0
		if c.TopologyKey == corev1.LabelHostname {
			size = len(nodes)
		}
		s.counts[i] = make(map[string]int, size)
	}
	for _, ni := range nodes {
		s.generation = max(s.generation, ni.Generation)
		node := ni.Node()
		if !hasAllKeys(node.Labels, constraints) {
			continue
		}
		for i := range constraints {
			c := &constraints[i]
			if !s.policy.includes(logger, c, node) {
				continue
			}
			s.counts[i][node.Labels[c.TopologyKey]] += countMatching(ni.Pods, c.Selector, pod.Namespace)
		}
	}
	for i := range constraints {
		s.paths[i] = newCriticalPaths()
		for value, num := range s.counts[i] {
			s.paths[i].update(value, num)
		}
	}
	cs.Write(preFilterStateKey, s)
	return nil, nil
}

// original is the snapshot's node named name, or nil.
func (s *preFilterState) original(name string) *framework.NodeInfo {
	if s.snapshot != nil {
		return s.snapshot.Get(name)
	}
	s.byNameOnce.Do(func() {
		s.byName = make(map[string]*framework.NodeInfo, len(s.nodes))
		for _, ni := range s.nodes {
			s.byName[ni.Node().Name] = ni
		}
	})
	return s.byName[name]
}

// delta is how many more matching pods (possibly negative) a changed copy
// of a node holds than the snapshot's node, for constraint c.
func (s *preFilterState) delta(c *constraint, ni *framework.NodeInfo) int {
	orig := s.original(ni.Node().Name)
	if orig == nil {
		return countMatching(ni.Pods, c.Selector, s.pod.Namespace)
	}
	before := make(map[types.UID]bool, len(orig.Pods))
	for _, p := range orig.Pods {
		before[p.Pod.UID] = true
	}
	var added, removed []*framework.PodInfo
	for _, p := range ni.Pods {
		if before[p.Pod.UID] {
			delete(before, p.Pod.UID)
		} else {
			added = append(added, p)
		}
	}
	for _, p := range orig.Pods {
		if before[p.Pod.UID] {
			removed = append(removed, p)
		}
	}
	return countMatching(added, c.Selector, s.pod.Namespace) - countMatching(removed, c.Selector, s.pod.Namespace)
}

// The statuses Filter returns, shared: the framework copies a status
// before naming its plugin.
var (
	statusNodeLabelNotMatch   = framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonNodeLabelNotMatch)
	statusConstraintsNotMatch = framework.NewStatus(framework.Unschedulable, ErrReasonConstraintsNotMatch)
)

// Filter rejects a node without every topology key for good, and one
// where the pod would make its domain exceed maxSkew over the least
// loaded domain (evicting pods may change that).
func (pl *PodTopologySpread) Filter(ctx context.Context, cs *framework.CycleState, _ *corev1.Pod, ni *framework.NodeInfo) *framework.Status {
	v, err := cs.Read(preFilterStateKey)
	if err != nil {
		return framework.AsStatus(err)
	}
	s := v.(*preFilterState)
	node := ni.Node()
	changed := ni.Generation > s.generation
	for i := range s.constraints {
		c := &s.constraints[i]
		value, ok := node.Labels[c.TopologyKey]
		if !ok {
			if logger := klog.FromContext(ctx).V(5); logger.Enabled() {
				logger.Info("Node lacks a topology key of the pod's spread constraints", "node", klog.KObj(node), "topologyKey", c.TopologyKey)
			}
			return statusNodeLabelNotMatch
		}
		match := s.counts[i][value]
		paths := s.paths[i]
		// A changed copy (only an eligible node's pods are counted)
		// moves its domain's count and perhaps the minimum.
		if changed && hasAllKeys(node.Labels, s.constraints) && s.policy.includes(klog.FromContext(ctx), c, node) {
			if d := s.delta(c, ni); d != 0 {
				match += d
				paths.update(value, match)
			}
		}
		self := 0
		if c.Selector.Matches(s.podLabels) {
			self = 1
		}
		if skew := match + self - s.minMatch(i, paths); skew > int(c.MaxSkew) {
			// The arguments would be boxed, for each node turned down,
			// even with the level off.
			if logger := klog.FromContext(ctx).V(5); logger.Enabled() {
				logger.Info("Node would skew the pod's spread too much", "node", klog.KObj(node), "topologyKey", c.TopologyKey, "matchNum", match, "selfMatchNum", self, "maxSkew", c.MaxSkew)
			}
			return statusConstraintsNotMatch
		}
	}
	return nil
}
