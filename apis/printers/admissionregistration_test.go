package printers

import (
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func admission(resource string) schema.GroupResource {
	return schema.GroupResource{Group: "admissionregistration.k8s.io", Resource: resource}
}

func TestWebhookConfigurations(t *testing.T) {
	columns := []string{"Name", "Webhooks", "Age"}
	testRows(t, admission("mutatingwebhookconfigurations"), columns, []rowCase{{
		name: "two webhooks",
		obj: &admissionregistrationv1.MutatingWebhookConfiguration{ObjectMeta: objectMeta("inject"),
			Webhooks: []admissionregistrationv1.MutatingWebhook{{Name: "a.example.com"}, {Name: "b.example.com"}}},
		row: []any{"inject", int64(2), "3h"},
	}})
	testRows(t, admission("validatingwebhookconfigurations"), columns, []rowCase{{
		name: "none",
		obj:  &admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: objectMeta("check")},
		row:  []any{"check", int64(0), "3h"},
	}})
}

func TestValidatingAdmissionPolicies(t *testing.T) {
	testRows(t, admission("validatingadmissionpolicies"), []string{"Name", "Validations", "ParamKind", "Age"}, []rowCase{
		{
			name: "with a param kind",
			obj: &admissionregistrationv1.ValidatingAdmissionPolicy{ObjectMeta: objectMeta("replicas"),
				Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
					ParamKind:   &admissionregistrationv1.ParamKind{APIVersion: "v1", Kind: "ConfigMap"},
					Validations: []admissionregistrationv1.Validation{{Expression: "true"}}}},
			row: []any{"replicas", int64(1), "v1/ConfigMap", "3h"},
		},
		{
			name: "without",
			obj:  &admissionregistrationv1.ValidatingAdmissionPolicy{ObjectMeta: objectMeta("plain")},
			row:  []any{"plain", int64(0), "<unset>", "3h"},
		},
	})
	binding := func(ref *admissionregistrationv1.ParamRef) *admissionregistrationv1.ValidatingAdmissionPolicyBinding {
		return &admissionregistrationv1.ValidatingAdmissionPolicyBinding{ObjectMeta: objectMeta("b"),
			Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{PolicyName: "replicas", ParamRef: ref}}
	}
	testRows(t, admission("validatingadmissionpolicybindings"), []string{"Name", "PolicyName", "ParamRef", "Age"}, []rowCase{
		{name: "no param", obj: binding(nil), row: []any{"b", "replicas", "<unset>", "3h"}},
		{
			name: "namespaced param",
			obj:  binding(&admissionregistrationv1.ParamRef{Namespace: "ns", Name: "limits"}),
			row:  []any{"b", "replicas", "ns/limits", "3h"},
		},
		{
			name: "param of any namespace",
			obj:  binding(&admissionregistrationv1.ParamRef{Name: "limits"}),
			row:  []any{"b", "replicas", "*/limits", "3h"},
		},
		{
			name: "param by selector",
			obj:  binding(&admissionregistrationv1.ParamRef{Selector: &metav1.LabelSelector{}}),
			row:  []any{"b", "replicas", (&metav1.LabelSelector{}).String(), "3h"},
		},
	})
}
