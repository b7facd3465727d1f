package admissionregistration

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
)

var (
	rule          = admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}}
	defaultedRule = admissionregistrationv1.Rule{
		APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}, Scope: ptr.To(admissionregistrationv1.AllScopes),
	}
	create = []admissionregistrationv1.OperationType{admissionregistrationv1.Create}
)

func TestSetObjectDefaultsValidatingWebhookConfiguration(t *testing.T) {
	tests := []struct {
		name string
		in   admissionregistrationv1.ValidatingWebhook
		want admissionregistrationv1.ValidatingWebhook
	}{
		{
			name: "empty webhook",
			in: admissionregistrationv1.ValidatingWebhook{
				Name:         "v.example.com",
				ClientConfig: admissionregistrationv1.WebhookClientConfig{Service: &admissionregistrationv1.ServiceReference{Namespace: "ns", Name: "svc"}},
				Rules:        []admissionregistrationv1.RuleWithOperations{{Operations: create, Rule: rule}},
			},
			want: admissionregistrationv1.ValidatingWebhook{
				Name: "v.example.com",
				ClientConfig: admissionregistrationv1.WebhookClientConfig{
					Service: &admissionregistrationv1.ServiceReference{Namespace: "ns", Name: "svc", Port: ptr.To[int32](443)},
				},
				Rules:             []admissionregistrationv1.RuleWithOperations{{Operations: create, Rule: defaultedRule}},
				FailurePolicy:     ptr.To(admissionregistrationv1.Fail),
				MatchPolicy:       ptr.To(admissionregistrationv1.Equivalent),
				NamespaceSelector: &metav1.LabelSelector{},
				ObjectSelector:    &metav1.LabelSelector{},
				TimeoutSeconds:    ptr.To[int32](10),
			},
		},
		{
			name: "set fields are kept; URL webhooks get no port",
			in: admissionregistrationv1.ValidatingWebhook{
				ClientConfig:      admissionregistrationv1.WebhookClientConfig{URL: ptr.To("https://example.com")},
				FailurePolicy:     ptr.To(admissionregistrationv1.Ignore),
				MatchPolicy:       ptr.To(admissionregistrationv1.Exact),
				NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"a": "b"}},
				ObjectSelector:    &metav1.LabelSelector{MatchLabels: map[string]string{"c": "d"}},
				TimeoutSeconds:    ptr.To[int32](3),
			},
			want: admissionregistrationv1.ValidatingWebhook{
				ClientConfig:      admissionregistrationv1.WebhookClientConfig{URL: ptr.To("https://example.com")},
				FailurePolicy:     ptr.To(admissionregistrationv1.Ignore),
				MatchPolicy:       ptr.To(admissionregistrationv1.Exact),
				NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"a": "b"}},
				ObjectSelector:    &metav1.LabelSelector{MatchLabels: map[string]string{"c": "d"}},
				TimeoutSeconds:    ptr.To[int32](3),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := &admissionregistrationv1.ValidatingWebhookConfiguration{Webhooks: []admissionregistrationv1.ValidatingWebhook{*tt.in.DeepCopy()}}
			SetObjectDefaultsValidatingWebhookConfiguration(got)
			if diff := cmp.Diff(tt.want, got.Webhooks[0]); diff != "" {
				t.Errorf("SetObjectDefaultsValidatingWebhookConfiguration() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetObjectDefaultsMutatingWebhookConfiguration(t *testing.T) {
	tests := []struct {
		name string
		in   admissionregistrationv1.MutatingWebhook
		want admissionregistrationv1.MutatingWebhook
	}{
		{
			name: "empty webhook is not reinvoked",
			in: admissionregistrationv1.MutatingWebhook{
				Rules: []admissionregistrationv1.RuleWithOperations{{Operations: create, Rule: rule}},
			},
			want: admissionregistrationv1.MutatingWebhook{
				Rules:              []admissionregistrationv1.RuleWithOperations{{Operations: create, Rule: defaultedRule}},
				FailurePolicy:      ptr.To(admissionregistrationv1.Fail),
				MatchPolicy:        ptr.To(admissionregistrationv1.Equivalent),
				NamespaceSelector:  &metav1.LabelSelector{},
				ObjectSelector:     &metav1.LabelSelector{},
				TimeoutSeconds:     ptr.To[int32](10),
				ReinvocationPolicy: ptr.To(admissionregistrationv1.NeverReinvocationPolicy),
			},
		},
		{
			name: "IfNeeded and a namespaced scope are kept",
			in: admissionregistrationv1.MutatingWebhook{
				Rules: []admissionregistrationv1.RuleWithOperations{{Rule: admissionregistrationv1.Rule{
					Scope: ptr.To(admissionregistrationv1.NamespacedScope),
				}}},
				ReinvocationPolicy: ptr.To(admissionregistrationv1.IfNeededReinvocationPolicy),
			},
			want: admissionregistrationv1.MutatingWebhook{
				Rules: []admissionregistrationv1.RuleWithOperations{{Rule: admissionregistrationv1.Rule{
					Scope: ptr.To(admissionregistrationv1.NamespacedScope),
				}}},
				FailurePolicy:      ptr.To(admissionregistrationv1.Fail),
				MatchPolicy:        ptr.To(admissionregistrationv1.Equivalent),
				NamespaceSelector:  &metav1.LabelSelector{},
				ObjectSelector:     &metav1.LabelSelector{},
				TimeoutSeconds:     ptr.To[int32](10),
				ReinvocationPolicy: ptr.To(admissionregistrationv1.IfNeededReinvocationPolicy),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := &admissionregistrationv1.MutatingWebhookConfiguration{Webhooks: []admissionregistrationv1.MutatingWebhook{*tt.in.DeepCopy()}}
			SetObjectDefaultsMutatingWebhookConfiguration(got)
			if diff := cmp.Diff(tt.want, got.Webhooks[0]); diff != "" {
				t.Errorf("SetObjectDefaultsMutatingWebhookConfiguration() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetObjectDefaultsAdmissionPolicies(t *testing.T) {
	match := func() *admissionregistrationv1.MatchResources {
		return &admissionregistrationv1.MatchResources{
			ResourceRules:        []admissionregistrationv1.NamedRuleWithOperations{{RuleWithOperations: admissionregistrationv1.RuleWithOperations{Rule: rule}}},
			ExcludeResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{RuleWithOperations: admissionregistrationv1.RuleWithOperations{Rule: rule}}},
		}
	}
	defaultedMatch := &admissionregistrationv1.MatchResources{
		ResourceRules:        []admissionregistrationv1.NamedRuleWithOperations{{RuleWithOperations: admissionregistrationv1.RuleWithOperations{Rule: defaultedRule}}},
		ExcludeResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{RuleWithOperations: admissionregistrationv1.RuleWithOperations{Rule: defaultedRule}}},
		MatchPolicy:          ptr.To(admissionregistrationv1.Equivalent),
		NamespaceSelector:    &metav1.LabelSelector{},
		ObjectSelector:       &metav1.LabelSelector{},
	}
	tests := []struct {
		name        string
		in          runtime.Object
		setDefaults func(runtime.Object)
		want        runtime.Object
	}{
		{
			name: "validating policy fails closed and matches like a webhook",
			in:   &admissionregistrationv1.ValidatingAdmissionPolicy{Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{MatchConstraints: match()}},
			setDefaults: func(o runtime.Object) {
				SetObjectDefaultsValidatingAdmissionPolicy(o.(*admissionregistrationv1.ValidatingAdmissionPolicy))
			},
			want: &admissionregistrationv1.ValidatingAdmissionPolicy{Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
				FailurePolicy: ptr.To(admissionregistrationv1.Fail), MatchConstraints: defaultedMatch,
			}},
		},
		{
			name: "validating policy without match constraints",
			in:   &admissionregistrationv1.ValidatingAdmissionPolicy{Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{FailurePolicy: ptr.To(admissionregistrationv1.Ignore)}},
			setDefaults: func(o runtime.Object) {
				SetObjectDefaultsValidatingAdmissionPolicy(o.(*admissionregistrationv1.ValidatingAdmissionPolicy))
			},
			want: &admissionregistrationv1.ValidatingAdmissionPolicy{Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
				FailurePolicy: ptr.To(admissionregistrationv1.Ignore),
			}},
		},
		{
			name: "validating binding",
			in:   &admissionregistrationv1.ValidatingAdmissionPolicyBinding{Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{MatchResources: match()}},
			setDefaults: func(o runtime.Object) {
				SetObjectDefaultsValidatingAdmissionPolicyBinding(o.(*admissionregistrationv1.ValidatingAdmissionPolicyBinding))
			},
			want: &admissionregistrationv1.ValidatingAdmissionPolicyBinding{Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
				MatchResources: defaultedMatch,
			}},
		},
		{
			name: "mutating policy",
			in:   &admissionregistrationv1.MutatingAdmissionPolicy{Spec: admissionregistrationv1.MutatingAdmissionPolicySpec{MatchConstraints: match()}},
			setDefaults: func(o runtime.Object) {
				SetObjectDefaultsMutatingAdmissionPolicy(o.(*admissionregistrationv1.MutatingAdmissionPolicy))
			},
			want: &admissionregistrationv1.MutatingAdmissionPolicy{Spec: admissionregistrationv1.MutatingAdmissionPolicySpec{
				FailurePolicy: ptr.To(admissionregistrationv1.Fail), MatchConstraints: defaultedMatch,
			}},
		},
		{
			name: "mutating binding",
			in:   &admissionregistrationv1.MutatingAdmissionPolicyBinding{Spec: admissionregistrationv1.MutatingAdmissionPolicyBindingSpec{MatchResources: match()}},
			setDefaults: func(o runtime.Object) {
				SetObjectDefaultsMutatingAdmissionPolicyBinding(o.(*admissionregistrationv1.MutatingAdmissionPolicyBinding))
			},
			want: &admissionregistrationv1.MutatingAdmissionPolicyBinding{Spec: admissionregistrationv1.MutatingAdmissionPolicyBindingSpec{
				MatchResources: defaultedMatch,
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.in.DeepCopyObject()
			tt.setDefaults(got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("defaults mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSchemeDefault(t *testing.T) {
	s := runtime.NewScheme()
	if err := admissionregistrationv1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := Install(s); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   runtime.Object
		want runtime.Object
	}{
		{
			name: "mutating webhook configuration list",
			in: &admissionregistrationv1.MutatingWebhookConfigurationList{Items: []admissionregistrationv1.MutatingWebhookConfiguration{{
				Webhooks: []admissionregistrationv1.MutatingWebhook{{Name: "m.example.com"}},
			}}},
			want: &admissionregistrationv1.MutatingWebhookConfigurationList{Items: []admissionregistrationv1.MutatingWebhookConfiguration{{
				Webhooks: []admissionregistrationv1.MutatingWebhook{{
					Name:               "m.example.com",
					FailurePolicy:      ptr.To(admissionregistrationv1.Fail),
					MatchPolicy:        ptr.To(admissionregistrationv1.Equivalent),
					NamespaceSelector:  &metav1.LabelSelector{},
					ObjectSelector:     &metav1.LabelSelector{},
					TimeoutSeconds:     ptr.To[int32](10),
					ReinvocationPolicy: ptr.To(admissionregistrationv1.NeverReinvocationPolicy),
				}},
			}}},
		},
		{
			name: "validating admission policy list",
			in:   &admissionregistrationv1.ValidatingAdmissionPolicyList{Items: []admissionregistrationv1.ValidatingAdmissionPolicy{{}}},
			want: &admissionregistrationv1.ValidatingAdmissionPolicyList{Items: []admissionregistrationv1.ValidatingAdmissionPolicy{{
				Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{FailurePolicy: ptr.To(admissionregistrationv1.Fail)},
			}}},
		},
		{
			name: "mutating admission policy binding",
			in: &admissionregistrationv1.MutatingAdmissionPolicyBinding{Spec: admissionregistrationv1.MutatingAdmissionPolicyBindingSpec{
				MatchResources: &admissionregistrationv1.MatchResources{},
			}},
			want: &admissionregistrationv1.MutatingAdmissionPolicyBinding{Spec: admissionregistrationv1.MutatingAdmissionPolicyBindingSpec{
				MatchResources: &admissionregistrationv1.MatchResources{
					MatchPolicy:       ptr.To(admissionregistrationv1.Equivalent),
					NamespaceSelector: &metav1.LabelSelector{},
					ObjectSelector:    &metav1.LabelSelector{},
				},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.in.DeepCopyObject()
			s.Default(got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Default() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
