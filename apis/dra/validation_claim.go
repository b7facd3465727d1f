package dra

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	resourcev1 "k8s.io/api/resource/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/apis/core"
)

// Validation of ResourceClaims and ResourceClaimTemplates.

const requestRefMsg = "must be the name of a request in the claim or the name of a request and a subrequest separated by '/'"

// ValidateResourceClaim validates a claim on create.
func ValidateResourceClaim(claim *resourcev1.ResourceClaim) field.ErrorList {
	allErrs := core.ValidateObjectMeta(&claim.ObjectMeta, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	return append(allErrs, validateDeviceClaim(&claim.Spec.Devices, field.NewPath("spec", "devices"))...)
}

// ValidateResourceClaimUpdate validates an update of a claim. The spec is
// immutable, so only that is checked of it: nothing else about it can be
// fixed by the client.
func ValidateResourceClaimUpdate(claim, old *resourcev1.ResourceClaim) field.ErrorList {
	allErrs := core.ValidateObjectMeta(&claim.ObjectMeta, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	allErrs = append(allErrs, core.ValidateObjectMetaUpdate(&claim.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))...)
	return append(allErrs, core.ValidateImmutableField(claim.Spec, old.Spec, field.NewPath("spec"))...)
}

// ValidateResourceClaimStatusUpdate validates an update of a claim's status
// by the scheduler (allocation, reservedFor) or a driver (devices).
func ValidateResourceClaimStatusUpdate(claim, old *resourcev1.ResourceClaim) field.ErrorList {
	allErrs := core.ValidateObjectMetaUpdate(&claim.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	names := gatherRequestNames(&claim.Spec.Devices)
	return append(allErrs, validateClaimStatus(&claim.Status, &old.Status, claim.DeletionTimestamp != nil, names, field.NewPath("status"))...)
}

// ValidateResourceClaimTemplate validates a claim template on create.
func ValidateResourceClaimTemplate(t *resourcev1.ResourceClaimTemplate) field.ErrorList {
	p := field.NewPath("spec")
	allErrs := core.ValidateObjectMeta(&t.ObjectMeta, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	allErrs = append(allErrs, validateTemplateObjectMeta(&t.Spec.ObjectMeta, p.Child("metadata"))...)
	return append(allErrs, validateDeviceClaim(&t.Spec.Spec.Devices, p.Child("spec", "devices"))...)
}

// ValidateResourceClaimTemplateUpdate validates an update of a claim
// template, whose spec is immutable.
func ValidateResourceClaimTemplateUpdate(t, old *resourcev1.ResourceClaimTemplate) field.ErrorList {
	allErrs := core.ValidateObjectMetaUpdate(&t.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	return append(allErrs, core.ValidateImmutableField(t.Spec, old.Spec, field.NewPath("spec"))...)
}

// validateTemplateObjectMeta allows only labels and annotations in the
// metadata a template gives its claims, as upstream's
// ValidateTemplateObjectMeta. (apis/core has the same rule for ephemeral
// volume claim templates, unexported.)
func validateTemplateObjectMeta(meta *metav1.ObjectMeta, p *field.Path) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateAnnotations(meta.Annotations, p.Child("annotations"))
	allErrs = append(allErrs, metav1validation.ValidateLabels(meta.Labels, p.Child("labels"))...)
	t, v := reflect.TypeOf(*meta), reflect.ValueOf(*meta)
	for i := range t.NumField() {
		name := t.Field(i).Name
		if name == "Labels" || name == "Annotations" || v.Field(i).IsZero() {
			continue
		}
		r, n := utf8.DecodeRuneInString(name)
		allErrs = append(allErrs, field.Forbidden(p.Child(string(unicode.ToLower(r))+name[n:]), "cannot be set"))
	}
	return allErrs
}

func validateDeviceClaim(dc *resourcev1.DeviceClaim, p *field.Path) field.ErrorList {
	names := gatherRequestNames(dc)
	allErrs := validateSet(dc.Requests, resourcev1.DeviceRequestsMaxSize, validateDeviceRequest,
		func(r resourcev1.DeviceRequest) string { return r.Name }, p.Child("requests"))
	allErrs = append(allErrs, validateSlice(dc.Constraints, resourcev1.DeviceConstraintsMaxSize,
		func(c resourcev1.DeviceConstraint, p *field.Path) field.ErrorList {
			return validateDeviceConstraint(c, p, names)
		},
		p.Child("constraints"))...)
	return append(allErrs, validateSlice(dc.Config, resourcev1.DeviceConfigMaxSize,
		func(c resourcev1.DeviceClaimConfiguration, p *field.Path) field.ErrorList {
			allErrs := validateRequestRefs(c.Requests, p.Child("requests"), names)
			return append(allErrs, validateDeviceConfiguration(c.DeviceConfiguration, p, false)...)
		}, p.Child("config"))...)
}

func validateDeviceRequest(r resourcev1.DeviceRequest, p *field.Path) field.ErrorList {
	allErrs := validateRequestName(r.Name, p.Child("name"))
	switch {
	case r.Exactly == nil && len(r.FirstAvailable) == 0:
		allErrs = append(allErrs, field.Required(p, "exactly one of `exactly` or `firstAvailable` is required"))
	case r.Exactly != nil && len(r.FirstAvailable) > 0:
		allErrs = append(allErrs, field.Invalid(p, nil, "exactly one of `exactly` or `firstAvailable` is required, but multiple fields are set"))
	case r.Exactly != nil:
		e, ep := r.Exactly, p.Child("exactly")
		allErrs = append(allErrs, validateDeviceSelection(e.DeviceClassName, e.Selectors, e.AllocationMode, e.Count, e.Tolerations, ep)...)
	default:
		allErrs = append(allErrs, validateSet(r.FirstAvailable, resourcev1.FirstAvailableDeviceRequestMaxSize,
			func(s resourcev1.DeviceSubRequest, p *field.Path) field.ErrorList {
				allErrs := validateRequestName(s.Name, p.Child("name"))
				return append(allErrs, validateDeviceSelection(s.DeviceClassName, s.Selectors, s.AllocationMode, s.Count, s.Tolerations, p)...)
			},
			func(s resourcev1.DeviceSubRequest) string { return s.Name }, p.Child("firstAvailable"))...)
	}
	return allErrs
}

// validateDeviceSelection validates what an exact request and a subrequest
// share: the class, selectors, how many devices and the tolerations.
func validateDeviceSelection(class string, selectors []resourcev1.DeviceSelector, mode resourcev1.DeviceAllocationMode, count int64, tolerations []resourcev1.DeviceToleration, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if class == "" {
		allErrs = append(allErrs, field.Required(p.Child("deviceClassName"), ""))
	} else {
		allErrs = append(allErrs, validateDeviceClassName(class, p.Child("deviceClassName"))...)
	}
	allErrs = append(allErrs, validateSlice(selectors, resourcev1.DeviceSelectorsMaxSize,
		func(s resourcev1.DeviceSelector, p *field.Path) field.ErrorList { return validateSelector(s, p, false) },
		p.Child("selectors"))...)
	switch mode {
	case resourcev1.DeviceAllocationModeAll:
		if count != 0 {
			allErrs = append(allErrs, field.Invalid(p.Child("count"), count, fmt.Sprintf("must not be specified when allocationMode is '%s'", mode)))
		}
	case resourcev1.DeviceAllocationModeExactCount:
		if count <= 0 {
			allErrs = append(allErrs, field.Invalid(p.Child("count"), count, "must be greater than zero"))
		}
	default:
		allErrs = append(allErrs, field.NotSupported(p.Child("allocationMode"), mode,
			[]resourcev1.DeviceAllocationMode{resourcev1.DeviceAllocationModeAll, resourcev1.DeviceAllocationModeExactCount}))
	}
	for i, t := range tolerations {
		allErrs = append(allErrs, validateDeviceToleration(t, p.Child("tolerations").Index(i))...)
	}
	return allErrs
}

func validateDeviceConstraint(c resourcev1.DeviceConstraint, p *field.Path, names requestNames) field.ErrorList {
	allErrs := validateRequestRefs(c.Requests, p.Child("requests"), names)
	switch {
	case c.MatchAttribute != nil:
		allErrs = append(allErrs, validateFullyQualifiedName(*c.MatchAttribute, p.Child("matchAttribute"))...)
	case c.DistinctAttribute != nil:
		allErrs = append(allErrs, validateFullyQualifiedName(*c.DistinctAttribute, p.Child("distinctAttribute"))...)
	default:
		// Upstream's message (with DRAConsumableCapacity on, the 1.37
		// default), even though no field is set.
		allErrs = append(allErrs, field.Required(p, `exactly one of "matchAttribute" or "distinctAttribute" is required, but multiple fields are set`))
	}
	return allErrs
}

// requestNames are a claim's request names, each with the names of its
// subrequests (nil for an exact request).
type requestNames map[string]sets.Set[string]

func gatherRequestNames(dc *resourcev1.DeviceClaim) requestNames {
	names := requestNames{}
	for _, r := range dc.Requests {
		if len(r.FirstAvailable) == 0 {
			names[r.Name] = nil
			continue
		}
		subs := sets.New[string]()
		for _, s := range r.FirstAvailable {
			subs.Insert(s.Name)
		}
		names[r.Name] = subs
	}
	return names
}

// has reports whether ref names a request ("gpu") or a subrequest
// ("gpu/large") of the claim.
func (n requestNames) has(ref string) bool {
	request, sub, isSub := strings.Cut(ref, "/")
	subs, ok := n[request]
	if !ok {
		return false
	}
	return !isSub || subs.Has(sub)
}

// validateRequestRefs validates a unique list of references to the
// claim's requests (constraints, configs, allocation configs).
func validateRequestRefs(refs []string, p *field.Path, names requestNames) field.ErrorList {
	return validateSet(refs, resourcev1.DeviceRequestsMaxSize,
		func(ref string, p *field.Path) field.ErrorList { return validateRequestRef(ref, p, names) }, identity, p)
}

func validateRequestRef(ref string, p *field.Path, names requestNames) field.ErrorList {
	segments := strings.Split(ref, "/")
	if len(segments) > 2 {
		return field.ErrorList{field.Invalid(p, ref, requestRefMsg)}
	}
	var allErrs field.ErrorList
	for _, s := range segments {
		allErrs = append(allErrs, validateRequestName(s, p)...)
	}
	if !names.has(ref) {
		allErrs = append(allErrs, field.Invalid(p, ref, requestRefMsg))
	}
	return allErrs
}

func validateClaimStatus(status, old *resourcev1.ResourceClaimStatus, deleted bool, names requestNames, p *field.Path) field.ErrorList {
	rp := p.Child("reservedFor")
	allErrs := validateSet(status.ReservedFor, resourcev1.ResourceClaimReservedForMaxSize, validateConsumerReference,
		func(r resourcev1.ResourceClaimConsumerReference) types.UID { return r.UID }, rp)

	allocated := sets.New[string]()
	if status.Allocation != nil {
		for _, r := range status.Allocation.Devices.Results {
			allocated.Insert(deviceID(r.Driver, r.Pool, r.Device, (*string)(r.ShareID)))
		}
	}
	allErrs = append(allErrs, validateSet(status.Devices, -1,
		func(d resourcev1.AllocatedDeviceStatus, p *field.Path) field.ErrorList {
			return validateDeviceStatus(d, p, allocated)
		},
		func(d resourcev1.AllocatedDeviceStatus) string {
			return deviceID(d.Driver, d.Pool, d.Device, d.ShareID)
		},
		p.Child("devices"))...)

	if len(status.ReservedFor) > 0 {
		if status.Allocation == nil {
			allErrs = append(allErrs, field.Forbidden(rp, "may not be specified when `allocated` is not set"))
		} else if deleted && len(sets.New(status.ReservedFor...).Difference(sets.New(old.ReservedFor...))) > 0 {
			// A claim being deleted may lose consumers, never gain them.
			allErrs = append(allErrs, field.Forbidden(rp, "new entries may not be added while `deallocationRequested` or `deletionTimestamp` are set"))
		}
	}

	// An allocation, once made, cannot change; only a new one is
	// validated, since rules for new results may be tighter than those a
	// stored one passed.
	ap := p.Child("allocation")
	switch {
	case old.Allocation != nil && status.Allocation != nil:
		allErrs = append(allErrs, core.ValidateImmutableField(status.Allocation, old.Allocation, ap)...)
	case status.Allocation != nil:
		allErrs = append(allErrs, validateAllocationResult(status.Allocation, ap, names)...)
	}
	return allErrs
}

// deviceID identifies an allocated device, or a share of one.
func deviceID(driver, pool, device string, shareID *string) string {
	id := driver + "/" + pool + "/" + device
	if s := ptr.Deref(shareID, ""); s != "" {
		id += "/" + s
	}
	return id
}

func validateConsumerReference(r resourcev1.ResourceClaimConsumerReference, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if r.Resource == "" {
		allErrs = append(allErrs, field.Required(p.Child("resource"), ""))
	}
	if r.Name == "" {
		allErrs = append(allErrs, field.Required(p.Child("name"), ""))
	}
	if r.UID == "" {
		allErrs = append(allErrs, field.Required(p.Child("uid"), ""))
	}
	return allErrs
}

func validateAllocationResult(a *resourcev1.AllocationResult, p *field.Path, names requestNames) field.ErrorList {
	dp := p.Child("devices")
	allErrs := validateSlice(a.Devices.Results, resourcev1.AllocationResultsMaxSize,
		func(r resourcev1.DeviceRequestAllocationResult, p *field.Path) field.ErrorList {
			return validateRequestAllocationResult(r, p, names)
		}, dp.Child("results"))
	// Up to DeviceConfigMaxSize from the class and as many from the claim.
	allErrs = append(allErrs, validateSlice(a.Devices.Config, 2*resourcev1.DeviceConfigMaxSize,
		func(c resourcev1.DeviceAllocationConfiguration, p *field.Path) field.ErrorList {
			allErrs := validateAllocationConfigSource(c.Source, p.Child("source"))
			allErrs = append(allErrs, validateRequestRefs(c.Requests, p.Child("requests"), names)...)
			return append(allErrs, validateDeviceConfiguration(c.DeviceConfiguration, p, false)...)
		}, dp.Child("config"))...)
	if a.NodeSelector != nil {
		allErrs = append(allErrs, core.ValidateNodeSelector(a.NodeSelector, p.Child("nodeSelector"))...)
	}
	return allErrs
}

func validateRequestAllocationResult(r resourcev1.DeviceRequestAllocationResult, p *field.Path, names requestNames) field.ErrorList {
	allErrs := validateRequestRef(r.Request, p.Child("request"), names)
	allErrs = append(allErrs, validateDriverName(r.Driver, p.Child("driver"))...)
	allErrs = append(allErrs, validatePoolName(r.Pool, p.Child("pool"))...)
	allErrs = append(allErrs, validateDeviceName(r.Device, p.Child("device"))...)
	allErrs = append(allErrs, validateBindingConditions(r.BindingConditions, r.BindingFailureConditions, p)...)
	for i, t := range r.Tolerations {
		allErrs = append(allErrs, validateDeviceToleration(t, p.Child("tolerations").Index(i))...)
	}
	if r.ShareID != nil {
		allErrs = append(allErrs, validateUID(string(*r.ShareID), p.Child("shareID"))...)
	}
	return allErrs
}

func validateAllocationConfigSource(source resourcev1.AllocationConfigSource, p *field.Path) field.ErrorList {
	switch source {
	case "":
		return field.ErrorList{field.Required(p, "")}
	case resourcev1.AllocationConfigSourceClaim, resourcev1.AllocationConfigSourceClass:
		return nil
	}
	return field.ErrorList{field.NotSupported(p, source,
		[]resourcev1.AllocationConfigSource{resourcev1.AllocationConfigSourceClaim, resourcev1.AllocationConfigSourceClass})}
}

// validateDeviceStatus validates what a driver reports about a device it
// prepared for the claim.
func validateDeviceStatus(d resourcev1.AllocatedDeviceStatus, p *field.Path, allocated sets.Set[string]) field.ErrorList {
	allErrs := validateDriverName(d.Driver, p.Child("driver"))
	allErrs = append(allErrs, validatePoolName(d.Pool, p.Child("pool"))...)
	allErrs = append(allErrs, validateDeviceName(d.Device, p.Child("device"))...)
	if d.ShareID != nil {
		allErrs = append(allErrs, validateUID(*d.ShareID, p.Child("shareID"))...)
	}
	if id := deviceID(d.Driver, d.Pool, d.Device, d.ShareID); !allocated.Has(id) {
		allErrs = append(allErrs, field.Invalid(p, id, "must be an allocated device in the claim"))
	}
	cp := p.Child("conditions")
	if n := len(d.Conditions); n > resourcev1.AllocatedDeviceStatusMaxConditions {
		allErrs = append(allErrs, field.TooMany(cp, n, resourcev1.AllocatedDeviceStatusMaxConditions))
	}
	allErrs = append(allErrs, metav1validation.ValidateConditions(d.Conditions, cp)...)
	if d.Data != nil && len(d.Data.Raw) > 0 {
		allErrs = append(allErrs, validateRawExtension(*d.Data, p.Child("data"), false, resourcev1.AllocatedDeviceStatusDataMaxLength)...)
	}
	if n := d.NetworkData; n != nil {
		np := p.Child("networkData")
		if len(n.InterfaceName) > resourcev1.NetworkDeviceDataInterfaceNameMaxLength {
			allErrs = append(allErrs, field.TooLong(np.Child("interfaceName"), "", resourcev1.NetworkDeviceDataInterfaceNameMaxLength))
		}
		if len(n.HardwareAddress) > resourcev1.NetworkDeviceDataHardwareAddressMaxLength {
			allErrs = append(allErrs, field.TooLong(np.Child("hardwareAddress"), "", resourcev1.NetworkDeviceDataHardwareAddressMaxLength))
		}
		allErrs = append(allErrs, validateSet(n.IPs, resourcev1.NetworkDeviceDataMaxIPs,
			func(ip string, p *field.Path) field.ErrorList { return validation.IsValidInterfaceAddress(p, ip) },
			identity, np.Child("ips"))...)
	}
	return allErrs
}

var normalizedUID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// validateUID requires a share ID in RFC 4122 normalized form. Upstream
// parses it first and reports why an unparsable one fails; kubeshim gives
// the normalized-form message for every bad ID.
func validateUID(uid string, p *field.Path) field.ErrorList {
	if !normalizedUID.MatchString(uid) {
		return field.ErrorList{field.Invalid(p, uid, "uid must be in RFC 4122 normalized form, `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` with lowercase hexadecimal characters")}
	}
	return nil
}
