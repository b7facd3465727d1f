package dra

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	resourcev1 "k8s.io/api/resource/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// scheme has only this package's defaults, as the server's scheme
// registers them.
func defaultingScheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	if err := resourcev1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := Install(s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestClaimDefaults(t *testing.T) {
	exactCount, all := resourcev1.DeviceAllocationModeExactCount, resourcev1.DeviceAllocationModeAll
	equal, exists := resourcev1.DeviceTolerationOpEqual, resourcev1.DeviceTolerationOpExists
	in := resourcev1.ResourceClaimSpec{Devices: resourcev1.DeviceClaim{Requests: []resourcev1.DeviceRequest{
		{Name: "one", Exactly: &resourcev1.ExactDeviceRequest{DeviceClassName: "c",
			Tolerations: []resourcev1.DeviceToleration{{Key: "a"}, {Key: "b", Operator: exists}}}},
		{Name: "all", Exactly: &resourcev1.ExactDeviceRequest{DeviceClassName: "c", AllocationMode: all}},
		{Name: "three", Exactly: &resourcev1.ExactDeviceRequest{DeviceClassName: "c", Count: 3}},
		{Name: "alternatives", FirstAvailable: []resourcev1.DeviceSubRequest{
			{Name: "big", DeviceClassName: "c", Tolerations: []resourcev1.DeviceToleration{{Key: "a"}}},
			{Name: "all", DeviceClassName: "c", AllocationMode: all},
		}},
	}}}
	want := resourcev1.ResourceClaimSpec{Devices: resourcev1.DeviceClaim{Requests: []resourcev1.DeviceRequest{
		{Name: "one", Exactly: &resourcev1.ExactDeviceRequest{DeviceClassName: "c", AllocationMode: exactCount, Count: 1,
			Tolerations: []resourcev1.DeviceToleration{{Key: "a", Operator: equal}, {Key: "b", Operator: exists}}}},
		{Name: "all", Exactly: &resourcev1.ExactDeviceRequest{DeviceClassName: "c", AllocationMode: all}},
		{Name: "three", Exactly: &resourcev1.ExactDeviceRequest{DeviceClassName: "c", AllocationMode: exactCount, Count: 3}},
		{Name: "alternatives", FirstAvailable: []resourcev1.DeviceSubRequest{
			{Name: "big", DeviceClassName: "c", AllocationMode: exactCount, Count: 1, Tolerations: []resourcev1.DeviceToleration{{Key: "a", Operator: equal}}},
			{Name: "all", DeviceClassName: "c", AllocationMode: all},
		}},
	}}}
	s := defaultingScheme(t)

	t.Run("claim", func(t *testing.T) {
		c := &resourcev1.ResourceClaim{Spec: *in.DeepCopy(), Status: resourcev1.ResourceClaimStatus{Allocation: &resourcev1.AllocationResult{
			Devices: resourcev1.DeviceAllocationResult{Results: []resourcev1.DeviceRequestAllocationResult{{Tolerations: []resourcev1.DeviceToleration{{Key: "a"}}}}},
		}}}
		s.Default(c)
		if diff := cmp.Diff(want, c.Spec); diff != "" {
			t.Errorf("spec (-want +got):\n%s", diff)
		}
		if op := c.Status.Allocation.Devices.Results[0].Tolerations[0].Operator; op != equal {
			t.Errorf("allocated toleration operator = %q, want %q", op, equal)
		}
	})
	t.Run("template", func(t *testing.T) {
		list := &resourcev1.ResourceClaimTemplateList{Items: []resourcev1.ResourceClaimTemplate{{Spec: resourcev1.ResourceClaimTemplateSpec{Spec: *in.DeepCopy()}}}}
		s.Default(list)
		if diff := cmp.Diff(want, list.Items[0].Spec.Spec); diff != "" {
			t.Errorf("spec (-want +got):\n%s", diff)
		}
	})
}

func TestTaintDefaults(t *testing.T) {
	defer func(orig func() time.Time) { now = orig }(now)
	clock := time.Date(2026, 1, 2, 3, 4, 5, 600_000_000, time.UTC)
	now = func() time.Time { return clock }
	stamped := &metav1.Time{Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	earlier := &metav1.Time{Time: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	s := defaultingScheme(t)

	rule := &resourcev1.DeviceTaintRule{Spec: resourcev1.DeviceTaintRuleSpec{Taint: resourcev1.DeviceTaint{Key: "k", Effect: resourcev1.DeviceTaintEffectNone}}}
	s.Default(rule)
	if diff := cmp.Diff(stamped, rule.Spec.Taint.TimeAdded); diff != "" {
		t.Errorf("rule's timeAdded (-want +got):\n%s", diff)
	}

	slice := &resourcev1.ResourceSlice{Spec: resourcev1.ResourceSliceSpec{Devices: []resourcev1.Device{{Name: "d", Taints: []resourcev1.DeviceTaint{
		{Key: "new"}, {Key: "old", TimeAdded: earlier},
	}}}}}
	s.Default(slice)
	got := []*metav1.Time{slice.Spec.Devices[0].Taints[0].TimeAdded, slice.Spec.Devices[0].Taints[1].TimeAdded}
	if diff := cmp.Diff([]*metav1.Time{stamped, earlier}, got); diff != "" {
		t.Errorf("device taints' timeAdded (-want +got):\n%s", diff)
	}
}
