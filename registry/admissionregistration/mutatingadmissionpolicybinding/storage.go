package mutatingadmissionpolicybinding

import (
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/admissionregistration"
	"github.com/kubeshim/kubeshim/registry/admissionregistration/paramauthz"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the mutatingadmissionpolicybindings resource; params authorizes the paramRef of
// what is written.
func Definition(params *paramauthz.Checker) resource.Definition {
	return resource.Definition{
		Resource:               admissionregistrationv1.Resource("mutatingadmissionpolicybindings"),
		RequireResourceVersion: true,
		Singular:               "mutatingadmissionpolicybinding",
		NamespaceScoped:        false,
		New:                    func() runtime.Object { return &admissionregistrationv1.MutatingAdmissionPolicyBinding{} },
		NewList:                func() runtime.Object { return &admissionregistrationv1.MutatingAdmissionPolicyBindingList{} },
		Categories:             []string{"api-extensions"},
		Validate:               params.Validate(resource.Validate(admissionregistration.ValidateMutatingAdmissionPolicyBinding)),
		ValidateUpdate:         params.ValidateUpdate(resource.ValidateUpdate(admissionregistration.ValidateMutatingAdmissionPolicyBindingUpdate)),
	}
}
