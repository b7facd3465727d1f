package admissionregistration

import (
	"fmt"

	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/apis/internal/fielderrors"
)

func validHook() admissionregistrationv1.ValidatingWebhook {
	return admissionregistrationv1.ValidatingWebhook{
		Name: "check.example.com",
		ClientConfig: admissionregistrationv1.WebhookClientConfig{Service: &admissionregistrationv1.ServiceReference{
			Namespace: "webhooks", Name: "check", Path: ptr.To("/validate"), Port: ptr.To[int32](443)}},
		Rules: []admissionregistrationv1.RuleWithOperations{{
			Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
			Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods", "pods/status"}, Scope: ptr.To(admissionregistrationv1.AllScopes)},
		}},
		FailurePolicy:           ptr.To(admissionregistrationv1.Fail),
		MatchPolicy:             ptr.To(admissionregistrationv1.Equivalent),
		SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNone),
		TimeoutSeconds:          ptr.To[int32](10),
		AdmissionReviewVersions: []string{"v1"},
		NamespaceSelector:       &metav1.LabelSelector{},
		ObjectSelector:          &metav1.LabelSelector{},
	}
}

func TestValidateValidatingWebhookConfiguration(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*admissionregistrationv1.ValidatingWebhook)
		want   []string
	}{
		{name: "valid", mutate: func(*admissionregistrationv1.ValidatingWebhook) {}},
		{
			name: "name, side effects, timeout",
			mutate: func(h *admissionregistrationv1.ValidatingWebhook) {
				h.Name = "check"
				h.SideEffects = ptr.To(admissionregistrationv1.SideEffectClassSome)
				h.TimeoutSeconds = ptr.To[int32](60)
			},
			want: []string{
				`webhooks[0].name: Invalid value: "check": should be a domain with at least three segments separated by dots`,
				`webhooks[0].sideEffects: Unsupported value: "Some": supported values: "None", "NoneOnDryRun"`,
				`webhooks[0].timeoutSeconds: Invalid value: 60: the timeout value must be between 1 and 30 seconds`,
			},
		},
		{
			name: "rules",
			mutate: func(h *admissionregistrationv1.ValidatingWebhook) {
				h.Rules[0].Operations = []admissionregistrationv1.OperationType{"*", "PATCH"}
				h.Rules[0].Resources = []string{"*", "pods"}
			},
			want: []string{
				`webhooks[0].rules[0].operations: Invalid value: ["*","PATCH"]: if '*' is present, must not specify other operations`,
				`webhooks[0].rules[0].operations[1]: Unsupported value: "PATCH": supported values: "*", "CONNECT", "CREATE", "DELETE", "UPDATE"`,
				`webhooks[0].rules[0].resources: Invalid value: ["*","pods"]: if '*' is present, must not specify other resources without subresources`,
			},
		},
		{
			name: "client config and review versions",
			mutate: func(h *admissionregistrationv1.ValidatingWebhook) {
				h.ClientConfig = admissionregistrationv1.WebhookClientConfig{URL: ptr.To("http://example.com/check?x=1")}
				h.AdmissionReviewVersions = []string{"v2"}
			},
			want: []string{
				`webhooks[0].clientConfig.url: Invalid value: "http": 'https' is the only allowed URL scheme; desired format: https://host[/path]`,
				`webhooks[0].clientConfig.url: Invalid value: "x=1": query parameters are not permitted in the URL`,
				`webhooks[0].admissionReviewVersions: Invalid value: ["v2"]: must include at least one of v1, v1beta1`,
			},
		},
		{
			name:   "service namespace missing (reported at name, as upstream)",
			mutate: func(h *admissionregistrationv1.ValidatingWebhook) { h.ClientConfig.Service.Namespace = "" },
			want:   []string{`webhooks[0].clientConfig.service.name: Required value`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := validHook()
			tc.mutate(&h)
			c := &admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "checks", ResourceVersion: "1"},
				Webhooks: []admissionregistrationv1.ValidatingWebhook{h}}
			fielderrors.Want(t, tc.want, ValidateValidatingWebhookConfiguration(c))
		})
	}

	t.Run("a name ending in the static suffix is refused on create only", func(t *testing.T) {
		c := &admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "checks.static.k8s.io", ResourceVersion: "1"},
			Webhooks: []admissionregistrationv1.ValidatingWebhook{validHook()}}
		fielderrors.Want(t, []string{`metadata.name: Invalid value: "checks.static.k8s.io": names ending with ".static.k8s.io" are reserved for static manifest-based configurations and cannot be managed via the API`},
			ValidateValidatingWebhookConfiguration(c))
		fielderrors.Want(t, nil, ValidateValidatingWebhookConfigurationUpdate(c.DeepCopy(), c))
	})

	t.Run("duplicate names tolerated on update when already there", func(t *testing.T) {
		old := &admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "checks", ResourceVersion: "1"},
			Webhooks: []admissionregistrationv1.ValidatingWebhook{validHook(), validHook()}}
		fielderrors.Want(t, []string{`webhooks[1].name: Duplicate value: "check.example.com"`}, ValidateValidatingWebhookConfiguration(old))
		fielderrors.Want(t, nil, ValidateValidatingWebhookConfigurationUpdate(old.DeepCopy(), old))
	})
}

func TestValidateMutatingWebhookConfiguration(t *testing.T) {
	v := validHook()
	h := admissionregistrationv1.MutatingWebhook{Name: v.Name, ClientConfig: v.ClientConfig, Rules: v.Rules, SideEffects: v.SideEffects,
		AdmissionReviewVersions: v.AdmissionReviewVersions, ReinvocationPolicy: ptr.To[admissionregistrationv1.ReinvocationPolicyType]("Always")}
	c := &admissionregistrationv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "defaults"}, Webhooks: []admissionregistrationv1.MutatingWebhook{h}}
	fielderrors.Want(t, []string{`webhooks[0].reinvocationPolicy: Unsupported value: "Always": supported values: "IfNeeded", "Never"`}, ValidateMutatingWebhookConfiguration(c))
}

func TestValidateMatchConditions(t *testing.T) {
	conds := func(kv ...string) []admissionregistrationv1.MatchCondition {
		var out []admissionregistrationv1.MatchCondition
		for i := 0; i < len(kv); i += 2 {
			out = append(out, admissionregistrationv1.MatchCondition{Name: kv[i], Expression: kv[i+1]})
		}
		return out
	}
	tooMany := make([]string, 0, 130)
	for i := range 65 {
		tooMany = append(tooMany, fmt.Sprintf("c%d", i), "true")
	}
	cases := []struct {
		name       string
		conditions []admissionregistrationv1.MatchCondition
		want       []string
	}{
		{
			name: "valid: every admission variable, the authorizer",
			conditions: conds(
				"object", "object.metadata.name != 'skip-me'",
				"old-object", "oldObject == null",
				"request", "request.userInfo.username != 'system:admin'",
				"namespace", "namespaceObject.metadata.name != 'kube-system'",
				"example.com/authz", "authorizer.group('').resource('pods').check('get').allowed()",
			),
		},
		{
			name:       "syntax error",
			conditions: conds("invalid-expression-1", "... [] bad expression"),
			want: []string{"webhooks[0].matchConditions[0].expression: Invalid value: \"... [] bad expression\": compilation failed: " +
				"ERROR: <input>:1:2: Syntax error: no viable alternative at input '..'\n | ... [] bad expression\n | .^"},
		},
		{
			name:       "not a bool",
			conditions: conds("string", "'yes'"),
			want:       []string{`webhooks[0].matchConditions[0].expression: Invalid value: "'yes'": must evaluate to bool but got string`},
		},
		{
			name:       "params are not declared for webhooks",
			conditions: conds("params", "params.enabled"),
			want: []string{"webhooks[0].matchConditions[0].expression: Invalid value: \"params.enabled\": compilation failed: " +
				"ERROR: <input>:1:1: undeclared reference to 'params' (in container '')\n | params.enabled\n | ^"},
		},
		{
			name:       "a library newer than the compatibility version",
			conditions: conds("includes", "[1, 2].includes(1)"),
			want: []string{"webhooks[0].matchConditions[0].expression: Invalid value: \"[1, 2].includes(1)\": compilation failed: " +
				"ERROR: <input>:1:16: undeclared reference to 'includes' (in container '')\n | [1, 2].includes(1)\n | ...............^"},
		},
		{
			name:       "names and expressions",
			conditions: conds("", "true", "Bad Name!", "true", "dup", "true", "dup", "  "),
			want: []string{
				`webhooks[0].matchConditions[0].name: Required value`,
				`webhooks[0].matchConditions[1].name: Invalid value: "Bad Name!": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
				`webhooks[0].matchConditions[3].expression: Required value`,
				`webhooks[0].matchConditions[3].name: Duplicate value: "dup"`,
			},
		},
		{
			name:       "at most 64",
			conditions: conds(tooMany...),
			want:       []string{`webhooks[0].matchConditions: Too many: 65: must have at most 64 items`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := validHook()
			h.MatchConditions = tc.conditions
			c := &admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "checks"},
				Webhooks: []admissionregistrationv1.ValidatingWebhook{h}}
			fielderrors.Want(t, tc.want, ValidateValidatingWebhookConfiguration(c))

			v := validHook()
			m := &admissionregistrationv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "defaults"},
				Webhooks: []admissionregistrationv1.MutatingWebhook{{Name: v.Name, ClientConfig: v.ClientConfig, Rules: v.Rules,
					SideEffects: v.SideEffects, AdmissionReviewVersions: v.AdmissionReviewVersions, MatchConditions: tc.conditions}}}
			fielderrors.Want(t, tc.want, ValidateMutatingWebhookConfiguration(m))
		})
	}
}

// An expression the old object already held compiles in the stored-expressions
// environment on update; a new one in the new-expressions environment.
func TestValidateMatchConditionsUpdate(t *testing.T) {
	newer := admissionregistrationv1.MatchCondition{Name: "includes", Expression: "[1, 2].includes(1)"}
	other := admissionregistrationv1.MatchCondition{Name: "other", Expression: "true"}
	bad := admissionregistrationv1.MatchCondition{Name: "bad", Expression: "object.("}
	config := func(conditions ...admissionregistrationv1.MatchCondition) *admissionregistrationv1.ValidatingWebhookConfiguration {
		h := validHook()
		h.MatchConditions = conditions
		return &admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "checks", ResourceVersion: "1"},
			Webhooks: []admissionregistrationv1.ValidatingWebhook{h}}
	}
	cases := []struct {
		name     string
		old, new *admissionregistrationv1.ValidatingWebhookConfiguration
		want     []string
	}{
		{name: "stored expression kept beside a new one", old: config(newer), new: config(newer, other)},
		{name: "stored expression moved to another webhook position", old: config(other, newer), new: config(newer)},
		{
			name: "newer library in a new expression",
			old:  config(other), new: config(other, newer),
			want: []string{"webhooks[0].matchConditions[1].expression: Invalid value: \"[1, 2].includes(1)\": compilation failed: " +
				"ERROR: <input>:1:16: undeclared reference to 'includes' (in container '')\n | [1, 2].includes(1)\n | ...............^"},
		},
		{name: "unchanged conditions are not compiled again", old: config(bad), new: config(bad)},
		{
			name: "changed conditions are all compiled",
			old:  config(bad), new: config(bad, other),
			want: []string{"webhooks[0].matchConditions[0].expression: Invalid value: \"object.(\": compilation failed: " +
				"ERROR: <input>:1:8: Syntax error: no viable alternative at input '.('\n | object.(\n | .......^"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fielderrors.Want(t, tc.want, ValidateValidatingWebhookConfigurationUpdate(tc.new, tc.old))
		})
	}
}
