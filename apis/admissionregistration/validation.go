package admissionregistration

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/util/webhook"

	"github.com/kubeshim/kubeshim/apis/core"
)

// Validation of the admissionregistration.k8s.io/v1 webhook configurations,
// with upstream's paths and messages. Upstream validates their metadata
// with apimachinery's rules, not core's. Rules that tightened over time
// (no side effects, a recognized AdmissionReview version, unique webhook
// names, valid selector values) are relaxed on update when the old object
// already broke them.

// acceptedAdmissionReviewVersions are the AdmissionReview versions the API
// server can send.
var acceptedAdmissionReviewVersions = []string{"v1", "v1beta1"}

var (
	failurePolicies      = []admissionregistrationv1.FailurePolicyType{admissionregistrationv1.Fail, admissionregistrationv1.Ignore}
	matchPolicies        = []admissionregistrationv1.MatchPolicyType{admissionregistrationv1.Equivalent, admissionregistrationv1.Exact}
	allSideEffects       = []admissionregistrationv1.SideEffectClass{admissionregistrationv1.SideEffectClassNone, admissionregistrationv1.SideEffectClassNoneOnDryRun, admissionregistrationv1.SideEffectClassSome, admissionregistrationv1.SideEffectClassUnknown}
	noSideEffects        = []admissionregistrationv1.SideEffectClass{admissionregistrationv1.SideEffectClassNone, admissionregistrationv1.SideEffectClassNoneOnDryRun}
	operations           = []admissionregistrationv1.OperationType{admissionregistrationv1.OperationAll, admissionregistrationv1.Connect, admissionregistrationv1.Create, admissionregistrationv1.Delete, admissionregistrationv1.Update}
	reinvocationPolicies = []admissionregistrationv1.ReinvocationPolicyType{admissionregistrationv1.IfNeededReinvocationPolicy, admissionregistrationv1.NeverReinvocationPolicy}
	scopes               = []admissionregistrationv1.ScopeType{admissionregistrationv1.AllScopes, admissionregistrationv1.ClusterScope, admissionregistrationv1.NamespacedScope}
)

type options struct {
	ignoreMatchConditions bool
	// storedExpressions are the old object's match condition expressions:
	// on update they compile in the stored-expressions CEL environment, so an
	// object valid when it was written stays valid after a CEL library change.
	storedExpressions            sets.Set[string]
	requireNoSideEffects         bool
	requireRecognizedVersion     bool
	requireUniqueNames           bool
	allowInvalidLabelValueInSels bool
}

var createOptions = options{requireNoSideEffects: true, requireRecognizedVersion: true, requireUniqueNames: true}

// webhookFields is what validating and mutating webhooks share.
type webhookFields struct {
	name                    string
	clientConfig            admissionregistrationv1.WebhookClientConfig
	rules                   []admissionregistrationv1.RuleWithOperations
	failurePolicy           *admissionregistrationv1.FailurePolicyType
	matchPolicy             *admissionregistrationv1.MatchPolicyType
	namespaceSelector       *metav1.LabelSelector
	objectSelector          *metav1.LabelSelector
	sideEffects             *admissionregistrationv1.SideEffectClass
	timeoutSeconds          *int32
	admissionReviewVersions []string
	matchConditions         []admissionregistrationv1.MatchCondition
	reinvocationPolicy      *admissionregistrationv1.ReinvocationPolicyType
}

func validatingFields(hooks []admissionregistrationv1.ValidatingWebhook) []webhookFields {
	out := make([]webhookFields, len(hooks))
	for i, h := range hooks {
		out[i] = webhookFields{h.Name, h.ClientConfig, h.Rules, h.FailurePolicy, h.MatchPolicy, h.NamespaceSelector, h.ObjectSelector,
			h.SideEffects, h.TimeoutSeconds, h.AdmissionReviewVersions, h.MatchConditions, nil}
	}
	return out
}

func mutatingFields(hooks []admissionregistrationv1.MutatingWebhook) []webhookFields {
	out := make([]webhookFields, len(hooks))
	for i, h := range hooks {
		out[i] = webhookFields{h.Name, h.ClientConfig, h.Rules, h.FailurePolicy, h.MatchPolicy, h.NamespaceSelector, h.ObjectSelector,
			h.SideEffects, h.TimeoutSeconds, h.AdmissionReviewVersions, h.MatchConditions, h.ReinvocationPolicy}
	}
	return out
}

// ValidateValidatingWebhookConfiguration validates a validating webhook
// configuration on create.
func ValidateValidatingWebhookConfiguration(c *admissionregistrationv1.ValidatingWebhookConfiguration) field.ErrorList {
	return append(validateConfiguration(&c.ObjectMeta, validatingFields(c.Webhooks), createOptions), validateStaticSuffix(&c.ObjectMeta)...)
}

// ValidateValidatingWebhookConfigurationUpdate validates an update of a
// validating webhook configuration.
func ValidateValidatingWebhookConfigurationUpdate(c, old *admissionregistrationv1.ValidatingWebhookConfiguration) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&c.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	return append(allErrs, validateConfiguration(&c.ObjectMeta, validatingFields(c.Webhooks), updateOptions(validatingFields(c.Webhooks), validatingFields(old.Webhooks)))...)
}

// ValidateMutatingWebhookConfiguration validates a mutating webhook
// configuration on create.
func ValidateMutatingWebhookConfiguration(c *admissionregistrationv1.MutatingWebhookConfiguration) field.ErrorList {
	return append(validateConfiguration(&c.ObjectMeta, mutatingFields(c.Webhooks), createOptions), validateStaticSuffix(&c.ObjectMeta)...)
}

// ValidateMutatingWebhookConfigurationUpdate validates an update of a
// mutating webhook configuration.
func ValidateMutatingWebhookConfigurationUpdate(c, old *admissionregistrationv1.MutatingWebhookConfiguration) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&c.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	return append(allErrs, validateConfiguration(&c.ObjectMeta, mutatingFields(c.Webhooks), updateOptions(mutatingFields(c.Webhooks), mutatingFields(old.Webhooks)))...)
}

func updateOptions(hooks, old []webhookFields) options {
	opts := options{ignoreMatchConditions: len(hooks) == len(old), requireNoSideEffects: true, requireRecognizedVersion: true, requireUniqueNames: true,
		storedExpressions: sets.New[string]()}
	names := sets.New[string]()
	for i, h := range old {
		for _, c := range h.matchConditions {
			opts.storedExpressions.Insert(c.Expression)
		}
		if opts.ignoreMatchConditions && !reflect.DeepEqual(hooks[i].matchConditions, h.matchConditions) {
			opts.ignoreMatchConditions = false
		}
		if h.sideEffects == nil || !slices.Contains(noSideEffects, *h.sideEffects) {
			opts.requireNoSideEffects = false
		}
		if len(h.admissionReviewVersions) > 0 && !slices.ContainsFunc(h.admissionReviewVersions, isAcceptedVersion) {
			opts.requireRecognizedVersion = false
		}
		if names.Has(h.name) {
			opts.requireUniqueNames = false
		}
		names.Insert(h.name)
		for _, sel := range []*metav1.LabelSelector{h.namespaceSelector, h.objectSelector} {
			if sel != nil && len(core.ValidateLabelSelector(sel, nil)) > 0 {
				opts.allowInvalidLabelValueInSels = true
			}
		}
	}
	return opts
}

func isAcceptedVersion(v string) bool { return slices.Contains(acceptedAdmissionReviewVersions, v) }

func validateConfiguration(meta *metav1.ObjectMeta, hooks []webhookFields, opts options) field.ErrorList {
	allErrs := core.ValidateObjectName(meta, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	names := sets.New[string]()
	for i, h := range hooks {
		p := field.NewPath("webhooks").Index(i)
		allErrs = append(allErrs, validateWebhook(h, opts, p)...)
		allErrs = append(allErrs, validateAdmissionReviewVersions(h.admissionReviewVersions, opts.requireRecognizedVersion, p.Child("admissionReviewVersions"))...)
		if opts.requireUniqueNames && h.name != "" {
			if names.Has(h.name) {
				allErrs = append(allErrs, field.Duplicate(p.Child("name"), h.name))
			}
			names.Insert(h.name)
		}
	}
	return allErrs
}

func validateWebhook(h webhookFields, opts options, p *field.Path) field.ErrorList {
	allErrs := validation.IsFullyQualifiedName(p.Child("name"), h.name)
	for i := range h.rules {
		allErrs = append(allErrs, validateRuleWithOperations(&h.rules[i], p.Child("rules").Index(i))...)
	}
	if fp := h.failurePolicy; fp != nil && !slices.Contains(failurePolicies, *fp) {
		allErrs = append(allErrs, field.NotSupported(p.Child("failurePolicy"), *fp, failurePolicies))
	}
	if mp := h.matchPolicy; mp != nil && !slices.Contains(matchPolicies, *mp) {
		allErrs = append(allErrs, field.NotSupported(p.Child("matchPolicy"), *mp, matchPolicies))
	}
	allowedSideEffects := allSideEffects
	if opts.requireNoSideEffects {
		allowedSideEffects = noSideEffects
	}
	if h.sideEffects == nil {
		names := make([]string, len(allowedSideEffects))
		for i, s := range allowedSideEffects {
			names[i] = string(s)
		}
		allErrs = append(allErrs, field.Required(p.Child("sideEffects"), fmt.Sprintf("must specify one of %v", strings.Join(names, ", "))))
	} else if !slices.Contains(allowedSideEffects, *h.sideEffects) {
		allErrs = append(allErrs, field.NotSupported(p.Child("sideEffects"), *h.sideEffects, allowedSideEffects))
	}
	if t := h.timeoutSeconds; t != nil && (*t > 30 || *t < 1) {
		allErrs = append(allErrs, field.Invalid(p.Child("timeoutSeconds"), *t, "the timeout value must be between 1 and 30 seconds"))
	}
	selectorOpts := metav1validation.LabelSelectorValidationOptions{AllowInvalidLabelValueInSelector: opts.allowInvalidLabelValueInSels}
	if h.namespaceSelector != nil {
		allErrs = append(allErrs, metav1validation.ValidateLabelSelector(h.namespaceSelector, selectorOpts, p.Child("namespaceSelector"))...)
	}
	if h.objectSelector != nil {
		allErrs = append(allErrs, metav1validation.ValidateLabelSelector(h.objectSelector, selectorOpts, p.Child("objectSelector"))...)
	}
	if rp := h.reinvocationPolicy; rp != nil && !slices.Contains(reinvocationPolicies, *rp) {
		allErrs = append(allErrs, field.NotSupported(p.Child("reinvocationPolicy"), *rp, reinvocationPolicies))
	}
	cc, cp := h.clientConfig, p.Child("clientConfig")
	switch {
	case (cc.URL == nil) == (cc.Service == nil):
		allErrs = append(allErrs, field.Required(cp, "exactly one of url or service is required"))
	case cc.URL != nil:
		allErrs = append(allErrs, webhook.ValidateWebhookURL(cp.Child("url"), *cc.URL, true)...)
	default:
		port := int32(0)
		if cc.Service.Port != nil {
			port = *cc.Service.Port
		}
		// Upstream passes name and namespace in this (swapped) order, so an
		// empty namespace is reported at service.name and vice versa.
		allErrs = append(allErrs, webhook.ValidateWebhookService(cp.Child("service"), cc.Service.Name, cc.Service.Namespace, cc.Service.Path, port)...)
	}
	if !opts.ignoreMatchConditions {
		allErrs = append(allErrs, validateMatchConditions(h.matchConditions, opts.storedExpressions, false, p.Child("matchConditions"))...)
	}
	return allErrs
}

// validateMatchConditions checks names and compiles each expression as the
// webhook and policy admission plugins will (see compileMatchCondition).
func validateMatchConditions(conditions []admissionregistrationv1.MatchCondition, stored sets.Set[string], hasParams bool, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if len(conditions) > 64 {
		allErrs = append(allErrs, field.TooMany(p, len(conditions), 64))
	}
	names := sets.New[string]()
	for i, c := range conditions {
		cp := p.Index(i)
		if expr := strings.TrimSpace(c.Expression); expr == "" {
			allErrs = append(allErrs, field.Required(cp.Child("expression"), ""))
		} else if err := compileMatchCondition(expr, stored.Has(expr), hasParams, cp.Child("expression")); err != nil {
			allErrs = append(allErrs, err)
		}
		if c.Name == "" {
			allErrs = append(allErrs, field.Required(cp.Child("name"), ""))
		} else {
			allErrs = append(allErrs, core.ValidateQualifiedName(c.Name, cp.Child("name"))...)
			if names.Has(c.Name) {
				allErrs = append(allErrs, field.Duplicate(cp.Child("name"), c.Name))
			}
			names.Insert(c.Name)
		}
	}
	return allErrs
}

func validateAdmissionReviewVersions(versions []string, requireRecognized bool, p *field.Path) field.ErrorList {
	accepted := strings.Join(acceptedAdmissionReviewVersions, ", ")
	if len(versions) == 0 {
		return field.ErrorList{field.Required(p, fmt.Sprintf("must specify one of %v", accepted))}
	}
	var allErrs field.ErrorList
	seen := sets.New[string]()
	for i, v := range versions {
		if seen.Has(v) {
			allErrs = append(allErrs, field.Invalid(p.Index(i), v, "duplicate version"))
			continue
		}
		seen.Insert(v)
		for _, msg := range validation.IsDNS1035Label(v) {
			allErrs = append(allErrs, field.Invalid(p.Index(i), v, msg))
		}
	}
	if requireRecognized && !slices.ContainsFunc(versions, isAcceptedVersion) {
		allErrs = append(allErrs, field.Invalid(p, versions, fmt.Sprintf("must include at least one of %v", accepted)))
	}
	return allErrs
}

func validateRuleWithOperations(r *admissionregistrationv1.RuleWithOperations, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	op := p.Child("operations")
	if len(r.Operations) == 0 {
		allErrs = append(allErrs, field.Required(op, ""))
	}
	if len(r.Operations) > 1 && slices.Contains(r.Operations, admissionregistrationv1.OperationAll) {
		allErrs = append(allErrs, field.Invalid(op, r.Operations, "if '*' is present, must not specify other operations"))
	}
	for i, o := range r.Operations {
		if !slices.Contains(operations, o) {
			allErrs = append(allErrs, field.NotSupported(op.Index(i), o, operations))
		}
	}
	if len(r.APIGroups) == 0 {
		allErrs = append(allErrs, field.Required(p.Child("apiGroups"), ""))
	}
	if len(r.APIGroups) > 1 && slices.Contains(r.APIGroups, "*") {
		allErrs = append(allErrs, field.Invalid(p.Child("apiGroups"), r.APIGroups, "if '*' is present, must not specify other API groups"))
	}
	if len(r.APIVersions) == 0 {
		allErrs = append(allErrs, field.Required(p.Child("apiVersions"), ""))
	}
	if len(r.APIVersions) > 1 && slices.Contains(r.APIVersions, "*") {
		allErrs = append(allErrs, field.Invalid(p.Child("apiVersions"), r.APIVersions, "if '*' is present, must not specify other API versions"))
	}
	for i, v := range r.APIVersions {
		if v == "" {
			allErrs = append(allErrs, field.Required(p.Child("apiVersions").Index(i), ""))
		}
	}
	allErrs = append(allErrs, validateResources(r.Resources, p.Child("resources"))...)
	if s := r.Scope; s != nil && !slices.Contains(scopes, *s) {
		allErrs = append(allErrs, field.NotSupported(p.Child("scope"), *s, scopes))
	}
	return allErrs
}

// validateResources checks resource/subresource patterns: wildcards may not
// overlap explicit entries they already cover.
func validateResources(resources []string, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if len(resources) == 0 {
		allErrs = append(allErrs, field.Required(p, ""))
	}
	wildcardSubresources, wildcardResources := sets.New[string](), sets.New[string]()
	doubleWildcard, singleWildcard, plainResource := false, false, false
	for i, rs := range resources {
		if rs == "" {
			allErrs = append(allErrs, field.Required(p.Index(i), ""))
			continue
		}
		doubleWildcard = doubleWildcard || rs == "*/*"
		singleWildcard = singleWildcard || rs == "*"
		res, sub, hasSub := strings.Cut(rs, "/")
		if !hasSub {
			// As upstream, the last resource without subresource decides.
			plainResource = rs != "*"
			continue
		}
		if wildcardSubresources.Has(res) {
			allErrs = append(allErrs, field.Invalid(p.Index(i), rs, fmt.Sprintf("if '%s/*' is present, must not specify %s", res, rs)))
		}
		if wildcardResources.Has(sub) {
			allErrs = append(allErrs, field.Invalid(p.Index(i), rs, fmt.Sprintf("if '*/%s' is present, must not specify %s", sub, rs)))
		}
		if sub == "*" {
			wildcardSubresources.Insert(res)
		}
		if res == "*" {
			wildcardResources.Insert(sub)
		}
	}
	if len(resources) > 1 && doubleWildcard {
		allErrs = append(allErrs, field.Invalid(p, resources, "if '*/*' is present, must not specify other resources"))
	}
	if singleWildcard && plainResource {
		allErrs = append(allErrs, field.Invalid(p, resources, "if '*' is present, must not specify other resources without subresources"))
	}
	return allErrs
}
