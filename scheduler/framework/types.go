package framework

import (
	"fmt"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// PodInfo is a pod with what the filters need of it computed once.
type PodInfo struct {
	Pod *corev1.Pod
	// Requests is what the pod takes of its node (PodRequests with status
	// for assigned pods).
	Requests Resource
	// NonZeroMilliCPU and NonZeroMemory count defaults for containers that
	// name none; scoring spreads by them.
	NonZeroMilliCPU int64
	NonZeroMemory   int64
	// HostPorts are the host ports the pod binds.
	HostPorts []corev1.ContainerPort
	// The pod's pod affinity and anti-affinity terms, parsed (the
	// InterPodAffinity plugin checks every pod's against the pod being
	// scheduled).
	RequiredAffinityTerms      []AffinityTerm
	RequiredAntiAffinityTerms  []AffinityTerm
	PreferredAffinityTerms     []WeightedAffinityTerm
	PreferredAntiAffinityTerms []WeightedAffinityTerm
}

// NewPodInfo computes a pod's PodInfo. The pod must not be changed after.
func NewPodInfo(pod *corev1.Pod) *PodInfo {
	assigned := pod.Spec.NodeName != ""
	nonZero := PodRequests(pod, RequestOptions{UseStatus: assigned, NonZero: true})
	cpu, mem := nonZero[corev1.ResourceCPU], nonZero[corev1.ResourceMemory]
	p := &PodInfo{
		Pod:             pod,
		Requests:        NewResource(PodRequests(pod, RequestOptions{UseStatus: assigned})),
		NonZeroMilliCPU: cpu.MilliValue(),
		NonZeroMemory:   mem.Value(),
		HostPorts:       HostPorts(pod),
	}
	p.parseAffinity()
	return p
}

// HostPorts are the ports with a hostPort of the pod's containers and of its
// sidecars (restartable init containers, which run all along); ordinary
// init containers are done before the others start.
func HostPorts(pod *corev1.Pod) []corev1.ContainerPort {
	var ports []corev1.ContainerPort
	for _, c := range pod.Spec.InitContainers {
		if c.RestartPolicy == nil || *c.RestartPolicy != corev1.ContainerRestartPolicyAlways {
			continue
		}
		for _, p := range c.Ports {
			if p.HostPort > 0 {
				ports = append(ports, p)
			}
		}
	}
	for _, c := range pod.Spec.Containers {
		for _, p := range c.Ports {
			if p.HostPort > 0 {
				ports = append(ports, p)
			}
		}
	}
	return ports
}

// generation orders changes to NodeInfos, so a snapshot copies only the
// nodes changed since it was last brought up to date.
var generation atomic.Int64

func nextGeneration() int64 { return generation.Add(1) }

// NodeInfo is a node and what the pods assigned to it take of it. In a
// Snapshot it is immutable; the scheduler's cache changes its own copies.
type NodeInfo struct {
	node *corev1.Node
	// Pods are the pods assigned (or assumed) to the node.
	Pods []*PodInfo
	// Requested is the sum of the pods' requests.
	Requested Resource
	// NonZeroRequested is the sum with defaults for what pods do not name
	// (cpu and memory only), for scoring.
	NonZeroRequested Resource
	// Allocatable is the node's status.allocatable.
	Allocatable Resource
	// UsedPorts are the host ports the pods bind.
	UsedPorts HostPortInfo
	// PodsWithAffinity are the Pods with pod affinity or anti-affinity of
	// any kind, PodsWithRequiredAntiAffinity those with required
	// anti-affinity: InterPodAffinity looks at these on every node, and
	// most nodes have none.
	PodsWithAffinity             []*PodInfo
	PodsWithRequiredAntiAffinity []*PodInfo
	// Generation increases with every change.
	Generation int64
}

// NewNodeInfo returns a NodeInfo for node (may be nil: pods can be seen
// before their node) with pods assigned to it.
func NewNodeInfo(node *corev1.Node, pods ...*corev1.Pod) *NodeInfo {
	n := &NodeInfo{UsedPorts: HostPortInfo{}, Generation: nextGeneration()}
	if node != nil {
		n.SetNode(node)
	}
	for _, p := range pods {
		n.AddPodInfo(NewPodInfo(p))
	}
	return n
}

// Node returns the node; nil when only its pods are known yet.
func (n *NodeInfo) Node() *corev1.Node {
	if n == nil {
		return nil
	}
	return n.node
}

// SetNode sets the node object.
func (n *NodeInfo) SetNode(node *corev1.Node) {
	n.node = node
	n.Allocatable = NewResource(node.Status.Allocatable)
	n.Generation = nextGeneration()
}

// RemoveNode forgets the node object but keeps its pods, which are still
// assigned to it until they are deleted too.
func (n *NodeInfo) RemoveNode() {
	n.node = nil
	n.Allocatable = Resource{}
	n.Generation = nextGeneration()
}

// AddPodInfo counts a pod on the node.
func (n *NodeInfo) AddPodInfo(p *PodInfo) {
	n.Pods = append(n.Pods, p)
	if hasAffinity(p.Pod) {
		n.PodsWithAffinity = append(n.PodsWithAffinity, p)
		if len(RequiredAntiAffinityTerms(p.Pod.Spec.Affinity)) > 0 {
			n.PodsWithRequiredAntiAffinity = append(n.PodsWithRequiredAntiAffinity, p)
		}
	}
	n.update(p, 1)
}

// RemovePod stops counting the pod with uid.
func (n *NodeInfo) RemovePod(uid types.UID) error {
	for i, p := range n.Pods {
		if p.Pod.UID != uid {
			continue
		}
		last := len(n.Pods) - 1
		n.Pods[i] = n.Pods[last]
		n.Pods[last] = nil
		n.Pods = n.Pods[:last]
		if hasAffinity(p.Pod) {
			n.PodsWithAffinity = removePodInfo(n.PodsWithAffinity, p)
			n.PodsWithRequiredAntiAffinity = removePodInfo(n.PodsWithRequiredAntiAffinity, p)
		}
		n.update(p, -1)
		return nil
	}
	name := "<unknown>"
	if n.node != nil {
		name = n.node.Name
	}
	return fmt.Errorf("no pod with uid %s on node %s", uid, name)
}

func (n *NodeInfo) update(p *PodInfo, sign int64) {
	n.Requested.AddResource(&p.Requests, sign)
	n.NonZeroRequested.MilliCPU += sign * p.NonZeroMilliCPU
	n.NonZeroRequested.Memory += sign * p.NonZeroMemory
	for _, port := range p.HostPorts {
		if sign > 0 {
			n.UsedPorts.Add(port.HostIP, string(port.Protocol), port.HostPort)
		} else {
			n.UsedPorts.Remove(port.HostIP, string(port.Protocol), port.HostPort)
		}
	}
	n.Generation = nextGeneration()
}

// Clone returns a copy that shares the immutable parts (node, PodInfos).
func (n *NodeInfo) Clone() *NodeInfo {
	c := &NodeInfo{
		node:             n.node,
		Pods:             append([]*PodInfo(nil), n.Pods...),
		Requested:        n.Requested.Clone(),
		NonZeroRequested: n.NonZeroRequested.Clone(),
		Allocatable:      n.Allocatable.Clone(),
		UsedPorts:        n.UsedPorts.Clone(),
		Generation:       n.Generation,
	}
	if len(n.PodsWithAffinity) > 0 {
		c.PodsWithAffinity = append([]*PodInfo(nil), n.PodsWithAffinity...)
	}
	if len(n.PodsWithRequiredAntiAffinity) > 0 {
		c.PodsWithRequiredAntiAffinity = append([]*PodInfo(nil), n.PodsWithRequiredAntiAffinity...)
	}
	return c
}

// DefaultBindAllHostIP is the host IP a port without one binds.
const DefaultBindAllHostIP = "0.0.0.0"

// ProtocolPort is a protocol and a port.
type ProtocolPort struct {
	Protocol string
	Port     int32
}

// HostPortInfo maps a host IP to the protocol/ports bound on it.
type HostPortInfo map[string]map[ProtocolPort]struct{}

func sanitize(ip, protocol string) (string, string) {
	if ip == "" {
		ip = DefaultBindAllHostIP
	}
	if protocol == "" {
		protocol = string(corev1.ProtocolTCP)
	}
	return ip, protocol
}

// Add records a bound port.
func (h HostPortInfo) Add(ip, protocol string, port int32) {
	if port <= 0 {
		return
	}
	ip, protocol = sanitize(ip, protocol)
	m, ok := h[ip]
	if !ok {
		m = map[ProtocolPort]struct{}{}
		h[ip] = m
	}
	m[ProtocolPort{protocol, port}] = struct{}{}
}

// Remove forgets a bound port.
func (h HostPortInfo) Remove(ip, protocol string, port int32) {
	if port <= 0 {
		return
	}
	ip, protocol = sanitize(ip, protocol)
	if m, ok := h[ip]; ok {
		delete(m, ProtocolPort{protocol, port})
		if len(m) == 0 {
			delete(h, ip)
		}
	}
}

// CheckConflict reports whether binding (ip, protocol, port) conflicts: a
// port on 0.0.0.0 conflicts with the same port on any IP, and a port on an
// IP with the same on that IP or on 0.0.0.0.
func (h HostPortInfo) CheckConflict(ip, protocol string, port int32) bool {
	if port <= 0 {
		return false
	}
	ip, protocol = sanitize(ip, protocol)
	pp := ProtocolPort{protocol, port}
	if ip == DefaultBindAllHostIP {
		for _, m := range h {
			if _, ok := m[pp]; ok {
				return true
			}
		}
		return false
	}
	for _, key := range []string{DefaultBindAllHostIP, ip} {
		if _, ok := h[key][pp]; ok {
			return true
		}
	}
	return false
}

// Clone returns a deep copy.
func (h HostPortInfo) Clone() HostPortInfo {
	c := make(HostPortInfo, len(h))
	for ip, m := range h {
		cm := make(map[ProtocolPort]struct{}, len(m))
		for pp := range m {
			cm[pp] = struct{}{}
		}
		c[ip] = cm
	}
	return c
}
