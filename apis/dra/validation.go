package dra

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	resourcev1 "k8s.io/api/resource/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/validate/content"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubeshim/kubeshim/apis/core"
)

// Validation of resource.k8s.io/v1 kinds, with upstream's paths and
// messages: the hand-written rules of k8s.io/kubernetes v1.37
// pkg/apis/resource/validation, which also report what upstream's
// declarative validation covers (required fields, list sizes, enums).
// docs/differences.md lists what is left out, CEL compilation above all.

var (
	// Driver names follow the rules of CSI driver names.
	validateDriverName      = core.ValidateCSIDriverName
	validateDeviceName      = core.ValidateDNS1123Label
	validateDeviceClassName = core.ValidateDNS1123Subdomain
	validateRequestName     = core.ValidateDNS1123Label
	validateCounterName     = core.ValidateDNS1123Label

	// attributeAndCapacityMaxKeyLength is the longest "domain/ID" key.
	attributeAndCapacityMaxKeyLength = resourcev1.DeviceMaxDomainLength + 1 + resourcev1.DeviceMaxIDLength

	validDeviceTaintEffects = sets.New(resourcev1.DeviceTaintEffectNoSchedule, resourcev1.DeviceTaintEffectNoExecute, resourcev1.DeviceTaintEffectNone)
	validTolerationOps      = []resourcev1.DeviceTolerationOperator{resourcev1.DeviceTolerationOpEqual, resourcev1.DeviceTolerationOpExists}
)

// ValidateDeviceClass validates a device class on create.
func ValidateDeviceClass(class *resourcev1.DeviceClass) field.ErrorList {
	allErrs := core.ValidateObjectMeta(&class.ObjectMeta, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	return append(allErrs, validateDeviceClassSpec(&class.Spec, nil, field.NewPath("spec"))...)
}

// ValidateDeviceClassUpdate validates an update of a device class; its
// whole spec may change.
func ValidateDeviceClassUpdate(class, old *resourcev1.DeviceClass) field.ErrorList {
	allErrs := core.ValidateObjectMeta(&class.ObjectMeta, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	allErrs = append(allErrs, core.ValidateObjectMetaUpdate(&class.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))...)
	return append(allErrs, validateDeviceClassSpec(&class.Spec, &old.Spec, field.NewPath("spec"))...)
}

func validateDeviceClassSpec(spec, old *resourcev1.DeviceClassSpec, p *field.Path) field.ErrorList {
	// Selectors and configs exactly as stored were valid when stored: they
	// are not checked again, so that tightened rules do not lock a class.
	stored := old != nil && apiequality.Semantic.DeepEqual(spec.Selectors, old.Selectors)
	allErrs := validateSlice(spec.Selectors, resourcev1.DeviceSelectorsMaxSize,
		func(s resourcev1.DeviceSelector, p *field.Path) field.ErrorList {
			return validateSelector(s, p, stored)
		},
		p.Child("selectors"))
	stored = old != nil && apiequality.Semantic.DeepEqual(spec.Config, old.Config)
	allErrs = append(allErrs, validateSlice(spec.Config, resourcev1.DeviceConfigMaxSize,
		func(c resourcev1.DeviceClassConfiguration, p *field.Path) field.ErrorList {
			return validateDeviceConfiguration(c.DeviceConfiguration, p, stored)
		}, p.Child("config"))...)
	if name := spec.ExtendedResourceName; name != nil && !isExtendedResourceName(corev1.ResourceName(*name)) {
		allErrs = append(allErrs, field.Invalid(p.Child("extendedResourceName"), *name, "must be a valid extended resource name"))
	}
	return allErrs
}

// isExtendedResourceName is upstream's v1helper.IsExtendedResourceName: a
// name outside kubernetes.io that quota can track as requests.<name>.
func isExtendedResourceName(name corev1.ResourceName) bool {
	s := string(name)
	native := !strings.Contains(s, "/") || strings.Contains(s, corev1.ResourceDefaultNamespacePrefix)
	if native || strings.HasPrefix(s, corev1.DefaultResourceRequestsPrefix) {
		return false
	}
	return len(validation.IsQualifiedName(corev1.DefaultResourceRequestsPrefix+s)) == 0
}

// ValidateDeviceTaintRule validates a device taint rule on create.
func ValidateDeviceTaintRule(rule *resourcev1.DeviceTaintRule) field.ErrorList {
	allErrs := core.ValidateObjectMeta(&rule.ObjectMeta, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	return append(allErrs, validateDeviceTaintRuleSpec(&rule.Spec, nil, field.NewPath("spec"))...)
}

// ValidateDeviceTaintRuleUpdate validates an update of a device taint rule;
// its whole spec may change.
func ValidateDeviceTaintRuleUpdate(rule, old *resourcev1.DeviceTaintRule) field.ErrorList {
	allErrs := core.ValidateObjectMetaUpdate(&rule.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	return append(allErrs, validateDeviceTaintRuleSpec(&rule.Spec, &old.Spec, field.NewPath("spec"))...)
}

// ValidateDeviceTaintRuleStatusUpdate validates an update of a device taint
// rule's status: its conditions.
func ValidateDeviceTaintRuleStatusUpdate(rule, old *resourcev1.DeviceTaintRule) field.ErrorList {
	p := field.NewPath("status", "conditions")
	allErrs := core.ValidateObjectMetaUpdate(&rule.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	allErrs = append(allErrs, metav1validation.ValidateConditions(rule.Status.Conditions, p)...)
	if n := len(rule.Status.Conditions); n > resourcev1.DeviceTaintRuleStatusMaxConditions {
		allErrs = append(allErrs, field.TooMany(p, n, resourcev1.DeviceTaintRuleStatusMaxConditions))
	}
	return allErrs
}

func validateDeviceTaintRuleSpec(spec, old *resourcev1.DeviceTaintRuleSpec, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	// An empty or missing selector is valid: it selects no devices.
	if s := spec.DeviceSelector; s != nil {
		sp := p.Child("deviceSelector")
		if s.Driver != nil {
			allErrs = append(allErrs, validateDriverName(*s.Driver, sp.Child("driver"))...)
		}
		if s.Pool != nil {
			allErrs = append(allErrs, validatePoolName(*s.Pool, sp.Child("pool"))...)
		}
		if s.Device != nil {
			allErrs = append(allErrs, validateDeviceName(*s.Device, sp.Child("device"))...)
		}
	}
	var oldTaint *resourcev1.DeviceTaint
	if old != nil {
		oldTaint = &old.Taint
	}
	return append(allErrs, validateDeviceTaint(spec.Taint, oldTaint, p.Child("taint"))...)
}

// validateDeviceTaint validates a taint of a rule or of a device. The effect
// is checked only when new or changed: a taint stored with an effect a
// later release no longer knows stays updatable.
func validateDeviceTaint(taint resourcev1.DeviceTaint, old *resourcev1.DeviceTaint, p *field.Path) field.ErrorList {
	// ValidateLabelName reports an empty key as required.
	allErrs := metav1validation.ValidateLabelName(taint.Key, p.Child("key"))
	if taint.Value != "" {
		allErrs = append(allErrs, validateLabelValue(taint.Value, p.Child("value"))...)
	}
	if old == nil || old.Effect != taint.Effect {
		switch {
		case taint.Effect == "":
			allErrs = append(allErrs, field.Required(p.Child("effect"), ""))
		case !validDeviceTaintEffects.Has(taint.Effect):
			allErrs = append(allErrs, field.NotSupported(p.Child("effect"), taint.Effect, sets.List(validDeviceTaintEffects)))
		}
	}
	return allErrs
}

func validateDeviceToleration(t resourcev1.DeviceToleration, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if t.Key != "" {
		allErrs = append(allErrs, metav1validation.ValidateLabelName(t.Key, p.Child("key"))...)
	}
	switch t.Operator {
	case resourcev1.DeviceTolerationOpExists:
		if t.Value != "" {
			allErrs = append(allErrs, field.Invalid(p.Child("value"), t.Value, "must be empty for operator `Exists`"))
		}
	case resourcev1.DeviceTolerationOpEqual:
		allErrs = append(allErrs, validateLabelValue(t.Value, p.Child("value"))...)
	case "":
		allErrs = append(allErrs, field.Required(p.Child("operator"), ""))
	default:
		allErrs = append(allErrs, field.NotSupported(p.Child("operator"), t.Operator, validTolerationOps))
	}
	if t.Effect != "" && !validDeviceTaintEffects.Has(t.Effect) {
		allErrs = append(allErrs, field.NotSupported(p.Child("effect"), t.Effect, sets.List(validDeviceTaintEffects)))
	}
	return allErrs
}

func validateLabelValue(value string, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for _, msg := range validation.IsValidLabelValue(value) {
		allErrs = append(allErrs, field.Invalid(p, value, msg))
	}
	return allErrs
}

// validateSelector validates a CEL device selector. stored selectors were
// valid when written and are not checked again.
func validateSelector(s resourcev1.DeviceSelector, p *field.Path, stored bool) field.ErrorList {
	if s.CEL == nil {
		return field.ErrorList{field.Required(p.Child("cel"), "")}
	}
	return validateCELExpression(s.CEL.Expression, p.Child("cel", "expression"), stored)
}

// validateCELExpression bounds an expression's length. Upstream also
// compiles it in the DRA CEL environment and bounds its cost; kubeshim does
// not (docs/differences.md), and reports an empty expression, which cannot
// compile, as missing.
func validateCELExpression(expression string, p *field.Path, stored bool) field.ErrorList {
	switch {
	case stored:
		return nil
	case len(expression) > resourcev1.CELSelectorExpressionMaxLength:
		return field.ErrorList{field.TooLong(p, "", resourcev1.CELSelectorExpressionMaxLength)}
	case strings.TrimSpace(expression) == "":
		return field.ErrorList{field.Required(p, "")}
	}
	return nil
}

func validateDeviceConfiguration(c resourcev1.DeviceConfiguration, p *field.Path, stored bool) field.ErrorList {
	if c.Opaque == nil {
		return field.ErrorList{field.Required(p.Child("opaque"), "")}
	}
	op := p.Child("opaque")
	allErrs := validateDriverName(c.Opaque.Driver, op.Child("driver"))
	return append(allErrs, validateRawExtension(c.Opaque.Parameters, op.Child("parameters"), stored, resourcev1.OpaqueParametersMaxLength)...)
}

// validateRawExtension requires a JSON object of at most maxLength bytes;
// the size of stored data is not checked again.
func validateRawExtension(raw runtime.RawExtension, p *field.Path, stored bool, maxLength int) field.ErrorList {
	var v any
	switch {
	case len(raw.Raw) == 0:
		return field.ErrorList{field.Required(p, "")}
	case !stored && len(raw.Raw) > maxLength:
		return field.ErrorList{field.TooLong(p, "", maxLength)}
	}
	if err := json.Unmarshal(raw.Raw, &v); err != nil {
		return field.ErrorList{field.Invalid(p, "<value omitted>", fmt.Sprintf("error parsing data as JSON: %v", err.Error()))}
	}
	if v == nil {
		return field.ErrorList{field.Required(p, "")}
	}
	if _, ok := v.(map[string]any); !ok {
		return field.ErrorList{field.Invalid(p, "<value omitted>", "must be a valid JSON object")}
	}
	return nil
}

// validatePoolName requires a pool name of DNS subdomains separated by
// slashes.
func validatePoolName(name string, p *field.Path) field.ErrorList {
	if name == "" {
		return field.ErrorList{field.Required(p, "")}
	}
	var allErrs field.ErrorList
	if len(name) > resourcev1.PoolNameMaxLength {
		allErrs = append(allErrs, field.TooLong(p, "", resourcev1.PoolNameMaxLength))
	}
	for _, part := range strings.Split(name, "/") {
		allErrs = append(allErrs, core.ValidateDNS1123Subdomain(part, p)...)
	}
	return allErrs
}

// validateQualifiedName validates an attribute or capacity name: a C
// identifier, optionally prefixed with a driver-name domain and a slash.
func validateQualifiedName(name resourcev1.QualifiedName, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	parts := strings.Split(string(name), "/")
	switch len(parts) {
	case 1:
		allErrs = append(allErrs, validateCIdentifier(parts[0], p)...)
	case 2:
		if parts[0] == "" {
			allErrs = append(allErrs, field.Invalid(p, "", "the domain must not be empty"))
		} else {
			allErrs = append(allErrs, validateDriverName(parts[0], p)...)
		}
		if parts[1] == "" {
			allErrs = append(allErrs, field.Invalid(p, "", "the name must not be empty"))
		} else {
			allErrs = append(allErrs, validateCIdentifier(parts[1], p)...)
		}
	}
	return allErrs
}

// validateFullyQualifiedName is validateQualifiedName with the domain
// required (constraints name attributes of any driver).
func validateFullyQualifiedName(name resourcev1.FullyQualifiedName, p *field.Path) field.ErrorList {
	allErrs := validateQualifiedName(resourcev1.QualifiedName(name), p)
	if !strings.Contains(string(name), "/") {
		allErrs = append(allErrs, field.Invalid(p, name, "a fully qualified name must be a domain and a name separated by a slash"))
	}
	return allErrs
}

func validateCIdentifier(id string, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if len(id) > resourcev1.DeviceMaxIDLength {
		allErrs = append(allErrs, field.TooLong(p, "", resourcev1.DeviceMaxIDLength))
	}
	for _, msg := range content.IsCIdentifier(id) {
		allErrs = append(allErrs, field.Invalid(p, id, msg))
	}
	return allErrs
}

// validateBindingConditions validates a device's or an allocation result's
// binding conditions: label-name-like, unique, disjoint, and both or none.
func validateBindingConditions(conditions, failureConditions []string, p *field.Path) field.ErrorList {
	cp, fp := p.Child("bindingConditions"), p.Child("bindingFailureConditions")
	allErrs := validateSet(conditions, resourcev1.BindingConditionsMaxSize, metav1validation.ValidateLabelName, identity, cp)
	allErrs = append(allErrs, validateSet(failureConditions, resourcev1.BindingFailureConditionsMaxSize, metav1validation.ValidateLabelName, identity, fp)...)
	for i, c := range failureConditions {
		if slices.Contains(conditions, c) {
			allErrs = append(allErrs, field.Invalid(fp.Index(i), c, "bindingFailureConditions must not overlap with bindingConditions"))
		}
	}
	switch {
	case len(conditions) == 0 && len(failureConditions) > 0:
		allErrs = append(allErrs, field.Invalid(cp, conditions, "bindingConditions are required to use bindingFailureConditions"))
	case len(failureConditions) == 0 && len(conditions) > 0:
		allErrs = append(allErrs, field.Invalid(fp, failureConditions, "bindingFailureConditions are required to use bindingConditions"))
	}
	return allErrs
}

// validateSlice reports a list longer than maxSize (negative: unbounded)
// alone, or else the errors of each item.
func validateSlice[T any](items []T, maxSize int, validateItem func(T, *field.Path) field.ErrorList, p *field.Path) field.ErrorList {
	if maxSize >= 0 && len(items) > maxSize {
		return field.ErrorList{field.TooMany(p, len(items), maxSize)}
	}
	var allErrs field.ErrorList
	for i, item := range items {
		allErrs = append(allErrs, validateItem(item, p.Index(i))...)
	}
	return allErrs
}

// validateSet is validateSlice for a list whose items' keys must be
// unique; a repeated key is reported at the later item.
func validateSet[T any, K comparable](items []T, maxSize int, validateItem func(T, *field.Path) field.ErrorList, key func(T) K, p *field.Path) field.ErrorList {
	allErrs := validateSlice(items, maxSize, validateItem, p)
	if maxSize >= 0 && len(items) > maxSize {
		return allErrs
	}
	seen := sets.New[K]()
	for i, item := range items {
		k := key(item)
		if seen.Has(k) {
			allErrs = append(allErrs, field.Duplicate(p.Index(i), k))
		}
		seen.Insert(k)
	}
	return allErrs
}

// validateMap validates a map's size, keys (errors at the map's path, as
// upstream) and values (at the key, clipped to truncateKeyLen). Keys are
// visited in order, so that errors come in the same order every time.
func validateMap[K ~string, T any](m map[K]T, maxSize, truncateKeyLen int, validateKey func(K, *field.Path) field.ErrorList, validateItem func(T, *field.Path) field.ErrorList, p *field.Path) field.ErrorList {
	if maxSize >= 0 && len(m) > maxSize {
		return field.ErrorList{field.TooMany(p, len(m), maxSize)}
	}
	var allErrs field.ErrorList
	for _, k := range slices.Sorted(maps.Keys(m)) {
		allErrs = append(allErrs, validateKey(k, p)...)
		allErrs = append(allErrs, validateItem(m[k], p.Key(truncate(string(k), truncateKeyLen)))...)
	}
	return allErrs
}

// truncate shortens an overlong map key for an error path, keeping its
// start and end.
func truncate(s string, maxLen int) string {
	maxLen = max(maxLen, 16)
	if len(s) <= maxLen {
		return s
	}
	const ellipsis = "..."
	remaining := maxLen - len(ellipsis)
	return s[:(remaining+1)/2] + ellipsis + s[len(s)-remaining/2:]
}

func identity(s string) string { return s }
