package poddisruptionbudget

import (
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/policy"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the poddisruptionbudgets resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:               policyv1.Resource("poddisruptionbudgets"),
		RequireResourceVersion: true,
		Singular:               "poddisruptionbudget",
		NamespaceScoped:        true,
		New:                    func() runtime.Object { return &policyv1.PodDisruptionBudget{} },
		NewList:                func() runtime.Object { return &policyv1.PodDisruptionBudgetList{} },
		ShortNames:             []string{"pdb"},
		Status:                 true,
		Validate:               resource.Validate(policy.ValidatePodDisruptionBudget),
		ValidateUpdate:         resource.ValidateUpdate(policy.ValidatePodDisruptionBudgetUpdate),
		ValidateStatusUpdate:   resource.ValidateUpdate(policy.ValidatePodDisruptionBudgetStatusUpdate),
	}
}
