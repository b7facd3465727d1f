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
	s := &Snapshot{nodes: infos, byName: make(map[string]int, len(infos))}
	for i, ni := range infos {
		s.byName[ni.Node().Name] = i
	}
	return s
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
		s.nodes[i] = ni
	}
	return ok
}
