package core

import (
	"encoding/json"
	"fmt"
	"path"
	"path/filepath"
	"reflect"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// This file holds the validation helpers shared by every group (names,
// ObjectMeta, label selectors, quantities) and the core kinds that need no
// more than a screenful each. Upstream validates its internal types after the
// v1 defaults have been applied; these functions validate the defaulted v1
// types with upstream's field paths, error types and messages, so a client
// sees the same 422.

const (
	isNegativeErrorMsg     = apimachineryvalidation.IsNegativeErrorMsg
	isNotIntegerErrorMsg   = "must be an integer"
	isNotPositiveErrorMsg  = "must be greater than zero"
	isInvalidQuotaResource = "must be a standard resource for quota"
	fieldImmutableErrorMsg = apimachineryvalidation.FieldImmutableErrorMsg
	immutableWhenSetMsg    = "field is immutable when `immutable` is set"
)

// ValidateObjectMeta is the kind-specific part of upstream's core ObjectMeta
// validation: the kind's naming rule (ValidateObjectName) and the core rule
// that unqualified finalizers be well known. The registry runs
// apimachinery's generic ObjectMeta validation (namespace, labels,
// annotations, owner references, a required name) after the kind's
// validation, so repeating it here would report those errors twice.
func ValidateObjectMeta(meta *metav1.ObjectMeta, nameFn apimachineryvalidation.ValidateNameFunc, fldPath *field.Path) field.ErrorList {
	allErrs := ValidateObjectName(meta, nameFn, fldPath)
	for i, f := range meta.Finalizers {
		allErrs = append(allErrs, validateKubeFinalizerName(f, fldPath.Child("finalizers").Index(i))...)
	}
	return allErrs
}

// ValidateObjectName checks metadata.generateName (as a prefix) and
// metadata.name against a kind's naming rule. It is all the kind-specific
// ObjectMeta validation of the kinds whose upstream validation uses
// apimachinery's ObjectMeta rules rather than core's.
func ValidateObjectName(meta *metav1.ObjectMeta, nameFn apimachineryvalidation.ValidateNameFunc, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if meta.GenerateName != "" {
		for _, msg := range nameFn(meta.GenerateName, true) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("generateName"), meta.GenerateName, msg))
		}
	}
	if meta.Name != "" {
		for _, msg := range nameFn(meta.Name, false) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("name"), meta.Name, msg))
		}
	}
	return allErrs
}

// ValidateObjectMetaUpdate is upstream's core ObjectMeta update validation:
// apimachinery's immutability rules plus the finalizer-name rule.
func ValidateObjectMetaUpdate(newMeta, oldMeta *metav1.ObjectMeta, fldPath *field.Path) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(newMeta, oldMeta, fldPath)
	for i, f := range newMeta.Finalizers {
		allErrs = append(allErrs, validateKubeFinalizerName(f, fldPath.Child("finalizers").Index(i))...)
	}
	return allErrs
}

var standardFinalizers = sets.New(string(corev1.FinalizerKubernetes), metav1.FinalizerOrphanDependents, metav1.FinalizerDeleteDependents)

func validateKubeFinalizerName(name string, fldPath *field.Path) field.ErrorList {
	if !strings.Contains(name, "/") && !standardFinalizers.Has(name) {
		return field.ErrorList{field.Invalid(fldPath, name, "name is neither a standard finalizer name nor is it fully qualified")}
	}
	return nil
}

// ValidateNameFunc adapts a ValidateNameFunc to a field: each message
// becomes an Invalid error at fldPath.
func ValidateNameFunc(nameFn apimachineryvalidation.ValidateNameFunc, name string, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for _, msg := range nameFn(name, false) {
		allErrs = append(allErrs, field.Invalid(fldPath, name, msg))
	}
	return allErrs
}

// ValidateDNS1123Label reports value if it is not a DNS-1123 label.
func ValidateDNS1123Label(value string, fldPath *field.Path) field.ErrorList {
	return messages(fldPath, value, validation.IsDNS1123Label(value))
}

// ValidateDNS1123Subdomain reports value if it is not a DNS-1123 subdomain.
func ValidateDNS1123Subdomain(value string, fldPath *field.Path) field.ErrorList {
	return messages(fldPath, value, validation.IsDNS1123Subdomain(value))
}

// ValidateQualifiedName reports value if it is not a qualified name (a label key).
func ValidateQualifiedName(value string, fldPath *field.Path) field.ErrorList {
	return messages(fldPath, value, validation.IsQualifiedName(value))
}

func messages(fldPath *field.Path, value any, msgs []string) field.ErrorList {
	var allErrs field.ErrorList
	for _, msg := range msgs {
		allErrs = append(allErrs, field.Invalid(fldPath, value, msg))
	}
	return allErrs
}

// ValidateNonnegativeField reports a negative value.
func ValidateNonnegativeField(value int64, fldPath *field.Path) field.ErrorList {
	return apimachineryvalidation.ValidateNonnegativeField(value, fldPath)
}

// ValidatePositiveField reports a value that is not greater than zero.
func ValidatePositiveField(value int64, fldPath *field.Path) field.ErrorList {
	if value <= 0 {
		return field.ErrorList{field.Invalid(fldPath, value, isNotPositiveErrorMsg)}
	}
	return nil
}

// ValidateImmutableField reports a change between oldVal and newVal.
func ValidateImmutableField(newVal, oldVal any, fldPath *field.Path) field.ErrorList {
	return apimachineryvalidation.ValidateImmutableField(newVal, oldVal, fldPath)
}

// ValidateLabelSelector validates a selector the way upstream does for new
// objects (invalid label values are not tolerated).
func ValidateLabelSelector(ps *metav1.LabelSelector, fldPath *field.Path) field.ErrorList {
	return metav1validation.ValidateLabelSelector(ps, metav1validation.LabelSelectorValidationOptions{}, fldPath)
}

// ValidateNonnegativeQuantity reports a negative quantity.
func ValidateNonnegativeQuantity(value resource.Quantity, fldPath *field.Path) field.ErrorList {
	return validateNonnegativeQuantity(value, fldPath)
}

// ValidateContainerResourceName reports a name that is not a resource a
// container can request: a standard one, a huge page size, or a fully
// qualified extended resource.
func ValidateContainerResourceName(value corev1.ResourceName, fldPath *field.Path) field.ErrorList {
	return validateContainerResourceName(value, fldPath)
}

func validateNonnegativeQuantity(value resource.Quantity, fldPath *field.Path) field.ErrorList {
	if value.Cmp(resource.Quantity{}) < 0 {
		return field.ErrorList{field.Invalid(fldPath, value.String(), isNegativeErrorMsg)}
	}
	return nil
}

func validatePositiveQuantityValue(value resource.Quantity, fldPath *field.Path) field.ErrorList {
	if value.Cmp(resource.Quantity{}) <= 0 {
		return field.ErrorList{field.Invalid(fldPath, value.String(), isNotPositiveErrorMsg)}
	}
	return nil
}

// ValidateResourceQuantityValue reports a negative quantity, or a fractional
// one for a resource counted in whole units.
func ValidateResourceQuantityValue(name corev1.ResourceName, value resource.Quantity, fldPath *field.Path) field.ErrorList {
	allErrs := validateNonnegativeQuantity(value, fldPath)
	if isIntegerResourceName(name) && value.MilliValue()%1000 != 0 {
		allErrs = append(allErrs, field.Invalid(fldPath, value, isNotIntegerErrorMsg))
	}
	return allErrs
}

// validateLocalDescendingPath requires a relative path without ".." elements.
func validateLocalDescendingPath(targetPath string, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if path.IsAbs(targetPath) {
		allErrs = append(allErrs, field.Invalid(fldPath, targetPath, "must be a relative path"))
	}
	return append(allErrs, validatePathNoBacksteps(targetPath, fldPath)...)
}

func validatePathNoBacksteps(targetPath string, fldPath *field.Path) field.ErrorList {
	for _, item := range strings.Split(filepath.ToSlash(targetPath), "/") {
		if item == ".." {
			return field.ErrorList{field.Invalid(fldPath, targetPath, "must not contain '..'")}
		}
	}
	return nil
}

// validateLocalNonReservedPath is validateLocalDescendingPath that also
// refuses a leading "..", which would hide the file in the atomic writer's
// staging directories.
func validateLocalNonReservedPath(targetPath string, fldPath *field.Path) field.ErrorList {
	allErrs := validateLocalDescendingPath(targetPath, fldPath)
	if strings.HasPrefix(targetPath, "..") && !strings.HasPrefix(targetPath, "../") {
		allErrs = append(allErrs, field.Invalid(fldPath, targetPath, "must not start with '..'"))
	}
	return allErrs
}

// ConfigMap and Secret.

// ValidateConfigMap validates a config map on create.
func ValidateConfigMap(cfg *corev1.ConfigMap) field.ErrorList {
	allErrs := ValidateObjectMeta(&cfg.ObjectMeta, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	totalSize := 0
	dataPath, binaryPath := field.NewPath("data"), field.NewPath("binaryData")
	for key, value := range cfg.Data {
		allErrs = append(allErrs, messages(dataPath.Key(key), key, validation.IsConfigMapKey(key))...)
		if _, dup := cfg.BinaryData[key]; dup {
			allErrs = append(allErrs, field.Invalid(dataPath.Key(key), key, "duplicate of key present in binaryData"))
		}
		totalSize += len(value)
	}
	for key, value := range cfg.BinaryData {
		allErrs = append(allErrs, messages(binaryPath.Key(key), key, validation.IsConfigMapKey(key))...)
		totalSize += len(value)
	}
	if totalSize > corev1.MaxSecretSize {
		// Upstream reports the size against the whole object ("").
		allErrs = append(allErrs, field.TooLong(field.NewPath(""), "", corev1.MaxSecretSize))
	}
	return allErrs
}

// ValidateConfigMapUpdate validates an update of a config map.
func ValidateConfigMapUpdate(cfg, old *corev1.ConfigMap) field.ErrorList {
	allErrs := ValidateObjectMetaUpdate(&cfg.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	if isTrue(old.Immutable) {
		if !isTrue(cfg.Immutable) {
			allErrs = append(allErrs, field.Forbidden(field.NewPath("immutable"), immutableWhenSetMsg))
		}
		if !reflect.DeepEqual(cfg.Data, old.Data) {
			allErrs = append(allErrs, field.Forbidden(field.NewPath("data"), immutableWhenSetMsg))
		}
		if !reflect.DeepEqual(cfg.BinaryData, old.BinaryData) {
			allErrs = append(allErrs, field.Forbidden(field.NewPath("binaryData"), immutableWhenSetMsg))
		}
	}
	return append(allErrs, ValidateConfigMap(cfg)...)
}

// ValidateSecret validates a secret on create. Upstream converts stringData
// into data before validating, so keys and sizes of both count as data.
func ValidateSecret(secret *corev1.Secret) field.ErrorList {
	allErrs := ValidateObjectMeta(&secret.ObjectMeta, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	data := secretData(secret)
	dataPath := field.NewPath("data")
	totalSize := 0
	for key, value := range data {
		allErrs = append(allErrs, messages(dataPath.Key(key), key, validation.IsConfigMapKey(key))...)
		totalSize += len(value)
	}
	if totalSize > corev1.MaxSecretSize {
		allErrs = append(allErrs, field.TooLong(dataPath, "", corev1.MaxSecretSize))
	}

	required := func(key string) {
		allErrs = append(allErrs, field.Required(dataPath.Key(key), ""))
	}
	wellFormedJSON := func(key string) {
		raw, ok := data[key]
		if !ok {
			required(key)
			return
		}
		if err := json.Unmarshal(raw, &map[string]any{}); err != nil {
			allErrs = append(allErrs, field.Invalid(dataPath.Key(key), "<secret contents redacted>", err.Error()))
		}
	}
	switch secret.Type {
	case corev1.SecretTypeServiceAccountToken:
		// The token controller fills in the rest later.
		if secret.Annotations[corev1.ServiceAccountNameKey] == "" {
			allErrs = append(allErrs, field.Required(field.NewPath("metadata", "annotations").Key(corev1.ServiceAccountNameKey), ""))
		}
	case corev1.SecretTypeDockercfg:
		wellFormedJSON(corev1.DockerConfigKey)
	case corev1.SecretTypeDockerConfigJson:
		wellFormedJSON(corev1.DockerConfigJsonKey)
	case corev1.SecretTypeBasicAuth:
		_, hasUser := data[corev1.BasicAuthUsernameKey]
		_, hasPassword := data[corev1.BasicAuthPasswordKey]
		if !hasUser && !hasPassword {
			required(corev1.BasicAuthUsernameKey)
			required(corev1.BasicAuthPasswordKey)
		}
	case corev1.SecretTypeSSHAuth:
		if len(data[corev1.SSHAuthPrivateKey]) == 0 {
			required(corev1.SSHAuthPrivateKey)
		}
	case corev1.SecretTypeTLS:
		if _, ok := data[corev1.TLSCertKey]; !ok {
			required(corev1.TLSCertKey)
		}
		if _, ok := data[corev1.TLSPrivateKeyKey]; !ok {
			required(corev1.TLSPrivateKeyKey)
		}
	}
	return allErrs
}

// ValidateSecretUpdate validates an update of a secret.
func ValidateSecretUpdate(secret, old *corev1.Secret) field.ErrorList {
	allErrs := ValidateObjectMetaUpdate(&secret.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	allErrs = append(allErrs, ValidateImmutableField(secret.Type, old.Type, field.NewPath("type"))...)
	if isTrue(old.Immutable) {
		if !isTrue(secret.Immutable) {
			allErrs = append(allErrs, field.Forbidden(field.NewPath("immutable"), immutableWhenSetMsg))
		}
		if !reflect.DeepEqual(secretData(secret), secretData(old)) {
			allErrs = append(allErrs, field.Forbidden(field.NewPath("data"), immutableWhenSetMsg))
		}
	}
	return append(allErrs, ValidateSecret(secret)...)
}

// secretData is data with stringData merged over it, as upstream's
// conversion to the internal type does before validation.
func secretData(secret *corev1.Secret) map[string][]byte {
	if len(secret.StringData) == 0 {
		return secret.Data
	}
	data := make(map[string][]byte, len(secret.Data)+len(secret.StringData))
	for k, v := range secret.Data {
		data[k] = v
	}
	for k, v := range secret.StringData {
		data[k] = []byte(v)
	}
	return data
}

// Namespace.

// ValidateNamespace validates a namespace on create. Namespace names are DNS
// labels because they appear in DNS names of services.
func ValidateNamespace(ns *corev1.Namespace) field.ErrorList {
	allErrs := ValidateObjectMeta(&ns.ObjectMeta, apimachineryvalidation.ValidateNamespaceName, field.NewPath("metadata"))
	for _, f := range ns.Spec.Finalizers {
		// Upstream reports every finalizer at the list's path, not an index.
		fldPath := field.NewPath("spec", "finalizers")
		allErrs = append(allErrs, apimachineryvalidation.ValidateFinalizerName(string(f), fldPath)...)
		allErrs = append(allErrs, validateKubeFinalizerName(string(f), fldPath)...)
	}
	return allErrs
}

// ValidateNamespaceUpdate validates an update of a namespace.
func ValidateNamespaceUpdate(ns, old *corev1.Namespace) field.ErrorList {
	allErrs := ValidateNamespace(ns)
	return append(allErrs, ValidateObjectMetaUpdate(&ns.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))...)
}

// ValidateNamespaceStatusUpdate validates an update of a namespace's status:
// the phase must agree with the deletion timestamp.
func ValidateNamespaceStatusUpdate(ns, old *corev1.Namespace) field.ErrorList {
	allErrs := ValidateObjectMetaUpdate(&ns.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	phasePath := field.NewPath("status", "Phase")
	if ns.DeletionTimestamp.IsZero() {
		if ns.Status.Phase != corev1.NamespaceActive {
			allErrs = append(allErrs, field.Invalid(phasePath, ns.Status.Phase, "may only be 'Active' if `deletionTimestamp` is empty"))
		}
	} else if ns.Status.Phase != corev1.NamespaceTerminating {
		allErrs = append(allErrs, field.Invalid(phasePath, ns.Status.Phase, "may only be 'Terminating' if `deletionTimestamp` is not empty"))
	}
	return allErrs
}

// ValidateNamespaceFinalizeUpdate validates the namespace finalize subresource.
func ValidateNamespaceFinalizeUpdate(ns, old *corev1.Namespace) field.ErrorList {
	allErrs := ValidateObjectMetaUpdate(&ns.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	for i, f := range ns.Spec.Finalizers {
		fldPath := field.NewPath("spec", "finalizers").Index(i)
		allErrs = append(allErrs, apimachineryvalidation.ValidateFinalizerName(string(f), fldPath)...)
		allErrs = append(allErrs, validateKubeFinalizerName(string(f), fldPath)...)
	}
	return allErrs
}

// ServiceAccount.

// ValidateServiceAccount validates a service account on create.
func ValidateServiceAccount(sa *corev1.ServiceAccount) field.ErrorList {
	return ValidateObjectMeta(&sa.ObjectMeta, apimachineryvalidation.ValidateServiceAccountName, field.NewPath("metadata"))
}

// ValidateServiceAccountUpdate validates an update of a service account.
func ValidateServiceAccountUpdate(sa, old *corev1.ServiceAccount) field.ErrorList {
	allErrs := ValidateObjectMetaUpdate(&sa.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	return append(allErrs, ValidateServiceAccount(sa)...)
}

// Event.

const (
	eventReportingInstanceLengthLimit = 128
	eventActionLengthLimit            = 128
	eventReasonLengthLimit            = 128
	eventNoteLengthLimit              = 1024
)

// ValidateEvent validates a core/v1 event on create. Upstream applies only
// its legacy rules to core/v1 events (no name rule), for compatibility with
// old clients.
func ValidateEvent(e *corev1.Event) field.ErrorList {
	var allErrs field.ErrorList
	nsPath := field.NewPath("involvedObject", "namespace")
	notMatching := func() {
		allErrs = append(allErrs, field.Invalid(nsPath, e.InvolvedObject.Namespace, "does not match event.namespace"))
	}
	if e.EventTime.IsZero() {
		// Old-style events: the namespace may be empty or "default" for
		// cluster-scoped involved objects.
		if e.InvolvedObject.Namespace == "" {
			if e.Namespace != metav1.NamespaceNone && e.Namespace != metav1.NamespaceDefault {
				notMatching()
			}
		} else if e.Namespace != e.InvolvedObject.Namespace {
			notMatching()
		}
		return allErrs
	}
	if e.InvolvedObject.Namespace == "" && e.Namespace != metav1.NamespaceDefault && e.Namespace != metav1.NamespaceSystem {
		notMatching()
	}
	// core/v1 calls the field reportingComponent.
	controllerPath := field.NewPath("reportingComponent")
	if e.ReportingController == "" {
		allErrs = append(allErrs, field.Required(controllerPath, ""))
	}
	allErrs = append(allErrs, ValidateQualifiedName(e.ReportingController, controllerPath)...)
	tooLong := func(name string, limit int) {
		allErrs = append(allErrs, field.Invalid(field.NewPath(name), "", fmt.Sprintf("can have at most %v characters", limit)))
	}
	if e.ReportingInstance == "" {
		allErrs = append(allErrs, field.Required(field.NewPath("reportingInstance"), ""))
	}
	if len(e.ReportingInstance) > eventReportingInstanceLengthLimit {
		tooLong("reportingInstance", eventReportingInstanceLengthLimit)
	}
	if e.Action == "" {
		allErrs = append(allErrs, field.Required(field.NewPath("action"), ""))
	}
	if len(e.Action) > eventActionLengthLimit {
		tooLong("action", eventActionLengthLimit)
	}
	if e.Reason == "" {
		allErrs = append(allErrs, field.Required(field.NewPath("reason"), ""))
	}
	if len(e.Reason) > eventReasonLengthLimit {
		tooLong("reason", eventReasonLengthLimit)
	}
	if len(e.Message) > eventNoteLengthLimit {
		tooLong("message", eventNoteLengthLimit)
	}
	return allErrs
}

// ValidateEventUpdate validates an update of a core/v1 event: upstream
// re-applies only the legacy create rules, and the generic metadata rules.
func ValidateEventUpdate(e, old *corev1.Event) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&e.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	return append(allErrs, ValidateEvent(e)...)
}

// LimitRange.

var standardLimitRangeTypes = sets.New(corev1.LimitTypePod, corev1.LimitTypeContainer, corev1.LimitTypePersistentVolumeClaim)

// ValidateLimitRange validates a limit range on create.
func ValidateLimitRange(lr *corev1.LimitRange) field.ErrorList {
	allErrs := ValidateObjectMeta(&lr.ObjectMeta, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	seenTypes := map[corev1.LimitType]bool{}
	fldPath := field.NewPath("spec", "limits")
	for i := range lr.Spec.Limits {
		idxPath := fldPath.Index(i)
		limit := &lr.Spec.Limits[i]
		allErrs = append(allErrs, validateLimitRangeTypeName(limit.Type, idxPath.Child("type"))...)
		if seenTypes[limit.Type] {
			allErrs = append(allErrs, field.Duplicate(idxPath.Child("type"), limit.Type))
		}
		seenTypes[limit.Type] = true

		keys := sets.New[string]()
		collect := func(list corev1.ResourceList, name string) map[string]resource.Quantity {
			m := map[string]resource.Quantity{}
			for k, q := range list {
				allErrs = append(allErrs, validateLimitRangeResourceName(limit.Type, k, idxPath.Child(name).Key(string(k)))...)
				keys.Insert(string(k))
				m[string(k)] = q
			}
			return m
		}
		maxes := collect(limit.Max, "max")
		mins := collect(limit.Min, "min")
		var defaults, defaultRequests map[string]resource.Quantity
		if limit.Type == corev1.LimitTypePod {
			if len(limit.Default) > 0 {
				allErrs = append(allErrs, field.Forbidden(idxPath.Child("default"), "may not be specified when `type` is 'Pod'"))
			}
			if len(limit.DefaultRequest) > 0 {
				allErrs = append(allErrs, field.Forbidden(idxPath.Child("defaultRequest"), "may not be specified when `type` is 'Pod'"))
			}
		} else {
			defaults = collect(limit.Default, "default")
			defaultRequests = collect(limit.DefaultRequest, "defaultRequest")
		}
		if limit.Type == corev1.LimitTypePersistentVolumeClaim {
			_, hasMin := limit.Min[corev1.ResourceStorage]
			_, hasMax := limit.Max[corev1.ResourceStorage]
			if !hasMin && !hasMax {
				allErrs = append(allErrs, field.Required(idxPath.Child("limits"), "either minimum or maximum storage value is required, but neither was provided"))
			}
		}
		ratios := collect(limit.MaxLimitRequestRatio, "maxLimitRequestRatio")

		for _, k := range sets.List(keys) {
			minQ, hasMin := mins[k]
			maxQ, hasMax := maxes[k]
			defQ, hasDef := defaults[k]
			defReqQ, hasDefReq := defaultRequests[k]
			ratio, hasRatio := ratios[k]
			invalid := func(name string, v resource.Quantity, format string, args ...any) {
				allErrs = append(allErrs, field.Invalid(idxPath.Child(name).Key(k), v, fmt.Sprintf(format, args...)))
			}
			if hasMin && hasMax && minQ.Cmp(maxQ) > 0 {
				invalid("min", minQ, "min value %s is greater than max value %s", minQ.String(), maxQ.String())
			}
			if hasDefReq && hasMin && minQ.Cmp(defReqQ) > 0 {
				invalid("defaultRequest", defReqQ, "min value %s is greater than default request value %s", minQ.String(), defReqQ.String())
			}
			if hasDefReq && hasMax && defReqQ.Cmp(maxQ) > 0 {
				invalid("defaultRequest", defReqQ, "default request value %s is greater than max value %s", defReqQ.String(), maxQ.String())
			}
			if hasDefReq && hasDef && defReqQ.Cmp(defQ) > 0 {
				invalid("defaultRequest", defReqQ, "default request value %s is greater than default limit value %s", defReqQ.String(), defQ.String())
			}
			if hasDef && hasMin && minQ.Cmp(defQ) > 0 {
				invalid("default", minQ, "min value %s is greater than default value %s", minQ.String(), defQ.String())
			}
			if hasDef && hasMax && defQ.Cmp(maxQ) > 0 {
				invalid("default", maxQ, "default value %s is greater than max value %s", defQ.String(), maxQ.String())
			}
			if hasRatio && ratio.Cmp(*resource.NewQuantity(1, resource.DecimalSI)) < 0 {
				invalid("maxLimitRequestRatio", ratio, "ratio %s is less than 1", ratio.String())
			}
			if hasRatio && hasMin && hasMax {
				ratioValue := float64(ratio.Value())
				minValue, maxValue := minQ.Value(), maxQ.Value()
				if ratio.Value() < resource.MaxMilliValue && minValue < resource.MaxMilliValue && maxValue < resource.MaxMilliValue {
					ratioValue = float64(ratio.MilliValue()) / 1000
					minValue, maxValue = minQ.MilliValue(), maxQ.MilliValue()
				}
				if limit := float64(maxValue) / float64(minValue); ratioValue > limit {
					invalid("maxLimitRequestRatio", ratio, "ratio %s is greater than max/min = %f", ratio.String(), limit)
				}
			}
			// Resources that may not be overcommitted need equal defaults.
			if !isOvercommitAllowed(corev1.ResourceName(k)) && hasDef && hasDefReq && defQ.Cmp(defReqQ) != 0 {
				invalid("defaultRequest", defReqQ, "default value %s must equal to defaultRequest value %s in %s", defQ.String(), defReqQ.String(), k)
			}
		}
	}
	return allErrs
}

// ValidateLimitRangeUpdate validates an update of a limit range.
func ValidateLimitRangeUpdate(lr, old *corev1.LimitRange) field.ErrorList {
	allErrs := ValidateObjectMetaUpdate(&lr.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	return append(allErrs, ValidateLimitRange(lr)...)
}

func validateLimitRangeTypeName(value corev1.LimitType, fldPath *field.Path) field.ErrorList {
	if errs := ValidateQualifiedName(string(value), fldPath); len(errs) != 0 {
		return errs
	}
	if !strings.Contains(string(value), "/") && !standardLimitRangeTypes.Has(value) {
		return field.ErrorList{field.Invalid(fldPath, value, "must be a standard limit type or fully qualified")}
	}
	return nil
}

func validateLimitRangeResourceName(limitType corev1.LimitType, value corev1.ResourceName, fldPath *field.Path) field.ErrorList {
	if limitType == corev1.LimitTypePod || limitType == corev1.LimitTypeContainer {
		return validateContainerResourceName(value, fldPath)
	}
	return validateResourceName(value, fldPath)
}

// ResourceQuota.

// ValidateResourceQuota validates a resource quota on create.
func ValidateResourceQuota(rq *corev1.ResourceQuota) field.ErrorList {
	allErrs := ValidateObjectMeta(&rq.ObjectMeta, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	allErrs = append(allErrs, validateResourceQuotaSpec(&rq.Spec, field.NewPath("spec"))...)
	return append(allErrs, validateResourceQuotaStatus(&rq.Status, field.NewPath("status"))...)
}

// ValidateResourceQuotaUpdate validates an update of a resource quota: its
// scopes may not change.
func ValidateResourceQuotaUpdate(rq, old *corev1.ResourceQuota) field.ErrorList {
	allErrs := ValidateObjectMetaUpdate(&rq.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	allErrs = append(allErrs, ValidateObjectMeta(&rq.ObjectMeta, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))...)
	allErrs = append(allErrs, validateResourceQuotaSpec(&rq.Spec, field.NewPath("spec"))...)
	oldScopes, newScopes := sets.New[corev1.ResourceQuotaScope](old.Spec.Scopes...), sets.New[corev1.ResourceQuotaScope](rq.Spec.Scopes...)
	if !oldScopes.Equal(newScopes) {
		allErrs = append(allErrs, field.Invalid(field.NewPath("spec", "scopes"), rq.Spec.Scopes, fieldImmutableErrorMsg))
	}
	return allErrs
}

// ValidateResourceQuotaStatusUpdate validates an update of a quota's status.
func ValidateResourceQuotaStatusUpdate(rq, old *corev1.ResourceQuota) field.ErrorList {
	allErrs := ValidateObjectMetaUpdate(&rq.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	if rq.ResourceVersion == "" {
		allErrs = append(allErrs, field.Required(field.NewPath("resourceVersion"), ""))
	}
	return append(allErrs, validateResourceQuotaStatus(&rq.Status, field.NewPath("status"))...)
}

func validateQuotaResources(list corev1.ResourceList, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for k, v := range list {
		resPath := fldPath.Key(string(k))
		allErrs = append(allErrs, validateResourceQuotaResourceName(k, resPath)...)
		allErrs = append(allErrs, ValidateResourceQuantityValue(k, v, resPath)...)
	}
	return allErrs
}

func validateResourceQuotaStatus(status *corev1.ResourceQuotaStatus, fldPath *field.Path) field.ErrorList {
	allErrs := validateQuotaResources(status.Hard, fldPath.Child("hard"))
	return append(allErrs, validateQuotaResources(status.Used, fldPath.Child("used"))...)
}

var invalidScopePairs = [][2]corev1.ResourceQuotaScope{
	{corev1.ResourceQuotaScopeBestEffort, corev1.ResourceQuotaScopeNotBestEffort},
	{corev1.ResourceQuotaScopeTerminating, corev1.ResourceQuotaScopeNotTerminating},
}

func validateResourceQuotaSpec(spec *corev1.ResourceQuotaSpec, fldPath *field.Path) field.ErrorList {
	allErrs := validateQuotaResources(spec.Hard, fldPath.Child("hard"))
	hard := make([]corev1.ResourceName, 0, len(spec.Hard))
	for k := range spec.Hard {
		hard = append(hard, k)
	}
	hard = sets.List(sets.New(hard...))
	if len(spec.Scopes) > 0 {
		scopesPath := fldPath.Child("scopes")
		seen := sets.New[corev1.ResourceQuotaScope]()
		for _, scope := range spec.Scopes {
			if !standardResourceQuotaScopes.Has(scope) {
				allErrs = append(allErrs, field.Invalid(scopesPath, spec.Scopes, "unsupported scope"))
			}
			// Upstream reports one error per offending hard limit.
			for _, k := range hard {
				if isStandardQuotaResourceName(k) && !isResourceQuotaScopeValidForResource(scope, k) {
					allErrs = append(allErrs, field.Invalid(scopesPath, spec.Scopes, "unsupported scope applied to resource"))
				}
			}
			seen.Insert(scope)
		}
		for _, pair := range invalidScopePairs {
			if seen.Has(pair[0]) && seen.Has(pair[1]) {
				allErrs = append(allErrs, field.Invalid(scopesPath, spec.Scopes, "conflicting scopes"))
			}
		}
	}
	if spec.ScopeSelector != nil {
		exprPath := fldPath.Child("scopeSelector", "matchExpressions")
		seen := sets.New[corev1.ResourceQuotaScope]()
		for _, req := range spec.ScopeSelector.MatchExpressions {
			if !standardResourceQuotaScopes.Has(req.ScopeName) {
				allErrs = append(allErrs, field.Invalid(exprPath.Child("scopeName"), req.ScopeName, "unsupported scope"))
			}
			for _, k := range hard {
				if isStandardQuotaResourceName(k) && !isResourceQuotaScopeValidForResource(req.ScopeName, k) {
					allErrs = append(allErrs, field.Invalid(exprPath, spec.ScopeSelector, "unsupported scope applied to resource"))
				}
			}
			switch req.ScopeName {
			case corev1.ResourceQuotaScopeBestEffort, corev1.ResourceQuotaScopeNotBestEffort, corev1.ResourceQuotaScopeTerminating,
				corev1.ResourceQuotaScopeNotTerminating, corev1.ResourceQuotaScopeCrossNamespacePodAffinity:
				if req.Operator != corev1.ScopeSelectorOpExists {
					allErrs = append(allErrs, field.Invalid(exprPath.Child("operator"), req.Operator,
						"must be 'Exists' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity"))
				}
			}
			switch req.Operator {
			case corev1.ScopeSelectorOpIn, corev1.ScopeSelectorOpNotIn:
				if len(req.Values) == 0 {
					allErrs = append(allErrs, field.Required(exprPath.Child("values"), "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector"))
				}
			case corev1.ScopeSelectorOpExists, corev1.ScopeSelectorOpDoesNotExist:
				if len(req.Values) != 0 {
					allErrs = append(allErrs, field.Invalid(exprPath.Child("values"), req.Values, "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector"))
				}
			default:
				allErrs = append(allErrs, field.Invalid(exprPath.Child("operator"), req.Operator, "not a valid selector operator"))
			}
			seen.Insert(req.ScopeName)
		}
		for _, pair := range invalidScopePairs {
			if seen.Has(pair[0]) && seen.Has(pair[1]) {
				allErrs = append(allErrs, field.Invalid(exprPath, spec.Scopes, "conflicting scopes"))
			}
		}
	}
	return allErrs
}

// Endpoints.

// ValidateEndpoints validates endpoints on create.
func ValidateEndpoints(ep *corev1.Endpoints) field.ErrorList {
	allErrs := ValidateObjectMeta(&ep.ObjectMeta, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	return append(allErrs, validateEndpointSubsets(ep.Subsets, field.NewPath("subsets"))...)
}

// ValidateEndpointsUpdate validates an update of endpoints. Subsets that did
// not change are not re-validated: older releases accepted data that the
// current rules reject.
func ValidateEndpointsUpdate(ep, old *corev1.Endpoints) field.ErrorList {
	allErrs := ValidateObjectMetaUpdate(&ep.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	allErrs = append(allErrs, ValidateObjectMeta(&ep.ObjectMeta, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))...)
	if errs := validateEndpointSubsets(ep.Subsets, field.NewPath("subsets")); len(errs) != 0 && !semanticEqual(ep.Subsets, old.Subsets) {
		allErrs = append(allErrs, errs...)
	}
	return allErrs
}

func validateEndpointSubsets(subsets []corev1.EndpointSubset, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for i := range subsets {
		ss := &subsets[i]
		idxPath := fldPath.Index(i)
		if len(ss.Addresses) == 0 && len(ss.NotReadyAddresses) == 0 {
			allErrs = append(allErrs, field.Required(idxPath, "must specify `addresses` or `notReadyAddresses`"))
		}
		for j := range ss.Addresses {
			allErrs = append(allErrs, validateEndpointAddress(&ss.Addresses[j], idxPath.Child("addresses").Index(j))...)
		}
		for j := range ss.NotReadyAddresses {
			allErrs = append(allErrs, validateEndpointAddress(&ss.NotReadyAddresses[j], idxPath.Child("notReadyAddresses").Index(j))...)
		}
		for j := range ss.Ports {
			allErrs = append(allErrs, validateEndpointPort(&ss.Ports[j], len(ss.Ports) > 1, idxPath.Child("ports").Index(j))...)
		}
	}
	return allErrs
}

func validateEndpointAddress(address *corev1.EndpointAddress, fldPath *field.Path) field.ErrorList {
	allErrs := IsValidIPForLegacyField(fldPath.Child("ip"), address.IP, nil)
	if address.Hostname != "" {
		allErrs = append(allErrs, ValidateDNS1123Label(address.Hostname, fldPath.Child("hostname"))...)
	}
	if address.NodeName != nil {
		allErrs = append(allErrs, ValidateNameFunc(apimachineryvalidation.NameIsDNSSubdomain, *address.NodeName, fldPath.Child("nodeName"))...)
	}
	return append(allErrs, ValidateEndpointIP(address.IP, fldPath.Child("ip"))...)
}

func validateEndpointPort(port *corev1.EndpointPort, requireName bool, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if requireName && port.Name == "" {
		allErrs = append(allErrs, field.Required(fldPath.Child("name"), ""))
	} else if port.Name != "" {
		allErrs = append(allErrs, ValidateDNS1123Label(port.Name, fldPath.Child("name"))...)
	}
	allErrs = append(allErrs, messages(fldPath.Child("port"), port.Port, validation.IsValidPortNum(int(port.Port)))...)
	allErrs = append(allErrs, validateProtocol(port.Protocol, fldPath.Child("protocol"))...)
	if port.AppProtocol != nil {
		allErrs = append(allErrs, ValidateQualifiedName(*port.AppProtocol, fldPath.Child("appProtocol"))...)
	}
	return allErrs
}

var supportedPortProtocols = sets.New(corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP)

func validateProtocol(p corev1.Protocol, fldPath *field.Path) field.ErrorList {
	if p == "" {
		return field.ErrorList{field.Required(fldPath, "")}
	}
	if !supportedPortProtocols.Has(p) {
		return field.ErrorList{field.NotSupported(fldPath, p, sets.List(supportedPortProtocols))}
	}
	return nil
}

func isTrue(b *bool) bool { return b != nil && *b }
