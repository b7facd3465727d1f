package interpodaffinity

import (
	"context"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/scheduler/framework"
)

type topologyPair struct {
	key, value string
}

// topologyCounts counts pods per topology pair; a pair whose count drops to
// zero is removed, so its length is the number of pairs with pods.
type topologyCounts map[topologyPair]int64

// add counts n pods on node for key, if the node has the key.
func (m topologyCounts) add(node *corev1.Node, key string, n int64) {
	v, ok := node.Labels[key]
	if !ok {
		return
	}
	tp := topologyPair{key, v}
	if m[tp] += n; m[tp] == 0 {
		delete(m, tp)
	}
}

// preFilterState is what PreFilter counted over the snapshot.
type preFilterState struct {
	pod      *corev1.Pod
	nsLabels labels.Set
	// The pod's required terms, namespaceSelectors resolved.
	affinityTerms, antiAffinityTerms []framework.AffinityTerm
	// selfMatch: the pod matches all its own affinity terms, so it may be
	// the first of its group.
	selfMatch bool

	// existingAntiAffinity counts, per pair, the existing pods' required
	// anti-affinity terms that select the pod.
	existingAntiAffinity topologyCounts
	// existingAntiKeys are the topology keys of its pairs.
	existingAntiKeys []string
	// affinity counts the pods that match all of the pod's affinity terms,
	// once for each term's pair; antiAffinity the pods matching each of
	// its anti-affinity terms.
	affinity, antiAffinity topologyCounts

	// snapshot and generation tell a node of the snapshot from a changed
	// copy (preemption, nominated pods): only copies made after PreFilter
	// have a later generation.
	snapshot   *framework.Snapshot
	generation int64
	// byName finds the snapshot's node for a copy when there is no
	// snapshot (plugin tests); built on first need.
	byNameOnce sync.Once
	nodes      []*framework.NodeInfo
	byName     map[string]*framework.NodeInfo
}

// countPod adds (sign 1) or takes away (-1) what an existing pod on node
// contributes to the counts in into.
func (s *preFilterState) countPod(p *framework.PodInfo, node *corev1.Node, sign int64, existingAnti, affinity, anti topologyCounts) {
	for i := range p.RequiredAntiAffinityTerms {
		t := &p.RequiredAntiAffinityTerms[i]
		if t.Matches(s.pod, s.nsLabels) {
			existingAnti.add(node, t.TopologyKey, sign)
		}
	}
	if len(s.affinityTerms) > 0 && matchesAll(s.affinityTerms, p.Pod) {
		for i := range s.affinityTerms {
			affinity.add(node, s.affinityTerms[i].TopologyKey, sign)
		}
	}
	for i := range s.antiAffinityTerms {
		t := &s.antiAffinityTerms[i]
		// The pod's own terms need no namespace labels: their selectors
		// were resolved to names.
		if t.Matches(p.Pod, nil) {
			anti.add(node, t.TopologyKey, sign)
		}
	}
}

// matchesAll: there are terms and pod matches every one (affinity needs a
// single pod that satisfies all its terms).
func matchesAll(terms []framework.AffinityTerm, pod *corev1.Pod) bool {
	if len(terms) == 0 {
		return false
	}
	for i := range terms {
		if !terms[i].Matches(pod, nil) {
			return false
		}
	}
	return true
}

func matchesAny(terms []framework.AffinityTerm, pod *corev1.Pod) bool {
	for i := range terms {
		if terms[i].Matches(pod, nil) {
			return true
		}
	}
	return false
}

// PreFilter parses the pod's terms and counts, over every node, the
// existing pods whose anti-affinity selects the pod, and the pods the pod's
// own terms select. With nothing to check it returns Skip, without walking
// the nodes when the snapshot says none has pods with anti-affinity.
func (pl *InterPodAffinity) PreFilter(ctx context.Context, cs *framework.CycleState, pod *corev1.Pod, nodes []*framework.NodeInfo) (*framework.PreFilterResult, *framework.Status) {
	snap := cs.Snapshot()
	a := pod.Spec.Affinity
	ownTerms := len(framework.RequiredAffinityTerms(a)) > 0 || len(framework.RequiredAntiAffinityTerms(a)) > 0
	// Without terms of its own, only the nodes with pods with required
	// anti-affinity matter.
	withAnti := nodes
	if !ownTerms {
		withAnti = nodesWithRequiredAntiAffinity(snap, nodes)
		if len(withAnti) == 0 {
			return nil, skip
		}
	}

	logger := klog.FromContext(ctx)
	s := &preFilterState{
		pod:                  pod,
		existingAntiAffinity: topologyCounts{},
		affinity:             topologyCounts{},
		antiAffinity:         topologyCounts{},
		snapshot:             snap,
		nodes:                nodes,
	}
	var err error
	if s.affinityTerms, err = framework.NewAffinityTerms(pod, framework.RequiredAffinityTerms(a)); err != nil {
		return nil, framework.NewStatus(framework.UnschedulableAndUnresolvable, fmt.Sprintf("parsing pod: requiredAffinityTerms: %v", err))
	}
	if s.antiAffinityTerms, err = framework.NewAffinityTerms(pod, framework.RequiredAntiAffinityTerms(a)); err != nil {
		return nil, framework.NewStatus(framework.UnschedulableAndUnresolvable, fmt.Sprintf("parsing pod: requiredAntiAffinityTerms: %v", err))
	}
	for _, terms := range [][]framework.AffinityTerm{s.affinityTerms, s.antiAffinityTerms} {
		for i := range terms {
			if err := pl.mergeNamespaces(&terms[i]); err != nil {
				return nil, framework.AsStatus(err)
			}
		}
	}
	s.selfMatch = matchesAll(s.affinityTerms, pod)
	s.nsLabels = pl.namespaceLabels(logger, pod.Namespace)

	for _, ni := range withAnti {
		node := ni.Node()
		if ownTerms {
			for _, p := range ni.Pods {
				s.countPod(p, node, 1, s.existingAntiAffinity, s.affinity, s.antiAffinity)
			}
			continue
		}
		for _, p := range ni.PodsWithRequiredAntiAffinity {
			for i := range p.RequiredAntiAffinityTerms {
				t := &p.RequiredAntiAffinityTerms[i]
				if t.Matches(pod, s.nsLabels) {
					s.existingAntiAffinity.add(node, t.TopologyKey, 1)
				}
			}
		}
	}
	if !ownTerms && len(s.existingAntiAffinity) == 0 {
		return nil, skip
	}
	keys := map[string]bool{}
	for tp := range s.existingAntiAffinity {
		if !keys[tp.key] {
			keys[tp.key] = true
			s.existingAntiKeys = append(s.existingAntiKeys, tp.key)
		}
	}
	if snap != nil {
		s.generation = snap.Generation()
	} else {
		for _, ni := range nodes {
			s.generation = max(s.generation, ni.Generation)
		}
	}
	cs.Write(preFilterStateKey, s)
	return nil, nil
}

// nodesWithRequiredAntiAffinity are the nodes with pods with required
// anti-affinity: the snapshot keeps them; with none (a plugin called
// alone, in a test) they are looked for among nodes.
func nodesWithRequiredAntiAffinity(snap *framework.Snapshot, nodes []*framework.NodeInfo) []*framework.NodeInfo {
	if snap != nil {
		return snap.NodesWithRequiredAntiAffinity()
	}
	var out []*framework.NodeInfo
	for _, ni := range nodes {
		if len(ni.PodsWithRequiredAntiAffinity) > 0 {
			out = append(out, ni)
		}
	}
	return out
}

// nodesWithPodAffinity are the nodes with pods with affinity terms of any
// kind, likewise.
func nodesWithPodAffinity(snap *framework.Snapshot, nodes []*framework.NodeInfo) []*framework.NodeInfo {
	if snap != nil {
		return snap.NodesWithPodAffinity()
	}
	var out []*framework.NodeInfo
	for _, ni := range nodes {
		if len(ni.PodsWithAffinity) > 0 {
			out = append(out, ni)
		}
	}
	return out
}

// counts are the state's counts as they are for one node: the snapshot's,
// plus, for a changed copy of a node, the difference its pods make (at the
// node's own pairs, the only ones Filter reads for it).
type counts struct {
	s                                    *preFilterState
	existingAnti, affinity, antiAffinity topologyCounts // nil for a snapshot node
}

func (c counts) get(base, delta topologyCounts, tp topologyPair) int64 {
	return base[tp] + delta[tp]
}

// nonZero is the number of pairs with pods, once delta is applied.
func nonZero(base, delta topologyCounts) int {
	n := len(base)
	for tp, d := range delta {
		before := base[tp]
		if before == 0 && d != 0 {
			n++
		} else if before != 0 && before+d == 0 {
			n--
		}
	}
	return n
}

// countsFor returns the counts for ni.
func (s *preFilterState) countsFor(ni *framework.NodeInfo) counts {
	c := counts{s: s}
	if ni.Generation <= s.generation {
		return c
	}
	orig := s.original(ni.Node().Name)
	c.existingAnti, c.affinity, c.antiAffinity = topologyCounts{}, topologyCounts{}, topologyCounts{}
	before := map[types.UID]bool{}
	if orig != nil {
		for _, p := range orig.Pods {
			before[p.Pod.UID] = true
		}
	}
	node := ni.Node()
	for _, p := range ni.Pods {
		if before[p.Pod.UID] {
			delete(before, p.Pod.UID)
			continue
		}
		s.countPod(p, node, 1, c.existingAnti, c.affinity, c.antiAffinity)
	}
	if orig != nil && len(before) > 0 {
		for _, p := range orig.Pods {
			if before[p.Pod.UID] {
				s.countPod(p, node, -1, c.existingAnti, c.affinity, c.antiAffinity)
			}
		}
	}
	return c
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

// satisfyPodAffinity: every topology key of the pod's affinity is on the
// node, and in each of the node's domains runs a pod that matches all the
// terms; or no pod in the cluster matches them and the pod matches its own
// terms (the first pod of a group that selects itself).
func (c counts) satisfyPodAffinity(node *corev1.Node) bool {
	s := c.s
	if len(s.affinityTerms) == 0 {
		return true
	}
	podsExist := true
	for i := range s.affinityTerms {
		key := s.affinityTerms[i].TopologyKey
		v, ok := node.Labels[key]
		if !ok {
			return false
		}
		if c.get(s.affinity, c.affinity, topologyPair{key, v}) <= 0 {
			podsExist = false
		}
	}
	if podsExist {
		return true
	}
	return nonZero(s.affinity, c.affinity) == 0 && s.selfMatch
}

// satisfyPodAntiAffinity: none of the node's domains for the pod's
// anti-affinity terms runs a pod they select.
func (c counts) satisfyPodAntiAffinity(node *corev1.Node) bool {
	s := c.s
	if len(s.antiAffinity) == 0 && len(c.antiAffinity) == 0 {
		return true
	}
	for i := range s.antiAffinityTerms {
		key := s.antiAffinityTerms[i].TopologyKey
		if v, ok := node.Labels[key]; ok && c.get(s.antiAffinity, c.antiAffinity, topologyPair{key, v}) > 0 {
			return false
		}
	}
	return true
}

// satisfyExistingPodsAntiAffinity: no existing pod's anti-affinity term
// that selects the pod has a pod in one of the node's domains.
func (c counts) satisfyExistingPodsAntiAffinity(node *corev1.Node) bool {
	s := c.s
	check := func(key string) bool {
		v, ok := node.Labels[key]
		return !ok || c.get(s.existingAntiAffinity, c.existingAnti, topologyPair{key, v}) <= 0
	}
	// The pairs' keys are few (a pair per node for hostname terms, but
	// the one key), so look them up rather than walk the pairs.
	for _, key := range s.existingAntiKeys {
		if !check(key) {
			return false
		}
	}
	for tp := range c.existingAnti {
		if !check(tp.key) {
			return false
		}
	}
	return true
}

// The statuses Filter returns, shared: the framework copies a status
// before naming its plugin.
var (
	statusAffinityRulesNotMatch             = framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonAffinityRulesNotMatch)
	statusAntiAffinityRulesNotMatch         = framework.NewStatus(framework.Unschedulable, ErrReasonAntiAffinityRulesNotMatch)
	statusExistingAntiAffinityRulesNotMatch = framework.NewStatus(framework.Unschedulable, ErrReasonExistingAntiAffinityRulesNotMatch)
)

// Filter checks the node against the counts. A missing match for the
// pod's affinity is UnschedulableAndUnresolvable (evicting pods cannot add
// one); anti-affinity conflicts are Unschedulable.
func (pl *InterPodAffinity) Filter(_ context.Context, cs *framework.CycleState, _ *corev1.Pod, ni *framework.NodeInfo) *framework.Status {
	v, err := cs.Read(preFilterStateKey)
	if err != nil {
		return framework.AsStatus(err)
	}
	c := v.(*preFilterState).countsFor(ni)
	node := ni.Node()
	if !c.satisfyPodAffinity(node) {
		return statusAffinityRulesNotMatch
	}
	if !c.satisfyPodAntiAffinity(node) {
		return statusAntiAffinityRulesNotMatch
	}
	if !c.satisfyExistingPodsAntiAffinity(node) {
		return statusExistingAntiAffinityRulesNotMatch
	}
	return nil
}
