package validatingadmissionpolicybinding

import (
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/admissionregistration"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the validatingadmissionpolicybindings resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:        admissionregistrationv1.Resource("validatingadmissionpolicybindings"),
		Singular:        "validatingadmissionpolicybinding",
		NamespaceScoped: false,
		New:             func() runtime.Object { return &admissionregistrationv1.ValidatingAdmissionPolicyBinding{} },
		NewList:         func() runtime.Object { return &admissionregistrationv1.ValidatingAdmissionPolicyBindingList{} },
		Categories:      []string{"api-extensions"},
		Validate:        resource.Validate(admissionregistration.ValidateValidatingAdmissionPolicyBinding),
		ValidateUpdate:  resource.ValidateUpdate(admissionregistration.ValidateValidatingAdmissionPolicyBindingUpdate),
	}
}
