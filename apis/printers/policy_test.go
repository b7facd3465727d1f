package printers

import (
	"testing"

	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

func TestPodDisruptionBudgets(t *testing.T) {
	testRows(t, schema.GroupResource{Group: "policy", Resource: "poddisruptionbudgets"},
		[]string{"Name", "Min Available", "Max Unavailable", "Allowed Disruptions", "Age"},
		[]rowCase{
			{
				name: "min available",
				obj: &policyv1.PodDisruptionBudget{ObjectMeta: objectMeta("web"),
					Spec:   policyv1.PodDisruptionBudgetSpec{MinAvailable: ptr.To(intstr.FromInt32(2))},
					Status: policyv1.PodDisruptionBudgetStatus{DisruptionsAllowed: 1}},
				row: []any{"web", "2", "N/A", int64(1), "3h"},
			},
			{
				name: "max unavailable percent",
				obj: &policyv1.PodDisruptionBudget{ObjectMeta: objectMeta("web"),
					Spec: policyv1.PodDisruptionBudgetSpec{MaxUnavailable: ptr.To(intstr.FromString("25%"))}},
				row: []any{"web", "N/A", "25%", int64(0), "3h"},
			},
		})
}
