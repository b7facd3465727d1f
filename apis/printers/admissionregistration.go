package printers

import (
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var (
	mutatingWebhookConfigurations = printer[*admissionregistrationv1.MutatingWebhookConfiguration]{
		header: webhookColumns,
		cells: func(c clock, w *admissionregistrationv1.MutatingWebhookConfiguration) []any {
			return []any{w.Name, int64(len(w.Webhooks)), c.since(w.CreationTimestamp)}
		},
	}
	validatingWebhookConfigurations = printer[*admissionregistrationv1.ValidatingWebhookConfiguration]{
		header: webhookColumns,
		cells: func(c clock, w *admissionregistrationv1.ValidatingWebhookConfiguration) []any {
			return []any{w.Name, int64(len(w.Webhooks)), c.since(w.CreationTimestamp)}
		},
	}
	webhookColumns = []metav1.TableColumnDefinition{
		nameColumn,
		integer("Webhooks", "Webhooks indicates the number of webhooks registered in this configuration"),
		ageColumn,
	}
)

var validatingAdmissionPolicies = printer[*admissionregistrationv1.ValidatingAdmissionPolicy]{
	header: []metav1.TableColumnDefinition{
		nameColumn,
		integer("Validations", "Validations indicates the number of validation rules defined in this configuration"),
		text("ParamKind", "ParamKind specifies the kind of resources used to parameterize this policy"),
		ageColumn,
	},
	cells: func(c clock, p *admissionregistrationv1.ValidatingAdmissionPolicy) []any {
		paramKind := "<unset>"
		if k := p.Spec.ParamKind; k != nil {
			paramKind = k.APIVersion + "/" + k.Kind
		}
		return []any{p.Name, int64(len(p.Spec.Validations)), paramKind, c.since(p.CreationTimestamp)}
	},
}

var validatingAdmissionPolicyBindings = printer[*admissionregistrationv1.ValidatingAdmissionPolicyBinding]{
	header: []metav1.TableColumnDefinition{
		nameColumn,
		text("PolicyName", "PolicyName indicates the policy definition which the policy binding binded to"),
		text("ParamRef", "ParamRef indicates the param resource which sets the configuration param"),
		ageColumn,
	},
	cells: func(c clock, b *admissionregistrationv1.ValidatingAdmissionPolicyBinding) []any {
		param := "<unset>"
		switch r := b.Spec.ParamRef; {
		case r == nil:
		case r.Name != "" && r.Namespace != "":
			param = r.Namespace + "/" + r.Name
		case r.Name != "":
			// Whether the param is cluster-scoped is not known here.
			param = "*/" + r.Name
		case r.Selector != nil:
			param = r.Selector.String()
		}
		return []any{b.Name, b.Spec.PolicyName, param, c.since(b.CreationTimestamp)}
	},
}
