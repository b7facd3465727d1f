package resourcequota

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apiserver/pkg/admission"
	quota "k8s.io/apiserver/pkg/quota/v1"
	"k8s.io/apiserver/pkg/quota/v1/generic"
	storagehelpers "k8s.io/component-helpers/storage/volume"
)

var (
	claimsResource = corev1.Resource("persistentvolumeclaims")
	claimCount     = generic.ObjectCountQuotaResourceNameFor(claimsResource)
	// claimNames may also be qualified by storage class:
	// <class>.storageclass.storage.k8s.io/<name>.
	claimNames = []corev1.ResourceName{corev1.ResourcePersistentVolumeClaims, corev1.ResourceRequestsStorage}
)

const storageClassSuffix = ".storageclass.storage.k8s.io/"

// claimEvaluator charges persistent volume claims: the claim and its
// storage request, in total and per storage class.
type claimEvaluator struct {
	list generic.ListFuncByNamespace
}

// NewClaimEvaluator returns the evaluator of persistent volume claims; f may
// be nil where no aggregate usage is asked for (admission).
func NewClaimEvaluator(f quota.ListerForResourceFunc) quota.Evaluator {
	e := &claimEvaluator{}
	if f != nil {
		e.list = generic.ListResourceUsingListerFunc(f, corev1.SchemeGroupVersion.WithResource("persistentvolumeclaims"))
	}
	return e
}

func (e *claimEvaluator) GroupResource() schema.GroupResource { return claimsResource }

func (e *claimEvaluator) Constraints([]corev1.ResourceName, runtime.Object) error { return nil }

// Handles creation and update (an expansion raises requests.storage), and a
// status update that changes what the claim has allocated or its volume
// attributes classes.
func (e *claimEvaluator) Handles(a admission.Attributes) bool {
	switch a.GetSubresource() {
	case "":
		return a.GetOperation() == admission.Create || a.GetOperation() == admission.Update
	case "status":
		claim, ok1 := a.GetObject().(*corev1.PersistentVolumeClaim)
		old, ok2 := a.GetOldObject().(*corev1.PersistentVolumeClaim)
		if !ok1 || !ok2 {
			return false
		}
		return !equality.Semantic.DeepEqual(old.Status.AllocatedResources.Storage(), claim.Status.AllocatedResources.Storage()) ||
			!volumeAttributesClasses(old).Equal(volumeAttributesClasses(claim))
	}
	return false
}

func (e *claimEvaluator) Matches(q *corev1.ResourceQuota, item runtime.Object) (bool, error) {
	return generic.Matches(q, item, e.MatchingResources, claimMatchesScope)
}

func (e *claimEvaluator) MatchingResources(input []corev1.ResourceName) []corev1.ResourceName {
	var result []corev1.ResourceName
	for _, name := range input {
		if name == claimCount || quota.Contains(claimNames, name) {
			result = append(result, name)
			continue
		}
		for _, n := range claimNames {
			if strings.HasSuffix(string(name), storageClassSuffix+string(n)) {
				result = append(result, name)
				break
			}
		}
	}
	return result
}

func (e *claimEvaluator) MatchingScopes(item runtime.Object, selectors []corev1.ScopedResourceSelectorRequirement) ([]corev1.ScopedResourceSelectorRequirement, error) {
	return matchingScopes(item, selectors, claimMatchesScope)
}

func (e *claimEvaluator) UncoveredQuotaScopes(limited, matched []corev1.ScopedResourceSelectorRequirement) ([]corev1.ScopedResourceSelectorRequirement, error) {
	return uncoveredScopes(limited, matched), nil
}

func (e *claimEvaluator) Usage(item runtime.Object) (corev1.ResourceList, error) {
	claim, ok := item.(*corev1.PersistentVolumeClaim)
	if !ok {
		return corev1.ResourceList{}, fmt.Errorf("expect *v1.PersistentVolumeClaim, got %T", item)
	}
	one := *resource.NewQuantity(1, resource.DecimalSI)
	used := corev1.ResourceList{corev1.ResourcePersistentVolumeClaims: one, claimCount: one}
	class := storagehelpers.GetPersistentVolumeClaimClass(claim)
	if class != "" {
		used[corev1.ResourceName(class+storageClassSuffix+string(corev1.ResourcePersistentVolumeClaims))] = one
	}
	if storage := claimStorage(claim); storage != nil {
		used[corev1.ResourceRequestsStorage] = *storage
		if class != "" {
			used[corev1.ResourceName(class+storageClassSuffix+string(corev1.ResourceRequestsStorage))] = *storage
		}
	}
	return used, nil
}

// claimStorage is the storage a claim is charged: its request in whole
// bytes, or what is allocated where that is more (an expansion that failed
// and was lowered again still holds the larger size).
func claimStorage(claim *corev1.PersistentVolumeClaim) *resource.Quantity {
	request, ok := claim.Spec.Resources.Requests[corev1.ResourceStorage]
	if !ok {
		return nil
	}
	result := request.DeepCopy()
	result.RoundUp(0)
	if allocated, ok := claim.Status.AllocatedResources[corev1.ResourceStorage]; ok && allocated.Cmp(result) > 0 {
		result = allocated.DeepCopy()
		result.RoundUp(0)
	}
	return &result
}

func (e *claimEvaluator) UsageStats(options quota.UsageStatsOptions) (quota.UsageStats, error) {
	if e.list == nil {
		return quota.UsageStats{}, fmt.Errorf("persistentvolumeclaims evaluator has no lister")
	}
	return generic.CalculateUsageStats(options, e.list, claimMatchesScope, e.Usage)
}

// claimMatchesScope knows the VolumeAttributesClass scope: a claim is in it
// when it names, has, or is moving to a class that matches.
func claimMatchesScope(selector corev1.ScopedResourceSelectorRequirement, obj runtime.Object) (bool, error) {
	claim, ok := obj.(*corev1.PersistentVolumeClaim)
	if !ok {
		return false, fmt.Errorf("expect *v1.PersistentVolumeClaim, got %T", obj)
	}
	if selector.ScopeName != corev1.ResourceQuotaScopeVolumeAttributesClass {
		return false, nil
	}
	classes := volumeAttributesClasses(claim)
	if selector.Operator == corev1.ScopeSelectorOpExists {
		return classes.Len() != 0, nil
	}
	if classes.Len() == 0 {
		return selectorMatches(selector, labels.Set{})
	}
	for class := range classes {
		ok, err := selectorMatches(selector, labels.Set{string(corev1.ResourceQuotaScopeVolumeAttributesClass): class})
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

func volumeAttributesClasses(claim *corev1.PersistentVolumeClaim) sets.Set[string] {
	classes := sets.New[string]()
	if c := claim.Spec.VolumeAttributesClassName; c != nil && *c != "" {
		classes.Insert(*c)
	}
	if c := claim.Status.CurrentVolumeAttributesClassName; c != nil && *c != "" {
		classes.Insert(*c)
	}
	if m := claim.Status.ModifyVolumeStatus; m != nil && m.TargetVolumeAttributesClassName != "" {
		classes.Insert(m.TargetVolumeAttributesClassName)
	}
	return classes
}
