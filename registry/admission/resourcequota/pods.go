package resourcequota

import (
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	resourceapi "k8s.io/api/resource/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apiserver/pkg/admission"
	quota "k8s.io/apiserver/pkg/quota/v1"
	"k8s.io/apiserver/pkg/quota/v1/generic"
	resourcehelper "k8s.io/component-helpers/resource"
	"k8s.io/utils/clock"

	"github.com/kubeshim/kubeshim/apis/core"
)

var (
	podsResource = corev1.Resource("pods")
	// podCount is count/pods: every stored pod, finished or not; "pods"
	// counts only the pods that still hold resources.
	podCount = generic.ObjectCountQuotaResourceNameFor(podsResource)
)

// podNames are the quota names a pod is charged under, besides the
// prefixed ones (hugepages-*, requests.hugepages-*, requests.<extended>).
var podNames = []corev1.ResourceName{
	podCount, corev1.ResourcePods,
	corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage,
	corev1.ResourceRequestsCPU, corev1.ResourceRequestsMemory, corev1.ResourceRequestsEphemeralStorage,
	corev1.ResourceLimitsCPU, corev1.ResourceLimitsMemory, corev1.ResourceLimitsEphemeralStorage,
}

var podPrefixes = []string{corev1.ResourceHugePagesPrefix, corev1.ResourceRequestsHugePagesPrefix}

// mustSpecify are the names that, when a quota tracks them, every container
// must set. Upstream keeps this coupling of validation and counting for
// compatibility only, and deliberately never extends it to other resources.
var mustSpecify = sets.New[corev1.ResourceName](
	corev1.ResourceCPU, corev1.ResourceMemory,
	corev1.ResourceRequestsCPU, corev1.ResourceRequestsMemory,
	corev1.ResourceLimitsCPU, corev1.ResourceLimitsMemory,
)

// requestsDeviceClassPrefix names the implicit extended resources of device
// classes: requests.deviceclass.resource.kubernetes.io/<class>.
const requestsDeviceClassPrefix = corev1.DefaultResourceRequestsPrefix + resourceapi.ResourceDeviceClassPrefix

// podEvaluator charges pods.
type podEvaluator struct {
	list  generic.ListFuncByNamespace
	clock clock.PassiveClock
}

// NewPodEvaluator returns the evaluator of pods; list may be nil where no
// aggregate usage is asked for (admission). The clock decides when a
// deleted pod's grace period is over.
func NewPodEvaluator(f quota.ListerForResourceFunc, c clock.PassiveClock) quota.Evaluator {
	e := &podEvaluator{clock: c}
	if f != nil {
		e.list = generic.ListResourceUsingListerFunc(f, corev1.SchemeGroupVersion.WithResource("pods"))
	}
	return e
}

func (e *podEvaluator) GroupResource() schema.GroupResource { return podsResource }

// Constraints refuses a pod whose containers leave unset a cpu or memory
// request or limit that a quota tracks, unless the pod sets its resources at
// pod level.
func (e *podEvaluator) Constraints(required []corev1.ResourceName, item runtime.Object) error {
	pod, err := asPod(item)
	if err != nil {
		return err
	}
	if resourcehelper.IsPodLevelResourcesSet(pod) {
		return nil
	}
	want := sets.New(required...).Intersection(mustSpecify)
	if want.Len() == 0 {
		return nil
	}
	missing := map[corev1.ResourceName]sets.Set[string]{}
	check := func(c *corev1.Container) {
		has := sets.KeySet(containerUsage(c.Resources.Requests, c.Resources.Limits))
		for name := range want.Difference(has) {
			if missing[name] == nil {
				missing[name] = sets.New[string]()
			}
			missing[name].Insert(c.Name)
		}
	}
	for i := range pod.Spec.Containers {
		check(&pod.Spec.Containers[i])
	}
	for i := range pod.Spec.InitContainers {
		check(&pod.Spec.InitContainers[i])
	}
	if len(missing) == 0 {
		return nil
	}
	names := make([]string, 0, len(missing))
	for name := range missing {
		names = append(names, string(name))
	}
	sort.Strings(names)
	msgs := make([]string, 0, len(names))
	for _, name := range names {
		msgs = append(msgs, fmt.Sprintf("%s for: %s", name, strings.Join(sets.List(missing[corev1.ResourceName(name)]), ",")))
	}
	return fmt.Errorf("must specify %s", strings.Join(msgs, "; "))
}

// Handles: pod creation; an update only when it moves the pod between the
// Terminating and NotTerminating scopes (activeDeadlineSeconds set or
// cleared); a resize, which may raise requests.
func (e *podEvaluator) Handles(a admission.Attributes) bool {
	switch a.GetSubresource() {
	case "":
		if a.GetOperation() == admission.Update {
			pod, err1 := asPod(a.GetObject())
			old, err2 := asPod(a.GetOldObject())
			if err1 != nil || err2 != nil {
				return false
			}
			return IsTerminating(old) != IsTerminating(pod)
		}
		return a.GetOperation() == admission.Create
	case "resize":
		return a.GetOperation() == admission.Update
	}
	return false
}

func (e *podEvaluator) Matches(q *corev1.ResourceQuota, item runtime.Object) (bool, error) {
	return generic.Matches(q, item, e.MatchingResources, podMatchesScope)
}

func (e *podEvaluator) MatchingResources(input []corev1.ResourceName) []corev1.ResourceName {
	result := quota.Intersection(input, podNames)
	for _, name := range input {
		if quota.ContainsPrefix(podPrefixes, name) || isExtendedQuotaName(name) {
			result = append(result, name)
		}
	}
	return result
}

func (e *podEvaluator) MatchingScopes(item runtime.Object, selectors []corev1.ScopedResourceSelectorRequirement) ([]corev1.ScopedResourceSelectorRequirement, error) {
	return matchingScopes(item, selectors, podMatchesScope)
}

func (e *podEvaluator) UncoveredQuotaScopes(limited, matched []corev1.ScopedResourceSelectorRequirement) ([]corev1.ScopedResourceSelectorRequirement, error) {
	return uncoveredScopes(limited, matched), nil
}

func (e *podEvaluator) Usage(item runtime.Object) (corev1.ResourceList, error) {
	pod, err := asPod(item)
	if err != nil {
		return corev1.ResourceList{}, err
	}
	// count/pods counts every pod in storage, whatever its state.
	used := corev1.ResourceList{podCount: *resource.NewQuantity(1, resource.DecimalSI)}
	if !Charged(pod, e.clock) {
		return used, nil
	}
	opts := resourcehelper.PodResourcesOptions{UseStatusResources: true}
	return quota.Add(used, containerUsage(resourcehelper.PodRequests(pod, opts), resourcehelper.PodLimits(pod, opts))), nil
}

func (e *podEvaluator) UsageStats(options quota.UsageStatsOptions) (quota.UsageStats, error) {
	if e.list == nil {
		return quota.UsageStats{}, fmt.Errorf("pods evaluator has no lister")
	}
	return generic.CalculateUsageStats(options, e.list, podMatchesScope, e.Usage)
}

// containerUsage turns requests and limits (a container's or a pod's) into
// quota names: the pod itself, requests.* (and the bare legacy cpu, memory,
// ephemeral-storage), limits.*, hugepages and extended resources.
func containerUsage(requests, limits corev1.ResourceList) corev1.ResourceList {
	used := corev1.ResourceList{corev1.ResourcePods: resource.MustParse("1")}
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage} {
		if q, ok := requests[name]; ok {
			used[name] = q
			used[corev1.DefaultResourceRequestsPrefix+name] = q
		}
		if q, ok := limits[name]; ok {
			used["limits."+name] = q
		}
	}
	for name, q := range requests {
		if strings.HasPrefix(string(name), corev1.ResourceHugePagesPrefix) {
			used[name] = q
			used[corev1.DefaultResourceRequestsPrefix+name] = q
		}
		// Extended resources are only quota'd as requests.<name>: they
		// cannot be overcommitted, so limits say nothing more.
		if isExtendedResource(name) || strings.HasPrefix(string(name), resourceapi.ResourceDeviceClassPrefix) {
			used[corev1.DefaultResourceRequestsPrefix+name] = q
		}
	}
	return used
}

// isNative reports a name in the kubernetes.io namespace; an unprefixed
// name is implicitly in it.
func isNative(name corev1.ResourceName) bool {
	return !strings.Contains(string(name), "/") || strings.Contains(string(name), corev1.ResourceDefaultNamespacePrefix)
}

// isExtendedResource reports a resource a device plugin or vendor
// advertises (example.com/gpu) that a quota can name as requests.<name>.
func isExtendedResource(name corev1.ResourceName) bool {
	if isNative(name) || strings.HasPrefix(string(name), corev1.DefaultResourceRequestsPrefix) {
		return false
	}
	return len(validation.IsQualifiedName(corev1.DefaultResourceRequestsPrefix+string(name))) == 0
}

// isExtendedQuotaName reports a quota name for an extended resource:
// requests.<vendor>/<name>, or a device class's implicit one.
func isExtendedQuotaName(name corev1.ResourceName) bool {
	if !strings.HasPrefix(string(name), corev1.DefaultResourceRequestsPrefix) {
		return false
	}
	return !isNative(name) || strings.HasPrefix(string(name), requestsDeviceClassPrefix)
}

func asPod(obj runtime.Object) (*corev1.Pod, error) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return nil, fmt.Errorf("expect *v1.Pod, got %T", obj)
	}
	return pod, nil
}

// IsTerminating reports a pod in the Terminating scope: one with an active
// deadline, which will end by itself.
func IsTerminating(pod *corev1.Pod) bool {
	return pod.Spec.ActiveDeadlineSeconds != nil && *pod.Spec.ActiveDeadlineSeconds >= 0
}

// Charged reports whether the pod still holds compute quota: it has not
// finished, and it is not deleted past its grace period (a pod stuck
// terminating on a lost node must not keep its owner from replacing it).
func Charged(pod *corev1.Pod, c clock.PassiveClock) bool {
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return false
	}
	if pod.DeletionTimestamp != nil && pod.DeletionGracePeriodSeconds != nil {
		grace := time.Duration(*pod.DeletionGracePeriodSeconds) * time.Second
		if c.Now().After(pod.DeletionTimestamp.Add(grace)) {
			return false
		}
	}
	return true
}

func podMatchesScope(selector corev1.ScopedResourceSelectorRequirement, obj runtime.Object) (bool, error) {
	pod, err := asPod(obj)
	if err != nil {
		return false, err
	}
	switch selector.ScopeName {
	case corev1.ResourceQuotaScopeTerminating:
		return IsTerminating(pod), nil
	case corev1.ResourceQuotaScopeNotTerminating:
		return !IsTerminating(pod), nil
	case corev1.ResourceQuotaScopeBestEffort:
		return core.QOSClass(pod) == corev1.PodQOSBestEffort, nil
	case corev1.ResourceQuotaScopeNotBestEffort:
		return core.QOSClass(pod) != corev1.PodQOSBestEffort, nil
	case corev1.ResourceQuotaScopePriorityClass:
		if selector.Operator == corev1.ScopeSelectorOpExists {
			return pod.Spec.PriorityClassName != "", nil
		}
		var set labels.Set
		if pod.Spec.PriorityClassName != "" {
			set = labels.Set{string(corev1.ResourceQuotaScopePriorityClass): pod.Spec.PriorityClassName}
		}
		return selectorMatches(selector, set)
	case corev1.ResourceQuotaScopeCrossNamespacePodAffinity:
		return crossNamespaceAffinity(pod), nil
	}
	return false, nil
}

// selectorMatches evaluates a scope selector's requirement as a label
// selector over the object's scope values.
func selectorMatches(ssr corev1.ScopedResourceSelectorRequirement, set labels.Set) (bool, error) {
	ops := map[corev1.ScopeSelectorOperator]selection.Operator{
		corev1.ScopeSelectorOpIn: selection.In, corev1.ScopeSelectorOpNotIn: selection.NotIn,
		corev1.ScopeSelectorOpExists: selection.Exists, corev1.ScopeSelectorOpDoesNotExist: selection.DoesNotExist,
	}
	op, ok := ops[ssr.Operator]
	if !ok {
		return false, fmt.Errorf("%q is not a valid scope selector operator", ssr.Operator)
	}
	r, err := labels.NewRequirement(string(ssr.ScopeName), op, ssr.Values)
	if err != nil {
		return false, fmt.Errorf("failed to parse and convert selector: %w", err)
	}
	return labels.NewSelector().Add(*r).Matches(set), nil
}

// crossNamespaceAffinity reports a pod whose (anti-)affinity terms reach
// other namespaces, through namespaces or a namespace selector.
func crossNamespaceAffinity(pod *corev1.Pod) bool {
	if pod.Spec.Affinity == nil {
		return false
	}
	cross := func(required []corev1.PodAffinityTerm, preferred []corev1.WeightedPodAffinityTerm) bool {
		for _, t := range required {
			if len(t.Namespaces) != 0 || t.NamespaceSelector != nil {
				return true
			}
		}
		for _, w := range preferred {
			if len(w.PodAffinityTerm.Namespaces) != 0 || w.PodAffinityTerm.NamespaceSelector != nil {
				return true
			}
		}
		return false
	}
	if a := pod.Spec.Affinity.PodAffinity; a != nil && cross(a.RequiredDuringSchedulingIgnoredDuringExecution, a.PreferredDuringSchedulingIgnoredDuringExecution) {
		return true
	}
	if a := pod.Spec.Affinity.PodAntiAffinity; a != nil && cross(a.RequiredDuringSchedulingIgnoredDuringExecution, a.PreferredDuringSchedulingIgnoredDuringExecution) {
		return true
	}
	return false
}

// matchingScopes are the selectors the object matches.
func matchingScopes(item runtime.Object, selectors []corev1.ScopedResourceSelectorRequirement, match generic.MatchesScopeFunc) ([]corev1.ScopedResourceSelectorRequirement, error) {
	matched := []corev1.ScopedResourceSelectorRequirement{}
	for _, s := range selectors {
		ok, err := match(s, item)
		if err != nil {
			return []corev1.ScopedResourceSelectorRequirement{}, fmt.Errorf("error on matching scope %v: %w", s, err)
		}
		if ok {
			matched = append(matched, s)
		}
	}
	return matched, nil
}

// uncoveredScopes are the limited scopes (admission configuration's
// limitedResources) that no matched quota scope names.
func uncoveredScopes(limited, matched []corev1.ScopedResourceSelectorRequirement) []corev1.ScopedResourceSelectorRequirement {
	out := []corev1.ScopedResourceSelectorRequirement{}
	for _, l := range limited {
		covered := false
		for _, m := range matched {
			if m.ScopeName == l.ScopeName {
				covered = true
				break
			}
		}
		if !covered {
			out = append(out, l)
		}
	}
	return out
}
