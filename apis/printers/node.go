package printers

import (
	nodev1 "k8s.io/api/node/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var runtimeClasses = printer[*nodev1.RuntimeClass]{
	header: []metav1.TableColumnDefinition{
		nameColumn,
		// Upstream looks "handler" up in ObjectMeta's docs and describes
		// the column with "".
		text("Handler", nodev1.RuntimeClass{}.SwaggerDoc()["handler"]),
		ageColumn,
	},
	cells: func(c clock, rc *nodev1.RuntimeClass) []any {
		return []any{rc.Name, rc.Handler, c.since(rc.CreationTimestamp)}
	},
}
