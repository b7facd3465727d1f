package printers

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
)

func TestPriorityClasses(t *testing.T) {
	testRows(t, schema.GroupResource{Group: "scheduling.k8s.io", Resource: "priorityclasses"},
		[]string{"Name", "Value", "Global-Default", "Age", "PreemptionPolicy"},
		[]rowCase{
			{
				name: "default",
				obj: &schedulingv1.PriorityClass{ObjectMeta: objectMeta("normal"), Value: 1000, GlobalDefault: true,
					PreemptionPolicy: ptr.To(corev1.PreemptNever)},
				row: []any{"normal", int64(1000), true, "3h", "Never"},
			},
			{
				name: "no preemption policy",
				obj:  &schedulingv1.PriorityClass{ObjectMeta: objectMeta("system-node-critical"), Value: 2000001000},
				row:  []any{"system-node-critical", int64(2000001000), false, "3h", ""},
			},
		})
}
