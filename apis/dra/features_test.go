package dra

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	resourcev1 "k8s.io/api/resource/v1"
	"k8s.io/utils/ptr"
)

func TestDropAlphaFields(t *testing.T) {
	t.Run("claim spec and status", func(t *testing.T) {
		derived := []resourcev1.DeviceDerivedAttribute{{Name: "example.com/x", Expression: "1"}}
		spec := resourcev1.ResourceClaimSpec{Devices: resourcev1.DeviceClaim{Requests: []resourcev1.DeviceRequest{
			{Name: "a", Exactly: &resourcev1.ExactDeviceRequest{DeviceClassName: "c", DerivedAttributes: derived}},
			{Name: "b", FirstAvailable: []resourcev1.DeviceSubRequest{{Name: "s", DeviceClassName: "c", DerivedAttributes: derived}}},
		}}}
		DropAlphaClaimSpecFields(&spec)
		if spec.Devices.Requests[0].Exactly.DerivedAttributes != nil || spec.Devices.Requests[1].FirstAvailable[0].DerivedAttributes != nil {
			t.Errorf("derived attributes kept: %+v", spec)
		}
		status := resourcev1.ResourceClaimStatus{Allocation: &resourcev1.AllocationResult{Devices: resourcev1.DeviceAllocationResult{
			Results: []resourcev1.DeviceRequestAllocationResult{{SkipNodeOperations: []resourcev1.SkipNodeOperation{"*"}}},
		}}}
		DropAlphaClaimStatusFields(&status)
		if status.Allocation.Devices.Results[0].SkipNodeOperations != nil {
			t.Errorf("skipNodeOperations kept")
		}
	})
	t.Run("slice", func(t *testing.T) {
		spec := resourcev1.ResourceSliceSpec{
			PartitionTypeAttribute: ptr.To[resourcev1.FullyQualifiedName]("example.com/type"),
			SkipNodeOperations:     []resourcev1.SkipNodeOperation{"*"},
			Devices: []resourcev1.Device{{
				Name: "d",
				Attributes: map[resourcev1.QualifiedName]resourcev1.DeviceAttribute{
					"list":   {IntValues: []int64{1}},
					"scalar": {IntValue: ptr.To[int64](1)},
				},
				ConsumesCounters:         []resourcev1.DeviceCounterConsumption{{CounterSet: "s", CompatibilityGroups: []string{"g"}}},
				NodeAllocatableResources: map[corev1.ResourceName]resourcev1.NodeAllocatableResource{"cpu": {}},
			}},
		}
		DropAlphaSliceFields(&spec)
		want := resourcev1.ResourceSliceSpec{Devices: []resourcev1.Device{{
			Name: "d",
			Attributes: map[resourcev1.QualifiedName]resourcev1.DeviceAttribute{
				"list":   {},
				"scalar": {IntValue: ptr.To[int64](1)},
			},
			ConsumesCounters: []resourcev1.DeviceCounterConsumption{{CounterSet: "s"}},
		}}}
		if diff := cmp.Diff(want, spec); diff != "" {
			t.Errorf("slice spec (-want +got):\n%s", diff)
		}
	})
}

func TestDropDeallocatedDevices(t *testing.T) {
	result := func(device string) resourcev1.DeviceRequestAllocationResult {
		return resourcev1.DeviceRequestAllocationResult{Request: "r", Driver: "d", Pool: "p", Device: device}
	}
	status := func(device string) resourcev1.AllocatedDeviceStatus {
		return resourcev1.AllocatedDeviceStatus{Driver: "d", Pool: "p", Device: device}
	}
	allocation := func(devices ...string) *resourcev1.AllocationResult {
		a := &resourcev1.AllocationResult{}
		for _, d := range devices {
			a.Devices.Results = append(a.Devices.Results, result(d))
		}
		return a
	}
	for _, tc := range []struct {
		name     string
		old, new *resourcev1.AllocationResult
		want     []resourcev1.AllocatedDeviceStatus
	}{
		{name: "still allocated", old: allocation("a", "b"), new: allocation("a", "b"), want: []resourcev1.AllocatedDeviceStatus{status("a"), status("b")}},
		{name: "deallocated", old: allocation("a", "b"), new: nil},
		{name: "never allocated is left to validation", old: nil, new: nil, want: []resourcev1.AllocatedDeviceStatus{status("a"), status("b")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := resourcev1.ResourceClaimStatus{Allocation: tc.new, Devices: []resourcev1.AllocatedDeviceStatus{status("a"), status("b")}}
			DropDeallocatedDevices(&s, &resourcev1.ResourceClaimStatus{Allocation: tc.old})
			if diff := cmp.Diff(tc.want, s.Devices); diff != "" {
				t.Errorf("devices (-want +got):\n%s", diff)
			}
		})
	}
}
