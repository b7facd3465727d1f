package mutatingadmissionpolicy

import (
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/admissionregistration"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the mutatingadmissionpolicies resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:        admissionregistrationv1.Resource("mutatingadmissionpolicies"),
		Singular:        "mutatingadmissionpolicy",
		NamespaceScoped: false,
		New:             func() runtime.Object { return &admissionregistrationv1.MutatingAdmissionPolicy{} },
		NewList:         func() runtime.Object { return &admissionregistrationv1.MutatingAdmissionPolicyList{} },
		Categories:      []string{"api-extensions"},
		Validate:        resource.Validate(admissionregistration.ValidateMutatingAdmissionPolicy),
		ValidateUpdate:  resource.ValidateUpdate(admissionregistration.ValidateMutatingAdmissionPolicyUpdate),
	}
}
