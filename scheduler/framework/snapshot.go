package framework

import corev1 "k8s.io/api/core/v1"

// Snapshot is the state of the cluster one scheduling pass reads: every node
// with the pods assigned to it. Plugins must not change it. The scheduler's
// cache brings one snapshot up to date between passes (Replace for a node
// that changed, NewSnapshotFromNodeInfos when nodes come or go).
type Snapshot struct {
	// nodes is in the order filtering walks them (the cache interleaves
	// zones, so a pass that stops early still spreads across them).
	nodes  []*NodeInfo
	byName map[string]int

	// What lets the plugins that look at the whole cluster skip walking
	// every node when nothing calls for it.
	//
	// generation is the highest generation of the nodes: a NodeInfo with
	// a higher one was changed after the snapshot was (the copies that
	// preemption and nominated pods filter).
	generation int64
	// nodeObjects changes whenever a node object does (not its pods).
	nodeObjects int64
	// withAffinity and withRequiredAntiAffinity are the indexes of the
	// nodes with PodsWithAffinity and PodsWithRequiredAntiAffinity.
	withAffinity, withRequiredAntiAffinity map[int]struct{}
}

// NewSnapshot builds a snapshot of nodes and the pods assigned to them; pods
// on nodes not listed are left out. For tests and benchmarks.
func NewSnapshot(nodes []*corev1.Node, pods []*corev1.Pod) *Snapshot {
	infos := make([]*NodeInfo, 0, len(nodes))
	byName := make(map[string]*NodeInfo, len(nodes))
	for _, n := range nodes {
		ni := NewNodeInfo(n)
		infos = append(infos, ni)
		byName[n.Name] = ni
	}
	for _, p := range pods {
		if ni := byName[p.Spec.NodeName]; ni != nil {
			ni.AddPodInfo(NewPodInfo(p))
		}
	}
	return NewSnapshotFromNodeInfos(infos)
}

// NewSnapshotFromNodeInfos takes the node infos in order; each must have a
// node and is owned by the snapshot from now on.
func NewSnapshotFromNodeInfos(infos []*NodeInfo) *Snapshot {
	s := &Snapshot{
		nodes:                    infos,
		byName:                   make(map[string]int, len(infos)),
		nodeObjects:              nextGeneration(),
		withAffinity:             map[int]struct{}{},
		withRequiredAntiAffinity: map[int]struct{}{},
	}
	for i, ni := range infos {
		s.byName[ni.Node().Name] = i
		s.track(i, ni)
	}
	return s
}

// track records node info ni at index i in the aggregates.
func (s *Snapshot) track(i int, ni *NodeInfo) {
	s.generation = max(s.generation, ni.Generation)
	setMember(s.withAffinity, i, len(ni.PodsWithAffinity) > 0)
	setMember(s.withRequiredAntiAffinity, i, len(ni.PodsWithRequiredAntiAffinity) > 0)
}

func setMember(m map[int]struct{}, i int, in bool) {
	if in {
		m[i] = struct{}{}
	} else {
		delete(m, i)
	}
}

// Generation is the highest generation of the snapshot's node infos; a
// NodeInfo with a higher one is a copy changed since.
func (s *Snapshot) Generation() int64 { return s.generation }

// NodeObjectsVersion changes (it is never reused, not even by another
// snapshot) whenever one of the node objects does; pods coming and going
// leave it alone.
func (s *Snapshot) NodeObjectsVersion() int64 { return s.nodeObjects }

// NodesWithPodAffinity are the nodes with pods that have pod affinity or
// anti-affinity, in no particular order.
func (s *Snapshot) NodesWithPodAffinity() []*NodeInfo { return s.list(s.withAffinity) }

// NodesWithRequiredAntiAffinity are the nodes with pods that have required
// pod anti-affinity, in no particular order.
func (s *Snapshot) NodesWithRequiredAntiAffinity() []*NodeInfo {
	return s.list(s.withRequiredAntiAffinity)
}

func (s *Snapshot) list(m map[int]struct{}) []*NodeInfo {
	if len(m) == 0 {
		return nil
	}
	out := make([]*NodeInfo, 0, len(m))
	for i := range m {
		out = append(out, s.nodes[i])
	}
	return out
}

// Nodes lists the node infos in filtering order.
func (s *Snapshot) Nodes() []*NodeInfo { return s.nodes }

// NumNodes is the number of nodes.
func (s *Snapshot) NumNodes() int { return len(s.nodes) }

// Get returns the named node's info, or nil.
func (s *Snapshot) Get(name string) *NodeInfo {
	if i, ok := s.byName[name]; ok {
		return s.nodes[i]
	}
	return nil
}

// Replace puts ni in place of the node info of the same name and reports
// whether there was one; it is not for use during a scheduling pass.
func (s *Snapshot) Replace(ni *NodeInfo) bool {
	i, ok := s.byName[ni.Node().Name]
	if ok {
		if s.nodes[i].Node() != ni.Node() {
			s.nodeObjects = nextGeneration()
		}
		s.nodes[i] = ni
		s.track(i, ni)
	}
	return ok
}
