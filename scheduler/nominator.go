package scheduler

import (
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubeshim/kubeshim/scheduler/framework"
)

// nominator tracks the pending pods nominated to a node by preemption, from
// their status.nominatedNodeName and, before the informer shows it, from
// the scheduler's own decision. Filters count them on that node for pods
// of lower or equal priority, so the room preemption makes is kept.
type nominator struct {
	mu     sync.RWMutex
	byNode map[string][]*framework.PodInfo
	nodeOf map[types.UID]string
}

func newNominator() *nominator {
	return &nominator{byNode: map[string][]*framework.PodInfo{}, nodeOf: map[types.UID]string{}}
}

// Set records pod as nominated to node; an empty node forgets it.
func (n *nominator) Set(pod *corev1.Pod, node string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.deleteLocked(pod.UID)
	if node == "" {
		return
	}
	n.byNode[node] = append(n.byNode[node], framework.NewPodInfo(pod))
	n.nodeOf[pod.UID] = node
}

// Update follows a pending pod's status.nominatedNodeName. A pod the
// scheduler just nominated keeps its nomination until the informer has
// caught up with the status write that records it.
func (n *nominator) Update(pod *corev1.Pod) {
	if pod.Status.NominatedNodeName == "" {
		n.mu.RLock()
		_, known := n.nodeOf[pod.UID]
		n.mu.RUnlock()
		if known {
			return
		}
	}
	n.Set(pod, pod.Status.NominatedNodeName)
}

// Delete forgets the pod (bound, deleted, or its nomination cleared).
func (n *nominator) Delete(pod *corev1.Pod) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.deleteLocked(pod.UID)
}

func (n *nominator) deleteLocked(uid types.UID) {
	node, ok := n.nodeOf[uid]
	if !ok {
		return
	}
	delete(n.nodeOf, uid)
	pods := n.byNode[node]
	for i, p := range pods {
		if p.Pod.UID == uid {
			pods = append(pods[:i:i], pods[i+1:]...)
			break
		}
	}
	if len(pods) == 0 {
		delete(n.byNode, node)
	} else {
		n.byNode[node] = pods
	}
}

// NominatedPodsForNode implements framework.Nominator.
func (n *nominator) NominatedPodsForNode(node string) []*framework.PodInfo {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.byNode[node]
}

// lowerPriority lists the pods nominated to node with a priority below p.
func (n *nominator) lowerPriority(node string, p int32) []*corev1.Pod {
	n.mu.RLock()
	defer n.mu.RUnlock()
	var out []*corev1.Pod
	for _, pi := range n.byNode[node] {
		if framework.PodPriority(pi.Pod) < p {
			out = append(out, pi.Pod)
		}
	}
	return out
}
