package printers

import (
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

var podDisruptionBudgets = printer[*policyv1.PodDisruptionBudget]{
	header: []metav1.TableColumnDefinition{
		nameColumn,
		text("Min Available", "The minimum number of pods that must be available."),
		text("Max Unavailable", "The maximum number of pods that may be unavailable."),
		integer("Allowed Disruptions", "Calculated number of pods that may be disrupted at this time."),
		ageColumn,
	},
	cells: func(c clock, pdb *policyv1.PodDisruptionBudget) []any {
		return []any{pdb.Name, intOrStringOrNA(pdb.Spec.MinAvailable), intOrStringOrNA(pdb.Spec.MaxUnavailable),
			int64(pdb.Status.DisruptionsAllowed), c.since(pdb.CreationTimestamp)}
	},
}

func intOrStringOrNA(v *intstr.IntOrString) string {
	if v == nil {
		return "N/A"
	}
	return v.String()
}
