package printers

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/duration"
)

// tables holds every resource that has columns of its own. Any other resource
// is printed by defaultTable.
var tables = map[schema.GroupResource]rowPrinter{
	{Resource: "pods"}:                   pods,
	{Resource: "podtemplates"}:           podTemplates,
	{Resource: "replicationcontrollers"}: replicationControllers,
	{Resource: "services"}:               services,
	{Resource: "endpoints"}:              endpoints,
	{Resource: "nodes"}:                  nodes,
	{Resource: "events"}:                 coreEvents,
	{Resource: "namespaces"}:             namespaces,
	{Resource: "secrets"}:                secrets,
	{Resource: "serviceaccounts"}:        serviceAccounts,
	{Resource: "persistentvolumes"}:      persistentVolumes,
	{Resource: "persistentvolumeclaims"}: persistentVolumeClaims,
	{Resource: "configmaps"}:             configMaps,
	{Resource: "resourcequotas"}:         resourceQuotas,

	{Group: "apps", Resource: "deployments"}:         deployments,
	{Group: "apps", Resource: "replicasets"}:         replicaSets,
	{Group: "apps", Resource: "statefulsets"}:        statefulSets,
	{Group: "apps", Resource: "daemonsets"}:          daemonSets,
	{Group: "apps", Resource: "controllerrevisions"}: controllerRevisions,

	{Group: "batch", Resource: "jobs"}:     jobs,
	{Group: "batch", Resource: "cronjobs"}: cronJobs,

	{Group: "autoscaling", Resource: "horizontalpodautoscalers"}: horizontalPodAutoscalers,

	{Group: "networking.k8s.io", Resource: "ingresses"}:       ingresses,
	{Group: "networking.k8s.io", Resource: "ingressclasses"}:  ingressClasses,
	{Group: "networking.k8s.io", Resource: "networkpolicies"}: networkPolicies,
	{Group: "networking.k8s.io", Resource: "servicecidrs"}:    serviceCIDRs,
	{Group: "networking.k8s.io", Resource: "ipaddresses"}:     ipAddresses,

	{Group: "discovery.k8s.io", Resource: "endpointslices"}: endpointSlices,

	{Group: "coordination.k8s.io", Resource: "leases"}: leases,

	{Group: "policy", Resource: "poddisruptionbudgets"}: podDisruptionBudgets,

	{Group: "rbac.authorization.k8s.io", Resource: "rolebindings"}:        roleBindings,
	{Group: "rbac.authorization.k8s.io", Resource: "clusterrolebindings"}: clusterRoleBindings,

	{Group: "scheduling.k8s.io", Resource: "priorityclasses"}: priorityClasses,

	{Group: "node.k8s.io", Resource: "runtimeclasses"}: runtimeClasses,

	{Group: "storage.k8s.io", Resource: "storageclasses"}:          storageClasses,
	{Group: "storage.k8s.io", Resource: "csidrivers"}:              csiDrivers,
	{Group: "storage.k8s.io", Resource: "csinodes"}:                csiNodes,
	{Group: "storage.k8s.io", Resource: "volumeattachments"}:       volumeAttachments,
	{Group: "storage.k8s.io", Resource: "volumeattributesclasses"}: volumeAttributesClasses,

	{Group: "certificates.k8s.io", Resource: "certificatesigningrequests"}: certificateSigningRequests,
	{Group: "certificates.k8s.io", Resource: "clustertrustbundles"}:        clusterTrustBundles,
	{Group: "certificates.k8s.io", Resource: "podcertificaterequests"}:     podCertificateRequests,

	{Group: "admissionregistration.k8s.io", Resource: "mutatingwebhookconfigurations"}:     mutatingWebhookConfigurations,
	{Group: "admissionregistration.k8s.io", Resource: "validatingwebhookconfigurations"}:   validatingWebhookConfigurations,
	{Group: "admissionregistration.k8s.io", Resource: "validatingadmissionpolicies"}:       validatingAdmissionPolicies,
	{Group: "admissionregistration.k8s.io", Resource: "validatingadmissionpolicybindings"}: validatingAdmissionPolicyBindings,

	{Group: "resource.k8s.io", Resource: "deviceclasses"}:          deviceClasses,
	{Group: "resource.k8s.io", Resource: "resourceclaims"}:         resourceClaims,
	{Group: "resource.k8s.io", Resource: "resourceclaimtemplates"}: resourceClaimTemplates,
	{Group: "resource.k8s.io", Resource: "resourceslices"}:         resourceSlices,
	{Group: "resource.k8s.io", Resource: "devicetaintrules"}:       deviceTaintRules,
}

// TableConvertor returns the table convertor for a resource. A resource
// without columns of its own (roles, clusterroles, limitranges and
// csistoragecapacities upstream too) gets upstream's default: Name and
// Created At.
func TableConvertor(gr schema.GroupResource) Convertor {
	p, ok := tables[gr]
	if !ok {
		p = defaultTable
	}
	return Convertor{resource: gr, printer: p, now: time.Now}
}

// Convertor converts a resource's objects and lists into Tables. It is
// k8s.io/apiserver's rest.TableConvertor; only TableConvertor makes a usable
// one.
type Convertor struct {
	resource schema.GroupResource
	printer  rowPrinter
	// now is read once per table, so that every AGE in it is measured from
	// the same instant; tests fix it.
	now func() time.Time
}

// ConvertToTable prints object, a single object or a list of the resource.
// Rows carry the cells of every column, whatever its priority, and the
// object itself; the apiserver strips or keeps the objects as the request's
// includeObject asks.
func (c Convertor) ConvertToTable(_ context.Context, object runtime.Object, tableOptions runtime.Object) (*metav1.Table, error) {
	noHeaders := false
	switch o := tableOptions.(type) {
	case nil:
	case *metav1.TableOptions:
		noHeaders = o != nil && o.NoHeaders
	default:
		return nil, fmt.Errorf("unrecognized type %T for table options, can't display tabular output", tableOptions)
	}

	objs := []runtime.Object{object}
	isList := meta.IsListType(object)
	if isList {
		var err error
		if objs, err = meta.ExtractList(object); err != nil {
			return nil, fmt.Errorf("extract items of %T: %w", object, err)
		}
	}
	rows, err := c.printer.rows(clock{now: c.now()}, objs, isList)
	if err != nil {
		return nil, fmt.Errorf("print %s as a table: %w", c.resource, err)
	}

	table := &metav1.Table{Rows: rows}
	if m, err := meta.ListAccessor(object); err == nil {
		table.ResourceVersion = m.GetResourceVersion()
		table.Continue = m.GetContinue()
		table.RemainingItemCount = m.GetRemainingItemCount()
	} else if m, err := meta.CommonAccessor(object); err == nil {
		table.ResourceVersion = m.GetResourceVersion()
	}
	if !noHeaders {
		// A copy: the caller owns the table it gets back.
		table.ColumnDefinitions = slices.Clone(c.printer.columns())
	}
	return table, nil
}

// rowPrinter is a printer[T] with T erased, so that one map holds them all.
type rowPrinter interface {
	columns() []metav1.TableColumnDefinition
	// rows prints objs, the items of a list when isList.
	rows(c clock, objs []runtime.Object, isList bool) ([]metav1.TableRow, error)
}

// printer declares the table of a resource whose objects are T (a pointer to
// a k8s.io/api type).
type printer[T runtime.Object] struct {
	header []metav1.TableColumnDefinition
	// cells returns one cell per column of header, every priority, in order.
	cells func(c clock, obj T) []any
	// conditions, when set, marks a row, as upstream marks finished pods
	// with RowCompleted.
	conditions func(obj T) []metav1.TableRowCondition
	// listCells, when set, is what prints the items of a list, for a cell
	// that depends on the other items (the default storage class is the
	// newest of those that claim to be). A single object is printed by cells.
	listCells func(items []T) func(c clock, obj T) []any
}

func (p printer[T]) columns() []metav1.TableColumnDefinition { return p.header }

func (p printer[T]) rows(c clock, objs []runtime.Object, isList bool) ([]metav1.TableRow, error) {
	items := make([]T, 0, len(objs))
	for _, o := range objs {
		obj, ok := o.(T)
		if !ok {
			return nil, fmt.Errorf("got %T, want %v", o, reflect.TypeFor[T]())
		}
		items = append(items, obj)
	}
	cells := p.cells
	if isList && p.listCells != nil {
		cells = p.listCells(items)
	}
	// Never nil: an empty list is "rows": [] on the wire, as upstream sends.
	rows := make([]metav1.TableRow, 0, len(items))
	for _, obj := range items {
		row := metav1.TableRow{Cells: cells(c, obj), Object: runtime.RawExtension{Object: obj}}
		if p.conditions != nil {
			row.Conditions = p.conditions(obj)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// object is any served object: what the default table needs of it.
type object interface {
	runtime.Object
	metav1.Object
}

// defaultTable is k8s.io/apiserver's rest.NewDefaultTableConvertor.
var defaultTable = printer[object]{
	header: []metav1.TableColumnDefinition{
		nameColumn,
		{Name: "Created At", Type: "date", Description: metaDoc["creationTimestamp"]},
	},
	cells: func(_ clock, obj object) []any {
		return []any{obj.GetName(), obj.GetCreationTimestamp().UTC().Format(time.RFC3339)}
	},
}

var metaDoc = metav1.ObjectMeta{}.SwaggerDoc()

// The columns most resources share.
var (
	nameColumn       = metav1.TableColumnDefinition{Name: "Name", Type: "string", Format: "name", Description: metaDoc["name"]}
	ageColumn        = text("Age", metaDoc["creationTimestamp"])
	containersColumn = wide(text("Containers", "Names of each container in the template."))
	imagesColumn     = wide(text("Images", "Images referenced by each container in the template."))
)

// text, integer and boolean declare a column by the type of its cells:
// string, int64 and bool.
func text(name, description string) metav1.TableColumnDefinition {
	return metav1.TableColumnDefinition{Name: name, Type: "string", Description: description}
}

func integer(name, description string) metav1.TableColumnDefinition {
	return metav1.TableColumnDefinition{Name: name, Type: "integer", Description: description}
}

func boolean(name, description string) metav1.TableColumnDefinition {
	return metav1.TableColumnDefinition{Name: name, Type: "boolean", Description: description}
}

// wide makes a column one that kubectl shows only with -o wide.
func wide(c metav1.TableColumnDefinition) metav1.TableColumnDefinition {
	c.Priority = 1
	return c
}

// clock is the instant a table is printed at.
type clock struct{ now time.Time }

// since is how long before now t was, as upstream's AGE prints it.
func (c clock) since(t metav1.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(c.now.Sub(t.Time))
}

func (c clock) sinceMicro(t metav1.MicroTime) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(c.now.Sub(t.Time))
}

// containerCells are the Containers and Images cells of a pod template.
func containerCells(containers []corev1.Container) (names, images string) {
	n := make([]string, len(containers))
	i := make([]string, len(containers))
	for k, c := range containers {
		n[k], i[k] = c.Name, c.Image
	}
	return strings.Join(n, ","), strings.Join(i, ",")
}

// firstOf is the first n of values, and how many more there are; "<unset>"
// for none.
func firstOf(values []string, n int) string {
	if len(values) > n {
		return fmt.Sprintf("%s + %d more...", strings.Join(values[:n], ","), len(values)-n)
	}
	if len(values) == 0 {
		return "<unset>"
	}
	return strings.Join(values, ",")
}

// boolPtr prints an optional bool as upstream's printBoolPtr does.
func boolPtr(b *bool) string {
	switch {
	case b == nil:
		return "<unset>"
	case *b:
		return "True"
	default:
		return "False"
	}
}

// loadBalancerAddresses is the sorted, distinct IPs (or else hostnames) of a
// load balancer's ingress points. Upstream clips it to 16 characters only for
// client-side printing; the server always prints it whole.
func loadBalancerAddresses(ipOrHostname []string) string {
	var out []string
	for _, a := range ipOrHostname {
		if a != "" {
			out = append(out, a)
		}
	}
	slices.Sort(out)
	return strings.Join(slices.Compact(out), ",")
}
