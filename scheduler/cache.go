package scheduler

import (
	"fmt"
	"slices"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/kubeshim/kubeshim/scheduler/framework"
)

// clusterCache is the scheduler's view of the nodes and the pods assigned to
// them, fed by the informers and by the scheduler itself: a pod is assumed
// on its node as soon as it is chosen, before the binding is even sent, so
// the next pass counts it; the informer's add of the bound pod confirms it,
// a failed binding forgets it.
//
// It is safe for concurrent use. Snapshots are taken by the one scheduling
// goroutine between passes.
type clusterCache struct {
	mu    sync.Mutex
	nodes map[string]*framework.NodeInfo
	pods  map[types.UID]*podState
	// dirty are the nodes changed since the last snapshot.
	dirty sets.Set[string]
	// reorder is set when nodes came, went or changed zone: the
	// snapshot's node list must be rebuilt.
	reorder bool
}

type podState struct {
	pod *corev1.Pod
	// assumed: chosen by this scheduler, not yet seen bound by the
	// informer.
	assumed bool
}

func newClusterCache() *clusterCache {
	return &clusterCache{nodes: map[string]*framework.NodeInfo{}, pods: map[types.UID]*podState{}, dirty: sets.New[string]()}
}

func (c *clusterCache) nodeLocked(name string) *framework.NodeInfo {
	ni, ok := c.nodes[name]
	if !ok {
		ni = framework.NewNodeInfo(nil)
		c.nodes[name] = ni
	}
	c.dirty.Insert(name)
	return ni
}

func (c *clusterCache) addPodLocked(pod *corev1.Pod, assumed bool) {
	c.nodeLocked(pod.Spec.NodeName).AddPodInfo(framework.NewPodInfo(pod))
	c.pods[pod.UID] = &podState{pod: pod, assumed: assumed}
}

func (c *clusterCache) removePodLocked(pod *corev1.Pod) error {
	ni, ok := c.nodes[pod.Spec.NodeName]
	if !ok {
		return fmt.Errorf("node %s of pod %s/%s is not in the cache", pod.Spec.NodeName, pod.Namespace, pod.Name)
	}
	if err := ni.RemovePod(pod.UID); err != nil {
		return err
	}
	c.dirty.Insert(pod.Spec.NodeName)
	c.cleanupLocked(pod.Spec.NodeName)
	delete(c.pods, pod.UID)
	return nil
}

// cleanupLocked drops a node info left with neither node nor pods.
func (c *clusterCache) cleanupLocked(name string) {
	if ni := c.nodes[name]; ni != nil && ni.Node() == nil && len(ni.Pods) == 0 {
		delete(c.nodes, name)
	}
}

// AssumePod counts pod (whose spec.nodeName is set to the chosen node) on
// its node until it is confirmed or forgotten.
func (c *clusterCache) AssumePod(pod *corev1.Pod) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.pods[pod.UID]; ok {
		return fmt.Errorf("pod %s/%s is already in the cache", pod.Namespace, pod.Name)
	}
	c.addPodLocked(pod, true)
	return nil
}

// ForgetPod undoes AssumePod after a failed binding. A pod the informer
// already confirmed stays.
func (c *clusterCache) ForgetPod(pod *corev1.Pod) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	ps, ok := c.pods[pod.UID]
	if !ok || !ps.assumed {
		return nil
	}
	return c.removePodLocked(ps.pod)
}

// IsAssumed reports a pod chosen but not yet seen bound.
func (c *clusterCache) IsAssumed(pod *corev1.Pod) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	ps, ok := c.pods[pod.UID]
	return ok && ps.assumed
}

// AddPod records an assigned pod the informer saw, confirming it if it was
// assumed (on the node it was really bound to).
func (c *clusterCache) AddPod(pod *corev1.Pod) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ps, ok := c.pods[pod.UID]; ok {
		if err := c.removePodLocked(ps.pod); err != nil {
			return err
		}
	}
	c.addPodLocked(pod, false)
	return nil
}

// UpdatePod replaces an assigned pod (its requests may have been resized).
func (c *clusterCache) UpdatePod(_, newPod *corev1.Pod) error { return c.AddPod(newPod) }

// RemovePod forgets an assigned pod that was deleted (or finished).
func (c *clusterCache) RemovePod(pod *corev1.Pod) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	ps, ok := c.pods[pod.UID]
	if !ok {
		return nil
	}
	return c.removePodLocked(ps.pod)
}

// AddNode records a node or a new version of it.
func (c *clusterCache) AddNode(node *corev1.Node) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ni := c.nodeLocked(node.Name)
	if old := ni.Node(); old == nil || zoneOf(old) != zoneOf(node) {
		c.reorder = true
	}
	ni.SetNode(node)
}

// UpdateNode records a new version of a node.
func (c *clusterCache) UpdateNode(_, newNode *corev1.Node) { c.AddNode(newNode) }

// RemoveNode forgets a node; its pods stay accounted until deleted.
func (c *clusterCache) RemoveNode(node *corev1.Node) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ni, ok := c.nodes[node.Name]
	if !ok {
		return
	}
	ni.RemoveNode()
	c.dirty.Insert(node.Name)
	c.cleanupLocked(node.Name)
	c.reorder = true
}

// zoneOf is the node's failure domain, region and zone, as kube-scheduler's
// node tree groups nodes.
func zoneOf(node *corev1.Node) string {
	return node.Labels[corev1.LabelTopologyRegion] + ":\x00:" + node.Labels[corev1.LabelTopologyZone]
}

// UpdateSnapshot brings snap (nil at first) up to date, copying only the
// nodes that changed since the last call, and returns it (or a new one when
// nodes came or went). Nodes are ordered by interleaving zones, so that a
// pass that stops after a fraction of the nodes still spreads over zones.
func (c *clusterCache) UpdateSnapshot(snap *framework.Snapshot) *framework.Snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	if snap != nil && !c.reorder {
		for name := range c.dirty {
			if ni := c.nodes[name]; ni != nil && ni.Node() != nil {
				snap.Replace(ni.Clone())
			}
		}
		c.dirty.Clear()
		return snap
	}
	byZone := map[string][]string{}
	for name, ni := range c.nodes {
		if ni.Node() != nil {
			z := zoneOf(ni.Node())
			byZone[z] = append(byZone[z], name)
		}
	}
	zones := make([]string, 0, len(byZone))
	for z, names := range byZone {
		slices.Sort(names)
		zones = append(zones, z)
	}
	slices.Sort(zones)
	infos := make([]*framework.NodeInfo, 0, len(c.nodes))
	for i := 0; len(infos) < cap(infos); i++ {
		added := false
		for _, z := range zones {
			if i >= len(byZone[z]) {
				continue
			}
			name := byZone[z][i]
			var ni *framework.NodeInfo
			if snap != nil && !c.dirty.Has(name) {
				ni = snap.Get(name)
			}
			if ni == nil {
				ni = c.nodes[name].Clone()
			}
			infos = append(infos, ni)
			added = true
		}
		if !added {
			break
		}
	}
	c.dirty.Clear()
	c.reorder = false
	return framework.NewSnapshotFromNodeInfos(infos)
}
