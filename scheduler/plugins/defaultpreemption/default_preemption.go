package defaultpreemption

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	policylisters "k8s.io/client-go/listers/policy/v1"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/scheduler/framework"
)

const (
	// Name is the plugin's name in the registry.
	Name = "DefaultPreemption"

	// kube-scheduler's DefaultPreemptionArgs: dry-run at least this many
	// candidate nodes, or this percentage of the nodes.
	minCandidateNodesPercentage = 10
	minCandidateNodesAbsolute   = 100

	reasonNotHelpful = "Preemption is not helpful for scheduling"
	reasonNoVictims  = "No preemption victims found for incoming pod"
)

// DefaultPreemption chooses victims for a pod that fits nowhere.
type DefaultPreemption struct {
	pdbs policylisters.PodDisruptionBudgetLister // nil: no budgets known
}

var _ framework.PostFilterPlugin = &DefaultPreemption{}

// New builds the plugin; with a handle it watches PodDisruptionBudgets.
func New(h framework.Handle) (framework.Plugin, error) {
	pl := &DefaultPreemption{}
	if h != nil && h.SharedInformerFactory() != nil {
		pl.pdbs = h.SharedInformerFactory().Policy().V1().PodDisruptionBudgets().Lister()
	}
	return pl, nil
}

// Name returns the plugin's name.
func (*DefaultPreemption) Name() string { return Name }

// candidate is a node and the pods to evict from it.
type candidate struct {
	node          string
	victims       []*corev1.Pod // most important first
	pdbViolations int
}

// PostFilter finds the best node to preempt on, if any. Its messages are
// kube-scheduler's, prefixed "preemption: ".
func (pl *DefaultPreemption) PostFilter(ctx context.Context, state *framework.CycleState, pod *corev1.Pod, fw *framework.Framework, snapshot *framework.Snapshot, statuses framework.NodeToStatus) (*framework.PostFilterResult, *framework.Status) {
	logger := klog.FromContext(ctx)
	if ok, msg := eligible(pod, snapshot, statuses); !ok {
		logger.V(5).Info("Pod is not eligible for preemption", "pod", klog.KObj(pod), "reason", msg)
		return nil, framework.NewStatus(framework.Unschedulable, "preemption: "+msg)
	}

	all := snapshot.Nodes()
	var potential []*framework.NodeInfo
	for _, ni := range all {
		if statuses.Get(ni.Node().Name).Code() == framework.Unschedulable {
			potential = append(potential, ni)
		}
	}
	dryRun := framework.NewNodeToStatus()
	var candidates []candidate
	if len(potential) > 0 {
		pdbs, err := pl.listPDBs()
		if err != nil {
			return nil, framework.AsStatus(fmt.Errorf("preemption: list PodDisruptionBudgets: %w", err))
		}
		candidates = dryRunPreemption(ctx, fw, state, pod, potential, pdbs, dryRun)
	}
	if len(candidates) == 0 {
		// Nodes not dry-run were turned down for good by the filters.
		dryRun.Absent = framework.NewStatus(framework.UnschedulableAndUnresolvable, reasonNotHelpful)
		fe := &framework.FitError{Pod: pod, NumAllNodes: len(all), Diagnosis: framework.Diagnosis{NodeToStatus: dryRun}}
		logger.V(2).Info("No preemption candidate is found; preemption is not helpful for scheduling", "pod", klog.KObj(pod))
		// A non-nil result clears a nomination that no longer holds.
		return &framework.PostFilterResult{}, framework.NewStatus(framework.Unschedulable, "preemption: "+fe.Error())
	}
	best := pickOne(candidates)
	logger.V(2).Info("Preemption target chosen", "pod", klog.KObj(pod), "node", best.node, "victims", len(best.victims))
	return &framework.PostFilterResult{NominatedNode: best.node, Victims: best.victims},
		framework.NewStatus(framework.Success, fmt.Sprintf("preemption: found a potential placement for pod on node %v, preempting %d victims", best.node, len(best.victims)))
}

// eligible is kube-scheduler's PodEligibleToPreemptOthers: not with
// preemptionPolicy Never, nor while a victim of an earlier preemption is
// still terminating on the pod's nominated node.
func eligible(pod *corev1.Pod, snapshot *framework.Snapshot, statuses framework.NodeToStatus) (bool, string) {
	if pod.Spec.PreemptionPolicy != nil && *pod.Spec.PreemptionPolicy == corev1.PreemptNever {
		return false, "not eligible due to preemptionPolicy=Never."
	}
	name := pod.Status.NominatedNodeName
	if name == "" || statuses.Get(name).Code() == framework.UnschedulableAndUnresolvable {
		return true, ""
	}
	if ni := snapshot.Get(name); ni != nil {
		for _, p := range ni.Pods {
			if framework.PodPriority(p.Pod) < framework.PodPriority(pod) && terminatingByPreemption(p.Pod) {
				return false, "not eligible due to a terminating pod on the nominated node."
			}
		}
	}
	return true, ""
}

func terminatingByPreemption(pod *corev1.Pod) bool {
	if pod.DeletionTimestamp == nil {
		return false
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.DisruptionTarget && c.Status == corev1.ConditionTrue && c.Reason == corev1.PodReasonPreemptionByScheduler {
			return true
		}
	}
	return false
}

func (pl *DefaultPreemption) listPDBs() ([]*policyv1.PodDisruptionBudget, error) {
	if pl.pdbs == nil {
		return nil, nil
	}
	return pl.pdbs.List(labels.Everything())
}

// dryRunPreemption tries the potential nodes from a random offset until it
// has enough candidates that violate no budget, recording why the others
// would not do.
func dryRunPreemption(ctx context.Context, fw *framework.Framework, state *framework.CycleState, pod *corev1.Pod, potential []*framework.NodeInfo, pdbs []*policyv1.PodDisruptionBudget, statuses framework.NodeToStatus) []candidate {
	n := len(potential)
	want := min(max(n*minCandidateNodesPercentage/100, minCandidateNodesAbsolute), n)
	offset := rand.IntN(n)
	var nonViolating, violating []candidate
	for i := 0; i < n && len(nonViolating) < want; i++ {
		ni := potential[(offset+i)%n]
		c, s := selectVictimsOnNode(ctx, fw, state, pod, ni, pdbs)
		if !s.IsSuccess() {
			statuses.Nodes[ni.Node().Name] = s
			continue
		}
		if c.pdbViolations == 0 {
			nonViolating = append(nonViolating, c)
		} else {
			violating = append(violating, c)
		}
	}
	return append(nonViolating, violating...)
}

// selectVictimsOnNode finds the fewest, least important pods whose eviction
// makes the pod fit the node: it removes every pod of lower priority, checks
// the pod fits, then gives back as many as still leave it fitting, the most
// important first and those a budget protects before the others.
func selectVictimsOnNode(ctx context.Context, fw *framework.Framework, state *framework.CycleState, pod *corev1.Pod, node *framework.NodeInfo, pdbs []*policyv1.PodDisruptionBudget) (candidate, *framework.Status) {
	ni := node.Clone()
	var potential []*framework.PodInfo
	for _, p := range node.Pods {
		if framework.PodPriority(p.Pod) < framework.PodPriority(pod) {
			potential = append(potential, p)
			if err := ni.RemovePod(p.Pod.UID); err != nil {
				return candidate{}, framework.AsStatus(err)
			}
		}
	}
	if len(potential) == 0 {
		return candidate{}, framework.NewStatus(framework.UnschedulableAndUnresolvable, reasonNoVictims)
	}
	if s := fw.RunFilterPluginsWithNominatedPods(ctx, state, pod, ni); !s.IsSuccess() {
		return candidate{}, s
	}
	sort.SliceStable(potential, func(i, j int) bool { return moreImportant(potential[i].Pod, potential[j].Pod) })
	violating, nonViolating := splitByPDBViolation(potential, pdbs)
	c := candidate{node: node.Node().Name}
	reprieve := func(p *framework.PodInfo) (bool, error) {
		ni.AddPodInfo(p)
		if fw.RunFilterPluginsWithNominatedPods(ctx, state, pod, ni).IsSuccess() {
			return true, nil
		}
		if err := ni.RemovePod(p.Pod.UID); err != nil {
			return false, err
		}
		c.victims = append(c.victims, p.Pod)
		return false, nil
	}
	for _, p := range violating {
		fits, err := reprieve(p)
		if err != nil {
			return candidate{}, framework.AsStatus(err)
		}
		if !fits {
			c.pdbViolations++
		}
	}
	for _, p := range nonViolating {
		if _, err := reprieve(p); err != nil {
			return candidate{}, framework.AsStatus(err)
		}
	}
	if len(c.victims) == 0 {
		// It fits with every pod back: nothing to preempt for (the
		// filters' inputs changed under the pass).
		return candidate{}, framework.NewStatus(framework.UnschedulableAndUnresolvable, reasonNoVictims)
	}
	sort.SliceStable(c.victims, func(i, j int) bool { return moreImportant(c.victims[i], c.victims[j]) })
	return c, nil
}

// moreImportant: higher priority, then running longer.
func moreImportant(a, b *corev1.Pod) bool {
	pa, pb := framework.PodPriority(a), framework.PodPriority(b)
	if pa != pb {
		return pa > pb
	}
	return startTime(a).Before(startTime(b))
}

func startTime(p *corev1.Pod) time.Time {
	if p.Status.StartTime != nil {
		return p.Status.StartTime.Time
	}
	return time.Now()
}

// splitByPDBViolation splits pods by whether evicting them all would break
// a budget: a budget allows DisruptionsAllowed evictions of the pods it
// selects in its namespace, not counting pods it already lists as
// disrupted.
func splitByPDBViolation(pods []*framework.PodInfo, pdbs []*policyv1.PodDisruptionBudget) (violating, nonViolating []*framework.PodInfo) {
	allowed := make([]int32, len(pdbs))
	selectors := make([]labels.Selector, len(pdbs))
	for i, pdb := range pdbs {
		allowed[i] = pdb.Status.DisruptionsAllowed
		if s, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector); err == nil && !s.Empty() {
			selectors[i] = s
		}
	}
	for _, p := range pods {
		violates := false
		for i, pdb := range pdbs {
			if pdb.Namespace != p.Pod.Namespace || selectors[i] == nil || !selectors[i].Matches(labels.Set(p.Pod.Labels)) {
				continue
			}
			if _, disrupted := pdb.Status.DisruptedPods[p.Pod.Name]; disrupted {
				continue
			}
			allowed[i]--
			if allowed[i] < 0 {
				violates = true
			}
		}
		if violates {
			violating = append(violating, p)
		} else {
			nonViolating = append(nonViolating, p)
		}
	}
	return violating, nonViolating
}

// pickOne applies kube-scheduler's criteria in turn until one node is
// left: fewest budget violations, lowest most important victim, lowest sum
// of victim priorities, fewest victims, latest start of the most important
// victims.
func pickOne(cands []candidate) candidate {
	scores := []func(c candidate) int64{
		func(c candidate) int64 { return -int64(c.pdbViolations) },
		func(c candidate) int64 { return -int64(framework.PodPriority(c.victims[0])) },
		func(c candidate) int64 {
			var sum int64
			for _, v := range c.victims {
				sum += int64(framework.PodPriority(v)) + int64(math.MaxInt32+1)
			}
			return -sum
		},
		func(c candidate) int64 { return -int64(len(c.victims)) },
		func(c candidate) int64 {
			top := framework.PodPriority(c.victims[0])
			earliest := startTime(c.victims[0])
			for _, v := range c.victims {
				if framework.PodPriority(v) == top && startTime(v).Before(earliest) {
					earliest = startTime(v)
				}
			}
			return earliest.UnixNano()
		},
	}
	for _, score := range scores {
		var best []candidate
		bestScore := int64(math.MinInt64)
		for _, c := range cands {
			switch s := score(c); {
			case s > bestScore:
				bestScore, best = s, []candidate{c}
			case s == bestScore:
				best = append(best, c)
			}
		}
		if len(best) == 1 {
			return best[0]
		}
		cands = best
	}
	return cands[0]
}
