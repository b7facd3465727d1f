package interpodaffinity

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/scheduler/framework"
)

const (
	// Name is the plugin's name in the registry.
	Name = "InterPodAffinity"

	// kube-scheduler's reasons.
	ErrReasonExistingAntiAffinityRulesNotMatch = "node(s) didn't satisfy existing pods anti-affinity rules"
	ErrReasonAffinityRulesNotMatch             = "node(s) didn't match pod affinity rules"
	ErrReasonAntiAffinityRulesNotMatch         = "node(s) didn't match pod anti-affinity rules"

	// HardPodAffinityWeight is kube-scheduler's default
	// InterPodAffinityArgs.hardPodAffinityWeight: what an existing pod's
	// required affinity to the pod adds to the score of its topology.
	HardPodAffinityWeight int32 = 1

	preFilterStateKey framework.StateKey = "PreFilter" + Name
	preScoreStateKey  framework.StateKey = "PreScore" + Name
)

// skip is shared: most pods have nothing for the plugin, and the
// framework copies a status before naming its plugin.
var skip = framework.NewStatus(framework.Skip)

// InterPodAffinity filters and scores by pod affinity and anti-affinity.
type InterPodAffinity struct {
	// namespaces resolves namespaceSelectors; nil (no handle) resolves
	// them to no namespace.
	namespaces corelisters.NamespaceLister
}

var (
	_ framework.PreFilterPlugin   = &InterPodAffinity{}
	_ framework.FilterPlugin      = &InterPodAffinity{}
	_ framework.PreScorePlugin    = &InterPodAffinity{}
	_ framework.ScorePlugin       = &InterPodAffinity{}
	_ framework.ScoreNormalizer   = &InterPodAffinity{}
	_ framework.EnqueueExtensions = &InterPodAffinity{}
)

// New builds the plugin; with a handle it watches namespaces, for
// namespaceSelectors.
func New(h framework.Handle) (framework.Plugin, error) {
	pl := &InterPodAffinity{}
	if h != nil && h.SharedInformerFactory() != nil {
		pl.namespaces = h.SharedInformerFactory().Core().V1().Namespaces().Lister()
	}
	return pl, nil
}

// Name returns the plugin's name.
func (*InterPodAffinity) Name() string { return Name }

// mergeNamespaces turns a term's namespaceSelector into the names of the
// namespaces it selects now, as upstream does for the pod being scheduled:
// matching existing pods then needs no namespace labels. An empty
// selector (all namespaces) is kept as it is.
func (pl *InterPodAffinity) mergeNamespaces(t *framework.AffinityTerm) error {
	if t.NamespaceSelector.Empty() {
		return nil
	}
	selector := t.NamespaceSelector
	t.NamespaceSelector = labels.Nothing()
	if pl.namespaces == nil {
		return nil
	}
	list, err := pl.namespaces.List(selector)
	if err != nil {
		return fmt.Errorf("list namespaces: %w", err)
	}
	// The set is the term's own: it was parsed for this pass.
	for _, ns := range list {
		t.Namespaces.Insert(ns.Name)
	}
	return nil
}

// namespaceLabels are the labels of the pod's namespace, which existing
// pods' namespaceSelectors are matched against; none if it is not known.
func (pl *InterPodAffinity) namespaceLabels(logger klog.Logger, namespace string) labels.Set {
	if pl.namespaces == nil {
		return nil
	}
	ns, err := pl.namespaces.Get(namespace)
	if err != nil {
		logger.V(3).Info("Namespace unknown; taking its labels as empty", "namespace", namespace, "err", err)
		return nil
	}
	return labels.Merge(ns.Labels, nil)
}

// EventsToRegister: an assigned pod added (it may be the one the pod needs
// near it), relabelled or deleted (it may have been the one in the way),
// and a node added or relabelled into a topology domain. A change of the
// pod's own labels requeues it through the queue's update path.
func (pl *InterPodAffinity) EventsToRegister(context.Context) []framework.ClusterEventWithHint {
	return []framework.ClusterEventWithHint{
		{Event: framework.ClusterEvent{Resource: framework.AssignedPod, ActionType: framework.Add | framework.UpdatePodLabel | framework.Delete}, QueueingHintFn: isSchedulableAfterAssignedPodChange},
		{Event: framework.ClusterEvent{Resource: framework.Node, ActionType: framework.Add | framework.UpdateNodeLabel}, QueueingHintFn: isSchedulableAfterNodeChange},
	}
}

func asPods(oldObj, newObj any) (*corev1.Pod, *corev1.Pod, error) {
	var original, modified *corev1.Pod
	var ok bool
	if oldObj != nil {
		if original, ok = oldObj.(*corev1.Pod); !ok {
			return nil, nil, fmt.Errorf("expected a pod, got %T", oldObj)
		}
	}
	if newObj != nil {
		if modified, ok = newObj.(*corev1.Pod); !ok {
			return nil, nil, fmt.Errorf("expected a pod, got %T", newObj)
		}
	}
	return original, modified, nil
}

func isSchedulableAfterAssignedPodChange(logger klog.Logger, pod *corev1.Pod, oldObj, newObj any) (framework.QueueingHint, error) {
	original, modified, err := asPods(oldObj, newObj)
	if err != nil {
		return framework.Queue, err
	}
	if (modified != nil && modified.Spec.NodeName == "") || (original != nil && original.Spec.NodeName == "") {
		return framework.QueueSkip, nil
	}
	terms, err := framework.NewAffinityTerms(pod, framework.RequiredAffinityTerms(pod.Spec.Affinity))
	if err != nil {
		return framework.Queue, err
	}
	antiTerms, err := framework.NewAffinityTerms(pod, framework.RequiredAntiAffinityTerms(pod.Spec.Affinity))
	if err != nil {
		return framework.Queue, err
	}
	switch {
	case original != nil && modified != nil:
		// Relabelled: now a pod the affinity needs, or no longer one the
		// anti-affinity forbids.
		if !matchesAll(terms, original) && matchesAll(terms, modified) {
			return framework.Queue, nil
		}
		if matchesAny(antiTerms, original) && !matchesAny(antiTerms, modified) {
			return framework.Queue, nil
		}
		return framework.QueueSkip, nil
	case modified != nil:
		if matchesAll(terms, modified) {
			return framework.Queue, nil
		}
		logger.V(5).Info("Added pod matches none of the pod's affinity", "pod", klog.KObj(pod), "added", klog.KObj(modified))
		return framework.QueueSkip, nil
	case original != nil:
		if matchesAny(antiTerms, original) {
			return framework.Queue, nil
		}
		theirs, err := framework.NewAffinityTerms(original, framework.RequiredAntiAffinityTerms(original.Spec.Affinity))
		if err != nil {
			return framework.Queue, err
		}
		if matchesAny(theirs, pod) {
			return framework.Queue, nil
		}
		return framework.QueueSkip, nil
	}
	return framework.Queue, nil
}

func asNodes(oldObj, newObj any) (*corev1.Node, *corev1.Node, error) {
	var original, modified *corev1.Node
	var ok bool
	if oldObj != nil {
		if original, ok = oldObj.(*corev1.Node); !ok {
			return nil, nil, fmt.Errorf("expected a node, got %T", oldObj)
		}
	}
	if modified, ok = newObj.(*corev1.Node); !ok {
		return nil, nil, fmt.Errorf("expected a node, got %T", newObj)
	}
	return original, modified, nil
}

func isSchedulableAfterNodeChange(logger klog.Logger, pod *corev1.Pod, oldObj, newObj any) (framework.QueueingHint, error) {
	original, modified, err := asNodes(oldObj, newObj)
	if err != nil {
		return framework.Queue, err
	}
	for _, t := range framework.RequiredAffinityTerms(pod.Spec.Affinity) {
		newValue, newHas := modified.Labels[t.TopologyKey]
		if original == nil {
			if newHas {
				return framework.Queue, nil
			}
			continue
		}
		oldValue, oldHas := original.Labels[t.TopologyKey]
		// Into a topology domain, or into another one.
		if newHas && (!oldHas || oldValue != newValue) {
			return framework.Queue, nil
		}
	}
	for _, t := range framework.RequiredAntiAffinityTerms(pod.Spec.Affinity) {
		// A new node may be in a domain free of the pods the pod avoids:
		// which pods are there is past what a hint looks at.
		if original == nil {
			return framework.Queue, nil
		}
		oldValue, oldHas := original.Labels[t.TopologyKey]
		newValue, newHas := modified.Labels[t.TopologyKey]
		// Out of the domain (a node without the key takes the pod), or
		// into another one.
		if oldHas && (!newHas || oldValue != newValue) {
			return framework.Queue, nil
		}
	}
	logger.V(5).Info("Node change touches none of the pod's topology keys", "pod", klog.KObj(pod), "node", klog.KObj(modified))
	return framework.QueueSkip, nil
}
