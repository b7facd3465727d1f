package printers

import (
	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

var leases = printer[*coordinationv1.Lease]{
	header: []metav1.TableColumnDefinition{
		nameColumn,
		text("Holder", coordinationv1.LeaseSpec{}.SwaggerDoc()["holderIdentity"]),
		ageColumn,
	},
	cells: func(c clock, l *coordinationv1.Lease) []any {
		return []any{l.Name, ptr.Deref(l.Spec.HolderIdentity, ""), c.since(l.CreationTimestamp)}
	},
}
