package admissionregistration

import (
	"fmt"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/apis/internal/fielderrors"
)

// newerLibrary compiles only in the stored-expressions environment: the
// function is newer than the compatibility version new expressions get.
const newerLibrary = "[1, 2].includes(1)"

// newerLibraryError is the error of newerLibrary as a new expression at
// path. CEL reports the call at its opening parenthesis.
func newerLibraryError(path string) string { return newerLibraryErrorIn(path, newerLibrary) }

// newerLibraryErrorIn is the error of an expression holding newerLibrary.
func newerLibraryErrorIn(path, expr string) string {
	col := strings.Index(expr, newerLibrary) + len("[1, 2].includes") + 1
	return fmt.Sprintf("%s: Invalid value: %q: compilation failed: ERROR: <input>:1:%d: undeclared reference to 'includes' (in container '')\n | %s\n | %s^",
		path, expr, col, expr, strings.Repeat(".", col-1))
}

func matchResources() *admissionregistrationv1.MatchResources {
	return &admissionregistrationv1.MatchResources{
		MatchPolicy:       ptr.To(admissionregistrationv1.Equivalent),
		NamespaceSelector: &metav1.LabelSelector{},
		ObjectSelector:    &metav1.LabelSelector{},
		ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
			RuleWithOperations: admissionregistrationv1.RuleWithOperations{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
				Rule:       admissionregistrationv1.Rule{APIGroups: []string{"apps"}, APIVersions: []string{"v1"}, Resources: []string{"deployments"}, Scope: ptr.To(admissionregistrationv1.AllScopes)},
			},
		}},
	}
}

// validPolicy uses every kind of expression a validating policy holds,
// params and variables included.
func validPolicy() *admissionregistrationv1.ValidatingAdmissionPolicy {
	return &admissionregistrationv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "replicas", ResourceVersion: "1"},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			FailurePolicy:    ptr.To(admissionregistrationv1.Fail),
			ParamKind:        &admissionregistrationv1.ParamKind{APIVersion: "v1", Kind: "ConfigMap"},
			MatchConstraints: matchResources(),
			MatchConditions: []admissionregistrationv1.MatchCondition{
				{Name: "not-exempt", Expression: "params.data.exempt != object.metadata.name"},
				{Name: "allowed", Expression: "authorizer.group('apps').resource('deployments').check('create').allowed()"},
			},
			Variables: []admissionregistrationv1.Variable{
				{Name: "replicas", Expression: "object.spec.replicas"},
				{Name: "limit", Expression: "int(params.data.limit)"},
			},
			Validations: []admissionregistrationv1.Validation{{
				Expression:        "variables.replicas <= variables.limit",
				Message:           "too many replicas",
				MessageExpression: "'at most ' + string(variables.limit) + ' replicas'",
				Reason:            ptr.To(metav1.StatusReasonInvalid),
			}},
			AuditAnnotations: []admissionregistrationv1.AuditAnnotation{
				{Key: "replicas", ValueExpression: "string(variables.replicas)"},
			},
		},
	}
}

func TestValidateValidatingAdmissionPolicy(t *testing.T) {
	tooMany := make([]admissionregistrationv1.AuditAnnotation, 21)
	tooManyJSON := make([]string, 21)
	for i := range tooMany {
		tooMany[i] = admissionregistrationv1.AuditAnnotation{Key: fmt.Sprintf("a%d", i), ValueExpression: "'x'"}
		tooManyJSON[i] = fmt.Sprintf(`{"key":"a%d","valueExpression":"'x'"}`, i)
	}
	cases := []struct {
		name   string
		mutate func(*admissionregistrationv1.ValidatingAdmissionPolicy)
		want   []string
	}{
		{name: "valid", mutate: func(*admissionregistrationv1.ValidatingAdmissionPolicy) {}},
		{
			name: "audit annotations alone, no params, no variables",
			mutate: func(p *admissionregistrationv1.ValidatingAdmissionPolicy) {
				p.Spec.ParamKind, p.Spec.Variables, p.Spec.MatchConditions, p.Spec.Validations = nil, nil, nil, nil
				p.Spec.AuditAnnotations[0].ValueExpression = "string(object.spec.replicas)"
			},
		},
		{
			name:   "metadata",
			mutate: func(p *admissionregistrationv1.ValidatingAdmissionPolicy) { p.Name = "Not_A_Name" },
			want: []string{
				`metadata.name: Invalid value: "Not_A_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
				`spec.auditAnnotations[0].key: Invalid value: "Not_A_Name/replicas": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
			},
		},
		{
			name: "everything required missing",
			mutate: func(p *admissionregistrationv1.ValidatingAdmissionPolicy) {
				p.Spec = admissionregistrationv1.ValidatingAdmissionPolicySpec{}
			},
			want: []string{
				`spec.failurePolicy: Required value`,
				`spec.matchConstraints: Required value`,
				`spec.validations: Required value: validations or auditAnnotations must contain at least one item`,
				`spec.auditAnnotations: Required value: validations or auditAnnotations must contain at least one item`,
			},
		},
		{
			name: "failure policy, param kind",
			mutate: func(p *admissionregistrationv1.ValidatingAdmissionPolicy) {
				p.Spec.FailurePolicy = ptr.To[admissionregistrationv1.FailurePolicyType]("other")
				p.Spec.ParamKind = &admissionregistrationv1.ParamKind{APIVersion: "Example.com/v1/x", Kind: "Config_Map"}
			},
			want: []string{
				`spec.failurePolicy: Unsupported value: "other": supported values: "Fail", "Ignore"`,
				`spec.paramKind.apiVersion: Invalid value: "Example.com/v1/x": unexpected GroupVersion string: Example.com/v1/x`,
				`spec.paramKind.kind: Invalid value: "Config_Map": may have mixed case, but should otherwise match: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
			},
		},
		{
			name: "param kind: a bare version, a bad group, no kind",
			mutate: func(p *admissionregistrationv1.ValidatingAdmissionPolicy) {
				p.Spec.ParamKind = &admissionregistrationv1.ParamKind{APIVersion: "test.example.com"}
				p.Spec.MatchConditions, p.Spec.Variables, p.Spec.AuditAnnotations = nil, nil, nil
				p.Spec.Validations = []admissionregistrationv1.Validation{{Expression: "true"}}
			},
			want: []string{
				`spec.paramKind.apiVersion: Invalid value: "test.example.com": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
				`spec.paramKind.kind: Required value`,
			},
		},
		{
			name: "match constraints",
			mutate: func(p *admissionregistrationv1.ValidatingAdmissionPolicy) {
				m := p.Spec.MatchConstraints
				m.MatchPolicy = ptr.To[admissionregistrationv1.MatchPolicyType]("other")
				m.NamespaceSelector = nil
				m.ObjectSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "not valid"}}
				m.ResourceRules[0].ResourceNames = []string{"..", "a", "a"}
				m.ExcludeResourceRules = []admissionregistrationv1.NamedRuleWithOperations{{}}
			},
			want: []string{
				`spec.matchConstraints.matchPolicy: Unsupported value: "other": supported values: "Equivalent", "Exact"`,
				`spec.matchConstraints.namespaceSelector: Required value`,
				`spec.matchConstraints.objectSelector.matchLabels: Invalid value: "not valid": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
				`spec.matchConstraints.resourceRules[0].resourceNames[0]: Invalid value: "..": may not be '..'`,
				`spec.matchConstraints.resourceRules[0].resourceNames[2]: Duplicate value: "a"`,
				`spec.matchConstraints.excludeResourceRules[0].operations: Required value`,
				`spec.matchConstraints.excludeResourceRules[0].apiGroups: Required value`,
				`spec.matchConstraints.excludeResourceRules[0].apiVersions: Required value`,
				`spec.matchConstraints.excludeResourceRules[0].resources: Required value`,
			},
		},
		{
			name: "match constraints need a resource rule",
			mutate: func(p *admissionregistrationv1.ValidatingAdmissionPolicy) {
				p.Spec.MatchConstraints.ResourceRules = nil
			},
			want: []string{`spec.matchConstraints.resourceRules: Required value`},
		},
		{
			name: "validation: syntax error",
			mutate: func(p *admissionregistrationv1.ValidatingAdmissionPolicy) {
				p.Spec.Validations[0].Expression = "object.x in [1, 2, "
			},
			want: []string{"spec.validations[0].expression: Invalid value: \"object.x in [1, 2, \": compilation failed: " +
				"ERROR: <input>:1:20: Syntax error: missing ']' at '<EOF>'\n | object.x in [1, 2, \n | ...................^"},
		},
		{
			name: "validation: not a bool, no expression",
			mutate: func(p *admissionregistrationv1.ValidatingAdmissionPolicy) {
				p.Spec.Validations = append(p.Spec.Validations,
					admissionregistrationv1.Validation{Expression: "variables.limit"},
					admissionregistrationv1.Validation{Expression: "  "})
			},
			want: []string{
				`spec.validations[1].expression: Invalid value: "variables.limit": must evaluate to bool but got int`,
				`spec.validations[2].expression: Required value: expression is not specified`,
			},
		},
		{
			name: "validation: message expression, message, reason",
			mutate: func(p *admissionregistrationv1.ValidatingAdmissionPolicy) {
				p.Spec.Validations = append(p.Spec.Validations,
					admissionregistrationv1.Validation{Expression: "true", MessageExpression: "0 == 0", Message: "two\nlines", Reason: ptr.To[metav1.StatusReason]("Conflict")},
					admissionregistrationv1.Validation{Expression: "true", MessageExpression: " ", Message: " "},
					// The message expression sees no authorizer.
					admissionregistrationv1.Validation{Expression: "true", MessageExpression: "string(authorizer.path('/healthz').check('get').allowed())"})
			},
			want: []string{
				`spec.validations[1].messageExpression: Invalid value: "0 == 0": must evaluate to string but got bool`,
				`spec.validations[1].message: Invalid value: "two\nlines": must not contain line breaks`,
				`spec.validations[1].reason: Unsupported value: "Conflict": supported values: "Forbidden", "Invalid", "RequestEntityTooLarge"`,
				`spec.validations[2].messageExpression: Invalid value: " ": must be non-empty if specified`,
				`spec.validations[2].message: Invalid value: " ": must be non-empty if specified`,
				"spec.validations[3].messageExpression: Invalid value: \"string(authorizer.path('/healthz').check('get').allowed())\": compilation failed: " +
					"ERROR: <input>:1:8: undeclared reference to 'authorizer' (in container '')\n | string(authorizer.path('/healthz').check('get').allowed())\n | .......^",
			},
		},
		{
			name: "audit annotations",
			mutate: func(p *admissionregistrationv1.ValidatingAdmissionPolicy) {
				p.Spec.AuditAnnotations = append(p.Spec.AuditAnnotations,
					admissionregistrationv1.AuditAnnotation{Key: "replicas", ValueExpression: "true"},
					admissionregistrationv1.AuditAnnotation{Key: "@", ValueExpression: ""},
					admissionregistrationv1.AuditAnnotation{Key: "long", ValueExpression: "'" + strings.Repeat("x", 5*1024) + "'"})
			},
			want: []string{
				`spec.auditAnnotations[1].valueExpression: Invalid value: "true": must evaluate to one of [string null_type] but got bool`,
				`spec.auditAnnotations[1].key: Duplicate value: "replicas"`,
				`spec.auditAnnotations[2].key: Invalid value: "replicas/@": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
				`spec.auditAnnotations[2].valueExpression: Required value: valueExpression is not specified`,
				`spec.auditAnnotations[3].valueExpression: Required value: must not exceed 5120 bytes in length`,
			},
		},
		{
			name:   "audit annotations: at most 20",
			mutate: func(p *admissionregistrationv1.ValidatingAdmissionPolicy) { p.Spec.AuditAnnotations = tooMany },
			want:   []string{`spec.auditAnnotations: Invalid value: [` + strings.Join(tooManyJSON, ",") + `]: must not have more than 20 auditAnnotations`},
		},
		{
			name:   "audit annotation keys need the policy's name",
			mutate: func(p *admissionregistrationv1.ValidatingAdmissionPolicy) { p.Name = "" },
			want: []string{
				`metadata.name: Required value: name or generateName is required`,
				`spec.auditAnnotations[0].key: Invalid value: "replicas": requires metadata.name be non-empty`,
			},
		},
		{
			name: "match conditions: params only with a paramKind",
			mutate: func(p *admissionregistrationv1.ValidatingAdmissionPolicy) {
				p.Spec.ParamKind, p.Spec.Variables, p.Spec.AuditAnnotations = nil, nil, nil
				p.Spec.Validations = []admissionregistrationv1.Validation{{Expression: "true"}}
				p.Spec.MatchConditions = append(p.Spec.MatchConditions, admissionregistrationv1.MatchCondition{Name: "allowed", Expression: "'no'"})
			},
			want: []string{
				"spec.matchConditions[0].expression: Invalid value: \"params.data.exempt != object.metadata.name\": compilation failed: " +
					"ERROR: <input>:1:1: undeclared reference to 'params' (in container '')\n | params.data.exempt != object.metadata.name\n | ^",
				`spec.matchConditions[2].expression: Invalid value: "'no'": must evaluate to bool but got string`,
				`spec.matchConditions[2].name: Duplicate value: "allowed"`,
			},
		},
		{
			name: "variables: names and expressions",
			mutate: func(p *admissionregistrationv1.ValidatingAdmissionPolicy) {
				p.Spec.Variables = append(p.Spec.Variables,
					admissionregistrationv1.Variable{Name: " ", Expression: "1"},
					admissionregistrationv1.Variable{Name: "4ever", Expression: "114 + '514'"},
					admissionregistrationv1.Variable{Name: "in", Expression: ""},
					admissionregistrationv1.Variable{Name: "later", Expression: "variables.missing + 1"})
			},
			want: []string{
				`spec.variables[2].name: Required value: name is not specified`,
				`spec.variables[3].name: Invalid value: "4ever": must be a valid CEL identifier`,
				"spec.variables[3].expression: Invalid value: \"114 + '514'\": compilation failed: " +
					"ERROR: <input>:1:5: found no matching overload for '_+_' applied to '(int, string)'\n | 114 + '514'\n | ....^",
				`spec.variables[4].name: Invalid value: "in": must be a valid CEL identifier`,
				`spec.variables[4].expression: Required value: expression is not specified`,
				"spec.variables[5].expression: Invalid value: \"variables.missing + 1\": compilation failed: " +
					"ERROR: <input>:1:10: undefined field 'missing'\n | variables.missing + 1\n | .........^",
			},
		},
		{
			name: "variables are only declared when the policy has some",
			mutate: func(p *admissionregistrationv1.ValidatingAdmissionPolicy) {
				p.Spec.Variables, p.Spec.AuditAnnotations = nil, nil
			},
			want: []string{
				"spec.validations[0].expression: Invalid value: \"variables.replicas <= variables.limit\": compilation failed: " +
					"ERROR: <input>:1:1: undeclared reference to 'variables' (in container '')\n | variables.replicas <= variables.limit\n | ^\n" +
					"ERROR: <input>:1:23: undeclared reference to 'variables' (in container '')\n | variables.replicas <= variables.limit\n | ......................^",
				"spec.validations[0].messageExpression: Invalid value: \"'at most ' + string(variables.limit) + ' replicas'\": compilation failed: " +
					"ERROR: <input>:1:21: undeclared reference to 'variables' (in container '')\n | 'at most ' + string(variables.limit) + ' replicas'\n | ....................^",
			},
		},
		{
			name: "a library newer than the compatibility version",
			mutate: func(p *admissionregistrationv1.ValidatingAdmissionPolicy) {
				p.Spec.Validations[0].Expression = newerLibrary
			},
			want: []string{newerLibraryError("spec.validations[0].expression")},
		},
		{
			name:   "reserved static suffix",
			mutate: func(p *admissionregistrationv1.ValidatingAdmissionPolicy) { p.Name = "replicas.static.k8s.io" },
			want: []string{
				`metadata.name: Invalid value: "replicas.static.k8s.io": names ending with ".static.k8s.io" are reserved for static manifest-based configurations and cannot be managed via the API`,
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := validPolicy()
			tc.mutate(p)
			fielderrors.Want(t, tc.want, ValidateValidatingAdmissionPolicy(p))
		})
	}
}

// On update, an expression the old policy held (in the same role) compiles
// in the stored-expressions environment; a new one in the new-expressions
// environment. Match conditions are not compiled again when neither they nor
// the paramKind changed.
func TestValidateValidatingAdmissionPolicyUpdate(t *testing.T) {
	with := func(mutate func(*admissionregistrationv1.ValidatingAdmissionPolicy)) *admissionregistrationv1.ValidatingAdmissionPolicy {
		p := validPolicy()
		mutate(p)
		return p
	}
	newerValidation := func(p *admissionregistrationv1.ValidatingAdmissionPolicy) {
		p.Spec.Validations = append(p.Spec.Validations, admissionregistrationv1.Validation{Expression: newerLibrary})
	}
	newerMessage := func(p *admissionregistrationv1.ValidatingAdmissionPolicy) {
		p.Spec.Validations[0].MessageExpression = "string(" + newerLibrary + ")"
	}
	newerAudit := func(p *admissionregistrationv1.ValidatingAdmissionPolicy) {
		p.Spec.AuditAnnotations[0].ValueExpression = "string(" + newerLibrary + ")"
	}
	newerCondition := func(p *admissionregistrationv1.ValidatingAdmissionPolicy) {
		p.Spec.MatchConditions = append(p.Spec.MatchConditions, admissionregistrationv1.MatchCondition{Name: "newer", Expression: newerLibrary})
	}
	badCondition := func(p *admissionregistrationv1.ValidatingAdmissionPolicy) {
		p.Spec.MatchConditions = append(p.Spec.MatchConditions, admissionregistrationv1.MatchCondition{Name: "bad", Expression: "object.("})
	}
	newerVariable := func(p *admissionregistrationv1.ValidatingAdmissionPolicy) {
		p.Spec.Variables = append(p.Spec.Variables, admissionregistrationv1.Variable{Name: "newer", Expression: newerLibrary})
	}
	const badConditionError = "spec.matchConditions[2].expression: Invalid value: \"object.(\": compilation failed: " +
		"ERROR: <input>:1:8: Syntax error: no viable alternative at input '.('\n | object.(\n | .......^"
	cases := []struct {
		name     string
		old, new *admissionregistrationv1.ValidatingAdmissionPolicy
		want     []string
	}{
		{name: "unchanged", old: validPolicy(), new: validPolicy()},
		{name: "stored validation", old: with(newerValidation), new: with(newerValidation)},
		{name: "new validation", old: validPolicy(), new: with(newerValidation), want: []string{newerLibraryError("spec.validations[1].expression")}},
		{name: "stored message expression", old: with(newerMessage), new: with(newerMessage)},
		{
			name: "new message expression", old: validPolicy(), new: with(newerMessage),
			want: []string{newerLibraryErrorIn("spec.validations[0].messageExpression", "string("+newerLibrary+")")},
		},
		{name: "stored audit annotation", old: with(newerAudit), new: with(newerAudit)},
		{
			name: "new audit annotation", old: validPolicy(), new: with(newerAudit),
			want: []string{newerLibraryErrorIn("spec.auditAnnotations[0].valueExpression", "string("+newerLibrary+")")},
		},
		{name: "stored match condition", old: with(newerCondition), new: with(func(p *admissionregistrationv1.ValidatingAdmissionPolicy) {
			newerCondition(p)
			p.Spec.MatchConditions[0].Expression = "true"
		})},
		{name: "new match condition", old: validPolicy(), new: with(newerCondition), want: []string{newerLibraryError("spec.matchConditions[2].expression")}},
		{name: "unchanged match conditions are not compiled again", old: with(badCondition), new: with(badCondition)},
		{
			name: "a paramKind change compiles the match conditions again",
			old:  with(badCondition),
			new: with(func(p *admissionregistrationv1.ValidatingAdmissionPolicy) {
				badCondition(p)
				p.Spec.ParamKind.Kind = "Secret"
			}),
			want: []string{badConditionError},
		},
		{
			// Upstream keeps no set of variable expressions: a variable
			// counts as stored only when a validation held the same text.
			name: "a variable is stored only as an old validation",
			old:  with(newerVariable), new: with(newerVariable),
			want: []string{newerLibraryError("spec.variables[2].expression")},
		},
		{name: "a variable with an old validation's text", old: with(newerValidation), new: with(newerVariable)},
		{
			name: "stored expressions are by role",
			old:  with(newerValidation), new: with(newerCondition),
			want: []string{newerLibraryError("spec.matchConditions[2].expression")},
		},
		{
			name: "a static name stays updatable",
			old:  with(func(p *admissionregistrationv1.ValidatingAdmissionPolicy) { p.Name = "replicas.static.k8s.io" }),
			new:  with(func(p *admissionregistrationv1.ValidatingAdmissionPolicy) { p.Name = "replicas.static.k8s.io" }),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fielderrors.Want(t, tc.want, ValidateValidatingAdmissionPolicyUpdate(tc.new, tc.old))
		})
	}
}

func TestValidateValidatingAdmissionPolicyStatusUpdate(t *testing.T) {
	old := validPolicy()
	p := validPolicy()
	p.Status = admissionregistrationv1.ValidatingAdmissionPolicyStatus{
		TypeChecking: &admissionregistrationv1.TypeChecking{ExpressionWarnings: []admissionregistrationv1.ExpressionWarning{
			{FieldRef: "spec.validations[0].expression", Warning: "no such field"},
			{FieldRef: " "},
			{FieldRef: "spec.validations[foo]", Warning: "bad ref"},
		}},
		Conditions: []metav1.Condition{
			{Type: "Ready", Status: metav1.ConditionTrue, Reason: "Checked", LastTransitionTime: metav1.Unix(1, 0)},
			{Type: "Ready", Status: "Maybe", Reason: "Checked", LastTransitionTime: metav1.Unix(1, 0)},
		},
	}
	fielderrors.Want(t, []string{
		`status.typeChecking.expressionWarnings[1].warning: Required value`,
		`status.typeChecking.expressionWarnings[1].fieldRef: Required value`,
		`status.typeChecking.expressionWarnings[2].fieldRef: Invalid value: "spec.validations[foo]": invalid JSONPath: invalid array index foo`,
		`status.conditions[1]: Duplicate value: "Ready"`,
		`status.conditions[1].status: Unsupported value: "Maybe": supported values: "False", "True", "Unknown"`,
	}, ValidateValidatingAdmissionPolicyStatusUpdate(p, old))
}

func validBinding() *admissionregistrationv1.ValidatingAdmissionPolicyBinding {
	return &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "replicas-binding", ResourceVersion: "1"},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName:        "replicas",
			ParamRef:          &admissionregistrationv1.ParamRef{Name: "limits", Namespace: "default", ParameterNotFoundAction: ptr.To(admissionregistrationv1.DenyAction)},
			MatchResources:    matchResources(),
			ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny, admissionregistrationv1.Audit},
		},
	}
}

func TestValidateValidatingAdmissionPolicyBinding(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*admissionregistrationv1.ValidatingAdmissionPolicyBinding)
		want   []string
	}{
		{name: "valid", mutate: func(*admissionregistrationv1.ValidatingAdmissionPolicyBinding) {}},
		{
			name: "valid: a selector, no match resources",
			mutate: func(b *admissionregistrationv1.ValidatingAdmissionPolicyBinding) {
				b.Spec.ParamRef = &admissionregistrationv1.ParamRef{Selector: &metav1.LabelSelector{}, ParameterNotFoundAction: ptr.To(admissionregistrationv1.AllowAction)}
				b.Spec.MatchResources = nil
			},
		},
		{
			name: "everything required missing",
			mutate: func(b *admissionregistrationv1.ValidatingAdmissionPolicyBinding) {
				b.Spec = admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{ParamRef: &admissionregistrationv1.ParamRef{}}
			},
			want: []string{
				`spec.policyName: Required value`,
				`spec.paramRef: Required value: one of name or selector must be specified`,
				`spec.paramRef.parameterNotFoundAction: Required value`,
				`spec.validationActions: Required value: at least one validation action is required`,
			},
		},
		{
			name: "policy name, param ref",
			mutate: func(b *admissionregistrationv1.ValidatingAdmissionPolicyBinding) {
				b.Spec.PolicyName = "Replicas"
				b.Spec.ParamRef.Name = "a/b"
				b.Spec.ParamRef.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"a": "b c"}}
				b.Spec.ParamRef.ParameterNotFoundAction = ptr.To[admissionregistrationv1.ParameterNotFoundActionType]("invalid")
			},
			want: []string{
				`spec.policyName: Invalid value: "Replicas": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
				`spec.paramRef.name: Invalid value: "a/b": may not contain '/'`,
				`spec.paramRef.name: Forbidden: name and selector are mutually exclusive`,
				`spec.paramRef.selector.matchLabels: Invalid value: "b c": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
				`spec.paramRef.selector: Forbidden: name and selector are mutually exclusive`,
				`spec.paramRef.parameterNotFoundAction: Unsupported value: "invalid": supported values: "Deny", "Allow"`,
			},
		},
		{
			name: "match resources may leave out resource rules, not the rest",
			mutate: func(b *admissionregistrationv1.ValidatingAdmissionPolicyBinding) {
				b.Spec.MatchResources = &admissionregistrationv1.MatchResources{}
			},
			want: []string{
				`spec.matchResources.matchPolicy: Required value`,
				`spec.matchResources.namespaceSelector: Required value`,
				`spec.matchResources.objectSelector: Required value`,
			},
		},
		{
			name: "validation actions",
			mutate: func(b *admissionregistrationv1.ValidatingAdmissionPolicyBinding) {
				b.Spec.ValidationActions = []admissionregistrationv1.ValidationAction{"Deny", "illegal", "Deny", "Warn"}
			},
			want: []string{
				`spec.validationActions[1]: Unsupported value: "illegal": supported values: "Audit", "Deny", "Warn"`,
				`spec.validationActions[2]: Duplicate value: "Deny"`,
				`spec.validationActions: Invalid value: ["Deny","illegal","Deny","Warn"]: must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)`,
			},
		},
		{
			name:   "reserved static suffix",
			mutate: func(b *admissionregistrationv1.ValidatingAdmissionPolicyBinding) { b.Name = "x.static.k8s.io" },
			want: []string{
				`metadata.name: Invalid value: "x.static.k8s.io": names ending with ".static.k8s.io" are reserved for static manifest-based configurations and cannot be managed via the API`,
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := validBinding()
			tc.mutate(b)
			fielderrors.Want(t, tc.want, ValidateValidatingAdmissionPolicyBinding(b))
			if tc.name == "reserved static suffix" {
				fielderrors.Want(t, nil, ValidateValidatingAdmissionPolicyBindingUpdate(b, b.DeepCopy()))
			}
		})
	}
}

// validMutatingPolicy has both patch kinds, params and variables.
func validMutatingPolicy() *admissionregistrationv1.MutatingAdmissionPolicy {
	return &admissionregistrationv1.MutatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "sidecar", ResourceVersion: "1"},
		Spec: admissionregistrationv1.MutatingAdmissionPolicySpec{
			FailurePolicy:      ptr.To(admissionregistrationv1.Fail),
			ParamKind:          &admissionregistrationv1.ParamKind{APIVersion: "v1", Kind: "ConfigMap"},
			MatchConstraints:   matchResources(),
			MatchConditions:    []admissionregistrationv1.MatchCondition{{Name: "enabled", Expression: "params.data.enabled == 'true'"}},
			Variables:          []admissionregistrationv1.Variable{{Name: "owner", Expression: "params.data.owner"}},
			ReinvocationPolicy: admissionregistrationv1.NeverReinvocationPolicy,
			Mutations: []admissionregistrationv1.Mutation{
				{
					PatchType: admissionregistrationv1.PatchTypeApplyConfiguration,
					ApplyConfiguration: &admissionregistrationv1.ApplyConfiguration{
						Expression: "Object{metadata: Object.metadata{labels: {'owner': variables.owner}}}",
					},
				},
				{
					PatchType: admissionregistrationv1.PatchTypeJSONPatch,
					JSONPatch: &admissionregistrationv1.JSONPatch{
						Expression: "[JSONPatch{op: 'add', path: '/metadata/annotations/owner', value: variables.owner}]",
					},
				},
			},
		},
	}
}

func TestValidateMutatingAdmissionPolicy(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*admissionregistrationv1.MutatingAdmissionPolicy)
		want   []string
	}{
		{name: "valid", mutate: func(*admissionregistrationv1.MutatingAdmissionPolicy) {}},
		{
			name: "everything required missing",
			mutate: func(p *admissionregistrationv1.MutatingAdmissionPolicy) {
				p.Spec = admissionregistrationv1.MutatingAdmissionPolicySpec{}
			},
			want: []string{
				`spec.failurePolicy: Required value`,
				`spec.matchConstraints: Required value`,
				`spec.mutations: Required value: mutations must contain at least one item`,
				`spec.reinvocationPolicy: Required value`,
			},
		},
		{
			name: "no DELETE, reinvocation policy",
			mutate: func(p *admissionregistrationv1.MutatingAdmissionPolicy) {
				p.Spec.MatchConstraints.ResourceRules[0].Operations = []admissionregistrationv1.OperationType{"CREATE", "DELETE"}
				p.Spec.ReinvocationPolicy = "Always"
			},
			want: []string{
				`spec.matchConstraints.resourceRules.operations: Unsupported value: "DELETE": supported values: "*", "CONNECT", "CREATE", "UPDATE"`,
				`spec.reinvocationPolicy: Unsupported value: "Always": supported values: "IfNeeded", "Never"`,
			},
		},
		{
			name: "patch types",
			mutate: func(p *admissionregistrationv1.MutatingAdmissionPolicy) {
				ac, jp := p.Spec.Mutations[0].ApplyConfiguration, p.Spec.Mutations[1].JSONPatch
				p.Spec.Mutations = []admissionregistrationv1.Mutation{
					{},
					{PatchType: "other"},
					{PatchType: admissionregistrationv1.PatchTypeJSONPatch, ApplyConfiguration: ac},
					{PatchType: admissionregistrationv1.PatchTypeApplyConfiguration, JSONPatch: jp},
				}
			},
			want: []string{
				`spec.mutations[0].patchType: Required value`,
				`spec.mutations[1].patchType: Unsupported value: "other": supported values: "ApplyConfiguration", "JSONPatch"`,
				`spec.mutations[2].jsonPatch: Required value: must be specified when patchType is JSONPatch`,
				`spec.mutations[2].applyConfiguration: Invalid value: "{applyConfiguration}": must not be specified when patchType is JSONPatch`,
				`spec.mutations[3].applyConfiguration: Required value: must be specified when patchType is ApplyConfiguration`,
				`spec.mutations[3].jsonPatch: Invalid value: "{jsonPatch}": must not be specified when patchType is ApplyConfiguration`,
			},
		},
		{
			name: "patch expressions",
			mutate: func(p *admissionregistrationv1.MutatingAdmissionPolicy) {
				p.Spec.Mutations[0].ApplyConfiguration.Expression = " 1 < 2 "
				p.Spec.Mutations[1].JSONPatch.Expression = "  "
				p.Spec.Mutations = append(p.Spec.Mutations, admissionregistrationv1.Mutation{PatchType: admissionregistrationv1.PatchTypeJSONPatch,
					JSONPatch: &admissionregistrationv1.JSONPatch{Expression: "[JSONPatch{op: 'add', path: 1}]"}})
			},
			want: []string{
				`spec.mutations[0].applyConfiguration.expression: Invalid value: "1 < 2": must evaluate to Object but got bool`,
				`spec.mutations[1].jsonPatch.expression: Required value`,
				"spec.mutations[2].jsonPatch.expression: Invalid value: \"[JSONPatch{op: 'add', path: 1}]\": compilation failed: " +
					"ERROR: <input>:1:27: expected type of field 'path' is 'string' but provided type is 'int'\n | [JSONPatch{op: 'add', path: 1}]\n | ..........................^",
			},
		},
		{
			name: "variables and params",
			mutate: func(p *admissionregistrationv1.MutatingAdmissionPolicy) {
				p.Spec.ParamKind = nil
				p.Spec.MatchConditions = nil
				p.Spec.Variables[0].Name = "4ever"
				// Later expressions using the variable would fail too.
				p.Spec.Mutations = p.Spec.Mutations[:1]
				p.Spec.Mutations[0].ApplyConfiguration.Expression = "Object{}"
			},
			want: []string{
				`spec.variables[0].name: Invalid value: "4ever": must be a valid CEL identifier`,
				"spec.variables[0].expression: Invalid value: \"params.data.owner\": compilation failed: " +
					"ERROR: <input>:1:1: undeclared reference to 'params' (in container '')\n | params.data.owner\n | ^",
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := validMutatingPolicy()
			tc.mutate(p)
			fielderrors.Want(t, tc.want, ValidateMutatingAdmissionPolicy(p))
		})
	}
}

func TestValidateMutatingAdmissionPolicyUpdate(t *testing.T) {
	// Object{} built from a newer library's result: an Object as an apply
	// configuration wants, a list of JSON patches as a JSON patch wants.
	const newerApply = "Object{metadata: Object.metadata{labels: {'newer': string(" + newerLibrary + ")}}}"
	const newerJSONPatch = "[JSONPatch{op: 'add', path: '/metadata/labels/newer', value: string(" + newerLibrary + ")}]"
	with := func(apply, jsonPatch string) *admissionregistrationv1.MutatingAdmissionPolicy {
		p := validMutatingPolicy()
		if apply != "" {
			p.Spec.Mutations[0].ApplyConfiguration.Expression = apply
		}
		if jsonPatch != "" {
			p.Spec.Mutations[1].JSONPatch.Expression = jsonPatch
		}
		return p
	}
	cases := []struct {
		name     string
		old, new *admissionregistrationv1.MutatingAdmissionPolicy
		want     []string
	}{
		{name: "stored apply configuration", old: with(newerApply, ""), new: with(newerApply, "")},
		{
			name: "new apply configuration", old: validMutatingPolicy(), new: with(newerApply, ""),
			want: []string{newerLibraryErrorIn("spec.mutations[0].applyConfiguration.expression", newerApply)},
		},
		{
			// Upstream looks JSON patches up among the old apply
			// configurations: a kept JSON patch counts as new.
			name: "a JSON patch is stored only as an old apply configuration", old: with("", newerJSONPatch), new: with("", newerJSONPatch),
			want: []string{newerLibraryErrorIn("spec.mutations[1].jsonPatch.expression", newerJSONPatch)},
		},
		{
			name: "a JSON patch with an old apply configuration's text",
			old:  with(newerJSONPatch, ""), new: with("", newerJSONPatch),
			// The old apply configuration was not an Object: only its text matters here.
			want: nil,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fielderrors.Want(t, tc.want, ValidateMutatingAdmissionPolicyUpdate(tc.new, tc.old))
		})
	}
}

func TestValidateMutatingAdmissionPolicyBinding(t *testing.T) {
	b := &admissionregistrationv1.MutatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "sidecar-binding"},
		Spec: admissionregistrationv1.MutatingAdmissionPolicyBindingSpec{
			PolicyName: "sidecar",
			ParamRef:   &admissionregistrationv1.ParamRef{Name: "owners", ParameterNotFoundAction: ptr.To(admissionregistrationv1.AllowAction)},
		},
	}
	fielderrors.Want(t, nil, ValidateMutatingAdmissionPolicyBinding(b))

	b.Spec.PolicyName = ""
	b.Spec.MatchResources = matchResources()
	b.Spec.MatchResources.ResourceRules[0].Operations = []admissionregistrationv1.OperationType{"DELETE"}
	fielderrors.Want(t, []string{
		`spec.policyName: Required value`,
		`spec.matchResources.resourceRules.operations: Unsupported value: "DELETE": supported values: "*", "CONNECT", "CREATE", "UPDATE"`,
	}, ValidateMutatingAdmissionPolicyBinding(b))
	fielderrors.Want(t, []string{
		`spec.policyName: Required value`,
		`spec.matchResources.resourceRules.operations: Unsupported value: "DELETE": supported values: "*", "CONNECT", "CREATE", "UPDATE"`,
	}, ValidateMutatingAdmissionPolicyBindingUpdate(b, b.DeepCopy()))
}

// The policies the conformance tests write (see conformance/passing.txt)
// must stay valid: a message expression adding a dyn to a string, a
// namespaceObject reference, variables using variables, an apply
// configuration written over several indented lines.
func TestConformancePoliciesAccepted(t *testing.T) {
	deployments := func() *admissionregistrationv1.MatchResources {
		m := matchResources()
		m.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"e2e-unique": "ns"}}
		return m
	}
	vaps := []*admissionregistrationv1.ValidatingAdmissionPolicy{
		{
			ObjectMeta: metav1.ObjectMeta{Name: "e2e-1234.policy.example.com"},
			Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
				FailurePolicy: ptr.To(admissionregistrationv1.Fail), MatchConstraints: deployments(),
				Validations: []admissionregistrationv1.Validation{
					{Expression: "object.spec.replicas > 1", MessageExpression: "'wants replicas > 1, got ' + object.spec.replicas"},
					{Expression: "namespaceObject.metadata.name == 'e2e-1234'", Message: "Internal error! Other namespace should not be allowed."},
				},
			},
		},
		{
			ObjectMeta: metav1.ObjectMeta{Name: "e2e-1234.variables.example.com"},
			Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
				FailurePolicy: ptr.To(admissionregistrationv1.Fail), MatchConstraints: deployments(),
				Variables: []admissionregistrationv1.Variable{
					{Name: "replicas", Expression: "object.spec.replicas"},
					{Name: "oddReplicas", Expression: "variables.replicas % 2 == 1"},
				},
				Validations: []admissionregistrationv1.Validation{{Expression: "variables.replicas > 1"}, {Expression: "variables.oddReplicas"}},
			},
		},
	}
	for _, p := range vaps {
		fielderrors.Want(t, nil, ValidateValidatingAdmissionPolicy(p))
	}
	m := &admissionregistrationv1.MutatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "e2e-1234.policy.example.com"},
		Spec: admissionregistrationv1.MutatingAdmissionPolicySpec{
			FailurePolicy: ptr.To(admissionregistrationv1.Fail), MatchConstraints: deployments(),
			ReinvocationPolicy: admissionregistrationv1.NeverReinvocationPolicy,
			Mutations: []admissionregistrationv1.Mutation{
				{PatchType: admissionregistrationv1.PatchTypeApplyConfiguration, ApplyConfiguration: &admissionregistrationv1.ApplyConfiguration{Expression: `
					Object{
						metadata: Object.metadata{
							annotations: {
								"mutated-by": "admission-policy"
							}
						}
					}`}},
				{PatchType: admissionregistrationv1.PatchTypeApplyConfiguration, ApplyConfiguration: &admissionregistrationv1.ApplyConfiguration{
					Expression: `Object{spec: Object.spec{replicas: 1337}}`}},
			},
		},
	}
	fielderrors.Want(t, nil, ValidateMutatingAdmissionPolicy(m))
	b := &admissionregistrationv1.MutatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: "e2e-1234.binding.example.com"},
		Spec: admissionregistrationv1.MutatingAdmissionPolicyBindingSpec{PolicyName: "new-policy.example.com", MatchResources: deployments()}}
	fielderrors.Want(t, nil, ValidateMutatingAdmissionPolicyBinding(b))
	vb := validBinding()
	vb.Spec.ParamRef = nil
	vb.Spec.ValidationActions = []admissionregistrationv1.ValidationAction{admissionregistrationv1.Warn}
	fielderrors.Want(t, nil, ValidateValidatingAdmissionPolicyBinding(vb))
}
