package mutatingwebhookconfiguration

import (
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/admissionregistration"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the mutatingwebhookconfigurations resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:               admissionregistrationv1.Resource("mutatingwebhookconfigurations"),
		RequireResourceVersion: true,
		Singular:               "mutatingwebhookconfiguration",
		NamespaceScoped:        false,
		New:                    func() runtime.Object { return &admissionregistrationv1.MutatingWebhookConfiguration{} },
		NewList:                func() runtime.Object { return &admissionregistrationv1.MutatingWebhookConfigurationList{} },
		Categories:             []string{"api-extensions"},
		Validate:               resource.Validate(admissionregistration.ValidateMutatingWebhookConfiguration),
		ValidateUpdate:         resource.ValidateUpdate(admissionregistration.ValidateMutatingWebhookConfigurationUpdate),
	}
}
