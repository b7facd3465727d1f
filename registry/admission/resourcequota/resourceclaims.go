package resourcequota

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	resourceapi "k8s.io/api/resource/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/admission"
	quota "k8s.io/apiserver/pkg/quota/v1"
	"k8s.io/apiserver/pkg/quota/v1/generic"
)

var (
	resourceClaimsResource = resourceapi.Resource("resourceclaims")
	resourceClaimCount     = generic.ObjectCountQuotaResourceNameFor(resourceClaimsResource)
)

// resourceClaimEvaluator charges resource claims: the claim, and the
// devices it may be allocated per device class
// (<class>.deviceclass.resource.k8s.io/devices).
type resourceClaimEvaluator struct {
	list generic.ListFuncByNamespace
}

// NewResourceClaimEvaluator returns the evaluator of resource claims; f may
// be nil where no aggregate usage is asked for (admission).
func NewResourceClaimEvaluator(f quota.ListerForResourceFunc) quota.Evaluator {
	e := &resourceClaimEvaluator{}
	if f != nil {
		e.list = generic.ListResourceUsingListerFunc(f, resourceapi.SchemeGroupVersion.WithResource("resourceclaims"))
	}
	return e
}

func (e *resourceClaimEvaluator) GroupResource() schema.GroupResource { return resourceClaimsResource }

func (e *resourceClaimEvaluator) Constraints([]corev1.ResourceName, runtime.Object) error { return nil }

func (e *resourceClaimEvaluator) Handles(a admission.Attributes) bool {
	return a.GetSubresource() == "" && (a.GetOperation() == admission.Create || a.GetOperation() == admission.Update)
}

func (e *resourceClaimEvaluator) Matches(q *corev1.ResourceQuota, item runtime.Object) (bool, error) {
	return generic.Matches(q, item, e.MatchingResources, generic.MatchesNoScopeFunc)
}

func (e *resourceClaimEvaluator) MatchingResources(input []corev1.ResourceName) []corev1.ResourceName {
	result := []corev1.ResourceName{}
	for _, name := range input {
		if name == resourceClaimCount || strings.HasSuffix(string(name), corev1.ResourceClaimsPerClass) {
			result = append(result, name)
		}
	}
	return result
}

func (e *resourceClaimEvaluator) MatchingScopes(runtime.Object, []corev1.ScopedResourceSelectorRequirement) ([]corev1.ScopedResourceSelectorRequirement, error) {
	return []corev1.ScopedResourceSelectorRequirement{}, nil
}

func (e *resourceClaimEvaluator) UncoveredQuotaScopes(_, _ []corev1.ScopedResourceSelectorRequirement) ([]corev1.ScopedResourceSelectorRequirement, error) {
	return []corev1.ScopedResourceSelectorRequirement{}, nil
}

// devices is how many devices a request of the allocation mode may get:
// the worst case for All.
func devices(mode resourceapi.DeviceAllocationMode, count int64) int64 {
	switch mode {
	case resourceapi.DeviceAllocationModeExactCount:
		return count
	case resourceapi.DeviceAllocationModeAll:
		return resourceapi.AllocationResultsMaxSize
	}
	// A mode this version does not know is not charged.
	return 0
}

func (e *resourceClaimEvaluator) Usage(item runtime.Object) (corev1.ResourceList, error) {
	claim, ok := item.(*resourceapi.ResourceClaim)
	if !ok {
		return corev1.ResourceList{}, fmt.Errorf("expect *v1.ResourceClaim, got %T", item)
	}
	used := corev1.ResourceList{resourceClaimCount: *resource.NewQuantity(1, resource.DecimalSI)}
	charge := func(class string, n int64) {
		name := corev1.ResourceName(class + corev1.ResourceClaimsPerClass)
		q := used[name]
		q.Add(*resource.NewQuantity(n, resource.DecimalSI))
		used[name] = q
	}
	for _, r := range claim.Spec.Devices.Requests {
		switch {
		case len(r.FirstAvailable) > 0:
			// Any one of the alternatives may be allocated: charge each
			// class the most any alternative of it asks for.
			most := map[string]int64{}
			for _, sub := range r.FirstAvailable {
				if n := devices(sub.AllocationMode, sub.Count); n > most[sub.DeviceClassName] {
					most[sub.DeviceClassName] = n
				}
			}
			for class, n := range most {
				charge(class, n)
			}
		case r.Exactly != nil:
			charge(r.Exactly.DeviceClassName, devices(r.Exactly.AllocationMode, r.Exactly.Count))
		}
	}
	return used, nil
}

func (e *resourceClaimEvaluator) UsageStats(options quota.UsageStatsOptions) (quota.UsageStats, error) {
	if e.list == nil {
		return quota.UsageStats{}, fmt.Errorf("resourceclaims evaluator has no lister")
	}
	return generic.CalculateUsageStats(options, e.list, generic.MatchesNoScopeFunc, e.Usage)
}
