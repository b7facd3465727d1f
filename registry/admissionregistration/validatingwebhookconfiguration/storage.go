package validatingwebhookconfiguration

import (
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/admissionregistration"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the validatingwebhookconfigurations resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:               admissionregistrationv1.Resource("validatingwebhookconfigurations"),
		RequireResourceVersion: true,
		Singular:               "validatingwebhookconfiguration",
		NamespaceScoped:        false,
		New:                    func() runtime.Object { return &admissionregistrationv1.ValidatingWebhookConfiguration{} },
		NewList:                func() runtime.Object { return &admissionregistrationv1.ValidatingWebhookConfigurationList{} },
		Categories:             []string{"api-extensions"},
		Validate:               resource.Validate(admissionregistration.ValidateValidatingWebhookConfiguration),
		ValidateUpdate:         resource.ValidateUpdate(admissionregistration.ValidateValidatingWebhookConfigurationUpdate),
	}
}
