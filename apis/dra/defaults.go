package dra

import (
	"time"

	resourcev1 "k8s.io/api/resource/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// now is the clock taints are stamped with; tests replace it.
var now = time.Now

// addDefaultingFuncs registers upstream's defaults for the v1 kinds, as
// k8s.io/kubernetes v1.37 pkg/apis/resource/v1 applies them. DeviceClass
// has none.
func addDefaultingFuncs(s *runtime.Scheme) error {
	s.AddTypeDefaultingFunc(&resourcev1.ResourceClaim{}, func(obj any) { SetObjectDefaultsResourceClaim(obj.(*resourcev1.ResourceClaim)) })
	s.AddTypeDefaultingFunc(&resourcev1.ResourceClaimList{}, func(obj any) {
		defaultEach(obj.(*resourcev1.ResourceClaimList).Items, SetObjectDefaultsResourceClaim)
	})
	s.AddTypeDefaultingFunc(&resourcev1.ResourceClaimTemplate{}, func(obj any) {
		SetObjectDefaultsResourceClaimTemplate(obj.(*resourcev1.ResourceClaimTemplate))
	})
	s.AddTypeDefaultingFunc(&resourcev1.ResourceClaimTemplateList{}, func(obj any) {
		defaultEach(obj.(*resourcev1.ResourceClaimTemplateList).Items, SetObjectDefaultsResourceClaimTemplate)
	})
	s.AddTypeDefaultingFunc(&resourcev1.ResourceSlice{}, func(obj any) { SetObjectDefaultsResourceSlice(obj.(*resourcev1.ResourceSlice)) })
	s.AddTypeDefaultingFunc(&resourcev1.ResourceSliceList{}, func(obj any) {
		defaultEach(obj.(*resourcev1.ResourceSliceList).Items, SetObjectDefaultsResourceSlice)
	})
	s.AddTypeDefaultingFunc(&resourcev1.DeviceTaintRule{}, func(obj any) { SetObjectDefaultsDeviceTaintRule(obj.(*resourcev1.DeviceTaintRule)) })
	s.AddTypeDefaultingFunc(&resourcev1.DeviceTaintRuleList{}, func(obj any) {
		defaultEach(obj.(*resourcev1.DeviceTaintRuleList).Items, SetObjectDefaultsDeviceTaintRule)
	})
	return nil
}

// SetObjectDefaultsResourceClaim defaults the claim's requests and the
// tolerations of its allocation.
func SetObjectDefaultsResourceClaim(c *resourcev1.ResourceClaim) {
	setDefaultsClaimSpec(&c.Spec)
	if a := c.Status.Allocation; a != nil {
		for i := range a.Devices.Results {
			defaultTolerations(a.Devices.Results[i].Tolerations)
		}
	}
}

// SetObjectDefaultsResourceClaimTemplate defaults the requests of the
// claims the template stamps out.
func SetObjectDefaultsResourceClaimTemplate(t *resourcev1.ResourceClaimTemplate) {
	setDefaultsClaimSpec(&t.Spec.Spec)
}

// SetObjectDefaultsResourceSlice stamps the devices' taints with the time
// they were added.
func SetObjectDefaultsResourceSlice(s *resourcev1.ResourceSlice) {
	for i := range s.Spec.Devices {
		for j := range s.Spec.Devices[i].Taints {
			setDefaultsDeviceTaint(&s.Spec.Devices[i].Taints[j])
		}
	}
}

// SetObjectDefaultsDeviceTaintRule stamps the rule's taint with the time it
// was added.
func SetObjectDefaultsDeviceTaintRule(r *resourcev1.DeviceTaintRule) {
	setDefaultsDeviceTaint(&r.Spec.Taint)
}

// setDefaultsClaimSpec makes a request without an allocation mode ask for
// exactly one device, and a toleration without an operator an Equal one.
func setDefaultsClaimSpec(spec *resourcev1.ResourceClaimSpec) {
	for i := range spec.Devices.Requests {
		r := &spec.Devices.Requests[i]
		if e := r.Exactly; e != nil {
			e.AllocationMode, e.Count = defaultAllocation(e.AllocationMode, e.Count)
			defaultTolerations(e.Tolerations)
		}
		for j := range r.FirstAvailable {
			sub := &r.FirstAvailable[j]
			sub.AllocationMode, sub.Count = defaultAllocation(sub.AllocationMode, sub.Count)
			defaultTolerations(sub.Tolerations)
		}
	}
}

func defaultAllocation(mode resourcev1.DeviceAllocationMode, count int64) (resourcev1.DeviceAllocationMode, int64) {
	if mode == "" {
		mode = resourcev1.DeviceAllocationModeExactCount
	}
	if mode == resourcev1.DeviceAllocationModeExactCount && count == 0 {
		count = 1
	}
	return mode, count
}

func defaultTolerations(tolerations []resourcev1.DeviceToleration) {
	for i := range tolerations {
		if tolerations[i].Operator == "" {
			tolerations[i].Operator = resourcev1.DeviceTolerationOpEqual
		}
	}
}

// setDefaultsDeviceTaint sets timeAdded to now, to the second as the API
// stores it, unless the client set it.
func setDefaultsDeviceTaint(t *resourcev1.DeviceTaint) {
	if t.TimeAdded == nil {
		t.TimeAdded = &metav1.Time{Time: now().Truncate(time.Second)}
	}
}

// defaultEach defaults each item of a list in place.
func defaultEach[T any](items []T, setDefaults func(*T)) {
	for i := range items {
		setDefaults(&items[i])
	}
}
