package metrics

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	corev1listers "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"
	clocktesting "k8s.io/utils/clock/testing"
)

var served = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// restScraper is a Scraper over fixed nodes and pods, with two batches stored: every
// node but "new" and every pod but "pending" have metrics.
func restScraper(t *testing.T) *Scraper {
	t.Helper()
	nodes := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
	pods := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	for _, n := range []struct {
		name string
		zone string
	}{{"b", "east"}, {"a", "west"}, {"c", "east"}, {"new", "east"}} {
		nodes.Add(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: n.name, Labels: map[string]string{"zone": n.zone}}})
	}
	for _, p := range []struct{ ns, name, app string }{
		{"default", "web-2", "web"}, {"default", "web-1", "web"}, {"default", "db", "db"},
		{"other", "web-1", "web"}, {"default", "pending", "web"},
	} {
		pods.Add(&metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Namespace: p.ns, Name: p.name, Labels: map[string]string{"app": p.app}}})
	}
	s := &Scraper{
		nodes: corev1listers.NewNodeLister(nodes),
		pods:  cache.NewGenericLister(pods, corev1.Resource("pods")),
		clock: clocktesting.NewFakeClock(served),
		store: newStore(15 * time.Second),
	}
	for i, sec := range []float64{0, 10} {
		b := newBatch()
		for j, n := range []string{"a", "b", "c"} {
			b.nodes[n] = point{time: t0.Add(time.Duration(sec) * time.Second), cpu: uint64(float64(j+1) * sec * 1e9), memory: uint64(j+1) << 30}
		}
		if i == 1 {
			b.nodes["new"] = point{time: t0.Add(10 * time.Second), cpu: 1, memory: 1}
		}
		for _, ref := range []types.NamespacedName{
			{Namespace: "default", Name: "web-1"}, {Namespace: "default", Name: "web-2"},
			{Namespace: "default", Name: "db"}, {Namespace: "other", Name: "web-1"},
		} {
			b.pods[ref] = map[string]point{
				"app":     {start: t0.Add(-time.Hour), time: t0.Add(time.Duration(sec) * time.Second), cpu: uint64(sec * 0.25e9), memory: 32 << 20},
				"sidecar": {start: t0.Add(-time.Hour), time: t0.Add(time.Duration(sec) * time.Second), cpu: uint64(sec * 0.05e9), memory: 16 << 20},
			}
		}
		s.store.add(b)
	}
	return s
}

func listOptions(t *testing.T, labelSelector, fieldSelector string) *metainternalversion.ListOptions {
	t.Helper()
	o := &metainternalversion.ListOptions{}
	var err error
	if o.LabelSelector, err = labels.Parse(labelSelector); err != nil {
		t.Fatal(err)
	}
	if o.FieldSelector, err = fields.ParseSelector(fieldSelector); err != nil {
		t.Fatal(err)
	}
	return o
}

func TestNodeMetricsGet(t *testing.T) {
	r := &nodeREST{s: restScraper(t)}
	got, err := r.Get(context.Background(), "b", &metav1.GetOptions{})
	if err != nil {
		t.Fatalf("Get(b): %v", err)
	}
	want := &metricsv1beta1.NodeMetrics{
		ObjectMeta: metav1.ObjectMeta{Name: "b", Labels: map[string]string{"zone": "east"}, CreationTimestamp: metav1.NewTime(served)},
		Timestamp:  metav1.NewTime(t0.Add(10 * time.Second)),
		Window:     metav1.Duration{Duration: 10 * time.Second},
		Usage:      corev1.ResourceList{corev1.ResourceCPU: quantity(2e9, "DecimalSI", -9), corev1.ResourceMemory: quantity(2<<30, "BinarySI", 0)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Get(b) (-want +got):\n%s", diff)
	}

	for _, tc := range []struct{ name, wantMessage string }{
		{"new", `nodemetrics.metrics.k8s.io "new" not found`},
		{"gone", `node "gone" not found`},
	} {
		_, err := r.Get(context.Background(), tc.name, &metav1.GetOptions{})
		if !apierrors.IsNotFound(err) || err.Error() != tc.wantMessage {
			t.Errorf("Get(%s) = %v, want NotFound %q", tc.name, err, tc.wantMessage)
		}
	}
}

func TestNodeMetricsList(t *testing.T) {
	r := &nodeREST{s: restScraper(t)}
	for _, tc := range []struct {
		name, labels, fields string
		want                 []string
	}{
		{name: "all, by name, without the node lacking a second sample", want: []string{"a", "b", "c"}},
		{name: "label selector", labels: "zone=east", want: []string{"b", "c"}},
		{name: "field selector", fields: "metadata.name=c", want: []string{"c"}},
		{name: "field selector excluding", fields: "metadata.name!=c", want: []string{"a", "b"}},
		{name: "nothing matches", labels: "zone=north", want: []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obj, err := r.List(context.Background(), listOptions(t, tc.labels, tc.fields))
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			got := []string{}
			for _, m := range obj.(*metricsv1beta1.NodeMetricsList).Items {
				got = append(got, m.Name)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("List (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPodMetricsGet(t *testing.T) {
	r := &podREST{s: restScraper(t)}
	ctx := genericapirequest.WithNamespace(context.Background(), "default")
	got, err := r.Get(ctx, "web-1", &metav1.GetOptions{})
	if err != nil {
		t.Fatalf("Get(web-1): %v", err)
	}
	want := &metricsv1beta1.PodMetrics{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web-1", Labels: map[string]string{"app": "web"}, CreationTimestamp: metav1.NewTime(served)},
		Timestamp:  metav1.NewTime(t0.Add(10 * time.Second)),
		Window:     metav1.Duration{Duration: 10 * time.Second},
		Containers: []metricsv1beta1.ContainerMetrics{
			{Name: "app", Usage: corev1.ResourceList{corev1.ResourceCPU: quantity(250e6, "DecimalSI", -9), corev1.ResourceMemory: quantity(32<<20, "BinarySI", 0)}},
			{Name: "sidecar", Usage: corev1.ResourceList{corev1.ResourceCPU: quantity(50e6, "DecimalSI", -9), corev1.ResourceMemory: quantity(16<<20, "BinarySI", 0)}},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Get(web-1) (-want +got):\n%s", diff)
	}
	for _, tc := range []struct{ ns, name, wantMessage string }{
		{"default", "pending", `podmetrics.metrics.k8s.io "default/pending" not found`},
		{"default", "gone", `pods "gone" not found`},
		{"other", "db", `pods "db" not found`},
	} {
		_, err := r.Get(genericapirequest.WithNamespace(context.Background(), tc.ns), tc.name, &metav1.GetOptions{})
		if !apierrors.IsNotFound(err) || err.Error() != tc.wantMessage {
			t.Errorf("Get(%s/%s) = %v, want NotFound %q", tc.ns, tc.name, err, tc.wantMessage)
		}
	}
}

func TestPodMetricsList(t *testing.T) {
	r := &podREST{s: restScraper(t)}
	for _, tc := range []struct {
		name, namespace, labels, fields string
		want                            []string
	}{
		{name: "one namespace, by name", namespace: "default", want: []string{"default/db", "default/web-1", "default/web-2"}},
		{name: "all namespaces", want: []string{"default/db", "default/web-1", "default/web-2", "other/web-1"}},
		{name: "label selector, as the HPA lists", namespace: "default", labels: "app=web", want: []string{"default/web-1", "default/web-2"}},
		{name: "field selector on the name", fields: "metadata.name=web-1", want: []string{"default/web-1", "other/web-1"}},
		{name: "field selector on the namespace", fields: "metadata.namespace=other", want: []string{"other/web-1"}},
		{name: "empty namespace", namespace: "none", want: []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := genericapirequest.WithNamespace(context.Background(), tc.namespace)
			obj, err := r.List(ctx, listOptions(t, tc.labels, tc.fields))
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			got := []string{}
			for _, m := range obj.(*metricsv1beta1.PodMetricsList).Items {
				got = append(got, m.Namespace+"/"+m.Name)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("List (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTables(t *testing.T) {
	s := restScraper(t)
	ctx := genericapirequest.WithNamespace(context.Background(), "default")
	columns := []metav1.TableColumnDefinition{
		{Name: "Name", Type: "string", Format: "name", Description: "Name of the resource"},
		{Name: "cpu", Type: "string", Format: "quantity"},
		{Name: "memory", Type: "string", Format: "quantity"},
		{Name: "Window", Type: "string", Format: "duration"},
	}
	cells := func(tbl *metav1.Table) [][]any {
		var out [][]any
		for _, r := range tbl.Rows {
			out = append(out, r.Cells)
		}
		return out
	}
	for _, tc := range []struct {
		name      string
		table     func() (*metav1.Table, error)
		want      [][]any
		noColumns bool
	}{{
		name: "node list",
		table: func() (*metav1.Table, error) {
			r := &nodeREST{s: s}
			obj, _ := r.List(ctx, nil)
			return r.ConvertToTable(ctx, obj, nil)
		},
		want: [][]any{{"a", "1", "1Gi", "10s"}, {"b", "2", "2Gi", "10s"}, {"c", "3", "3Gi", "10s"}},
	}, {
		name: "one node",
		table: func() (*metav1.Table, error) {
			r := &nodeREST{s: s}
			obj, _ := r.Get(ctx, "a", nil)
			return r.ConvertToTable(ctx, obj, nil)
		},
		want: [][]any{{"a", "1", "1Gi", "10s"}},
	}, {
		name: "pods: the sum of the containers",
		table: func() (*metav1.Table, error) {
			r := &podREST{s: s}
			obj, _ := r.List(ctx, listOptions(t, "app=web", ""))
			return r.ConvertToTable(ctx, obj, nil)
		},
		want: [][]any{{"web-1", "300m", "48Mi", "10s"}, {"web-2", "300m", "48Mi", "10s"}},
	}, {
		name: "an empty list has no columns",
		table: func() (*metav1.Table, error) {
			r := &podREST{s: s}
			return r.ConvertToTable(ctx, &metricsv1beta1.PodMetricsList{}, nil)
		},
		noColumns: true,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			tbl, err := tc.table()
			if err != nil {
				t.Fatalf("ConvertToTable: %v", err)
			}
			if tc.noColumns {
				if len(tbl.ColumnDefinitions) != 0 || len(tbl.Rows) != 0 {
					t.Errorf("table = %+v, want no columns and no rows", tbl)
				}
				return
			}
			if diff := cmp.Diff(columns, tbl.ColumnDefinitions); diff != "" {
				t.Errorf("columns (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want, cells(tbl)); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
			for _, r := range tbl.Rows {
				if r.Object.Object == nil {
					t.Errorf("row %v has no object", r.Cells)
				}
			}
		})
	}
	if _, err := (&nodeREST{s: s}).ConvertToTable(ctx, &corev1.Pod{}, nil); err == nil {
		t.Error("ConvertToTable(Pod) succeeded, want an error")
	}
}
