package resource

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/kubeshim/kubeshim/apis/fieldselector"
)

// Definition is what one resource declares about itself.
type Definition struct {
	// Resource is the group and plural name, e.g. {Group: "apps", Resource: "deployments"}.
	Resource schema.GroupResource
	// Singular is the singular name, e.g. "deployment".
	Singular        string
	NamespaceScoped bool
	New             func() runtime.Object
	NewList         func() runtime.Object
	ShortNames      []string
	Categories      []string

	// Validate is the kind's validation on create. Without it, the name must
	// be a DNS subdomain, the rule of most kinds.
	Validate func(ctx context.Context, obj runtime.Object) field.ErrorList
	// ValidateUpdate is the kind's validation on update. Without it, the new
	// object is validated as on create.
	ValidateUpdate func(ctx context.Context, obj, old runtime.Object) field.ErrorList
	// ValidateStatusUpdate validates an update through the status
	// subresource. Without it, status updates are not validated beyond
	// metadata.
	ValidateStatusUpdate func(ctx context.Context, obj, old runtime.Object) field.ErrorList

	// PrepareForCreate runs after the common create rules.
	PrepareForCreate func(ctx context.Context, obj runtime.Object)
	// PrepareForUpdate runs after the common update rules.
	PrepareForUpdate func(ctx context.Context, obj, old runtime.Object)
	// PrepareForStatusUpdate runs after the common status update rules.
	PrepareForStatusUpdate func(ctx context.Context, obj, old runtime.Object)

	// AlsoServedAt are other group versions the same storage is served at
	// (registry/apiserver's aliases), e.g. "autoscaling/v1" for HPAs stored
	// at v2: the status split covers requests through them too.
	AlsoServedAt []string

	// Status serves a status subresource: the main resource then keeps the
	// stored status and the subresource changes nothing else.
	Status bool
	// KeepStatusOnCreate keeps the status a create request brings (nodes:
	// the agent registers its node with its status).
	KeepStatusOnCreate bool
	// Scale serves a scale subresource.
	Scale *Scale

	// Fields are the kind's selectable fields beyond metadata.name and
	// metadata.namespace.
	Fields fieldselector.Func

	// RequireResourceVersion refuses an update without
	// metadata.resourceVersion (422, "must be specified for an update"), as
	// upstream's strategies whose AllowUnconditionalUpdate is false do
	// (admission configuration, leases, disruption budgets, CSI objects,
	// ...): the last writer may not silently win.
	RequireResourceVersion bool
	// AllowCreateOnUpdate lets a PUT create the object (upstream allows it
	// for a few kinds: leases, endpoints, events...).
	AllowCreateOnUpdate bool
	// CheckGracefulDelete, if set, decides a graceful deletion as
	// rest.RESTGracefulDeleteStrategy does.
	CheckGracefulDelete func(ctx context.Context, obj runtime.Object, options *metav1.DeleteOptions) bool
	// TableConvertor prints the kind for `kubectl get`; the default is
	// upstream's per-resource columns from apis/printers.
	TableConvertor rest.TableConvertor

	// BeginCreate, BeginUpdate and AfterDelete are genericregistry.Store's
	// hooks of the same names, for the rare kind whose objects hold
	// something outside themselves (services: cluster IPs and node ports).
	// BeginCreate and BeginUpdate run on the main resource only, before the
	// strategy's Prepare and Validate; AfterDelete runs after a deletion
	// through the main resource or through the status subresource (an
	// update there that removes the last finalizer deletes the object).
	BeginCreate genericregistry.BeginCreateFunc
	BeginUpdate genericregistry.BeginUpdateFunc
	AfterDelete genericregistry.AfterDeleteFunc
	// TTL, if set, is how long etcd keeps an object after its last write
	// (genericregistry.Store's TTLFunc): events expire.
	TTL func(obj runtime.Object, existing uint64, update bool) (uint64, error)
	// ShouldDeleteDuringUpdate decides, for every store of the resource
	// (main and subresources), whether an update that leaves a deleted
	// object without finalizers deletes it. The default is
	// genericregistry's: metadata.finalizers empty. Namespaces also wait
	// for spec.finalizers.
	ShouldDeleteDuringUpdate func(ctx context.Context, key string, obj, existing runtime.Object) bool
}

// Scale serves a scale subresource over spec.replicas (a *int32) and
// status.replicas (an int32), the fields every scalable kind has.
type Scale struct {
	// Selector is the label selector of the kind's pods, for the scale's
	// status.selector.
	Selector func(obj runtime.Object) (*metav1.LabelSelector, error)
}
