package printers

import (
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var priorityClasses = printer[*schedulingv1.PriorityClass]{
	header: []metav1.TableColumnDefinition{
		nameColumn,
		integer("Value", schedulingv1.PriorityClass{}.SwaggerDoc()["value"]),
		boolean("Global-Default", schedulingv1.PriorityClass{}.SwaggerDoc()["globalDefault"]),
		ageColumn,
		text("PreemptionPolicy", schedulingv1.PriorityClass{}.SwaggerDoc()["preemptionPolicy"]),
	},
	cells: func(c clock, pc *schedulingv1.PriorityClass) []any {
		policy := ""
		if pc.PreemptionPolicy != nil {
			policy = string(*pc.PreemptionPolicy)
		}
		return []any{pc.Name, int64(pc.Value), pc.GlobalDefault, c.since(pc.CreationTimestamp), policy}
	},
}
