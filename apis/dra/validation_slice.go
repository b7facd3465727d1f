package dra

import (
	"fmt"
	"regexp"
	"strings"

	resourcev1 "k8s.io/api/resource/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubeshim/kubeshim/apis/core"
)

// Validation of ResourceSlices, which drivers publish for their pools of
// devices.

const perDeviceNodeSelectionMsg = "exactly one of `nodeName`, `nodeSelector`, or `allNodes` is required when `perDeviceNodeSelection` is set to true in the ResourceSlice spec"

// semver is semver.org 2.0.0: three numbers, optional pre-release and build
// identifiers.
var semver = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)` +
	`(-(0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(\.(0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*)?` +
	`(\+[0-9a-zA-Z-]+(\.[0-9a-zA-Z-]+)*)?$`)

// ValidateResourceSlice validates a resource slice on create.
func ValidateResourceSlice(slice *resourcev1.ResourceSlice) field.ErrorList {
	allErrs := core.ValidateObjectMeta(&slice.ObjectMeta, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	return append(allErrs, validateResourceSliceSpec(&slice.Spec, nil, field.NewPath("spec"))...)
}

// ValidateResourceSliceUpdate validates an update of a resource slice: its
// driver, pool name and node name are fixed.
func ValidateResourceSliceUpdate(slice, old *resourcev1.ResourceSlice) field.ErrorList {
	allErrs := core.ValidateObjectMetaUpdate(&slice.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	return append(allErrs, validateResourceSliceSpec(&slice.Spec, &old.Spec, field.NewPath("spec"))...)
}

func validateResourceSliceSpec(spec, old *resourcev1.ResourceSliceSpec, p *field.Path) field.ErrorList {
	allErrs := validateDriverName(spec.Driver, p.Child("driver"))
	pp := p.Child("pool")
	allErrs = append(allErrs, validatePoolName(spec.Pool.Name, pp.Child("name"))...)
	if spec.Pool.ResourceSliceCount <= 0 {
		allErrs = append(allErrs, field.Invalid(pp.Child("resourceSliceCount"), spec.Pool.ResourceSliceCount, "must be greater than zero"))
	}
	if spec.Pool.Generation < 0 {
		allErrs = append(allErrs, field.Invalid(pp.Child("generation"), spec.Pool.Generation, "must be greater than or equal to zero"))
	}
	if old != nil {
		allErrs = append(allErrs, core.ValidateImmutableField(spec.Pool.Name, old.Pool.Name, pp.Child("name"))...)
		allErrs = append(allErrs, core.ValidateImmutableField(spec.Driver, old.Driver, p.Child("driver"))...)
		allErrs = append(allErrs, core.ValidateImmutableField(spec.NodeName, old.NodeName, p.Child("nodeName"))...)
	}
	allErrs = append(allErrs, validateSliceNodeSelection(spec, p)...)
	if spec.SharedCounters != nil && spec.Devices != nil {
		allErrs = append(allErrs, field.Invalid(p, "", "only one of `sharedCounters` or `devices` is allowed"))
	}

	// Taints and counters make devices bigger, so fewer fit in a slice.
	maxDevices := resourcev1.ResourceSliceMaxDevices
	for _, d := range spec.Devices {
		if len(d.Taints) > 0 || len(d.ConsumesCounters) > 0 {
			maxDevices = resourcev1.ResourceSliceMaxDevicesWithAdvancedFeatures
			break
		}
	}
	allErrs = append(allErrs, validateSet(spec.Devices, maxDevices,
		func(d resourcev1.Device, p *field.Path) field.ErrorList {
			return validateDevice(d, lookupDevice(old, d.Name), p, spec.PerDeviceNodeSelection)
		},
		func(d resourcev1.Device) string { return d.Name }, p.Child("devices"))...)
	return append(allErrs, validateSet(spec.SharedCounters, resourcev1.ResourceSliceMaxCounterSets, validateCounterSet,
		func(c resourcev1.CounterSet) string { return c.Name }, p.Child("sharedCounters"))...)
}

// validateSliceNodeSelection requires exactly one way of saying which
// nodes the slice's devices are reachable from.
func validateSliceNodeSelection(spec *resourcev1.ResourceSliceSpec, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	var set []string
	if spec.NodeName != nil {
		if *spec.NodeName != "" {
			set = append(set, "`nodeName`")
			allErrs = append(allErrs, core.ValidateNameFunc(apimachineryvalidation.NameIsDNSSubdomain, *spec.NodeName, p.Child("nodeName"))...)
		} else {
			allErrs = append(allErrs, field.Invalid(p.Child("nodeName"), *spec.NodeName, "must be either unset or set to a non-empty string"))
		}
	}
	if spec.NodeSelector != nil {
		set = append(set, "`nodeSelector`")
		allErrs = append(allErrs, core.ValidateNodeSelector(spec.NodeSelector, p.Child("nodeSelector"))...)
		// One term keeps merging the selectors of devices from several
		// slices simple.
		if terms := spec.NodeSelector.NodeSelectorTerms; len(terms) != 1 {
			allErrs = append(allErrs, field.Invalid(p.Child("nodeSelector", "nodeSelectorTerms"), terms, "must have exactly one node selector term"))
		}
	}
	for _, b := range []struct {
		name  string
		value *bool
	}{{"allNodes", spec.AllNodes}, {"perDeviceNodeSelection", spec.PerDeviceNodeSelection}} {
		switch {
		case b.value == nil:
		case *b.value:
			set = append(set, "`"+b.name+"`")
		default:
			allErrs = append(allErrs, field.Invalid(p.Child(b.name), *b.value, "must be either unset or set to true"))
		}
	}
	switch len(set) {
	case 0:
		allErrs = append(allErrs, field.Required(p, "exactly one of `nodeName`, `nodeSelector`, `allNodes`, `perDeviceNodeSelection` is required"))
	case 1:
	default:
		allErrs = append(allErrs, field.Invalid(p, fmt.Sprintf("{%s}", strings.Join(set, ", ")),
			"exactly one of `nodeName`, `nodeSelector`, `allNodes`, `perDeviceNodeSelection` is required, but multiple fields are set"))
	}
	return allErrs
}

func lookupDevice(spec *resourcev1.ResourceSliceSpec, name string) *resourcev1.Device {
	if spec == nil {
		return nil
	}
	for i := range spec.Devices {
		if spec.Devices[i].Name == name {
			return &spec.Devices[i]
		}
	}
	return nil
}

// validateDevice validates one device. Its capacity and taints are checked
// only when new or changed (old is the stored device of the same name).
func validateDevice(d resourcev1.Device, old *resourcev1.Device, p *field.Path, perDeviceNodeSelection *bool) field.ErrorList {
	allErrs := validateDeviceName(d.Name, p.Child("name"))
	if n := len(d.Attributes) + len(d.Capacity); n > resourcev1.ResourceSliceMaxAttributesAndCapacitiesPerDevice {
		allErrs = append(allErrs, field.Invalid(p, n, fmt.Sprintf("the total number of attributes and capacities must not exceed %d", resourcev1.ResourceSliceMaxAttributesAndCapacitiesPerDevice)))
	}
	if n := len(d.Attributes); n > resourcev1.ResourceSliceMaxAttributeValuesPerDevice {
		allErrs = append(allErrs, field.Invalid(p, n, fmt.Sprintf("the total number of attribute values must not exceed %d", resourcev1.ResourceSliceMaxAttributeValuesPerDevice)))
	}
	allErrs = append(allErrs, validateMap(d.Attributes, -1, attributeAndCapacityMaxKeyLength, validateQualifiedName, validateDeviceAttribute, p.Child("attributes"))...)
	if old == nil || !apiequality.Semantic.DeepEqual(old.Capacity, d.Capacity) {
		multi := d.AllowMultipleAllocations != nil && *d.AllowMultipleAllocations
		allErrs = append(allErrs, validateMap(d.Capacity, -1, attributeAndCapacityMaxKeyLength, validateQualifiedName,
			func(c resourcev1.DeviceCapacity, p *field.Path) field.ErrorList { return validateCapacity(c, multi, p) },
			p.Child("capacity"))...)
	}
	if old == nil || !apiequality.Semantic.DeepEqual(old.Taints, d.Taints) {
		allErrs = append(allErrs, validateSlice(d.Taints, resourcev1.DeviceTaintsMaxLength,
			func(t resourcev1.DeviceTaint, p *field.Path) field.ErrorList { return validateDeviceTaint(t, nil, p) },
			p.Child("taints"))...)
	}
	allErrs = append(allErrs, validateSet(d.ConsumesCounters, resourcev1.ResourceSliceMaxDeviceCounterConsumptionsPerDevice,
		func(c resourcev1.DeviceCounterConsumption, p *field.Path) field.ErrorList {
			return validateCounters(c.CounterSet, "counterSet", c.Counters, resourcev1.ResourceSliceMaxCountersPerDeviceCounterConsumption, p)
		},
		func(c resourcev1.DeviceCounterConsumption) string { return c.CounterSet }, p.Child("consumesCounters"))...)
	allErrs = append(allErrs, validateDeviceNodeSelection(d, p, perDeviceNodeSelection != nil && *perDeviceNodeSelection)...)
	return append(allErrs, validateBindingConditions(d.BindingConditions, d.BindingFailureConditions, p)...)
}

// validateDeviceNodeSelection: with perDeviceNodeSelection, each device
// says which nodes reach it, in exactly one way; without, none may.
func validateDeviceNodeSelection(d resourcev1.Device, p *field.Path, perDevice bool) field.ErrorList {
	if !perDevice {
		if d.NodeName != nil || d.NodeSelector != nil || d.AllNodes != nil {
			return field.ErrorList{field.Invalid(p, nil, "`nodeName`, `nodeSelector` and `allNodes` can only be set if `perDeviceNodeSelection` is set to true in the ResourceSlice spec")}
		}
		return nil
	}
	var allErrs field.ErrorList
	var set []string
	if d.NodeName != nil {
		if *d.NodeName != "" {
			set = append(set, "`nodeName`")
			allErrs = append(allErrs, core.ValidateNameFunc(apimachineryvalidation.NameIsDNSSubdomain, *d.NodeName, p.Child("nodeName"))...)
		} else {
			allErrs = append(allErrs, field.Invalid(p.Child("nodeName"), *d.NodeName, "must not be empty"))
		}
	}
	if d.NodeSelector != nil {
		set = append(set, "`nodeSelector`")
		allErrs = append(allErrs, core.ValidateNodeSelector(d.NodeSelector, p.Child("nodeSelector"))...)
	}
	if d.AllNodes != nil {
		if *d.AllNodes {
			set = append(set, "`allNodes`")
		} else {
			allErrs = append(allErrs, field.Invalid(p.Child("allNodes"), *d.AllNodes, "must be either unset or set to true"))
		}
	}
	switch len(set) {
	case 0:
		allErrs = append(allErrs, field.Required(p, perDeviceNodeSelectionMsg))
	case 1:
	default:
		allErrs = append(allErrs, field.Invalid(p, fmt.Sprintf("{%s}", strings.Join(set, ", ")), perDeviceNodeSelectionMsg))
	}
	return allErrs
}

// validateDeviceAttribute requires exactly one scalar value. (The list
// values of the alpha DRAListTypeAttributes were dropped before.)
func validateDeviceAttribute(a resourcev1.DeviceAttribute, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	n := 0
	if a.BoolValue != nil {
		n++
	}
	if a.IntValue != nil {
		n++
	}
	if a.StringValue != nil {
		n++
		if len(*a.StringValue) > resourcev1.DeviceAttributeMaxValueLength {
			allErrs = append(allErrs, field.TooLong(p.Child("string"), "", resourcev1.DeviceAttributeMaxValueLength))
		}
	}
	if a.VersionValue != nil {
		n++
		if !semver.MatchString(*a.VersionValue) {
			allErrs = append(allErrs, field.Invalid(p.Child("version"), *a.VersionValue, "must be a string compatible with semver.org spec 2.0.0"))
		}
		if len(*a.VersionValue) > resourcev1.DeviceAttributeMaxValueLength {
			allErrs = append(allErrs, field.TooLong(p.Child("version"), "", resourcev1.DeviceAttributeMaxValueLength))
		}
	}
	switch n {
	case 0:
		allErrs = append(allErrs, field.Invalid(p, "", "exactly one value must be specified"))
	case 1:
	default:
		allErrs = append(allErrs, field.Invalid(p, a, "exactly one value must be specified"))
	}
	return allErrs
}

// validateCapacity checks a request policy's shape: only a device that can
// be allocated several times may have one, and it offers either discrete
// values or a range, with a default. Whether the values fit the capacity is
// not checked (docs/differences.md).
func validateCapacity(c resourcev1.DeviceCapacity, multipleAllocations bool, p *field.Path) field.ErrorList {
	policy, pp := c.RequestPolicy, p.Child("requestPolicy")
	switch {
	case policy == nil:
		return nil
	case !multipleAllocations:
		return field.ErrorList{field.Forbidden(pp, "allowMultipleAllocations must be true")}
	case len(policy.ValidValues) > 0 && policy.ValidRange != nil:
		return field.ErrorList{field.Forbidden(pp, `exactly one policy can be specified, cannot specify "validValues" and "validRange" at the same time`)}
	case len(policy.ValidValues) > 0 && policy.Default == nil:
		return field.ErrorList{field.Required(pp.Child("default"), "required when validValues is defined")}
	case policy.ValidRange != nil && policy.Default == nil:
		return field.ErrorList{field.Required(pp.Child("default"), "required when validRange is defined")}
	case policy.ValidRange != nil && policy.ValidRange.Min == nil:
		return field.ErrorList{field.Required(pp.Child("validRange", "min"), "required when validRange is defined")}
	}
	return nil
}

func validateCounterSet(c resourcev1.CounterSet, p *field.Path) field.ErrorList {
	return validateCounters(c.Name, "name", c.Counters, resourcev1.ResourceSliceMaxCountersPerCounterSet, p)
}

// validateCounters validates a named set of counters: a counter set of the
// slice, or what a device consumes of one.
func validateCounters(name, nameField string, counters map[string]resourcev1.Counter, maxSize int, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if name == "" {
		allErrs = append(allErrs, field.Required(p.Child(nameField), ""))
	} else {
		allErrs = append(allErrs, validateCounterName(name, p.Child(nameField))...)
	}
	if len(counters) == 0 {
		return append(allErrs, field.Required(p.Child("counters"), ""))
	}
	return append(allErrs, validateMap(counters, maxSize, validation.DNS1123LabelMaxLength, validateCounterName,
		func(resourcev1.Counter, *field.Path) field.ErrorList { return nil }, p.Child("counters"))...)
}
