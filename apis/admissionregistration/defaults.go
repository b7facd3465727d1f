package admissionregistration

import (
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
)

// addDefaultingFuncs registers upstream's defaults for the v1 kinds, as
// k8s.io/kubernetes v1.37 pkg/apis/admissionregistration/v1 applies them.
func addDefaultingFuncs(s *runtime.Scheme) error {
	s.AddTypeDefaultingFunc(&admissionregistrationv1.MutatingWebhookConfiguration{}, func(obj any) {
		SetObjectDefaultsMutatingWebhookConfiguration(obj.(*admissionregistrationv1.MutatingWebhookConfiguration))
	})
	s.AddTypeDefaultingFunc(&admissionregistrationv1.MutatingWebhookConfigurationList{}, func(obj any) {
		defaultEach(obj.(*admissionregistrationv1.MutatingWebhookConfigurationList).Items, SetObjectDefaultsMutatingWebhookConfiguration)
	})
	s.AddTypeDefaultingFunc(&admissionregistrationv1.ValidatingWebhookConfiguration{}, func(obj any) {
		SetObjectDefaultsValidatingWebhookConfiguration(obj.(*admissionregistrationv1.ValidatingWebhookConfiguration))
	})
	s.AddTypeDefaultingFunc(&admissionregistrationv1.ValidatingWebhookConfigurationList{}, func(obj any) {
		defaultEach(obj.(*admissionregistrationv1.ValidatingWebhookConfigurationList).Items, SetObjectDefaultsValidatingWebhookConfiguration)
	})
	s.AddTypeDefaultingFunc(&admissionregistrationv1.ValidatingAdmissionPolicy{}, func(obj any) {
		SetObjectDefaultsValidatingAdmissionPolicy(obj.(*admissionregistrationv1.ValidatingAdmissionPolicy))
	})
	s.AddTypeDefaultingFunc(&admissionregistrationv1.ValidatingAdmissionPolicyList{}, func(obj any) {
		defaultEach(obj.(*admissionregistrationv1.ValidatingAdmissionPolicyList).Items, SetObjectDefaultsValidatingAdmissionPolicy)
	})
	s.AddTypeDefaultingFunc(&admissionregistrationv1.ValidatingAdmissionPolicyBinding{}, func(obj any) {
		SetObjectDefaultsValidatingAdmissionPolicyBinding(obj.(*admissionregistrationv1.ValidatingAdmissionPolicyBinding))
	})
	s.AddTypeDefaultingFunc(&admissionregistrationv1.ValidatingAdmissionPolicyBindingList{}, func(obj any) {
		defaultEach(obj.(*admissionregistrationv1.ValidatingAdmissionPolicyBindingList).Items, SetObjectDefaultsValidatingAdmissionPolicyBinding)
	})
	s.AddTypeDefaultingFunc(&admissionregistrationv1.MutatingAdmissionPolicy{}, func(obj any) {
		SetObjectDefaultsMutatingAdmissionPolicy(obj.(*admissionregistrationv1.MutatingAdmissionPolicy))
	})
	s.AddTypeDefaultingFunc(&admissionregistrationv1.MutatingAdmissionPolicyList{}, func(obj any) {
		defaultEach(obj.(*admissionregistrationv1.MutatingAdmissionPolicyList).Items, SetObjectDefaultsMutatingAdmissionPolicy)
	})
	s.AddTypeDefaultingFunc(&admissionregistrationv1.MutatingAdmissionPolicyBinding{}, func(obj any) {
		SetObjectDefaultsMutatingAdmissionPolicyBinding(obj.(*admissionregistrationv1.MutatingAdmissionPolicyBinding))
	})
	s.AddTypeDefaultingFunc(&admissionregistrationv1.MutatingAdmissionPolicyBindingList{}, func(obj any) {
		defaultEach(obj.(*admissionregistrationv1.MutatingAdmissionPolicyBindingList).Items, SetObjectDefaultsMutatingAdmissionPolicyBinding)
	})
	return nil
}

// SetObjectDefaultsValidatingWebhookConfiguration applies upstream's webhook
// defaults to each webhook: fail closed, match equivalent versions, select
// everything, and time out after 10s.
func SetObjectDefaultsValidatingWebhookConfiguration(c *admissionregistrationv1.ValidatingWebhookConfiguration) {
	for i := range c.Webhooks {
		w := &c.Webhooks[i]
		defaultWebhook(&w.FailurePolicy, &w.MatchPolicy, &w.NamespaceSelector, &w.ObjectSelector, &w.TimeoutSeconds)
		defaultClientConfig(&w.ClientConfig)
		for j := range w.Rules {
			defaultRule(&w.Rules[j].Rule)
		}
	}
}

// SetObjectDefaultsMutatingWebhookConfiguration applies the validating
// webhook defaults to each webhook, and does not call it again after later
// mutations unless asked to.
func SetObjectDefaultsMutatingWebhookConfiguration(c *admissionregistrationv1.MutatingWebhookConfiguration) {
	for i := range c.Webhooks {
		w := &c.Webhooks[i]
		defaultWebhook(&w.FailurePolicy, &w.MatchPolicy, &w.NamespaceSelector, &w.ObjectSelector, &w.TimeoutSeconds)
		if w.ReinvocationPolicy == nil {
			w.ReinvocationPolicy = ptr.To(admissionregistrationv1.NeverReinvocationPolicy)
		}
		defaultClientConfig(&w.ClientConfig)
		for j := range w.Rules {
			defaultRule(&w.Rules[j].Rule)
		}
	}
}

// defaultWebhook takes the fields the two webhook types share by pointer, as
// they are distinct types.
func defaultWebhook(failure **admissionregistrationv1.FailurePolicyType, match **admissionregistrationv1.MatchPolicyType,
	nsSelector, objSelector **metav1.LabelSelector, timeout **int32) {
	if *failure == nil {
		*failure = ptr.To(admissionregistrationv1.Fail)
	}
	if *match == nil {
		*match = ptr.To(admissionregistrationv1.Equivalent)
	}
	if *nsSelector == nil {
		*nsSelector = &metav1.LabelSelector{}
	}
	if *objSelector == nil {
		*objSelector = &metav1.LabelSelector{}
	}
	if *timeout == nil {
		*timeout = ptr.To[int32](10)
	}
}

func defaultClientConfig(c *admissionregistrationv1.WebhookClientConfig) {
	if c.Service != nil && c.Service.Port == nil {
		c.Service.Port = ptr.To[int32](443)
	}
}

func defaultRule(r *admissionregistrationv1.Rule) {
	if r.Scope == nil {
		r.Scope = ptr.To(admissionregistrationv1.AllScopes)
	}
}

// SetObjectDefaultsValidatingAdmissionPolicy makes a policy fail closed and
// gives its match constraints the defaults of a binding's.
func SetObjectDefaultsValidatingAdmissionPolicy(p *admissionregistrationv1.ValidatingAdmissionPolicy) {
	if p.Spec.FailurePolicy == nil {
		p.Spec.FailurePolicy = ptr.To(admissionregistrationv1.Fail)
	}
	defaultMatchResources(p.Spec.MatchConstraints)
}

// SetObjectDefaultsValidatingAdmissionPolicyBinding applies upstream's
// defaults to the binding's match resources.
func SetObjectDefaultsValidatingAdmissionPolicyBinding(b *admissionregistrationv1.ValidatingAdmissionPolicyBinding) {
	defaultMatchResources(b.Spec.MatchResources)
}

// SetObjectDefaultsMutatingAdmissionPolicy makes a policy fail closed and
// gives its match constraints the defaults of a binding's.
func SetObjectDefaultsMutatingAdmissionPolicy(p *admissionregistrationv1.MutatingAdmissionPolicy) {
	if p.Spec.FailurePolicy == nil {
		p.Spec.FailurePolicy = ptr.To(admissionregistrationv1.Fail)
	}
	defaultMatchResources(p.Spec.MatchConstraints)
}

// SetObjectDefaultsMutatingAdmissionPolicyBinding applies upstream's
// defaults to the binding's match resources.
func SetObjectDefaultsMutatingAdmissionPolicyBinding(b *admissionregistrationv1.MutatingAdmissionPolicyBinding) {
	defaultMatchResources(b.Spec.MatchResources)
}

func defaultMatchResources(m *admissionregistrationv1.MatchResources) {
	if m == nil {
		return
	}
	if m.MatchPolicy == nil {
		m.MatchPolicy = ptr.To(admissionregistrationv1.Equivalent)
	}
	if m.NamespaceSelector == nil {
		m.NamespaceSelector = &metav1.LabelSelector{}
	}
	if m.ObjectSelector == nil {
		m.ObjectSelector = &metav1.LabelSelector{}
	}
	for i := range m.ResourceRules {
		defaultRule(&m.ResourceRules[i].Rule)
	}
	for i := range m.ExcludeResourceRules {
		defaultRule(&m.ExcludeResourceRules[i].Rule)
	}
}

// defaultEach defaults each item of a list in place.
func defaultEach[T any](items []T, setDefaults func(*T)) {
	for i := range items {
		setDefaults(&items[i])
	}
}
