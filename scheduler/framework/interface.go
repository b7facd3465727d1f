package framework

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/klog/v2"
)

// MaxNodeScore is the highest score a Score plugin gives (after
// normalizing); MinNodeScore the lowest.
const (
	MaxNodeScore int64 = 100
	MinNodeScore int64 = 0
)

// Plugin is anything with a name in the registry.
type Plugin interface {
	Name() string
}

// PreEnqueuePlugin keeps a pod out of the active queue until it returns
// Success (scheduling gates).
type PreEnqueuePlugin interface {
	Plugin
	PreEnqueue(ctx context.Context, pod *corev1.Pod) *Status
}

// PreFilterResult narrows the nodes Filter runs on; nil NodeNames means all.
type PreFilterResult struct {
	NodeNames sets.Set[string]
}

// AllNodes reports no restriction.
func (r *PreFilterResult) AllNodes() bool { return r == nil || r.NodeNames == nil }

func (r *PreFilterResult) merge(o *PreFilterResult) *PreFilterResult {
	if r.AllNodes() {
		return o
	}
	if o.AllNodes() {
		return r
	}
	return &PreFilterResult{NodeNames: r.NodeNames.Intersection(o.NodeNames)}
}

// PreFilterPlugin runs once per pass, before Filter: it computes what the
// plugin's Filter needs into the CycleState, may restrict the nodes, may
// reject the pod outright, or return Skip to have its Filter not called.
type PreFilterPlugin interface {
	Plugin
	PreFilter(ctx context.Context, state *CycleState, pod *corev1.Pod, nodes []*NodeInfo) (*PreFilterResult, *Status)
}

// FilterPlugin decides whether the pod can go to one node. Filter runs
// concurrently for different nodes and must only read the state.
type FilterPlugin interface {
	Plugin
	Filter(ctx context.Context, state *CycleState, pod *corev1.Pod, node *NodeInfo) *Status
}

// PostFilterResult is what a PostFilter plugin (preemption) decided: the
// node the pod is nominated to, and the pods to evict from it for room.
// The framework only decides; the scheduler carries it out.
type PostFilterResult struct {
	NominatedNode string
	Victims       []*corev1.Pod
}

// PostFilterPlugin runs when no node fits (preemption). It may run the
// framework's filters on changed copies of the snapshot's nodes. On
// Success its result says where the pod goes once the victims are gone;
// any message becomes the FitError's PostFilterMsg. A non-nil result with
// an empty node clears the pod's nomination.
type PostFilterPlugin interface {
	Plugin
	PostFilter(ctx context.Context, state *CycleState, pod *corev1.Pod, fw *Framework, snapshot *Snapshot, statuses NodeToStatus) (*PostFilterResult, *Status)
}

// Nominator knows the pods nominated to a node by preemption: they are
// counted there, by pods of lower or equal priority, as if already bound.
type Nominator interface {
	NominatedPodsForNode(node string) []*PodInfo
}

// PreScorePlugin runs once before Score; Skip has the plugin's Score not
// called for this pod.
type PreScorePlugin interface {
	Plugin
	PreScore(ctx context.Context, state *CycleState, pod *corev1.Pod, nodes []*NodeInfo) *Status
}

// NodeScore is one node's score.
type NodeScore struct {
	Name  string
	Score int64
}

// ScorePlugin ranks a feasible node. Score runs concurrently for different
// nodes. Scores must be in [MinNodeScore, MaxNodeScore] after
// NormalizeScore, if the plugin is a ScoreNormalizer.
type ScorePlugin interface {
	Plugin
	Score(ctx context.Context, state *CycleState, pod *corev1.Pod, node *NodeInfo) (int64, *Status)
}

// ScoreNormalizer rescales a Score plugin's scores once all nodes are
// scored.
type ScoreNormalizer interface {
	NormalizeScore(ctx context.Context, state *CycleState, pod *corev1.Pod, scores []NodeScore) *Status
}

// DefaultNormalizeScore scales scores to [0, maxPriority] by the highest
// one, reversed if reverse is set (more of something is worse).
func DefaultNormalizeScore(maxPriority int64, reverse bool, scores []NodeScore) {
	var highest int64
	for _, s := range scores {
		highest = max(highest, s.Score)
	}
	if highest == 0 {
		if reverse {
			for i := range scores {
				scores[i].Score = maxPriority
			}
		}
		return
	}
	for i := range scores {
		s := maxPriority * scores[i].Score / highest
		if reverse {
			s = maxPriority - s
		}
		scores[i].Score = s
	}
}

// ReservePlugin holds what a pod needs on its chosen node while the pod is
// being bound (the volume binder's assumed volumes), so that the next
// scheduling cycles see it taken. Reserve runs in the scheduling cycle once
// the node is chosen; Unreserve undoes it when Reserve or the binding cycle
// fails, for every Reserve plugin in reverse order, including the one that
// failed and those that never ran: it must be idempotent.
type ReservePlugin interface {
	Plugin
	Reserve(ctx context.Context, state *CycleState, pod *corev1.Pod, nodeName string) *Status
	Unreserve(ctx context.Context, state *CycleState, pod *corev1.Pod, nodeName string)
}

// PreBindPlugin runs in the binding cycle, before the pod is bound: it
// makes the API writes the binding needs (volumes bound or provisioned) and
// may wait for them. A failure unreserves the pod and schedules it again.
type PreBindPlugin interface {
	Plugin
	// PreBindPreFlight says, at once and without API calls, whether PreBind
	// has work for this pod on this node: Skip if not, Success if so. The
	// scheduler binds a pod without PreBind work at once, and lets one with
	// work wait without holding up the others.
	PreBindPreFlight(ctx context.Context, state *CycleState, pod *corev1.Pod, nodeName string) *Status
	PreBind(ctx context.Context, state *CycleState, pod *corev1.Pod, nodeName string) *Status
}

// EventResource is what a cluster event is about.
type EventResource string

// The resources whose events can make an unschedulable pod schedulable.
const (
	// Node: a node was added or changed.
	Node EventResource = "Node"
	// AssignedPod: a pod bound to a node was added, changed or deleted.
	AssignedPod EventResource = "AssignedPod"
	// PersistentVolumeClaim, PersistentVolume and StorageClass: volume
	// binding's inputs. The scheduler watches them only when a plugin
	// registers events about them.
	PersistentVolumeClaim EventResource = "PersistentVolumeClaim"
	PersistentVolume      EventResource = "PersistentVolume"
	StorageClass          EventResource = "storage.k8s.io/StorageClass"
	// WildCard matches every resource; the queue uses it to flush.
	WildCard EventResource = "*"
)

// ActionType is a bit set of what happened.
type ActionType uint64

// Actions; a node update is split by what changed, so a plugin is asked
// only about the changes that matter to it.
const (
	Add ActionType = 1 << iota
	Delete
	UpdateNodeAllocatable
	UpdateNodeLabel
	UpdateNodeTaint
	UpdateNodeCondition
	UpdateNodeAnnotation
	UpdatePodLabel
	UpdatePodScaleDown

	UpdateNode = UpdateNodeAllocatable | UpdateNodeLabel | UpdateNodeTaint | UpdateNodeCondition | UpdateNodeAnnotation
	UpdatePod  = UpdatePodLabel | UpdatePodScaleDown
	Update     = UpdateNode | UpdatePod
	All        = Add | Delete | Update
)

// ClusterEvent is a resource and what happened to it.
type ClusterEvent struct {
	Resource   EventResource
	ActionType ActionType
	// Label names the event in logs.
	Label string
}

// Match reports whether registered (the receiver) covers incoming.
func (ce ClusterEvent) Match(incoming ClusterEvent) bool {
	if ce.Resource != WildCard && incoming.Resource != WildCard && ce.Resource != incoming.Resource {
		return false
	}
	return ce.ActionType&incoming.ActionType != 0
}

func (ce ClusterEvent) String() string {
	if ce.Label != "" {
		return ce.Label
	}
	return fmt.Sprintf("%s/%b", ce.Resource, ce.ActionType)
}

// QueueingHint says whether an event may make a rejected pod schedulable.
type QueueingHint int

const (
	// QueueSkip: the event does not help the pod.
	QueueSkip QueueingHint = iota
	// Queue: retry the pod.
	Queue
)

// QueueingHintFn tells, for an event (old and new objects; either may be
// nil), whether a pod the plugin rejected is worth retrying. A nil fn means
// Queue.
type QueueingHintFn func(logger klog.Logger, pod *corev1.Pod, oldObj, newObj any) (QueueingHint, error)

// ClusterEventWithHint is an event a plugin cares about.
type ClusterEventWithHint struct {
	Event          ClusterEvent
	QueueingHintFn QueueingHintFn
}

// EnqueueExtensions lists the events after which a pod the plugin rejected
// should be retried. A rejecting plugin that does not implement it has its
// pods retried on every event.
type EnqueueExtensions interface {
	Plugin
	EventsToRegister(ctx context.Context) []ClusterEventWithHint
}

// StateKey names a value in the CycleState.
type StateKey string

// CycleState carries what plugins compute in one pass from PreFilter or
// PreScore to Filter or Score. Writes happen before the concurrent
// Filter/Score calls, which only read.
type CycleState struct {
	// values is a short list searched in order: a pass holds a handful,
	// read once per node and plugin, where a map's hashing costs more.
	values []stateEntry
	// filters and scorers are the plugins left after PreFilter and
	// PreScore skips, set by the framework.
	filters []FilterPlugin
	// skipPreBind are the PreBind plugins whose PreBindPreFlight said Skip.
	skipPreBind sets.Set[string]
	// snapshot is the one the pass reads.
	snapshot *Snapshot
}

type stateEntry struct {
	key   StateKey
	value any
}

// NewCycleState returns an empty state.
func NewCycleState() *CycleState { return &CycleState{} }

// Write stores a value.
func (s *CycleState) Write(key StateKey, v any) {
	for i := range s.values {
		if s.values[i].key == key {
			s.values[i].value = v
			return
		}
	}
	s.values = append(s.values, stateEntry{key, v})
}

// Read returns the value stored under key.
func (s *CycleState) Read(key StateKey) (any, error) {
	for i := range s.values {
		if s.values[i].key == key {
			return s.values[i].value, nil
		}
	}
	return nil, fmt.Errorf("no %q in cycle state", key)
}

// Clone copies the state (the values are shared: they are not changed
// after their PreFilter).
func (s *CycleState) Clone() *CycleState {
	return &CycleState{values: append([]stateEntry(nil), s.values...), filters: s.filters, skipPreBind: s.skipPreBind, snapshot: s.snapshot}
}

// SetSnapshot records the snapshot the pass reads; the framework does so
// before PreFilter.
func (s *CycleState) SetSnapshot(snap *Snapshot) { s.snapshot = snap }

// Snapshot is the snapshot the pass reads, nil if none was set (a plugin
// called alone, in a test): plugins that count over the whole cluster, as
// kube-scheduler's do through its snapshot lister, read every node there,
// and not only the ones they are given.
func (s *CycleState) Snapshot() *Snapshot { return s.snapshot }

// Handle is what a plugin may reach beyond the snapshot. It may be nil in
// tests.
type Handle interface {
	// SharedInformerFactory gives listers of other objects (namespaces,
	// PodDisruptionBudgets...).
	SharedInformerFactory() informers.SharedInformerFactory
}

// ClientHandle is the handle of a running scheduler: plugins that write
// (VolumeBinding's PreBind) reach the API server through it. Plugins built
// with a plain Handle (or nil, in tests) go without.
type ClientHandle interface {
	Handle
	ClientSet() kubernetes.Interface
}

// Factory builds a plugin.
type Factory func(h Handle) (Plugin, error)

// Registry maps plugin names to factories.
type Registry map[string]Factory

// PluginRef enables a plugin in a profile; Weight multiplies its score.
type PluginRef struct {
	Name   string
	Weight int64
}

// Profile is a scheduler's configuration: the pods it takes and the plugins
// it runs on them.
type Profile struct {
	// SchedulerName is the spec.schedulerName of the pods to schedule.
	SchedulerName string
	// Plugins in the order each extension point runs them.
	Plugins []PluginRef
	// PercentageOfNodesToScore caps how many feasible nodes a pass looks
	// for, as kube-scheduler's option; 0 is adaptive (50% at 100 nodes,
	// down to 5% at 5,625 nodes and more, never fewer than 100 nodes).
	PercentageOfNodesToScore int32
	// Parallelism is how many goroutines filter and score; 0 means
	// GOMAXPROCS.
	Parallelism int
}
