package podtopologyspread

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/scheduler/framework"
	"github.com/kubeshim/kubeshim/scheduler/plugins/nodeaffinity"
	"github.com/kubeshim/kubeshim/scheduler/plugins/tainttoleration"
)

// constraint is a TopologySpreadConstraint parsed, with upstream's
// defaults filled in.
type constraint struct {
	MaxSkew     int32
	TopologyKey string
	// Selector is the labelSelector with matchLabelKeys merged in.
	Selector           labels.Selector
	MinDomains         int32
	NodeAffinityPolicy corev1.NodeInclusionPolicy
	NodeTaintsPolicy   corev1.NodeInclusionPolicy
}

// parseConstraints parses the constraints with the given
// whenUnsatisfiable. matchLabelKeys add "key in (value)" for the keys the
// pod has, as upstream's scheduler does (again, after its API server).
func parseConstraints(all []corev1.TopologySpreadConstraint, podLabels map[string]string, action corev1.UnsatisfiableConstraintAction) ([]constraint, error) {
	var out []constraint
	for _, c := range all {
		if c.WhenUnsatisfiable != action {
			continue
		}
		selector, err := metav1.LabelSelectorAsSelector(c.LabelSelector)
		if err != nil {
			return nil, err
		}
		if len(c.MatchLabelKeys) > 0 {
			set := labels.Set{}
			for _, key := range c.MatchLabelKeys {
				if v, ok := podLabels[key]; ok {
					set[key] = v
				}
			}
			if len(set) > 0 {
				selector = mergeSelector(set, selector)
			}
		}
		pc := constraint{
			MaxSkew:            c.MaxSkew,
			TopologyKey:        c.TopologyKey,
			Selector:           selector,
			MinDomains:         1,
			NodeAffinityPolicy: corev1.NodeInclusionPolicyHonor,
			NodeTaintsPolicy:   corev1.NodeInclusionPolicyIgnore,
		}
		if c.MinDomains != nil {
			pc.MinDomains = *c.MinDomains
		}
		if c.NodeAffinityPolicy != nil {
			pc.NodeAffinityPolicy = *c.NodeAffinityPolicy
		}
		if c.NodeTaintsPolicy != nil {
			pc.NodeTaintsPolicy = *c.NodeTaintsPolicy
		}
		out = append(out, pc)
	}
	return out, nil
}

// mergeSelector adds the set's requirements to s; a selector that cannot
// list its requirements (Nothing) stays as it is.
func mergeSelector(set labels.Set, s labels.Selector) labels.Selector {
	requirements, ok := s.Requirements()
	if !ok {
		return s
	}
	merged := labels.SelectorFromSet(set)
	for _, r := range requirements {
		merged = merged.Add(r)
	}
	return merged
}

// hasAllKeys: the node has every constraint's topology key.
func hasAllKeys(nodeLabels map[string]string, constraints []constraint) bool {
	for _, c := range constraints {
		if _, ok := nodeLabels[c.TopologyKey]; !ok {
			return false
		}
	}
	return true
}

// nodePolicy decides which nodes' pods a constraint counts: with
// nodeAffinityPolicy Honor only nodes matching the pod's nodeSelector and
// required node affinity, with nodeTaintsPolicy Honor only nodes whose
// NoSchedule and NoExecute taints the pod tolerates.
type nodePolicy struct {
	pod      *corev1.Pod
	affinity nodeaffinity.RequiredNodeAffinity
}

func newNodePolicy(pod *corev1.Pod) nodePolicy {
	return nodePolicy{pod: pod, affinity: nodeaffinity.GetRequiredNodeAffinity(pod)}
}

func (np nodePolicy) includes(logger klog.Logger, c *constraint, node *corev1.Node) bool {
	if c.NodeAffinityPolicy == corev1.NodeInclusionPolicyHonor {
		// Parse errors match nothing, as upstream.
		if ok, _ := np.affinity.Match(node); !ok {
			return false
		}
	}
	if c.NodeTaintsPolicy == corev1.NodeInclusionPolicyHonor {
		if _, untolerated := tainttoleration.FindUntoleratedTaint(logger, node.Spec.Taints, np.pod.Spec.Tolerations, doNotSchedule); untolerated {
			return false
		}
	}
	return true
}

func doNotSchedule(t *corev1.Taint) bool {
	return t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute
}

// countMatching counts the pods in namespace that selector selects, leaving
// out terminating ones (they are on their way out).
func countMatching(pods []*framework.PodInfo, selector labels.Selector, namespace string) int {
	if selector.Empty() {
		return 0
	}
	n := 0
	for _, p := range pods {
		if p.Pod.DeletionTimestamp != nil || p.Pod.Namespace != namespace {
			continue
		}
		if selector.Matches(labels.Set(p.Pod.Labels)) {
			n++
		}
	}
	return n
}

// matchesAnyConstraint: some constraint selects a pod with these labels.
func matchesAnyConstraint(constraints []constraint, podLabels map[string]string) bool {
	for _, c := range constraints {
		if c.Selector.Matches(labels.Set(podLabels)) {
			return true
		}
	}
	return false
}

// constraintsOf are the pod's constraints with the given whenUnsatisfiable,
// or, if it has none at all, the default constraints with that action,
// selecting what its Services and controller select.
func (pl *PodTopologySpread) constraintsOf(pod *corev1.Pod, action corev1.UnsatisfiableConstraintAction) ([]constraint, error) {
	if len(pod.Spec.TopologySpreadConstraints) > 0 {
		cs, err := parseConstraints(pod.Spec.TopologySpreadConstraints, pod.Labels, action)
		if err != nil {
			return nil, fmt.Errorf("parse the pod's topology spread constraints: %w", err)
		}
		return cs, nil
	}
	defaults := pl.defaults[action]
	if len(defaults) == 0 {
		return nil, nil
	}
	selector := pl.defaultSelector(pod)
	if selector.Empty() {
		return nil, nil
	}
	cs := append([]constraint(nil), defaults...)
	for i := range cs {
		cs[i].Selector = selector
	}
	return cs, nil
}
