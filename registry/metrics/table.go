package metrics

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"
)

// The tables are metrics-server's: the name, one column per resource in the usage (cpu,
// memory), and the window. A pod's usage is the sum of its containers'. An empty list
// has no columns, and kubectl says "No resources found".

func nodeTable(obj runtime.Object) (*metav1.Table, error) {
	table := &metav1.Table{}
	var items []metricsv1beta1.NodeMetrics
	switch o := obj.(type) {
	case *metricsv1beta1.NodeMetrics:
		table.ResourceVersion = o.ResourceVersion
		items = []metricsv1beta1.NodeMetrics{*o}
	case *metricsv1beta1.NodeMetricsList:
		table.ResourceVersion, table.Continue = o.ResourceVersion, o.Continue
		items = o.Items
	default:
		return nil, fmt.Errorf("unexpected object %T", obj)
	}
	for i := range items {
		addRow(table, items[i].Name, items[i].Usage, items[i].Window, &items[i])
	}
	return table, nil
}

func podTable(obj runtime.Object) (*metav1.Table, error) {
	table := &metav1.Table{}
	var items []metricsv1beta1.PodMetrics
	switch o := obj.(type) {
	case *metricsv1beta1.PodMetrics:
		table.ResourceVersion = o.ResourceVersion
		items = []metricsv1beta1.PodMetrics{*o}
	case *metricsv1beta1.PodMetricsList:
		table.ResourceVersion, table.Continue = o.ResourceVersion, o.Continue
		items = o.Items
	default:
		return nil, fmt.Errorf("unexpected object %T", obj)
	}
	for i := range items {
		sum := corev1.ResourceList{}
		for _, c := range items[i].Containers {
			for name, q := range c.Usage {
				total := sum[name]
				total.Add(q)
				sum[name] = total
			}
		}
		addRow(table, items[i].Name, sum, items[i].Window, &items[i])
	}
	return table, nil
}

// addRow adds a row; the first row's resources make the columns.
func addRow(table *metav1.Table, name string, usage corev1.ResourceList, window metav1.Duration, obj runtime.Object) {
	if table.ColumnDefinitions == nil {
		table.ColumnDefinitions = []metav1.TableColumnDefinition{
			{Name: "Name", Type: "string", Format: "name", Description: "Name of the resource"},
		}
		for _, r := range resourceNames(usage) {
			table.ColumnDefinitions = append(table.ColumnDefinitions, metav1.TableColumnDefinition{Name: string(r), Type: "string", Format: "quantity"})
		}
		table.ColumnDefinitions = append(table.ColumnDefinitions, metav1.TableColumnDefinition{Name: "Window", Type: "string", Format: "duration"})
	}
	cells := []any{name}
	for _, c := range table.ColumnDefinitions[1 : len(table.ColumnDefinitions)-1] {
		q := usage[corev1.ResourceName(c.Name)]
		cells = append(cells, q.String())
	}
	cells = append(cells, window.Duration.String())
	table.Rows = append(table.Rows, metav1.TableRow{Cells: cells, Object: runtime.RawExtension{Object: obj}})
}

func resourceNames(usage corev1.ResourceList) []corev1.ResourceName {
	names := make([]corev1.ResourceName, 0, len(usage))
	for n := range usage {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
