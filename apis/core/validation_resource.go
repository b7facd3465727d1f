package core

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	netutils "k8s.io/utils/net"
)

// Resource names and quantities, and the IP rules shared by several kinds.
// The predicates mirror upstream's pkg/apis/core/helper for v1 names.

var standardContainerResources = sets.New(corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage)

var standardQuotaResources = sets.New(
	corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage,
	corev1.ResourceRequestsCPU, corev1.ResourceRequestsMemory, corev1.ResourceRequestsStorage, corev1.ResourceRequestsEphemeralStorage,
	corev1.ResourceLimitsCPU, corev1.ResourceLimitsMemory, corev1.ResourceLimitsEphemeralStorage,
	corev1.ResourcePods, corev1.ResourceQuotas, corev1.ResourceServices, corev1.ResourceReplicationControllers,
	corev1.ResourceSecrets, corev1.ResourcePersistentVolumeClaims, corev1.ResourceConfigMaps,
	corev1.ResourceServicesNodePorts, corev1.ResourceServicesLoadBalancers,
)

// standardResources are standardQuotaResources plus plain storage.
var standardResources = standardQuotaResources.Clone().Insert(corev1.ResourceStorage)

var integerResources = sets.New(
	corev1.ResourcePods, corev1.ResourceQuotas, corev1.ResourceServices, corev1.ResourceReplicationControllers,
	corev1.ResourceSecrets, corev1.ResourceConfigMaps, corev1.ResourcePersistentVolumeClaims,
	corev1.ResourceServicesNodePorts, corev1.ResourceServicesLoadBalancers,
)

var standardResourceQuotaScopes = sets.New(
	corev1.ResourceQuotaScopeTerminating, corev1.ResourceQuotaScopeNotTerminating,
	corev1.ResourceQuotaScopeBestEffort, corev1.ResourceQuotaScopeNotBestEffort,
	corev1.ResourceQuotaScopePriorityClass, corev1.ResourceQuotaScopeVolumeAttributesClass,
	corev1.ResourceQuotaScopeCrossNamespacePodAffinity,
)

var podComputeQuotaResources = sets.New(
	corev1.ResourcePods, corev1.ResourceCPU, corev1.ResourceMemory,
	corev1.ResourceLimitsCPU, corev1.ResourceLimitsMemory, corev1.ResourceRequestsCPU, corev1.ResourceRequestsMemory,
)

func isHugePageResourceName(name corev1.ResourceName) bool {
	return strings.HasPrefix(string(name), corev1.ResourceHugePagesPrefix)
}

func isQuotaHugePageResourceName(name corev1.ResourceName) bool {
	return isHugePageResourceName(name) || strings.HasPrefix(string(name), corev1.ResourceRequestsHugePagesPrefix)
}

// isNativeResource reports names in the kubernetes.io/ namespace; unprefixed
// names are implicitly in it.
func isNativeResource(name corev1.ResourceName) bool {
	return !strings.Contains(string(name), "/") || strings.Contains(string(name), corev1.ResourceDefaultNamespacePrefix)
}

func isExtendedResourceName(name corev1.ResourceName) bool {
	if isNativeResource(name) || strings.HasPrefix(string(name), corev1.DefaultResourceRequestsPrefix) {
		return false
	}
	// The quota system will track it as requests.<name>.
	return len(validation.IsQualifiedName(corev1.DefaultResourceRequestsPrefix+string(name))) == 0
}

func isOvercommitAllowed(name corev1.ResourceName) bool {
	return isNativeResource(name) && !isHugePageResourceName(name)
}

func isStandardQuotaResourceName(name corev1.ResourceName) bool {
	return standardQuotaResources.Has(name) || isQuotaHugePageResourceName(name)
}

func isIntegerResourceName(name corev1.ResourceName) bool {
	return integerResources.Has(name) || isExtendedResourceName(name)
}

func isResourceQuotaScopeValidForResource(scope corev1.ResourceQuotaScope, name corev1.ResourceName) bool {
	switch scope {
	case corev1.ResourceQuotaScopeTerminating, corev1.ResourceQuotaScopeNotTerminating, corev1.ResourceQuotaScopeNotBestEffort,
		corev1.ResourceQuotaScopePriorityClass, corev1.ResourceQuotaScopeCrossNamespacePodAffinity:
		return podComputeQuotaResources.Has(name)
	case corev1.ResourceQuotaScopeBestEffort:
		return name == corev1.ResourcePods
	case corev1.ResourceQuotaScopeVolumeAttributesClass:
		return name == corev1.ResourcePersistentVolumeClaims || name == corev1.ResourceRequestsStorage
	default:
		return true
	}
}

func validateResourceName(value corev1.ResourceName, fldPath *field.Path) field.ErrorList {
	if errs := ValidateQualifiedName(string(value), fldPath); len(errs) != 0 {
		return errs
	}
	if !strings.Contains(string(value), "/") && !standardResources.Has(value) && !isQuotaHugePageResourceName(value) {
		return field.ErrorList{field.Invalid(fldPath, value, "must be a standard resource type or fully qualified")}
	}
	return nil
}

func validateContainerResourceName(value corev1.ResourceName, fldPath *field.Path) field.ErrorList {
	allErrs := validateResourceName(value, fldPath)
	if !strings.Contains(string(value), "/") {
		if !standardContainerResources.Has(value) && !isHugePageResourceName(value) {
			return append(allErrs, field.Invalid(fldPath, value, "must be a standard resource for containers"))
		}
	} else if !isNativeResource(value) && !isExtendedResourceName(value) {
		return append(allErrs, field.Invalid(fldPath, value, "doesn't follow extended resource name standard"))
	}
	return allErrs
}

func validatePodResourceName(value corev1.ResourceName, fldPath *field.Path) field.ErrorList {
	if errs := validateResourceName(value, fldPath); len(errs) != 0 {
		return errs
	}
	if value != corev1.ResourceCPU && value != corev1.ResourceMemory && !isHugePageResourceName(value) {
		return field.ErrorList{field.NotSupported(fldPath, value, []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceHugePagesPrefix, corev1.ResourceMemory})}
	}
	return nil
}

func validateResourceQuotaResourceName(value corev1.ResourceName, fldPath *field.Path) field.ErrorList {
	allErrs := validateResourceName(value, fldPath)
	if !strings.Contains(string(value), "/") && !isStandardQuotaResourceName(value) {
		return append(allErrs, field.Invalid(fldPath, value, isInvalidQuotaResource))
	}
	return allErrs
}

// hugePageDivisibilityError reports a hugepage quantity that is not a whole
// number of pages.
func hugePageDivisibilityError(name corev1.ResourceName, q resource.Quantity) error {
	if !isHugePageResourceName(name) {
		return nil
	}
	pageSize, err := resource.ParseQuantity(strings.TrimPrefix(string(name), corev1.ResourceHugePagesPrefix))
	if err != nil || pageSize.Sign() <= 0 || pageSize.MilliValue()%1000 != 0 || q.Value()%pageSize.Value() != 0 {
		return fmt.Errorf("%s is not positive integer multiple of %s", q.String(), name)
	}
	return nil
}

// validateResourceRequirements checks names and quantities of requests and
// limits, that requests do not exceed limits (and equal them for resources
// that cannot be overcommitted), and that claims name pod resource claims.
func validateResourceRequirements(req *corev1.ResourceRequirements, nameFn func(corev1.ResourceName, *field.Path) field.ErrorList, podClaimNames sets.Set[string], fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	limPath, reqPath := fldPath.Child("limits"), fldPath.Child("requests")
	hasCPUOrMemory, hasHugePages := false, false
	check := func(name corev1.ResourceName, q resource.Quantity, p *field.Path) {
		allErrs = append(allErrs, nameFn(name, p)...)
		allErrs = append(allErrs, ValidateResourceQuantityValue(name, q, p)...)
	}
	hugePages := func(name corev1.ResourceName, q resource.Quantity, p *field.Path) {
		if isHugePageResourceName(name) {
			hasHugePages = true
			if err := hugePageDivisibilityError(name, q); err != nil {
				allErrs = append(allErrs, field.Invalid(p, q.String(), err.Error()))
			}
		}
		if name == corev1.ResourceCPU || name == corev1.ResourceMemory {
			hasCPUOrMemory = true
		}
	}
	for _, name := range sortedResourceNames(req.Limits) {
		q := req.Limits[name]
		p := limPath.Key(string(name))
		check(name, q, p)
		hugePages(name, q, p)
	}
	for _, name := range sortedResourceNames(req.Requests) {
		q := req.Requests[name]
		p := reqPath.Key(string(name))
		check(name, q, p)
		if limit, ok := req.Limits[name]; ok {
			if q.Cmp(limit) != 0 && !isOvercommitAllowed(name) {
				allErrs = append(allErrs, field.Invalid(reqPath, q.String(), fmt.Sprintf("must be equal to %s limit of %s", name, limit.String())))
			} else if q.Cmp(limit) > 0 {
				allErrs = append(allErrs, field.Invalid(reqPath, q.String(), fmt.Sprintf("must be less than or equal to %s limit of %s", name, limit.String())))
			}
		} else if !isOvercommitAllowed(name) {
			allErrs = append(allErrs, field.Required(limPath, "Limit must be set for non overcommitable resources"))
		}
		hugePages(name, q, p)
	}
	if !hasCPUOrMemory && hasHugePages {
		allErrs = append(allErrs, field.Forbidden(fldPath, "HugePages require cpu or memory"))
	}
	return append(allErrs, validateResourceClaimNames(req.Claims, podClaimNames, fldPath.Child("claims"))...)
}

func validateResourceClaimNames(claims []corev1.ResourceClaim, podClaimNames sets.Set[string], fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	names := sets.New[string]()
	for i, claim := range claims {
		idxPath := fldPath.Index(i)
		if claim.Name == "" {
			allErrs = append(allErrs, field.Required(idxPath, ""))
			continue
		}
		if names.Has(claim.Name) {
			// Every request of that claim is referenced already.
			allErrs = append(allErrs, field.Duplicate(idxPath, claim.Name))
		} else {
			key := claim.Name
			if claim.Request != "" {
				allErrs = append(allErrs, ValidateDNS1123Label(claim.Request, idxPath.Child("request"))...)
				key += "/" + claim.Request
			}
			if names.Has(key) {
				allErrs = append(allErrs, field.Duplicate(idxPath, key))
			} else if claim.Request == "" {
				// A whole claim overlaps any of its requests referenced earlier.
				for _, other := range sets.List(names) {
					if before, _, ok := strings.Cut(other, "/"); ok && before == claim.Name {
						allErrs = append(allErrs, field.Duplicate(idxPath, claim.Name))
					}
				}
			}
			names.Insert(key)
		}
		if !podClaimNames.Has(claim.Name) {
			err := field.NotFound(idxPath, claim.Name)
			err.Detail = "must be one of the names in pod.spec.resourceClaims"
			if len(podClaimNames) == 0 {
				err.Detail += " which is empty"
			} else {
				err.Detail += ": " + strings.Join(sets.List(podClaimNames), ", ")
			}
			allErrs = append(allErrs, err)
		}
	}
	return allErrs
}

// sortedResourceNames makes error order deterministic; upstream iterates the
// map, so its order is random and only the set of errors is specified.
func sortedResourceNames(list corev1.ResourceList) []corev1.ResourceName {
	names := make([]corev1.ResourceName, 0, len(list))
	for name := range list {
		names = append(names, name)
	}
	return sets.List(sets.New(names...))
}

// IsValidIPForLegacyField validates the IP fields that predate strict IP
// parsing. Strict validation is on, as with upstream's default
// StrictIPCIDRValidation gate; values already stored are tolerated.
func IsValidIPForLegacyField(fldPath *field.Path, value string, validOldIPs []string) field.ErrorList {
	return validation.IsValidIPForLegacyField(fldPath, value, true, validOldIPs)
}

// IsValidCIDRForLegacyField is IsValidIPForLegacyField for CIDR fields.
func IsValidCIDRForLegacyField(fldPath *field.Path, value string, validOldCIDRs []string) field.ErrorList {
	return validation.IsValidCIDRForLegacyField(fldPath, value, true, validOldCIDRs)
}

// ValidateEndpointIP refuses addresses that cannot be the target of an
// endpoint: unspecified, loopback and link-local ones.
func ValidateEndpointIP(ipAddress string, fldPath *field.Path) field.ErrorList {
	ip := netutils.ParseIPSloppy(ipAddress)
	if ip == nil {
		return field.ErrorList{field.Invalid(fldPath, ipAddress, "must be a valid IP address")}
	}
	var allErrs field.ErrorList
	if ip.IsUnspecified() {
		allErrs = append(allErrs, field.Invalid(fldPath, ipAddress, fmt.Sprintf("may not be unspecified (%v)", ipAddress)))
	}
	if ip.IsLoopback() {
		allErrs = append(allErrs, field.Invalid(fldPath, ipAddress, "may not be in the loopback range (127.0.0.0/8, ::1/128)"))
	}
	if ip.IsLinkLocalUnicast() {
		allErrs = append(allErrs, field.Invalid(fldPath, ipAddress, "may not be in the link-local range (169.254.0.0/16, fe80::/10)"))
	}
	if ip.IsLinkLocalMulticast() {
		allErrs = append(allErrs, field.Invalid(fldPath, ipAddress, "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"))
	}
	return allErrs
}

// semanticEqual compares API values the way upstream's validation does:
// quantities and times by value, not representation.
func semanticEqual(a, b any) bool { return apiequality.Semantic.DeepEqual(a, b) }

// AsInternal wraps a k8s.io/api value reported in an error so that it prints
// as upstream prints the same value of its internal type: internal types
// carry no json tags, so their fields appear under their Go names, none
// omitted. Types with their own JSON form (quantities, times, int-or-string)
// and apimachinery types, which upstream shares, print as usual.
func AsInternal(v any) any { return internalForm{reflect.ValueOf(v)} }

type internalForm struct{ v reflect.Value }

var jsonMarshaler = reflect.TypeOf((*json.Marshaler)(nil)).Elem()

func (f internalForm) MarshalJSON() ([]byte, error) {
	v := f.v
	if !v.IsValid() {
		return []byte("null"), nil
	}
	t := v.Type()
	if t.Implements(jsonMarshaler) || reflect.PointerTo(t).Implements(jsonMarshaler) || !strings.HasPrefix(t.PkgPath(), "k8s.io/api/") && t.Kind() == reflect.Struct {
		return json.Marshal(v.Interface())
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return []byte("null"), nil
		}
		return internalForm{v.Elem()}.MarshalJSON()
	case reflect.Slice:
		if v.IsNil() {
			return []byte("null"), nil
		}
		if t.Elem().Kind() == reflect.Uint8 {
			return json.Marshal(v.Interface())
		}
		items := make([]json.RawMessage, v.Len())
		for i := range items {
			b, err := internalForm{v.Index(i)}.MarshalJSON()
			if err != nil {
				return nil, err
			}
			items[i] = b
		}
		return json.Marshal(items)
	case reflect.Map:
		if v.IsNil() {
			return []byte("null"), nil
		}
		m := make(map[string]json.RawMessage, v.Len())
		for it := v.MapRange(); it.Next(); {
			b, err := internalForm{it.Value()}.MarshalJSON()
			if err != nil {
				return nil, err
			}
			m[fmt.Sprint(it.Key().Interface())] = b
		}
		return json.Marshal(m)
	case reflect.Struct:
		var buf bytes.Buffer
		buf.WriteByte('{')
		first := true
		var write func(v reflect.Value) error
		write = func(v reflect.Value) error {
			for i := 0; i < v.NumField(); i++ {
				sf := v.Type().Field(i)
				if !sf.IsExported() {
					continue
				}
				// Internal types embed without json tags, so encoding/json
				// flattens the embedded struct's fields into this object.
				if sf.Anonymous && sf.Type.Kind() == reflect.Struct {
					if strings.HasPrefix(sf.Type.PkgPath(), "k8s.io/api/") {
						if err := write(v.Field(i)); err != nil {
							return err
						}
						continue
					}
					b, err := json.Marshal(v.Field(i).Interface())
					if err != nil {
						return err
					}
					if inner := bytes.TrimSpace(b); len(inner) > 2 && inner[0] == '{' {
						if !first {
							buf.WriteByte(',')
						}
						first = false
						buf.Write(inner[1 : len(inner)-1])
					}
					continue
				}
				b, err := internalForm{v.Field(i)}.MarshalJSON()
				if err != nil {
					return err
				}
				if !first {
					buf.WriteByte(',')
				}
				first = false
				fmt.Fprintf(&buf, "%q:%s", sf.Name, b)
			}
			return nil
		}
		if err := write(v); err != nil {
			return nil, err
		}
		buf.WriteByte('}')
		return buf.Bytes(), nil
	}
	return json.Marshal(v.Interface())
}

// ValidateImmutableStruct is ValidateImmutableField for values upstream
// reports as internal types (see AsInternal).
func ValidateImmutableStruct(newVal, oldVal any, fldPath *field.Path) field.ErrorList {
	if semanticEqual(newVal, oldVal) {
		return nil
	}
	return field.ErrorList{field.Invalid(fldPath, AsInternal(newVal), fieldImmutableErrorMsg)}
}

// SemanticEqual compares API values as upstream's validation does.
func SemanticEqual(a, b any) bool { return semanticEqual(a, b) }
