package dra

import resourcev1 "k8s.io/api/resource/v1"

// Upstream 1.37 drops the fields of alpha DRA features, whose gates are off
// by default, from what clients write unless the stored object already uses
// them (a "ratchet" for clusters that had the gate on). kubeshim has no
// feature gates: these fields are never stored, so they are always dropped,
// before validation as upstream's PrepareForCreate and PrepareForUpdate do.
//
// Dropped: DRADerivedAttributes (requests' derivedAttributes),
// DRAOptionalNodeOperations (skipNodeOperations), DRAListTypeAttributes
// (bools, ints, strings, versions of a device attribute),
// DRADeviceCompatibilityGroups (consumesCounters' compatibilityGroups),
// DRANodeAllocatableResources (devices' nodeAllocatableResources) and
// DRAPartitionableDevicesType (spec.partitionTypeAttribute).

// DropAlphaClaimSpecFields drops the alpha fields of a claim's spec, or of
// a template's claim spec.
func DropAlphaClaimSpecFields(spec *resourcev1.ResourceClaimSpec) {
	for i := range spec.Devices.Requests {
		r := &spec.Devices.Requests[i]
		if r.Exactly != nil {
			r.Exactly.DerivedAttributes = nil
		}
		for j := range r.FirstAvailable {
			r.FirstAvailable[j].DerivedAttributes = nil
		}
	}
}

// DropAlphaClaimStatusFields drops the alpha fields of a claim's status.
func DropAlphaClaimStatusFields(status *resourcev1.ResourceClaimStatus) {
	if a := status.Allocation; a != nil {
		for i := range a.Devices.Results {
			a.Devices.Results[i].SkipNodeOperations = nil
		}
	}
}

// DropAlphaSliceFields drops the alpha fields of a resource slice's spec.
func DropAlphaSliceFields(spec *resourcev1.ResourceSliceSpec) {
	spec.PartitionTypeAttribute = nil
	spec.SkipNodeOperations = nil
	for i := range spec.Devices {
		d := &spec.Devices[i]
		d.NodeAllocatableResources = nil
		for j := range d.ConsumesCounters {
			d.ConsumesCounters[j].CompatibilityGroups = nil
		}
		for name, attr := range d.Attributes {
			if attr.BoolValues != nil || attr.IntValues != nil || attr.StringValues != nil || attr.VersionValues != nil {
				attr.BoolValues, attr.IntValues, attr.StringValues, attr.VersionValues = nil, nil, nil, nil
				d.Attributes[name] = attr
			}
		}
	}
}

// DropDeallocatedDevices drops from a claim's status.devices the devices
// that were allocated before this status update and are not any more:
// what a driver reported about a device goes with its allocation.
func DropDeallocatedDevices(status, old *resourcev1.ResourceClaimStatus) {
	gone := map[string]bool{}
	if old.Allocation != nil {
		for _, r := range old.Allocation.Devices.Results {
			gone[deviceID(r.Driver, r.Pool, r.Device, (*string)(r.ShareID))] = true
		}
	}
	if status.Allocation != nil {
		for _, r := range status.Allocation.Devices.Results {
			delete(gone, deviceID(r.Driver, r.Pool, r.Device, (*string)(r.ShareID)))
		}
	}
	if len(gone) == 0 {
		return
	}
	kept := status.Devices[:0]
	for _, d := range status.Devices {
		if !gone[deviceID(d.Driver, d.Pool, d.Device, d.ShareID)] {
			kept = append(kept, d)
		}
	}
	status.Devices = kept
	if len(kept) == 0 {
		status.Devices = nil
	}
}
