package admissionregistration

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/validate/content"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	plugincel "k8s.io/apiserver/pkg/admission/plugin/cel"
	"k8s.io/apiserver/pkg/admission/plugin/policy/mutating/patch"
	validatingpolicy "k8s.io/apiserver/pkg/admission/plugin/policy/validating"
	"k8s.io/client-go/util/jsonpath"

	"github.com/kubeshim/kubeshim/apis/core"
)

// Validation of the admission policies (ValidatingAdmissionPolicy,
// MutatingAdmissionPolicy) and their bindings, with upstream's paths and
// messages. Every CEL expression a policy holds is compiled as the policy
// admission plugins will compile it, so a policy that could never run is
// refused when it is written rather than failing each request it matches.

var (
	validationActions = []admissionregistrationv1.ValidationAction{admissionregistrationv1.Audit, admissionregistrationv1.Deny, admissionregistrationv1.Warn}
	// validationReasons are the reasons a validation may deny with.
	validationReasons = []metav1.StatusReason{metav1.StatusReasonForbidden, metav1.StatusReasonInvalid, metav1.StatusReasonRequestEntityTooLarge}
	patchTypes        = []admissionregistrationv1.PatchType{admissionregistrationv1.PatchTypeApplyConfiguration, admissionregistrationv1.PatchTypeJSONPatch}
	// mutatingOperations leave out DELETE: there is no object to mutate.
	mutatingOperations = []admissionregistrationv1.OperationType{admissionregistrationv1.OperationAll, admissionregistrationv1.Connect, admissionregistrationv1.Create, admissionregistrationv1.Update}
	// parameterNotFoundActions are in upstream's (unsorted) message order.
	parameterNotFoundActions = []admissionregistrationv1.ParameterNotFoundActionType{admissionregistrationv1.DenyAction, admissionregistrationv1.AllowAction}
)

const (
	maxAuditAnnotations = 20
	// maxAuditAnnotationValueExpressionLength is half the 10KiB an audit
	// annotation's value may take: concatenation grows the value.
	maxAuditAnnotationValueExpressionLength = 5 * 1024
)

// policyOptions are what an update relaxes.
type policyOptions struct {
	// ignoreMatchConditions skips the match conditions when neither they
	// nor the paramKind (which declares params) changed.
	ignoreMatchConditions bool
	stored                storedExpressions
}

// storedExpressions are the old policy's expressions, by where they were:
// an expression found in its set compiles in the stored-expressions
// environment. The zero value (a create) has none.
type storedExpressions struct {
	matchConditions, validations, messages, auditAnnotations, applyConfigurations sets.Set[string]
}

func storedOfValidating(p *admissionregistrationv1.ValidatingAdmissionPolicy) storedExpressions {
	s := storedExpressions{matchConditions: sets.New[string](), validations: sets.New[string](), messages: sets.New[string](), auditAnnotations: sets.New[string]()}
	for _, c := range p.Spec.MatchConditions {
		s.matchConditions.Insert(c.Expression)
	}
	for _, v := range p.Spec.Validations {
		s.validations.Insert(v.Expression)
		if v.MessageExpression != "" {
			s.messages.Insert(v.MessageExpression)
		}
	}
	for _, a := range p.Spec.AuditAnnotations {
		s.auditAnnotations.Insert(a.ValueExpression)
	}
	return s
}

// storedOfMutating collects a mutating policy's match conditions and apply
// configurations. Upstream also collects JSON patch expressions, in a set it
// never consults: it looks a JSON patch up among the old apply
// configurations. Keeping only those here is what that amounts to.
func storedOfMutating(p *admissionregistrationv1.MutatingAdmissionPolicy) storedExpressions {
	s := storedExpressions{matchConditions: sets.New[string](), applyConfigurations: sets.New[string]()}
	for _, c := range p.Spec.MatchConditions {
		s.matchConditions.Insert(c.Expression)
	}
	for _, m := range p.Spec.Mutations {
		if m.ApplyConfiguration != nil {
			s.applyConfigurations.Insert(m.ApplyConfiguration.Expression)
		}
	}
	return s
}

// ValidateValidatingAdmissionPolicy validates a validating admission policy
// on create.
func ValidateValidatingAdmissionPolicy(p *admissionregistrationv1.ValidatingAdmissionPolicy) field.ErrorList {
	return append(validateValidatingAdmissionPolicy(p, policyOptions{}), validateStaticSuffix(&p.ObjectMeta)...)
}

// ValidateValidatingAdmissionPolicyUpdate validates an update of a
// validating admission policy.
func ValidateValidatingAdmissionPolicyUpdate(p, old *admissionregistrationv1.ValidatingAdmissionPolicy) field.ErrorList {
	return validateValidatingAdmissionPolicy(p, policyOptions{
		ignoreMatchConditions: sameMatchConditions(p.Spec.ParamKind, old.Spec.ParamKind, p.Spec.MatchConditions, old.Spec.MatchConditions),
		stored:                storedOfValidating(old),
	})
}

// ValidateValidatingAdmissionPolicyStatusUpdate validates an update through
// the status subresource: the type-checking warnings and the conditions.
func ValidateValidatingAdmissionPolicyStatusUpdate(p, _ *admissionregistrationv1.ValidatingAdmissionPolicy) field.ErrorList {
	sp := field.NewPath("status")
	var allErrs field.ErrorList
	if tc := p.Status.TypeChecking; tc != nil {
		for i, w := range tc.ExpressionWarnings {
			wp := sp.Child("typeChecking", "expressionWarnings").Index(i)
			if w.Warning == "" {
				allErrs = append(allErrs, field.Required(wp.Child("warning"), ""))
			}
			allErrs = append(allErrs, validateFieldRef(w.FieldRef, wp.Child("fieldRef"))...)
		}
	}
	return append(allErrs, metav1validation.ValidateConditions(p.Status.Conditions, sp.Child("conditions"))...)
}

// validateFieldRef checks a type-checking warning's field reference parses
// as a JSONPath; nothing more, so that a newer controller's references stay
// writable.
func validateFieldRef(ref string, p *field.Path) field.ErrorList {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return field.ErrorList{field.Required(p, "")}
	}
	if err := jsonpath.New("spec").Parse("{" + ref + "}"); err != nil {
		return field.ErrorList{field.Invalid(p, ref, fmt.Sprintf("invalid JSONPath: %v", err))}
	}
	return nil
}

func validateValidatingAdmissionPolicy(p *admissionregistrationv1.ValidatingAdmissionPolicy, opts policyOptions) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&p.ObjectMeta, false, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	spec, sp := &p.Spec, field.NewPath("spec")
	// The composition compiler is stateful and slower to build: only a
	// policy with variables gets one, as upstream (the difference shows in
	// messages: without it `variables` is an undeclared reference).
	var compiler plugincel.Compiler = statelessCompiler()
	if len(spec.Variables) > 0 {
		compiler = newCompositionCompiler()
	}
	allErrs = append(allErrs, validatePolicyCommon(policyCommon{spec.FailurePolicy, spec.ParamKind, spec.MatchConstraints, spec.MatchConditions, spec.Variables},
		compiler, nil, opts, sp)...)
	hasParams := spec.ParamKind != nil
	if len(spec.Validations) == 0 && len(spec.AuditAnnotations) == 0 {
		const msg = "validations or auditAnnotations must contain at least one item"
		return append(allErrs, field.Required(sp.Child("validations"), msg), field.Required(sp.Child("auditAnnotations"), msg))
	}
	for i := range spec.Validations {
		allErrs = append(allErrs, validateValidation(compiler, &spec.Validations[i], hasParams, opts.stored, sp.Child("validations").Index(i))...)
	}
	if len(spec.AuditAnnotations) > maxAuditAnnotations {
		allErrs = append(allErrs, field.Invalid(sp.Child("auditAnnotations"), spec.AuditAnnotations, fmt.Sprintf("must not have more than %d auditAnnotations", maxAuditAnnotations)))
	}
	keys := sets.New[string]()
	for i := range spec.AuditAnnotations {
		a, ap := &spec.AuditAnnotations[i], sp.Child("auditAnnotations").Index(i)
		allErrs = append(allErrs, validateAuditAnnotation(compiler, p.Name, a, hasParams, opts.stored, ap)...)
		if keys.Has(a.Key) {
			allErrs = append(allErrs, field.Duplicate(ap.Child("key"), a.Key))
		}
		keys.Insert(a.Key)
	}
	return allErrs
}

// policyCommon is what the validating and mutating policy specs share.
type policyCommon struct {
	failurePolicy    *admissionregistrationv1.FailurePolicyType
	paramKind        *admissionregistrationv1.ParamKind
	matchConstraints *admissionregistrationv1.MatchResources
	matchConditions  []admissionregistrationv1.MatchCondition
	variables        []admissionregistrationv1.Variable
}

// validatePolicyCommon validates the shared fields in upstream's order.
// allowedOps, if set, are the operations the match constraints may name
// (a mutating policy cannot mutate a DELETE).
func validatePolicyCommon(c policyCommon, compiler plugincel.Compiler, allowedOps []admissionregistrationv1.OperationType, opts policyOptions, sp *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if c.failurePolicy == nil {
		allErrs = append(allErrs, field.Required(sp.Child("failurePolicy"), ""))
	} else if !slices.Contains(failurePolicies, *c.failurePolicy) {
		allErrs = append(allErrs, field.NotSupported(sp.Child("failurePolicy"), *c.failurePolicy, failurePolicies))
	}
	if c.paramKind != nil {
		allErrs = append(allErrs, validateParamKind(c.paramKind, sp.Child("paramKind"))...)
	}
	mp := sp.Child("matchConstraints")
	if c.matchConstraints == nil {
		allErrs = append(allErrs, field.Required(mp, ""))
	} else {
		allErrs = append(allErrs, validateMatchResources(c.matchConstraints, mp)...)
		// The resource rules give the expressions their types.
		if len(c.matchConstraints.ResourceRules) == 0 {
			allErrs = append(allErrs, field.Required(mp.Child("resourceRules"), ""))
		}
		allErrs = append(allErrs, validateOperationsIn(c.matchConstraints, allowedOps, mp)...)
	}
	hasParams := c.paramKind != nil
	if !opts.ignoreMatchConditions {
		allErrs = append(allErrs, validateMatchConditions(c.matchConditions, opts.stored.matchConditions, hasParams, sp.Child("matchConditions"))...)
	}
	for i := range c.variables {
		allErrs = append(allErrs, validateVariable(compiler, &c.variables[i], hasParams, opts.stored, sp.Child("variables").Index(i))...)
	}
	return allErrs
}

// validateOperationsIn reports operations of m's resource rules outside
// allowed (when set), at the rules' path without an index, as upstream.
func validateOperationsIn(m *admissionregistrationv1.MatchResources, allowed []admissionregistrationv1.OperationType, p *field.Path) field.ErrorList {
	if allowed == nil {
		return nil
	}
	var allErrs field.ErrorList
	for _, r := range m.ResourceRules {
		for _, op := range r.Operations {
			if !slices.Contains(allowed, op) {
				allErrs = append(allErrs, field.NotSupported(p.Child("resourceRules", "operations"), op, allowed))
			}
		}
	}
	return allErrs
}

// sameMatchConditions says an update cannot have made valid match
// conditions invalid: neither they nor the paramKind changed.
func sameMatchConditions(kind, oldKind *admissionregistrationv1.ParamKind, conditions, oldConditions []admissionregistrationv1.MatchCondition) bool {
	return apiequality.Semantic.DeepEqual(kind, oldKind) && apiequality.Semantic.DeepEqual(conditions, oldConditions)
}

// validateParamKind checks the apiVersion as an APIService's group and
// version, and the kind as a DNS label in any case.
func validateParamKind(k *admissionregistrationv1.ParamKind, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	vp := p.Child("apiVersion")
	if k.APIVersion == "" {
		allErrs = append(allErrs, field.Required(vp, ""))
	} else if group, version, err := splitGroupVersion(k.APIVersion); err != nil {
		allErrs = append(allErrs, field.Invalid(vp, k.APIVersion, err.Error()))
	} else {
		if group != "" {
			if msgs := validation.IsDNS1123Subdomain(group); len(msgs) > 0 {
				allErrs = append(allErrs, field.Invalid(vp, group, strings.Join(msgs, ",")))
			}
		}
		if version == "" {
			allErrs = append(allErrs, field.Invalid(vp, k.APIVersion, "version must be specified"))
		} else if msgs := validation.IsDNS1035Label(version); len(msgs) > 0 {
			allErrs = append(allErrs, field.Invalid(vp, version, strings.Join(msgs, ",")))
		}
	}
	if k.Kind == "" {
		allErrs = append(allErrs, field.Required(p.Child("kind"), ""))
	} else if msgs := validation.IsDNS1035Label(strings.ToLower(k.Kind)); len(msgs) > 0 {
		allErrs = append(allErrs, field.Invalid(p.Child("kind"), k.Kind, "may have mixed case, but should otherwise match: "+strings.Join(msgs, ",")))
	}
	return allErrs
}

// splitGroupVersion splits "group/version" or "version". Unlike
// schema.ParseGroupVersion it takes "/" as empty and a bare word as a
// version of the core group, as upstream's paramKind check does.
func splitGroupVersion(gv string) (group, version string, err error) {
	if gv == "/" {
		return "", "", nil
	}
	switch strings.Count(gv, "/") {
	case 0:
		return "", gv, nil
	case 1:
		group, version, _ = strings.Cut(gv, "/")
		return group, version, nil
	default:
		return "", "", fmt.Errorf("unexpected GroupVersion string: %v", gv)
	}
}

// validateMatchResources checks a policy's match constraints or a binding's
// match resources. Unlike webhooks', their selectors are validated strictly:
// these kinds came after invalid label values in selectors were refused.
func validateMatchResources(m *admissionregistrationv1.MatchResources, p *field.Path) field.ErrorList {
	if m == nil {
		return nil
	}
	var allErrs field.ErrorList
	if m.MatchPolicy == nil {
		allErrs = append(allErrs, field.Required(p.Child("matchPolicy"), ""))
	} else if !slices.Contains(matchPolicies, *m.MatchPolicy) {
		allErrs = append(allErrs, field.NotSupported(p.Child("matchPolicy"), *m.MatchPolicy, matchPolicies))
	}
	if m.NamespaceSelector == nil {
		allErrs = append(allErrs, field.Required(p.Child("namespaceSelector"), ""))
	} else {
		allErrs = append(allErrs, core.ValidateLabelSelector(m.NamespaceSelector, p.Child("namespaceSelector"))...)
	}
	if m.ObjectSelector == nil {
		allErrs = append(allErrs, field.Required(p.Child("objectSelector"), ""))
	} else {
		allErrs = append(allErrs, core.ValidateLabelSelector(m.ObjectSelector, p.Child("objectSelector"))...)
	}
	for i := range m.ResourceRules {
		allErrs = append(allErrs, validateNamedRule(&m.ResourceRules[i], p.Child("resourceRules").Index(i))...)
	}
	for i := range m.ExcludeResourceRules {
		allErrs = append(allErrs, validateNamedRule(&m.ExcludeResourceRules[i], p.Child("excludeResourceRules").Index(i))...)
	}
	return allErrs
}

func validateNamedRule(r *admissionregistrationv1.NamedRuleWithOperations, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	names := sets.New[string]()
	for i, name := range r.ResourceNames {
		np := p.Child("resourceNames").Index(i)
		for _, msg := range content.IsPathSegmentName(name) {
			allErrs = append(allErrs, field.Invalid(np, name, msg))
		}
		if names.Has(name) {
			allErrs = append(allErrs, field.Duplicate(np, name))
		}
		names.Insert(name)
	}
	return append(allErrs, validateRuleWithOperations(&r.RuleWithOperations, p)...)
}

// celIdentifier is CEL's IDENT; celReserved are the words it excludes.
var (
	celIdentifier = regexp.MustCompile(`^[_a-zA-Z][_a-zA-Z0-9]*$`)
	celReserved   = sets.New("true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function",
		"if", "import", "let", "loop", "package", "namespace", "return", "var", "void", "while")
)

// validateVariable compiles a variable and stores its type in the
// composition compiler, so later variables and expressions can use it.
// Upstream looks a variable's expression up among the old policy's
// validation expressions (it keeps no set of variable expressions): a
// variable counts as stored only when a validation held the same text.
func validateVariable(compiler plugincel.Compiler, v *admissionregistrationv1.Variable, hasParams bool, stored storedExpressions, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if strings.TrimSpace(v.Name) == "" {
		allErrs = append(allErrs, field.Required(p.Child("name"), "name is not specified"))
	} else if !celIdentifier.MatchString(v.Name) || celReserved.Has(v.Name) {
		allErrs = append(allErrs, field.Invalid(p.Child("name"), v.Name, "must be a valid CEL identifier"))
	}
	if strings.TrimSpace(v.Expression) == "" {
		return append(allErrs, field.Required(p.Child("expression"), "expression is not specified"))
	}
	composition, ok := compiler.(*plugincel.CompositedCompiler)
	if !ok {
		return append(allErrs, field.InternalError(p, fmt.Errorf("variable composition is not allowed")))
	}
	variable := &validatingpolicy.Variable{Name: v.Name, Expression: v.Expression}
	result := composition.CompileAndStoreVariable(variable, plugincel.OptionalVariableDeclarations{HasParams: hasParams, HasAuthorizer: true},
		envType(stored.validations.Has(v.Expression)))
	if err := celFieldError(p.Child("expression"), v.Expression, result.Error); err != nil {
		allErrs = append(allErrs, err)
	}
	return allErrs
}

var lineBreaks = regexp.MustCompile(`[\n\r]+`)

// validateValidation compiles the expression (to a bool) and the message
// expression (to a string; it sees no authorizer), and checks the message
// and reason.
func validateValidation(compiler plugincel.Compiler, v *admissionregistrationv1.Validation, hasParams bool, stored storedExpressions, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if strings.TrimSpace(v.Expression) == "" {
		allErrs = append(allErrs, field.Required(p.Child("expression"), "expression is not specified"))
	} else if err := compile(compiler, &validatingpolicy.ValidationCondition{Expression: v.Expression},
		plugincel.OptionalVariableDeclarations{HasParams: hasParams, HasAuthorizer: true},
		stored.validations.Has(v.Expression), v.Expression, p.Child("expression")); err != nil {
		allErrs = append(allErrs, err)
	}
	// The message expression compiles untrimmed, so that error columns
	// match what the user wrote.
	if v.MessageExpression != "" && strings.TrimSpace(v.MessageExpression) == "" {
		allErrs = append(allErrs, field.Invalid(p.Child("messageExpression"), v.MessageExpression, "must be non-empty if specified"))
	} else if v.MessageExpression != "" {
		if err := compile(compiler, &validatingpolicy.MessageExpressionCondition{MessageExpression: v.MessageExpression},
			plugincel.OptionalVariableDeclarations{HasParams: hasParams},
			stored.messages.Has(v.MessageExpression), v.MessageExpression, p.Child("messageExpression")); err != nil {
			allErrs = append(allErrs, err)
		}
	}
	msg := strings.TrimSpace(v.Message)
	if v.Message != "" && msg == "" {
		allErrs = append(allErrs, field.Invalid(p.Child("message"), v.Message, "must be non-empty if specified"))
	} else if lineBreaks.MatchString(msg) {
		allErrs = append(allErrs, field.Invalid(p.Child("message"), v.Message, "must not contain line breaks"))
	}
	if v.Reason != nil && !slices.Contains(validationReasons, *v.Reason) {
		allErrs = append(allErrs, field.NotSupported(p.Child("reason"), *v.Reason, validationReasons))
	}
	return allErrs
}

// validateAuditAnnotation checks the key (it becomes "<policy>/<key>", a
// qualified name) and compiles the value expression to a string or null.
func validateAuditAnnotation(compiler plugincel.Compiler, policyName string, a *admissionregistrationv1.AuditAnnotation, hasParams bool, stored storedExpressions, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if policyName != "" {
		allErrs = append(allErrs, core.ValidateQualifiedName(policyName+"/"+a.Key, p.Child("key"))...)
	} else {
		allErrs = append(allErrs, field.Invalid(p.Child("key"), a.Key, "requires metadata.name be non-empty"))
	}
	vp := p.Child("valueExpression")
	switch expr := strings.TrimSpace(a.ValueExpression); {
	case expr == "":
		allErrs = append(allErrs, field.Required(vp, "valueExpression is not specified"))
	case len(expr) > maxAuditAnnotationValueExpressionLength:
		// Required, not TooLong: upstream's choice, kept for its message.
		allErrs = append(allErrs, field.Required(vp, fmt.Sprintf("must not exceed %d bytes in length", maxAuditAnnotationValueExpressionLength)))
	default:
		if err := compile(compiler, &validatingpolicy.AuditAnnotationCondition{ValueExpression: expr},
			plugincel.OptionalVariableDeclarations{HasParams: hasParams, HasAuthorizer: true},
			stored.auditAnnotations.Has(a.ValueExpression), a.ValueExpression, vp); err != nil {
			allErrs = append(allErrs, err)
		}
	}
	return allErrs
}

// ValidateValidatingAdmissionPolicyBinding validates a validating admission
// policy binding on create.
func ValidateValidatingAdmissionPolicyBinding(b *admissionregistrationv1.ValidatingAdmissionPolicyBinding) field.ErrorList {
	return append(validateValidatingAdmissionPolicyBinding(b), validateStaticSuffix(&b.ObjectMeta)...)
}

// ValidateValidatingAdmissionPolicyBindingUpdate validates an update of a
// validating admission policy binding: as on create, less the reserved
// name suffix.
func ValidateValidatingAdmissionPolicyBindingUpdate(b, _ *admissionregistrationv1.ValidatingAdmissionPolicyBinding) field.ErrorList {
	return validateValidatingAdmissionPolicyBinding(b)
}

func validateValidatingAdmissionPolicyBinding(b *admissionregistrationv1.ValidatingAdmissionPolicyBinding) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&b.ObjectMeta, false, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	sp := field.NewPath("spec")
	allErrs = append(allErrs, validateBindingCommon(b.Spec.PolicyName, b.Spec.ParamRef, b.Spec.MatchResources, nil, sp)...)
	return append(allErrs, validateValidationActions(b.Spec.ValidationActions, sp.Child("validationActions"))...)
}

// validateBindingCommon validates what both bindings share. allowedOps is
// as for validatePolicyCommon.
func validateBindingCommon(policyName string, ref *admissionregistrationv1.ParamRef, match *admissionregistrationv1.MatchResources,
	allowedOps []admissionregistrationv1.OperationType, sp *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if policyName == "" {
		allErrs = append(allErrs, field.Required(sp.Child("policyName"), ""))
	} else {
		for _, msg := range apimachineryvalidation.NameIsDNSSubdomain(policyName, false) {
			allErrs = append(allErrs, field.Invalid(sp.Child("policyName"), policyName, msg))
		}
	}
	allErrs = append(allErrs, validateParamRef(ref, sp.Child("paramRef"))...)
	allErrs = append(allErrs, validateMatchResources(match, sp.Child("matchResources"))...)
	if match != nil {
		allErrs = append(allErrs, validateOperationsIn(match, allowedOps, sp.Child("matchResources"))...)
	}
	return allErrs
}

// validateParamRef checks that exactly one of name and selector says which
// parameters to use, and what to do when there are none.
func validateParamRef(r *admissionregistrationv1.ParamRef, p *field.Path) field.ErrorList {
	if r == nil {
		return nil
	}
	var allErrs field.ErrorList
	const exclusive = "name and selector are mutually exclusive"
	if r.Name != "" {
		for _, msg := range content.IsPathSegmentName(r.Name) {
			allErrs = append(allErrs, field.Invalid(p.Child("name"), r.Name, msg))
		}
		if r.Selector != nil {
			allErrs = append(allErrs, field.Forbidden(p.Child("name"), exclusive))
		}
	}
	if r.Selector != nil {
		allErrs = append(allErrs, core.ValidateLabelSelector(r.Selector, p.Child("selector"))...)
		if r.Name != "" {
			allErrs = append(allErrs, field.Forbidden(p.Child("selector"), exclusive))
		}
	}
	if r.Name == "" && r.Selector == nil {
		allErrs = append(allErrs, field.Required(p, "one of name or selector must be specified"))
	}
	ap := p.Child("parameterNotFoundAction")
	if a := r.ParameterNotFoundAction; a == nil || *a == "" {
		allErrs = append(allErrs, field.Required(ap, ""))
	} else if !slices.Contains(parameterNotFoundActions, *a) {
		allErrs = append(allErrs, field.NotSupported(ap, *a, parameterNotFoundActions))
	}
	return allErrs
}

// validateValidationActions wants at least one known action, each once, and
// not both Deny and Warn: the same failure in the response and in its
// warning headers serves no purpose.
func validateValidationActions(actions []admissionregistrationv1.ValidationAction, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	seen := sets.New[admissionregistrationv1.ValidationAction]()
	for i, a := range actions {
		if !slices.Contains(validationActions, a) {
			allErrs = append(allErrs, field.NotSupported(p.Index(i), a, validationActions))
		}
		if seen.Has(a) {
			allErrs = append(allErrs, field.Duplicate(p.Index(i), a))
		}
		seen.Insert(a)
	}
	if seen.Has(admissionregistrationv1.Deny) && seen.Has(admissionregistrationv1.Warn) {
		allErrs = append(allErrs, field.Invalid(p, actions,
			"must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)"))
	}
	if len(seen) == 0 {
		allErrs = append(allErrs, field.Required(p, "at least one validation action is required"))
	}
	return allErrs
}

// ValidateMutatingAdmissionPolicy validates a mutating admission policy on
// create.
func ValidateMutatingAdmissionPolicy(p *admissionregistrationv1.MutatingAdmissionPolicy) field.ErrorList {
	return append(validateMutatingAdmissionPolicy(p, policyOptions{}), validateStaticSuffix(&p.ObjectMeta)...)
}

// ValidateMutatingAdmissionPolicyUpdate validates an update of a mutating
// admission policy.
func ValidateMutatingAdmissionPolicyUpdate(p, old *admissionregistrationv1.MutatingAdmissionPolicy) field.ErrorList {
	return validateMutatingAdmissionPolicy(p, policyOptions{
		ignoreMatchConditions: sameMatchConditions(p.Spec.ParamKind, old.Spec.ParamKind, p.Spec.MatchConditions, old.Spec.MatchConditions),
		stored:                storedOfMutating(old),
	})
}

func validateMutatingAdmissionPolicy(p *admissionregistrationv1.MutatingAdmissionPolicy, opts policyOptions) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&p.ObjectMeta, false, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	spec, sp := &p.Spec, field.NewPath("spec")
	compiler := newCompositionCompiler()
	allErrs = append(allErrs, validatePolicyCommon(policyCommon{spec.FailurePolicy, spec.ParamKind, spec.MatchConstraints, spec.MatchConditions, spec.Variables},
		compiler, mutatingOperations, opts, sp)...)
	if len(spec.Mutations) == 0 {
		allErrs = append(allErrs, field.Required(sp.Child("mutations"), "mutations must contain at least one item"))
	}
	for i := range spec.Mutations {
		allErrs = append(allErrs, validateMutation(compiler, &spec.Mutations[i], spec.ParamKind != nil, opts.stored, sp.Child("mutations").Index(i))...)
	}
	rp := sp.Child("reinvocationPolicy")
	if spec.ReinvocationPolicy == "" {
		allErrs = append(allErrs, field.Required(rp, ""))
	} else if !slices.Contains(reinvocationPolicies, spec.ReinvocationPolicy) {
		allErrs = append(allErrs, field.NotSupported(rp, spec.ReinvocationPolicy, reinvocationPolicies))
	}
	return allErrs
}

// validateMutation wants the patch that patchType names, and only it, and
// compiles its expression with the patch types (Object, JSONPatch)
// declared: to an Object for an apply configuration, to a list of JSON
// patch operations for a JSON patch.
func validateMutation(compiler plugincel.Compiler, m *admissionregistrationv1.Mutation, hasParams bool, stored storedExpressions, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	acp, jpp := p.Child("applyConfiguration"), p.Child("jsonPatch")
	switch m.PatchType {
	case "":
		allErrs = append(allErrs, field.Required(p.Child("patchType"), ""))
	case admissionregistrationv1.PatchTypeJSONPatch:
		if m.JSONPatch == nil {
			allErrs = append(allErrs, field.Required(jpp, "must be specified when patchType is JSONPatch"))
		} else {
			allErrs = append(allErrs, compilePatch(compiler, m.JSONPatch.Expression, hasParams, stored, jpp, func(e string) plugincel.ExpressionAccessor {
				return &patch.JSONPatchCondition{Expression: e}
			})...)
		}
		if m.ApplyConfiguration != nil {
			allErrs = append(allErrs, field.Invalid(acp, "{applyConfiguration}", "must not be specified when patchType is JSONPatch"))
		}
	case admissionregistrationv1.PatchTypeApplyConfiguration:
		if m.ApplyConfiguration == nil {
			allErrs = append(allErrs, field.Required(acp, "must be specified when patchType is ApplyConfiguration"))
		} else {
			allErrs = append(allErrs, compilePatch(compiler, m.ApplyConfiguration.Expression, hasParams, stored, acp, func(e string) plugincel.ExpressionAccessor {
				return &patch.ApplyConfigurationCondition{Expression: e}
			})...)
		}
		if m.JSONPatch != nil {
			allErrs = append(allErrs, field.Invalid(jpp, "{jsonPatch}", "must not be specified when patchType is ApplyConfiguration"))
		}
	default:
		allErrs = append(allErrs, field.NotSupported(p.Child("patchType"), m.PatchType, patchTypes))
	}
	return allErrs
}

// compilePatch compiles a patch expression, trimmed, reporting it trimmed.
// Both patch kinds look themselves up among the old policy's apply
// configurations, as upstream (see storedOfMutating).
func compilePatch(compiler plugincel.Compiler, expr string, hasParams bool, stored storedExpressions, p *field.Path,
	accessor func(string) plugincel.ExpressionAccessor) field.ErrorList {
	trimmed := strings.TrimSpace(expr)
	if trimmed == "" {
		return field.ErrorList{field.Required(p.Child("expression"), "")}
	}
	if err := compile(compiler, accessor(trimmed), plugincel.OptionalVariableDeclarations{HasParams: hasParams, HasAuthorizer: true, HasPatchTypes: true},
		stored.applyConfigurations.Has(expr), trimmed, p.Child("expression")); err != nil {
		return field.ErrorList{err}
	}
	return nil
}

// ValidateMutatingAdmissionPolicyBinding validates a mutating admission
// policy binding on create.
func ValidateMutatingAdmissionPolicyBinding(b *admissionregistrationv1.MutatingAdmissionPolicyBinding) field.ErrorList {
	return append(validateMutatingAdmissionPolicyBinding(b), validateStaticSuffix(&b.ObjectMeta)...)
}

// ValidateMutatingAdmissionPolicyBindingUpdate validates an update of a
// mutating admission policy binding: as on create, less the reserved name
// suffix.
func ValidateMutatingAdmissionPolicyBindingUpdate(b, _ *admissionregistrationv1.MutatingAdmissionPolicyBinding) field.ErrorList {
	return validateMutatingAdmissionPolicyBinding(b)
}

func validateMutatingAdmissionPolicyBinding(b *admissionregistrationv1.MutatingAdmissionPolicyBinding) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&b.ObjectMeta, false, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	return append(allErrs, validateBindingCommon(b.Spec.PolicyName, b.Spec.ParamRef, b.Spec.MatchResources, mutatingOperations, field.NewPath("spec"))...)
}
