package mutatingadmissionpolicy

import (
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/admissionregistration"
	"github.com/kubeshim/kubeshim/registry/admissionregistration/paramauthz"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the mutatingadmissionpolicies resource; params authorizes the paramKind of
// what is written.
func Definition(params *paramauthz.Checker) resource.Definition {
	return resource.Definition{
		Resource:               admissionregistrationv1.Resource("mutatingadmissionpolicies"),
		RequireResourceVersion: true,
		Singular:               "mutatingadmissionpolicy",
		NamespaceScoped:        false,
		New:                    func() runtime.Object { return &admissionregistrationv1.MutatingAdmissionPolicy{} },
		NewList:                func() runtime.Object { return &admissionregistrationv1.MutatingAdmissionPolicyList{} },
		Categories:             []string{"api-extensions"},
		Validate:               params.Validate(resource.Validate(admissionregistration.ValidateMutatingAdmissionPolicy)),
		ValidateUpdate:         params.ValidateUpdate(resource.ValidateUpdate(admissionregistration.ValidateMutatingAdmissionPolicyUpdate)),
	}
}
