package validatingadmissionpolicy

import (
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/admissionregistration"
	"github.com/kubeshim/kubeshim/registry/admissionregistration/paramauthz"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the validatingadmissionpolicies resource; params authorizes the paramKind of
// what is written.
func Definition(params *paramauthz.Checker) resource.Definition {
	return resource.Definition{
		Resource:               admissionregistrationv1.Resource("validatingadmissionpolicies"),
		RequireResourceVersion: true,
		Singular:               "validatingadmissionpolicy",
		NamespaceScoped:        false,
		New:                    func() runtime.Object { return &admissionregistrationv1.ValidatingAdmissionPolicy{} },
		NewList:                func() runtime.Object { return &admissionregistrationv1.ValidatingAdmissionPolicyList{} },
		Categories:             []string{"api-extensions"},
		Validate:               params.Validate(resource.Validate(admissionregistration.ValidateValidatingAdmissionPolicy)),
		ValidateUpdate:         params.ValidateUpdate(resource.ValidateUpdate(admissionregistration.ValidateValidatingAdmissionPolicyUpdate)),
		ValidateStatusUpdate:   resource.ValidateUpdate(admissionregistration.ValidateValidatingAdmissionPolicyStatusUpdate),
		Status:                 true,
	}
}
