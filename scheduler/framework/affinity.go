package framework

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/util/sets"
)

// AffinityTerm is a PodAffinityTerm with its selectors parsed, as
// kube-scheduler keeps it: a pod's terms are checked against every pod in
// the cluster, so they are parsed once, when the pod is.
type AffinityTerm struct {
	// Namespaces the term names; the pod's own when it names none and has
	// no namespaceSelector.
	Namespaces sets.Set[string]
	// Selector is the labelSelector with the matchLabelKeys and
	// mismatchLabelKeys merged in.
	Selector    labels.Selector
	TopologyKey string
	// NamespaceSelector selects namespaces by their labels: Nothing when
	// unset, Everything when empty.
	NamespaceSelector labels.Selector
}

// Matches reports whether pod, in a namespace with labels nsLabels, is one
// the term selects.
func (t *AffinityTerm) Matches(pod *corev1.Pod, nsLabels labels.Set) bool {
	if t.Namespaces.Has(pod.Namespace) || t.NamespaceSelector.Matches(nsLabels) {
		return t.Selector.Matches(labels.Set(pod.Labels))
	}
	return false
}

// WeightedAffinityTerm is a preferred term with its weight.
type WeightedAffinityTerm struct {
	AffinityTerm
	Weight int32
}

// RequiredAffinityTerms lists a pod's required pod affinity terms, unparsed.
func RequiredAffinityTerms(a *corev1.Affinity) []corev1.PodAffinityTerm {
	if a == nil || a.PodAffinity == nil {
		return nil
	}
	return a.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution
}

// RequiredAntiAffinityTerms lists a pod's required pod anti-affinity terms,
// unparsed.
func RequiredAntiAffinityTerms(a *corev1.Affinity) []corev1.PodAffinityTerm {
	if a == nil || a.PodAntiAffinity == nil {
		return nil
	}
	return a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution
}

// NewAffinityTerms parses the terms of pod.
func NewAffinityTerms(pod *corev1.Pod, terms []corev1.PodAffinityTerm) ([]AffinityTerm, error) {
	if len(terms) == 0 {
		return nil, nil
	}
	out := make([]AffinityTerm, 0, len(terms))
	for i := range terms {
		t, err := newAffinityTerm(pod, &terms[i])
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// NewWeightedAffinityTerms parses the preferred terms of pod.
func NewWeightedAffinityTerms(pod *corev1.Pod, terms []corev1.WeightedPodAffinityTerm) ([]WeightedAffinityTerm, error) {
	if len(terms) == 0 {
		return nil, nil
	}
	out := make([]WeightedAffinityTerm, 0, len(terms))
	for i := range terms {
		t, err := newAffinityTerm(pod, &terms[i].PodAffinityTerm)
		if err != nil {
			return nil, err
		}
		out = append(out, WeightedAffinityTerm{AffinityTerm: t, Weight: terms[i].Weight})
	}
	return out, nil
}

func newAffinityTerm(pod *corev1.Pod, term *corev1.PodAffinityTerm) (AffinityTerm, error) {
	selector, err := metav1.LabelSelectorAsSelector(term.LabelSelector)
	if err != nil {
		return AffinityTerm{}, fmt.Errorf("labelSelector: %w", err)
	}
	if term.LabelSelector != nil {
		if selector, err = mergeLabelKeys(selector, term, pod.Labels); err != nil {
			return AffinityTerm{}, err
		}
	}
	nsSelector, err := metav1.LabelSelectorAsSelector(term.NamespaceSelector)
	if err != nil {
		return AffinityTerm{}, fmt.Errorf("namespaceSelector: %w", err)
	}
	namespaces := sets.New(term.Namespaces...)
	if len(term.Namespaces) == 0 && term.NamespaceSelector == nil {
		namespaces.Insert(pod.Namespace)
	}
	return AffinityTerm{Namespaces: namespaces, Selector: selector, TopologyKey: term.TopologyKey, NamespaceSelector: nsSelector}, nil
}

// mergeLabelKeys adds "key in (value)" for each matchLabelKeys key and
// "key notin (value)" for each mismatchLabelKeys key the pod has a label
// for. Upstream's API server merges them into the labelSelector when the
// pod is created; kubeshim's does not, so the scheduler does. What an API
// server that does merged is not added twice: validation forbids a
// matchLabelKeys key in the labelSelector, so such a key was merged (the
// pod's label may have changed since; the merged value holds, as
// upstream), and a mismatchLabelKeys key was if its very requirement is
// there.
func mergeLabelKeys(selector labels.Selector, term *corev1.PodAffinityTerm, podLabels map[string]string) (labels.Selector, error) {
	if len(term.MatchLabelKeys) == 0 && len(term.MismatchLabelKeys) == 0 {
		return selector, nil
	}
	merged := func(key, value string, op metav1.LabelSelectorOperator) bool {
		if _, ok := term.LabelSelector.MatchLabels[key]; ok && op == metav1.LabelSelectorOpIn {
			return true
		}
		for _, e := range term.LabelSelector.MatchExpressions {
			if e.Key != key {
				continue
			}
			if op == metav1.LabelSelectorOpIn || (e.Operator == op && len(e.Values) == 1 && e.Values[0] == value) {
				return true
			}
		}
		return false
	}
	add := func(keys []string, op selection.Operator, lop metav1.LabelSelectorOperator) error {
		for _, key := range keys {
			value, ok := podLabels[key]
			if !ok || merged(key, value, lop) {
				continue
			}
			r, err := labels.NewRequirement(key, op, []string{value})
			if err != nil {
				return fmt.Errorf("label key %q: %w", key, err)
			}
			selector = selector.Add(*r)
		}
		return nil
	}
	if err := add(term.MatchLabelKeys, selection.In, metav1.LabelSelectorOpIn); err != nil {
		return nil, err
	}
	if err := add(term.MismatchLabelKeys, selection.NotIn, metav1.LabelSelectorOpNotIn); err != nil {
		return nil, err
	}
	return selector, nil
}

// hasAffinity: the pod has pod affinity or anti-affinity of any kind.
func hasAffinity(pod *corev1.Pod) bool {
	a := pod.Spec.Affinity
	return a != nil && (a.PodAffinity != nil || a.PodAntiAffinity != nil)
}

// parseAffinity fills the PodInfo's terms. A term that does not parse
// (the API server validates them, so only an old or foreign object has
// one) leaves its list empty, as upstream's cache does.
func (p *PodInfo) parseAffinity() {
	pod := p.Pod
	if !hasAffinity(pod) {
		return
	}
	a := pod.Spec.Affinity
	p.RequiredAffinityTerms, _ = NewAffinityTerms(pod, RequiredAffinityTerms(a))
	p.RequiredAntiAffinityTerms, _ = NewAffinityTerms(pod, RequiredAntiAffinityTerms(a))
	if a.PodAffinity != nil {
		p.PreferredAffinityTerms, _ = NewWeightedAffinityTerms(pod, a.PodAffinity.PreferredDuringSchedulingIgnoredDuringExecution)
	}
	if a.PodAntiAffinity != nil {
		p.PreferredAntiAffinityTerms, _ = NewWeightedAffinityTerms(pod, a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution)
	}
}

// removePodInfo drops the pod with uid from list, if there.
func removePodInfo(list []*PodInfo, p *PodInfo) []*PodInfo {
	for i, q := range list {
		if q.Pod.UID == p.Pod.UID {
			last := len(list) - 1
			list[i] = list[last]
			list[last] = nil
			return list[:last]
		}
	}
	return list
}
