package printers

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
)

// now is the instant every test table is printed at.
var now = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// ago is a timestamp d before now.
func ago(d time.Duration) metav1.Time { return metav1.NewTime(now.Add(-d)) }

// convert prints obj as resource gr at now.
func convert(t *testing.T, gr schema.GroupResource, obj, options runtime.Object) *metav1.Table {
	t.Helper()
	c := TableConvertor(gr)
	c.now = func() time.Time { return now }
	table, err := c.ConvertToTable(context.Background(), obj, options)
	if err != nil {
		t.Fatalf("ConvertToTable: %v", err)
	}
	return table
}

// view is what a test compares of a table: the column names, " (wide)"
// marking those kubectl shows only with -o wide, and the cells.
type view struct {
	Columns []string
	Rows    [][]any
}

func viewOf(table *metav1.Table) view {
	var v view
	for _, c := range table.ColumnDefinitions {
		name := c.Name
		if c.Priority != 0 {
			name += " (wide)"
		}
		v.Columns = append(v.Columns, name)
	}
	for _, r := range table.Rows {
		v.Rows = append(v.Rows, r.Cells)
	}
	return v
}

// rowCase is one object of a resource and the row it prints as.
type rowCase struct {
	name string
	obj  runtime.Object
	row  []any
}

// testRows prints every case's object alone and compares the whole table.
func testRows(t *testing.T, gr schema.GroupResource, columns []string, cases []rowCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := view{Columns: columns, Rows: [][]any{tc.row}}
			if diff := cmp.Diff(want, viewOf(convert(t, gr, tc.obj, nil))); diff != "" {
				t.Errorf("table (-want +got):\n%s", diff)
			}
		})
	}
}

func pod(name string, created time.Duration) corev1.Pod {
	return corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", ResourceVersion: "7", CreationTimestamp: ago(created)},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx"}}},
		Status:     corev1.PodStatus{Phase: corev1.PodPending},
	}
}

func TestConvertToTable(t *testing.T) {
	podsGR := schema.GroupResource{Resource: "pods"}
	a, b := pod("a", time.Minute), pod("b", 2*time.Hour)
	podColumns := []string{"Name", "Ready", "Status", "Restarts", "Age",
		"IP (wide)", "Node (wide)", "Nominated Node (wide)", "Readiness Gates (wide)"}
	rowA := []any{"a", "0/1", "Pending", "0", "60s", "<none>", "<none>", "<none>", "<none>"}
	rowB := []any{"b", "0/1", "Pending", "0", "120m", "<none>", "<none>", "<none>", "<none>"}

	tests := []struct {
		name    string
		obj     runtime.Object
		options runtime.Object
		want    *metav1.Table
	}{
		{
			name: "single object",
			obj:  &a,
			want: &metav1.Table{
				ListMeta:          metav1.ListMeta{ResourceVersion: "7"},
				ColumnDefinitions: pods.header,
				Rows:              []metav1.TableRow{{Cells: rowA, Object: runtime.RawExtension{Object: &a}}},
			},
		},
		{
			name: "list with continue token",
			obj: &corev1.PodList{
				ListMeta: metav1.ListMeta{ResourceVersion: "42", Continue: "next-page", RemainingItemCount: ptr.To[int64](3)},
				Items:    []corev1.Pod{a, b},
			},
			options: &metav1.TableOptions{},
			want: &metav1.Table{
				ListMeta:          metav1.ListMeta{ResourceVersion: "42", Continue: "next-page", RemainingItemCount: ptr.To[int64](3)},
				ColumnDefinitions: pods.header,
				Rows: []metav1.TableRow{
					{Cells: rowA, Object: runtime.RawExtension{Object: &a}},
					{Cells: rowB, Object: runtime.RawExtension{Object: &b}},
				},
			},
		},
		{
			name:    "no headers",
			obj:     &corev1.PodList{ListMeta: metav1.ListMeta{ResourceVersion: "42"}, Items: []corev1.Pod{a}},
			options: &metav1.TableOptions{NoHeaders: true},
			want: &metav1.Table{
				ListMeta: metav1.ListMeta{ResourceVersion: "42"},
				Rows:     []metav1.TableRow{{Cells: rowA, Object: runtime.RawExtension{Object: &a}}},
			},
		},
		{
			name: "empty list",
			obj:  &corev1.PodList{ListMeta: metav1.ListMeta{ResourceVersion: "42"}},
			want: &metav1.Table{
				ListMeta:          metav1.ListMeta{ResourceVersion: "42"},
				ColumnDefinitions: pods.header,
				Rows:              []metav1.TableRow{},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := convert(t, podsGR, tc.obj, tc.options)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("table (-want +got):\n%s", diff)
			}
		})
	}
	if diff := cmp.Diff(podColumns, viewOf(convert(t, podsGR, &a, nil)).Columns); diff != "" {
		t.Errorf("columns (-want +got):\n%s", diff)
	}
}

func TestPodColumnDefinitions(t *testing.T) {
	doc := corev1.PodStatus{}.SwaggerDoc()
	want := []metav1.TableColumnDefinition{
		{Name: "Name", Type: "string", Format: "name", Description: metav1.ObjectMeta{}.SwaggerDoc()["name"]},
		{Name: "Ready", Type: "string", Description: "The aggregate readiness state of this pod for accepting traffic."},
		{Name: "Status", Type: "string", Description: "The aggregate status of the containers in this pod."},
		{Name: "Restarts", Type: "string", Description: "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."},
		{Name: "Age", Type: "string", Description: metav1.ObjectMeta{}.SwaggerDoc()["creationTimestamp"]},
		{Name: "IP", Type: "string", Priority: 1, Description: doc["podIP"]},
		{Name: "Node", Type: "string", Priority: 1, Description: corev1.PodSpec{}.SwaggerDoc()["nodeName"]},
		{Name: "Nominated Node", Type: "string", Priority: 1, Description: doc["nominatedNodeName"]},
		{Name: "Readiness Gates", Type: "string", Priority: 1, Description: corev1.PodSpec{}.SwaggerDoc()["readinessGates"]},
	}
	p := pod("a", 0)
	got := convert(t, schema.GroupResource{Resource: "pods"}, &p, nil).ColumnDefinitions
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("columns (-want +got):\n%s", diff)
	}
}

func TestDefaultTable(t *testing.T) {
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "reader", ResourceVersion: "3",
		CreationTimestamp: metav1.NewTime(time.Date(2025, 5, 31, 8, 30, 0, 0, time.FixedZone("CEST", 2*3600)))}}
	list := &rbacv1.RoleList{ListMeta: metav1.ListMeta{ResourceVersion: "9", Continue: "c"}, Items: []rbacv1.Role{*role}}
	roles := schema.GroupResource{Group: "rbac.authorization.k8s.io", Resource: "roles"}

	got := convert(t, roles, list, nil)
	want := &metav1.Table{
		ListMeta: metav1.ListMeta{ResourceVersion: "9", Continue: "c"},
		ColumnDefinitions: []metav1.TableColumnDefinition{
			{Name: "Name", Type: "string", Format: "name", Description: metav1.ObjectMeta{}.SwaggerDoc()["name"]},
			{Name: "Created At", Type: "date", Description: metav1.ObjectMeta{}.SwaggerDoc()["creationTimestamp"]},
		},
		Rows: []metav1.TableRow{{Cells: []any{"reader", "2025-05-31T06:30:00Z"}, Object: runtime.RawExtension{Object: &list.Items[0]}}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("table (-want +got):\n%s", diff)
	}
}

func TestConvertToTableErrors(t *testing.T) {
	p := pod("a", 0)
	tests := []struct {
		name    string
		gr      schema.GroupResource
		obj     runtime.Object
		options runtime.Object
		want    string
	}{
		{
			name: "object of another resource",
			gr:   schema.GroupResource{Group: "apps", Resource: "deployments"},
			obj:  &p,
			want: "print deployments.apps as a table: got *v1.Pod, want *v1.Deployment",
		},
		{
			name:    "unknown table options",
			gr:      schema.GroupResource{Resource: "pods"},
			obj:     &p,
			options: &metav1.ListOptions{},
			want:    "unrecognized type *v1.ListOptions for table options, can't display tabular output",
		},
		{
			name: "object without metadata for the default table",
			gr:   schema.GroupResource{Resource: "limitranges"},
			obj:  &metav1.Status{},
			want: "print limitranges as a table: got *v1.Status, want printers.object",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := TableConvertor(tc.gr).ConvertToTable(context.Background(), tc.obj, tc.options)
			if err == nil || err.Error() != tc.want {
				t.Errorf("error = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestEveryResource prints a zero object of every resource with columns of
// its own: no row function may panic on unset fields, and every row has a
// cell for every column.
func TestEveryResource(t *testing.T) {
	for gr, p := range tables {
		t.Run(gr.String(), func(t *testing.T) {
			// The object type is the second parameter of the printer's cells.
			typ := reflect.ValueOf(p).FieldByName("cells").Type().In(1)
			obj := reflect.New(typ.Elem()).Interface().(runtime.Object)
			table := convert(t, gr, obj, nil)

			if len(table.Rows) != 1 || len(table.Rows[0].Cells) != len(table.ColumnDefinitions) {
				t.Fatalf("%d columns, rows %v", len(table.ColumnDefinitions), table.Rows)
			}
			seen := map[string]bool{}
			for i, c := range table.ColumnDefinitions {
				if seen[c.Name] || c.Priority > 1 || !strings.Contains("string integer boolean date", c.Type) {
					t.Errorf("column %d %+v: duplicate, or bad priority or type", i, c)
				}
				seen[c.Name] = true
			}
			// Events are the one table upstream does not lead with the name.
			first := table.ColumnDefinitions[0]
			if gr.Resource != "events" && (first.Name != "Name" || first.Format != "name") {
				t.Errorf("first column is %+v, want Name", first)
			}
		})
	}
}

// tableConvertor is k8s.io/apiserver's rest.TableConvertor, which the
// registry hands a Convertor to.
type tableConvertor interface {
	ConvertToTable(ctx context.Context, object runtime.Object, tableOptions runtime.Object) (*metav1.Table, error)
}

var _ tableConvertor = Convertor{}
