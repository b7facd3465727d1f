package nodeaffinity

import (
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
)

// RequiredNodeAffinity is a pod's nodeSelector and required node affinity,
// parsed once.
type RequiredNodeAffinity struct {
	selector labels.Selector // nil: no nodeSelector
	terms    *NodeSelector   // nil: no required affinity
}

// GetRequiredNodeAffinity parses pod's requirements.
func GetRequiredNodeAffinity(pod *corev1.Pod) RequiredNodeAffinity {
	var r RequiredNodeAffinity
	if len(pod.Spec.NodeSelector) > 0 {
		r.selector = labels.SelectorFromSet(pod.Spec.NodeSelector)
	}
	if a := pod.Spec.Affinity; a != nil && a.NodeAffinity != nil && a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution != nil {
		r.terms = NewNodeSelector(a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution)
	}
	return r
}

// Match reports whether node satisfies both. The error reports terms that
// did not parse (they match nothing).
func (r RequiredNodeAffinity) Match(node *corev1.Node) (bool, error) {
	if r.selector != nil && !r.selector.Matches(labels.Set(node.Labels)) {
		return false, nil
	}
	if r.terms != nil {
		return r.terms.Match(node)
	}
	return true, nil
}

// NodeSelector is a parsed corev1.NodeSelector: its non-empty terms, ORed.
type NodeSelector struct {
	terms []term
}

type term struct {
	labels labels.Selector // nil: no matchExpressions
	fields fields.Selector // nil: no matchFields
	err    error
}

// NewNodeSelector parses ns; unparsable terms are kept and fail to match.
func NewNodeSelector(ns *corev1.NodeSelector) *NodeSelector {
	s := &NodeSelector{}
	for i := range ns.NodeSelectorTerms {
		t := &ns.NodeSelectorTerms[i]
		if len(t.MatchExpressions) == 0 && len(t.MatchFields) == 0 {
			continue
		}
		s.terms = append(s.terms, parseTerm(t))
	}
	return s
}

// Match reports whether any term matches node.
func (s *NodeSelector) Match(node *corev1.Node) (bool, error) {
	nodeLabels, nodeFields := labels.Set(node.Labels), nodeFieldSet(node)
	var errs []error
	for _, t := range s.terms {
		ok, err := t.match(nodeLabels, nodeFields)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if ok {
			return true, nil
		}
	}
	return false, errors.Join(errs...)
}

func nodeFieldSet(node *corev1.Node) fields.Set {
	f := fields.Set{}
	if node.Name != "" {
		f["metadata.name"] = node.Name
	}
	return f
}

func (t term) match(nodeLabels labels.Set, nodeFields fields.Set) (bool, error) {
	if t.err != nil {
		return false, t.err
	}
	if t.labels != nil && !t.labels.Matches(nodeLabels) {
		return false, nil
	}
	// A node without a name (only in tests) is not held to matchFields.
	if t.fields != nil && len(nodeFields) > 0 && !t.fields.Matches(nodeFields) {
		return false, nil
	}
	return true, nil
}

var operators = map[corev1.NodeSelectorOperator]selection.Operator{
	corev1.NodeSelectorOpIn:           selection.In,
	corev1.NodeSelectorOpNotIn:        selection.NotIn,
	corev1.NodeSelectorOpExists:       selection.Exists,
	corev1.NodeSelectorOpDoesNotExist: selection.DoesNotExist,
	corev1.NodeSelectorOpGt:           selection.GreaterThan,
	corev1.NodeSelectorOpLt:           selection.LessThan,
}

func parseTerm(t *corev1.NodeSelectorTerm) term {
	var out term
	var errs []error
	if len(t.MatchExpressions) > 0 {
		sel := labels.NewSelector()
		for _, e := range t.MatchExpressions {
			op, ok := operators[e.Operator]
			if !ok {
				errs = append(errs, fmt.Errorf("matchExpressions: unsupported operator %q", e.Operator))
				continue
			}
			r, err := labels.NewRequirement(e.Key, op, e.Values)
			if err != nil {
				errs = append(errs, fmt.Errorf("matchExpressions: %w", err))
				continue
			}
			sel = sel.Add(*r)
		}
		out.labels = sel
	}
	if len(t.MatchFields) > 0 {
		var sels []fields.Selector
		for _, e := range t.MatchFields {
			if len(e.Values) != 1 {
				errs = append(errs, fmt.Errorf("matchFields: %q must have one value", e.Key))
				continue
			}
			switch e.Operator {
			case corev1.NodeSelectorOpIn:
				sels = append(sels, fields.OneTermEqualSelector(e.Key, e.Values[0]))
			case corev1.NodeSelectorOpNotIn:
				sels = append(sels, fields.OneTermNotEqualSelector(e.Key, e.Values[0]))
			default:
				errs = append(errs, fmt.Errorf("matchFields: unsupported operator %q", e.Operator))
			}
		}
		out.fields = fields.AndSelectors(sels...)
	}
	out.err = errors.Join(errs...)
	return out
}

// PreferredTerms are parsed preferred scheduling terms with their weights.
type PreferredTerms struct {
	terms   []term
	weights []int64
}

// NewPreferredTerms parses terms, leaving out those of weight 0 or empty.
func NewPreferredTerms(terms []corev1.PreferredSchedulingTerm) (*PreferredTerms, error) {
	p := &PreferredTerms{}
	var errs []error
	for i := range terms {
		t := &terms[i]
		if t.Weight == 0 || (len(t.Preference.MatchExpressions) == 0 && len(t.Preference.MatchFields) == 0) {
			continue
		}
		parsed := parseTerm(&t.Preference)
		if parsed.err != nil {
			errs = append(errs, parsed.err)
			continue
		}
		p.terms = append(p.terms, parsed)
		p.weights = append(p.weights, int64(t.Weight))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return p, nil
}

// Score sums the weights of the terms node matches.
func (p *PreferredTerms) Score(node *corev1.Node) int64 {
	nodeLabels, nodeFields := labels.Set(node.Labels), nodeFieldSet(node)
	var score int64
	for i, t := range p.terms {
		if ok, _ := t.match(nodeLabels, nodeFields); ok {
			score += p.weights[i]
		}
	}
	return score
}
