package podtopologyspread

import (
	"context"
	"fmt"
	"reflect"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/scheduler/framework"
)

const (
	// Name is the plugin's name in the registry.
	Name = "PodTopologySpread"

	// ErrReasonConstraintsNotMatch is kube-scheduler's reason for a node
	// where the pod would skew its domain too much.
	ErrReasonConstraintsNotMatch = "node(s) didn't match pod topology spread constraints"
	// ErrReasonNodeLabelNotMatch is its reason for a node without a
	// constraint's topology key.
	ErrReasonNodeLabelNotMatch = ErrReasonConstraintsNotMatch + " (missing required label)"

	preFilterStateKey framework.StateKey = "PreFilter" + Name
	preScoreStateKey  framework.StateKey = "PreScore" + Name
)

// skip is shared: most pods have nothing for the plugin, and the
// framework copies a status before naming its plugin.
var skip = framework.NewStatus(framework.Skip)

// SystemDefaultConstraints are kube-scheduler's defaultingType System
// constraints, for pods with none of their own.
var SystemDefaultConstraints = []corev1.TopologySpreadConstraint{
	{TopologyKey: corev1.LabelHostname, WhenUnsatisfiable: corev1.ScheduleAnyway, MaxSkew: 3},
	{TopologyKey: corev1.LabelTopologyZone, WhenUnsatisfiable: corev1.ScheduleAnyway, MaxSkew: 5},
}

// PodTopologySpread filters and scores by topology spread constraints.
type PodTopologySpread struct {
	// defaults are the default constraints parsed, by whenUnsatisfiable;
	// their selectors are set per pod.
	defaults map[corev1.UnsatisfiableConstraintAction][]constraint
	// systemDefaulted: the defaults are the system's, which spread by
	// hostname even on nodes without a zone label.
	systemDefaulted bool

	// The listers the default constraints take their selector from; nil
	// without a handle, and then pods get no default constraints.
	services     corelisters.ServiceLister
	controllers  corelisters.ReplicationControllerLister
	replicaSets  appslisters.ReplicaSetLister
	statefulSets appslisters.StatefulSetLister
}

var (
	_ framework.PreFilterPlugin   = &PodTopologySpread{}
	_ framework.FilterPlugin      = &PodTopologySpread{}
	_ framework.PreScorePlugin    = &PodTopologySpread{}
	_ framework.ScorePlugin       = &PodTopologySpread{}
	_ framework.ScoreNormalizer   = &PodTopologySpread{}
	_ framework.EnqueueExtensions = &PodTopologySpread{}
)

// New builds the plugin with the system default constraints; with a
// handle it watches Services, ReplicationControllers, ReplicaSets and
// StatefulSets for their selectors.
func New(h framework.Handle) (framework.Plugin, error) {
	pl := &PodTopologySpread{systemDefaulted: true, defaults: map[corev1.UnsatisfiableConstraintAction][]constraint{}}
	for _, action := range []corev1.UnsatisfiableConstraintAction{corev1.DoNotSchedule, corev1.ScheduleAnyway} {
		cs, err := parseConstraints(SystemDefaultConstraints, nil, action)
		if err != nil {
			return nil, fmt.Errorf("parse the default constraints: %w", err)
		}
		pl.defaults[action] = cs
	}
	if h != nil && h.SharedInformerFactory() != nil {
		f := h.SharedInformerFactory()
		pl.services = f.Core().V1().Services().Lister()
		pl.controllers = f.Core().V1().ReplicationControllers().Lister()
		pl.replicaSets = f.Apps().V1().ReplicaSets().Lister()
		pl.statefulSets = f.Apps().V1().StatefulSets().Lister()
	}
	return pl, nil
}

// Name returns the plugin's name.
func (*PodTopologySpread) Name() string { return Name }

var (
	rcKind = corev1.SchemeGroupVersion.WithKind("ReplicationController")
	rsKind = schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "ReplicaSet"}
	ssKind = schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "StatefulSet"}
)

// defaultSelector selects the pods of the pod's Services and controller,
// as upstream's helper.DefaultSelector: the Services' selectors merged,
// with a ReplicationController's merged in or a ReplicaSet's or
// StatefulSet's requirements added.
func (pl *PodTopologySpread) defaultSelector(pod *corev1.Pod) labels.Selector {
	if pl.services == nil {
		return labels.Everything()
	}
	set := labels.Set{}
	if services, err := pl.services.Services(pod.Namespace).List(labels.Everything()); err == nil {
		for _, svc := range services {
			// A nil selector selects nothing, not everything.
			if svc.Spec.Selector == nil {
				continue
			}
			if labels.Set(svc.Spec.Selector).AsSelectorPreValidated().Matches(labels.Set(pod.Labels)) {
				set = labels.Merge(set, svc.Spec.Selector)
			}
		}
	}
	selector := set.AsSelector()
	owner := metav1.GetControllerOfNoCopy(pod)
	if owner == nil {
		return selector
	}
	gv, err := schema.ParseGroupVersion(owner.APIVersion)
	if err != nil {
		return selector
	}
	addRequirements := func(ls *metav1.LabelSelector) {
		other, err := metav1.LabelSelectorAsSelector(ls)
		if err != nil {
			return
		}
		if r, ok := other.Requirements(); ok {
			selector = selector.Add(r...)
		}
	}
	switch gv.WithKind(owner.Kind) {
	case rcKind:
		if rc, err := pl.controllers.ReplicationControllers(pod.Namespace).Get(owner.Name); err == nil {
			selector = labels.Merge(set, rc.Spec.Selector).AsSelector()
		}
	case rsKind:
		if rs, err := pl.replicaSets.ReplicaSets(pod.Namespace).Get(owner.Name); err == nil {
			addRequirements(rs.Spec.Selector)
		}
	case ssKind:
		if ss, err := pl.statefulSets.StatefulSets(pod.Namespace).Get(owner.Name); err == nil {
			addRequirements(ss.Spec.Selector)
		}
	}
	return selector
}

// EventsToRegister: an assigned pod added, relabelled or deleted (domain
// counts change), a node added, deleted, relabelled or retainted (domains
// and which nodes count change). The pod's own label or toleration changes
// requeue it through the queue's update path.
func (pl *PodTopologySpread) EventsToRegister(context.Context) []framework.ClusterEventWithHint {
	return []framework.ClusterEventWithHint{
		{Event: framework.ClusterEvent{Resource: framework.AssignedPod, ActionType: framework.Add | framework.UpdatePodLabel | framework.Delete}, QueueingHintFn: pl.isSchedulableAfterAssignedPodChange},
		{Event: framework.ClusterEvent{Resource: framework.Node, ActionType: framework.Add | framework.Delete | framework.UpdateNodeLabel | framework.UpdateNodeTaint}, QueueingHintFn: pl.isSchedulableAfterNodeChange},
	}
}

func (pl *PodTopologySpread) isSchedulableAfterAssignedPodChange(logger klog.Logger, pod *corev1.Pod, oldObj, newObj any) (framework.QueueingHint, error) {
	var original, modified *corev1.Pod
	if oldObj != nil {
		p, ok := oldObj.(*corev1.Pod)
		if !ok {
			return framework.Queue, fmt.Errorf("expected a pod, got %T", oldObj)
		}
		original = p
	}
	if newObj != nil {
		p, ok := newObj.(*corev1.Pod)
		if !ok {
			return framework.Queue, fmt.Errorf("expected a pod, got %T", newObj)
		}
		modified = p
	}
	// Only pods on nodes in the pod's namespace are counted.
	for _, p := range []*corev1.Pod{original, modified} {
		if p != nil && (p.Spec.NodeName == "" || p.Namespace != pod.Namespace) {
			return framework.QueueSkip, nil
		}
	}
	constraints, err := pl.constraintsOf(pod, corev1.DoNotSchedule)
	if err != nil {
		return framework.Queue, err
	}
	switch {
	case original != nil && modified != nil:
		if reflect.DeepEqual(original.Labels, modified.Labels) {
			return framework.QueueSkip, nil
		}
		for _, c := range constraints {
			if c.Selector.Matches(labels.Set(original.Labels)) != c.Selector.Matches(labels.Set(modified.Labels)) {
				return framework.Queue, nil
			}
		}
		return framework.QueueSkip, nil
	case modified != nil:
		if matchesAnyConstraint(constraints, modified.Labels) {
			return framework.Queue, nil
		}
		return framework.QueueSkip, nil
	case original != nil:
		if matchesAnyConstraint(constraints, original.Labels) {
			return framework.Queue, nil
		}
		logger.V(5).Info("Deleted pod is not one the pod spreads against", "pod", klog.KObj(pod), "deleted", klog.KObj(original))
		return framework.QueueSkip, nil
	}
	return framework.Queue, nil
}

func (pl *PodTopologySpread) isSchedulableAfterNodeChange(logger klog.Logger, pod *corev1.Pod, oldObj, newObj any) (framework.QueueingHint, error) {
	original, _ := oldObj.(*corev1.Node)
	modified, _ := newObj.(*corev1.Node)
	if original == nil && modified == nil {
		return framework.Queue, fmt.Errorf("expected a node, got %T and %T", oldObj, newObj)
	}
	constraints, err := pl.constraintsOf(pod, corev1.DoNotSchedule)
	if err != nil {
		return framework.Queue, err
	}
	var originalMatches, modifiedMatches bool
	if original != nil {
		originalMatches = hasAllKeys(original.Labels, constraints)
	}
	if modified != nil {
		modifiedMatches = hasAllKeys(modified.Labels, constraints)
	}
	switch {
	case original != nil && modified != nil:
		if originalMatches != modifiedMatches {
			return framework.Queue, nil
		}
		if modifiedMatches && (topologyValuesChanged(original.Labels, modified.Labels, constraints) || !reflect.DeepEqual(original.Spec.Taints, modified.Spec.Taints)) {
			return framework.Queue, nil
		}
		return framework.QueueSkip, nil
	case modified != nil:
		if modifiedMatches {
			return framework.Queue, nil
		}
		logger.V(5).Info("Added node lacks the pod's topology keys", "pod", klog.KObj(pod), "node", klog.KObj(modified))
		return framework.QueueSkip, nil
	default:
		if originalMatches {
			return framework.Queue, nil
		}
		return framework.QueueSkip, nil
	}
}

func topologyValuesChanged(a, b map[string]string, constraints []constraint) bool {
	for _, c := range constraints {
		if a[c.TopologyKey] != b[c.TopologyKey] {
			return true
		}
	}
	return false
}
