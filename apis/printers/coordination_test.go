package printers

import (
	"testing"

	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
)

func TestLeases(t *testing.T) {
	testRows(t, schema.GroupResource{Group: "coordination.k8s.io", Resource: "leases"},
		[]string{"Name", "Holder", "Age"},
		[]rowCase{
			{
				name: "held",
				obj: &coordinationv1.Lease{ObjectMeta: objectMeta("kube-scheduler"),
					Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To("cp-1_8f2a")}},
				row: []any{"kube-scheduler", "cp-1_8f2a", "3h"},
			},
			{
				name: "free",
				obj:  &coordinationv1.Lease{ObjectMeta: objectMeta("kube-scheduler")},
				row:  []any{"kube-scheduler", "", "3h"},
			},
		})
}
