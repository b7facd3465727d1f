package framework

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/klog/v2"
)

// ErrNoNodesAvailable is kube-scheduler's error, and event message, when the
// cluster has no nodes at all.
var ErrNoNodesAvailable = errors.New("no nodes available to schedule pods")

const (
	// minFeasibleNodesToFind: a pass looks at every node of a cluster this
	// small, and for at least this many feasible nodes in a larger one.
	minFeasibleNodesToFind = 100
	// minFeasibleNodesPercentageToFind floors the adaptive percentage.
	minFeasibleNodesPercentageToFind = 5
)

// Framework runs the plugins of one profile. Schedule is not safe for
// concurrent use (it keeps the round-robin start position, as
// kube-scheduler does); the scheduler runs one pass at a time.
type Framework struct {
	profile     Profile
	parallelism int

	preEnqueue []PreEnqueuePlugin
	preFilter  []PreFilterPlugin
	filter     []FilterPlugin
	postFilter []PostFilterPlugin
	preScore   []PreScorePlugin
	score      []ScorePlugin
	weights    []int64
	reserve    []ReservePlugin
	preBind    []PreBindPlugin
	// enqueue has every plugin that can reject a pod; a nil list means the
	// plugin does not say which events help, so every event does.
	enqueue map[string][]ClusterEventWithHint

	nominator Nominator

	nextStartNodeIndex int
	rand               *rand.Rand
	// Buffers reused from pass to pass (passes do not overlap), so a pass
	// allocates little.
	feasibleBuf []*NodeInfo
	statusBuf   []*Status
	scoreBuf    [][]NodeScore
	totalBuf    []int64
}

// SetNominator has the filters count the pods nominated to each node.
func (f *Framework) SetNominator(n Nominator) { f.nominator = n }

// New builds the profile's plugins from the registry.
func New(ctx context.Context, registry Registry, profile Profile, h Handle) (*Framework, error) {
	f := &Framework{
		profile:     profile,
		parallelism: profile.Parallelism,
		enqueue:     map[string][]ClusterEventWithHint{},
		rand:        rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
	}
	if f.parallelism <= 0 {
		f.parallelism = runtime.GOMAXPROCS(0)
	}
	seen := sets.New[string]()
	for _, ref := range profile.Plugins {
		if seen.Has(ref.Name) {
			return nil, fmt.Errorf("plugin %q enabled twice", ref.Name)
		}
		seen.Insert(ref.Name)
		factory, ok := registry[ref.Name]
		if !ok {
			return nil, fmt.Errorf("plugin %q is not registered", ref.Name)
		}
		p, err := factory(h)
		if err != nil {
			return nil, fmt.Errorf("build plugin %q: %w", ref.Name, err)
		}
		if p, ok := p.(PreEnqueuePlugin); ok {
			f.preEnqueue = append(f.preEnqueue, p)
		}
		if p, ok := p.(PreFilterPlugin); ok {
			f.preFilter = append(f.preFilter, p)
		}
		if p, ok := p.(FilterPlugin); ok {
			f.filter = append(f.filter, p)
		}
		if p, ok := p.(PostFilterPlugin); ok {
			f.postFilter = append(f.postFilter, p)
		}
		if p, ok := p.(PreScorePlugin); ok {
			f.preScore = append(f.preScore, p)
		}
		if p, ok := p.(ScorePlugin); ok {
			w := ref.Weight
			if w == 0 {
				w = 1
			}
			f.score = append(f.score, p)
			f.weights = append(f.weights, w)
		}
		if p, ok := p.(ReservePlugin); ok {
			f.reserve = append(f.reserve, p)
		}
		if p, ok := p.(PreBindPlugin); ok {
			f.preBind = append(f.preBind, p)
		}
		_, pe := p.(PreEnqueuePlugin)
		_, pf := p.(PreFilterPlugin)
		_, fi := p.(FilterPlugin)
		if pe || pf || fi {
			var events []ClusterEventWithHint
			if ext, ok := p.(EnqueueExtensions); ok {
				events = ext.EventsToRegister(ctx)
				if events == nil {
					events = []ClusterEventWithHint{}
				}
			}
			f.enqueue[p.Name()] = events
		}
	}
	return f, nil
}

// SchedulerName is the profile's scheduler name.
func (f *Framework) SchedulerName() string { return f.profile.SchedulerName }

// Watches reports whether a plugin registered events about resource: the
// scheduler watches PersistentVolumeClaims and the like only then.
func (f *Framework) Watches(resource EventResource) bool {
	for _, events := range f.enqueue {
		for _, e := range events {
			if e.Event.Resource == resource {
				return true
			}
		}
	}
	return false
}

// RunPreEnqueuePlugins reports whether the pod may enter the active queue;
// the first objection is returned with its plugin.
func (f *Framework) RunPreEnqueuePlugins(ctx context.Context, pod *corev1.Pod) *Status {
	for _, p := range f.preEnqueue {
		if s := p.PreEnqueue(ctx, pod); !s.IsSuccess() {
			return withPlugin(s, p.Name())
		}
	}
	return nil
}

// IsSchedulableAfter reports whether event may make a pod that the plugins
// in rejectors turned down schedulable. With no rejector recorded (the
// pass failed with an error) every event may.
func (f *Framework) IsSchedulableAfter(logger klog.Logger, pod *corev1.Pod, rejectors sets.Set[string], event ClusterEvent, oldObj, newObj any) bool {
	if len(rejectors) == 0 || event.Resource == WildCard {
		return true
	}
	for name := range rejectors {
		events, known := f.enqueue[name]
		if !known || events == nil {
			return true
		}
		for _, e := range events {
			if !e.Event.Match(event) {
				continue
			}
			if e.QueueingHintFn == nil {
				return true
			}
			hint, err := e.QueueingHintFn(logger, pod, oldObj, newObj)
			if err != nil {
				logger.Error(err, "Queueing hint failed; retrying the pod", "plugin", name, "event", event, "pod", klog.KObj(pod))
				return true
			}
			if hint == Queue {
				return true
			}
		}
	}
	return false
}

// ScheduleResult is where a pass put the pod.
type ScheduleResult struct {
	// Node is the chosen node.
	Node string
	// Evaluated is how many nodes the filters ran on; Feasible how many
	// passed.
	Evaluated, Feasible int
}

// Diagnosis records why nodes were turned down.
type Diagnosis struct {
	NodeToStatus NodeToStatus
	// UnschedulablePlugins are the plugins that rejected the pod somewhere;
	// only events they care about retry it.
	UnschedulablePlugins sets.Set[string]
	// PreFilterMsg is set when a PreFilter plugin rejected the pod for every
	// node.
	PreFilterMsg string
	// PostFilterMsg is what preemption said.
	PostFilterMsg string
}

func (d *Diagnosis) addPluginStatus(s *Status) {
	if s.Plugin() == "" || !s.IsRejected() {
		return
	}
	if d.UnschedulablePlugins == nil {
		d.UnschedulablePlugins = sets.New[string]()
	}
	d.UnschedulablePlugins.Insert(s.Plugin())
}

// NodeToStatus is the status of each node a pass turned down.
type NodeToStatus struct {
	Nodes map[string]*Status
	// Absent is the status of the nodes not in Nodes (ruled out before
	// Filter); UnschedulableAndUnresolvable unless set.
	Absent *Status
}

// NewNodeToStatus returns an empty map whose absent nodes are
// UnschedulableAndUnresolvable.
func NewNodeToStatus() NodeToStatus {
	return NodeToStatus{Nodes: map[string]*Status{}, Absent: NewStatus(UnschedulableAndUnresolvable)}
}

// Get returns a node's status.
func (m NodeToStatus) Get(name string) *Status {
	if s, ok := m.Nodes[name]; ok {
		return s
	}
	return m.Absent
}

// FitError is the answer when no node fits. Its message is kube-scheduler's:
// "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated
// taint(s). preemption: ...".
type FitError struct {
	Pod         *corev1.Pod
	NumAllNodes int
	Diagnosis   Diagnosis
	// PostFilterResult is preemption's decision, if it made one.
	PostFilterResult *PostFilterResult
}

// Error counts the reasons over the nodes, sorted, as kube-scheduler does.
func (f *FitError) Error() string {
	msg := fmt.Sprintf("0/%v nodes are available:", f.NumAllNodes)
	if f.Diagnosis.PreFilterMsg != "" {
		msg += " " + f.Diagnosis.PreFilterMsg + "."
	} else if h := ReasonHistogram(f.NumAllNodes, f.Diagnosis.NodeToStatus); h != "" {
		msg += " " + h + "."
	}
	if f.Diagnosis.PostFilterMsg != "" {
		msg += " " + f.Diagnosis.PostFilterMsg
	}
	return msg
}

// ReasonHistogram is "1 Insufficient cpu, 2 node(s) were unschedulable":
// each reason with the number of nodes that gave it, sorted as strings,
// the nodes absent from m counted with m.Absent's reasons.
func ReasonHistogram(numAllNodes int, m NodeToStatus) string {
	counts := map[string]int{}
	for _, s := range m.Nodes {
		for _, r := range s.Reasons() {
			counts[r]++
		}
	}
	if absent := numAllNodes - len(m.Nodes); absent > 0 {
		for _, r := range m.Absent.Reasons() {
			counts[r] += absent
		}
	}
	parts := make([]string, 0, len(counts))
	for r, n := range counts {
		parts = append(parts, fmt.Sprintf("%v %v", n, r))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// Schedule runs one pass for pod over snapshot: PreFilter, Filter on enough
// nodes, PostFilter when none fits, PreScore and Score, and the choice of
// the best node (ties broken at random). It returns a *FitError when the
// pod fits nowhere, ErrNoNodesAvailable when there are no nodes, and other
// errors for plugin failures.
func (f *Framework) Schedule(ctx context.Context, pod *corev1.Pod, snapshot *Snapshot) (ScheduleResult, error) {
	return f.SchedulePod(ctx, NewCycleState(), pod, snapshot)
}

// SchedulePod is Schedule with the cycle state given: the scheduler keeps it
// for the Reserve, PreBind and Unreserve calls of the pod's binding.
func (f *Framework) SchedulePod(ctx context.Context, state *CycleState, pod *corev1.Pod, snapshot *Snapshot) (ScheduleResult, error) {
	state.SetSnapshot(snapshot)
	all := snapshot.Nodes()
	if len(all) == 0 {
		return ScheduleResult{}, ErrNoNodesAvailable
	}
	diagnosis := Diagnosis{NodeToStatus: NewNodeToStatus()}
	fitError := func() error {
		fe := &FitError{Pod: pod, NumAllNodes: len(all), Diagnosis: diagnosis}
		for _, p := range f.postFilter {
			result, s := p.PostFilter(ctx, state, pod, f, snapshot, diagnosis.NodeToStatus)
			if s.Code() == Error {
				klog.FromContext(ctx).Error(s.AsError(), "PostFilter failed", "plugin", p.Name(), "pod", klog.KObj(pod))
			}
			if msg := s.Message(); msg != "" {
				fe.Diagnosis.PostFilterMsg = msg
			}
			if result != nil {
				fe.PostFilterResult = result
			}
			if s.IsSuccess() {
				break
			}
		}
		return fe
	}

	result, pluginsWithNodes, s := f.runPreFilter(ctx, state, pod, all)
	if !s.IsSuccess() {
		if !s.IsRejected() {
			return ScheduleResult{}, s.AsError()
		}
		diagnosis.NodeToStatus.Absent = s
		diagnosis.PreFilterMsg = s.Message()
		diagnosis.addPluginStatus(s)
		for p := range pluginsWithNodes {
			diagnosis.addPluginStatus(NewStatus(UnschedulableAndUnresolvable).WithPlugin(p))
		}
		return ScheduleResult{}, fitError()
	}

	// A pod that preempted others waits for its nominated node: try it
	// first, and take it if it fits.
	if name := pod.Status.NominatedNodeName; name != "" {
		if ni := snapshot.Get(name); ni != nil && (result.AllNodes() || result.NodeNames.Has(name)) {
			if s := f.RunFilterPluginsWithNominatedPods(ctx, state, pod, ni); s.IsSuccess() {
				return ScheduleResult{Node: name, Evaluated: 1, Feasible: 1}, nil
			} else if !s.IsRejected() {
				return ScheduleResult{}, s.AsError()
			}
		}
	}

	nodes := all
	if !result.AllNodes() {
		nodes = make([]*NodeInfo, 0, len(result.NodeNames))
		for _, name := range sets.List(result.NodeNames) {
			if ni := snapshot.Get(name); ni != nil {
				nodes = append(nodes, ni)
			}
		}
		diagnosis.NodeToStatus.Absent = NewStatus(UnschedulableAndUnresolvable, fmt.Sprintf("node(s) didn't satisfy plugin(s) %v", sets.List(pluginsWithNodes)))
		for p := range pluginsWithNodes {
			diagnosis.addPluginStatus(NewStatus(UnschedulableAndUnresolvable).WithPlugin(p))
		}
	}
	feasible, err := f.findNodesThatPassFilters(ctx, state, pod, &diagnosis, nodes)
	processed := len(feasible) + len(diagnosis.NodeToStatus.Nodes)
	f.nextStartNodeIndex = (f.nextStartNodeIndex + processed) % len(all)
	if err != nil {
		return ScheduleResult{}, err
	}
	if len(feasible) == 0 {
		return ScheduleResult{}, fitError()
	}
	res := ScheduleResult{Evaluated: processed, Feasible: len(feasible)}
	if len(feasible) == 1 {
		res.Node = feasible[0].Node().Name
		return res, nil
	}
	totals, err := f.runScore(ctx, state, pod, feasible)
	if err != nil {
		return ScheduleResult{}, err
	}
	res.Node = f.selectHost(feasible, totals)
	return res, nil
}

// runPreFilter runs every PreFilter plugin. An UnschedulableAndUnresolvable
// answer stops at once; an Unschedulable one lets the others run (their
// state is needed if preemption runs).
func (f *Framework) runPreFilter(ctx context.Context, state *CycleState, pod *corev1.Pod, nodes []*NodeInfo) (*PreFilterResult, sets.Set[string], *Status) {
	var result *PreFilterResult
	pluginsWithNodes := sets.New[string]()
	var rejected *Status
	var skip sets.Set[string]
	defer func() {
		state.filters = make([]FilterPlugin, 0, len(f.filter))
		for _, p := range f.filter {
			if !skip.Has(p.Name()) {
				state.filters = append(state.filters, p)
			}
		}
	}()
	for _, p := range f.preFilter {
		r, s := p.PreFilter(ctx, state, pod, nodes)
		if s.IsSkip() {
			if skip == nil {
				skip = sets.New[string]()
			}
			skip.Insert(p.Name())
			continue
		}
		if !s.IsSuccess() {
			s = withPlugin(s, p.Name())
			switch s.Code() {
			case UnschedulableAndUnresolvable:
				return nil, nil, s
			case Unschedulable:
				rejected = s
				continue
			default:
				return nil, nil, AsStatus(fmt.Errorf("run PreFilter plugin %q: %w", p.Name(), s.AsError())).WithPlugin(p.Name())
			}
		}
		if !r.AllNodes() {
			pluginsWithNodes.Insert(p.Name())
		}
		result = result.merge(r)
		if !result.AllNodes() && len(result.NodeNames) == 0 {
			msg := fmt.Sprintf("node(s) didn't satisfy plugin(s) %v simultaneously", sets.List(pluginsWithNodes))
			if len(pluginsWithNodes) == 1 {
				msg = fmt.Sprintf("node(s) didn't satisfy plugin %v", sets.List(pluginsWithNodes)[0])
			}
			return result, pluginsWithNodes, NewStatus(UnschedulableAndUnresolvable, msg)
		}
	}
	return result, pluginsWithNodes, rejected
}

// RunFilterPlugins runs the Filter plugins on one node, stopping at the
// first that turns it down.
func (f *Framework) RunFilterPlugins(ctx context.Context, state *CycleState, pod *corev1.Pod, node *NodeInfo) *Status {
	filters := state.filters
	if filters == nil {
		filters = f.filter // PreFilter did not run
	}
	for _, p := range filters {
		if s := p.Filter(ctx, state, pod, node); !s.IsSuccess() {
			if !s.IsRejected() {
				return AsStatus(fmt.Errorf("run Filter plugin %q: %w", p.Name(), s.AsError())).WithPlugin(p.Name())
			}
			return withPlugin(s, p.Name())
		}
	}
	return nil
}

// RunFilterPluginsWithNominatedPods runs the filters on the node as it will
// be once the pods nominated to it with at least the pod's priority are
// bound: room made by preemption is kept for the preemptor. If that passes,
// the filters run again on the node without them, as kube-scheduler does:
// pod affinity may be satisfied only by a nominated pod, which may yet not
// come.
func (f *Framework) RunFilterPluginsWithNominatedPods(ctx context.Context, state *CycleState, pod *corev1.Pod, node *NodeInfo) *Status {
	var added *NodeInfo
	if f.nominator != nil {
		for _, p := range f.nominator.NominatedPodsForNode(node.Node().Name) {
			if p.Pod.UID == pod.UID || PodPriority(p.Pod) < PodPriority(pod) {
				continue
			}
			if added == nil {
				added = node.Clone()
			}
			added.AddPodInfo(p)
		}
	}
	if added == nil {
		return f.RunFilterPlugins(ctx, state, pod, node)
	}
	if s := f.RunFilterPlugins(ctx, state, pod, added); !s.IsSuccess() {
		return s
	}
	return f.RunFilterPlugins(ctx, state, pod, node)
}

// PodPriority is the pod's spec.priority, 0 when unset.
func PodPriority(pod *corev1.Pod) int32 {
	if pod.Spec.Priority != nil {
		return *pod.Spec.Priority
	}
	return 0
}

// withPlugin returns a copy of s naming the plugin: plugins may return
// shared statuses.
func withPlugin(s *Status, name string) *Status {
	c := *s
	c.plugin = name
	return &c
}

// numFeasibleNodesToFind is kube-scheduler's: all nodes below 100, else a
// percentage (adaptive when 0) but at least 100.
func (f *Framework) numFeasibleNodesToFind(numAllNodes int) int {
	if numAllNodes < minFeasibleNodesToFind {
		return numAllNodes
	}
	percentage := int(f.profile.PercentageOfNodesToScore)
	if percentage == 0 {
		percentage = max(50-numAllNodes/125, minFeasibleNodesPercentageToFind)
	}
	return max(numAllNodes*percentage/100, minFeasibleNodesToFind)
}

// findNodesThatPassFilters filters nodes from the round-robin start until
// enough feasible ones are found, recording why the others fail.
func (f *Framework) findNodesThatPassFilters(ctx context.Context, state *CycleState, pod *corev1.Pod, diagnosis *Diagnosis, nodes []*NodeInfo) ([]*NodeInfo, error) {
	n := len(nodes)
	toFind := f.numFeasibleNodesToFind(n)
	if len(f.score) == 0 {
		toFind = 1
	}
	if len(f.filter) == 0 {
		out := make([]*NodeInfo, 0, toFind)
		for i := 0; i < toFind && i < n; i++ {
			out = append(out, nodes[(f.nextStartNodeIndex+i)%n])
		}
		return out, nil
	}
	feasible := grow(&f.feasibleBuf, toFind)
	statuses := grow(&f.statusBuf, n)
	var found atomic.Int32
	var stop atomic.Bool
	var firstErr error
	var errOnce sync.Once
	start := f.nextStartNodeIndex
	check := func(i int) {
		ni := nodes[(start+i)%n]
		s := f.RunFilterPluginsWithNominatedPods(ctx, state, pod, ni)
		switch {
		case s.IsSuccess():
			k := found.Add(1)
			if int(k) > toFind {
				stop.Store(true)
				found.Add(-1)
				return
			}
			feasible[k-1] = ni
			if int(k) == toFind {
				stop.Store(true)
			}
		case s.Code() == Error:
			errOnce.Do(func() { firstErr = s.AsError() })
			stop.Store(true)
		default:
			statuses[i] = s
		}
	}
	f.parallelize(n, check, &stop)
	for i, s := range statuses {
		if s != nil {
			diagnosis.NodeToStatus.Nodes[nodes[(start+i)%n].Node().Name] = s
			diagnosis.addPluginStatus(s)
		}
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return feasible[:found.Load()], nil
}

// grow returns (*buf)[:n] cleared, growing *buf if needed.
func grow[T any](buf *[]T, n int) []T {
	if cap(*buf) < n {
		*buf = make([]T, n)
	}
	s := (*buf)[:n]
	clear(s)
	return s
}

// parallelize calls fn(i) for i in [0, n) on f.parallelism goroutines, in
// chunks handed out in order, until done or stop is set. Nodes are handed
// out in order so that an early stop leaves the tail unvisited, as the
// round-robin start expects.
func (f *Framework) parallelize(n int, fn func(i int), stop *atomic.Bool) {
	workers := min(f.parallelism, n)
	if workers <= 1 || n < 32 {
		for i := 0; i < n && (stop == nil || !stop.Load()); i++ {
			fn(i)
		}
		return
	}
	chunk := max(1, min(16, n/(workers*4)))
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for stop == nil || !stop.Load() {
				lo := int(next.Add(int64(chunk))) - chunk
				if lo >= n {
					return
				}
				for i := lo; i < min(lo+chunk, n); i++ {
					fn(i)
				}
			}
		}()
	}
	wg.Wait()
}

// runScore runs PreScore, then every Score plugin on every node, normalizes
// and weighs the scores, and returns each node's total.
func (f *Framework) runScore(ctx context.Context, state *CycleState, pod *corev1.Pod, nodes []*NodeInfo) ([]int64, error) {
	var skip sets.Set[string]
	for _, p := range f.preScore {
		s := p.PreScore(ctx, state, pod, nodes)
		if s.IsSkip() {
			if skip == nil {
				skip = sets.New[string]()
			}
			skip.Insert(p.Name())
			continue
		}
		if !s.IsSuccess() {
			return nil, fmt.Errorf("run PreScore plugin %q: %w", p.Name(), s.AsError())
		}
	}
	var active []int
	for i, p := range f.score {
		if !skip.Has(p.Name()) {
			active = append(active, i)
		}
	}
	totals := grow(&f.totalBuf, len(nodes))
	if len(active) == 0 {
		return totals, nil
	}
	for len(f.scoreBuf) < len(active) {
		f.scoreBuf = append(f.scoreBuf, nil)
	}
	scores := f.scoreBuf[:len(active)]
	for j := range active {
		scores[j] = grow(&f.scoreBuf[j], len(nodes))
	}
	var failed atomic.Pointer[error]
	var stop atomic.Bool
	f.parallelize(len(nodes), func(i int) {
		ni := nodes[i]
		for j, k := range active {
			v, s := f.score[k].Score(ctx, state, pod, ni)
			if !s.IsSuccess() {
				err := fmt.Errorf("run Score plugin %q: %w", f.score[k].Name(), s.AsError())
				failed.CompareAndSwap(nil, &err)
				stop.Store(true)
				return
			}
			scores[j][i] = NodeScore{Name: ni.Node().Name, Score: v}
		}
	}, &stop)
	if err := failed.Load(); err != nil {
		return nil, *err
	}
	for j, k := range active {
		p := f.score[k]
		if n, ok := p.(ScoreNormalizer); ok {
			if s := n.NormalizeScore(ctx, state, pod, scores[j]); !s.IsSuccess() {
				return nil, fmt.Errorf("normalize scores of plugin %q: %w", p.Name(), s.AsError())
			}
		}
		for i, s := range scores[j] {
			if s.Score < MinNodeScore || s.Score > MaxNodeScore {
				return nil, fmt.Errorf("plugin %q scored node %q %d, out of [%d, %d]", p.Name(), s.Name, s.Score, MinNodeScore, MaxNodeScore)
			}
			totals[i] += s.Score * f.weights[k]
		}
	}
	return totals, nil
}

// selectHost picks the highest total, ties at random (reservoir sampling)
// so that equal nodes share the load.
func (f *Framework) selectHost(nodes []*NodeInfo, totals []int64) string {
	best, ties := 0, 1
	for i := 1; i < len(nodes); i++ {
		switch {
		case totals[i] > totals[best]:
			best, ties = i, 1
		case totals[i] == totals[best]:
			ties++
			if f.rand.IntN(ties) == 0 {
				best = i
			}
		}
	}
	return nodes[best].Node().Name
}

// RunReservePluginsReserve runs the Reserve plugins in order, stopping at
// the first that fails; a rejection keeps its code and names its plugin,
// an error is wrapped. The caller runs RunReservePluginsUnreserve on
// failure.
func (f *Framework) RunReservePluginsReserve(ctx context.Context, state *CycleState, pod *corev1.Pod, nodeName string) *Status {
	for _, p := range f.reserve {
		s := p.Reserve(ctx, state, pod, nodeName)
		if s.IsSuccess() {
			continue
		}
		if s.IsRejected() {
			return withPlugin(s, p.Name())
		}
		return AsStatus(fmt.Errorf("running Reserve plugin %q: %w", p.Name(), s.AsError())).WithPlugin(p.Name())
	}
	return nil
}

// RunReservePluginsUnreserve runs every Reserve plugin's Unreserve, in the
// reverse order of Reserve.
func (f *Framework) RunReservePluginsUnreserve(ctx context.Context, state *CycleState, pod *corev1.Pod, nodeName string) {
	for i := len(f.reserve) - 1; i >= 0; i-- {
		f.reserve[i].Unreserve(ctx, state, pod, nodeName)
	}
}

// RunPreBindPreFlights asks every PreBind plugin whether it has work for
// the pod: Success if one has, Skip if none has, an error status if one
// failed. The plugins that said Skip are left out of RunPreBindPlugins.
func (f *Framework) RunPreBindPreFlights(ctx context.Context, state *CycleState, pod *corev1.Pod, nodeName string) *Status {
	skip := sets.New[string]()
	result := NewStatus(Skip)
	for _, p := range f.preBind {
		s := p.PreBindPreFlight(ctx, state, pod, nodeName)
		switch s.Code() {
		case Success:
			result = nil
		case Skip:
			skip.Insert(p.Name())
		case Error:
			return AsStatus(fmt.Errorf("running PreBindPreFlight %q: %w", p.Name(), s.AsError())).WithPlugin(p.Name())
		default:
			return AsStatus(fmt.Errorf("PreBindPreFlight %s returned %q; only Success, Skip and Error are allowed", p.Name(), s.Code())).WithPlugin(p.Name())
		}
	}
	state.skipPreBind = skip
	return result
}

// RunPreBindPlugins runs the PreBind plugins in order (those whose
// preflight said Skip excepted), stopping at the first failure: a
// rejection keeps its code and names its plugin, an error reads as
// kube-scheduler's ("running PreBind plugin %q: ...").
func (f *Framework) RunPreBindPlugins(ctx context.Context, state *CycleState, pod *corev1.Pod, nodeName string) *Status {
	for _, p := range f.preBind {
		if state.skipPreBind.Has(p.Name()) {
			continue
		}
		s := p.PreBind(ctx, state, pod, nodeName)
		if s.IsSuccess() {
			continue
		}
		if s.IsRejected() {
			return withPlugin(s, p.Name())
		}
		return AsStatus(fmt.Errorf("running PreBind plugin %q: %w", p.Name(), s.AsError())).WithPlugin(p.Name())
	}
	return nil
}
