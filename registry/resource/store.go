package resource

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/storage"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/kubeshim/kubeshim/apis/fieldselector"
	"github.com/kubeshim/kubeshim/apis/printers"
)

// Storage is a resource's REST storage and its subresources.
type Storage struct {
	def    *Definition
	Store  *REST
	Status *StatusREST
	Scale  *ScaleREST
}

// New builds the storage of a resource. gv is the version the kind is
// stored and served at, e.g. "apps/v1".
func New(def Definition, gv string, optsGetter generic.RESTOptionsGetter) (*Storage, error) {
	d := &def
	s := newStrategy(d, gv)
	var create rest.RESTCreateStrategy = s
	var del rest.RESTDeleteStrategy = s
	if d.CheckGracefulDelete != nil {
		del = gracefulStrategy{s}
	}
	table := d.TableConvertor
	if table == nil {
		table = printers.TableConvertor(d.Resource)
	}
	store := &genericregistry.Store{
		NewFunc:                  d.New,
		NewListFunc:              d.NewList,
		DefaultQualifiedResource: d.Resource,
		PredicateFunc:            d.predicate,
		CreateStrategy:           create,
		UpdateStrategy:           s,
		DeleteStrategy:           del,
		ResetFieldsStrategy:      s,
		TableConvertor:           table,
		BeginCreate:              d.BeginCreate,
		BeginUpdate:              d.BeginUpdate,
		AfterDelete:              d.AfterDelete,
		ShouldDeleteDuringUpdate: d.ShouldDeleteDuringUpdate,
		TTLFunc:                  d.TTL,
	}
	store.SingularQualifiedResource = d.Resource
	store.SingularQualifiedResource.Resource = d.Singular
	if err := store.CompleteWithOptions(&generic.StoreOptions{RESTOptions: optsGetter, AttrFunc: d.attrs}); err != nil {
		return nil, fmt.Errorf("storage for %s: %w", d.Resource, err)
	}
	out := &Storage{def: d, Store: &REST{Store: store, def: d}}
	if d.Status {
		status := *store
		ss := newStatusStrategy(d, gv)
		status.UpdateStrategy = ss
		status.ResetFieldsStrategy = ss
		status.CreateStrategy = nil
		status.DeleteStrategy = nil
		status.BeginCreate = nil
		status.BeginUpdate = nil
		out.Status = &StatusREST{store: &status}
	}
	if d.Scale != nil {
		out.Scale = &ScaleREST{store: store, scale: d.Scale, resource: d.Resource}
	}
	return out, nil
}

// Map returns the storage under its paths in an APIGroupInfo, e.g.
// "deployments" and "deployments/status".
func (s *Storage) Map() map[string]rest.Storage {
	m := map[string]rest.Storage{s.def.Resource.Resource: s.Store}
	if s.Status != nil {
		m[s.def.Resource.Resource+"/status"] = s.Status
	}
	if s.Scale != nil {
		m[s.def.Resource.Resource+"/scale"] = s.Scale
	}
	return m
}

func (d *Definition) attrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	accessor := mustAccessor(obj)
	set, err := fieldselector.Set(obj, d.NamespaceScoped, d.Fields)
	if err != nil {
		return nil, nil, err
	}
	return labels.Set(accessor.GetLabels()), set, nil
}

func (d *Definition) predicate(label labels.Selector, field fields.Selector) storage.SelectionPredicate {
	return storage.SelectionPredicate{Label: label, Field: field, GetAttrs: d.attrs}
}

// REST is the main resource.
type REST struct {
	*genericregistry.Store
	def *Definition
}

// ShortNames implements rest.ShortNamesProvider (`kubectl get deploy`).
func (r *REST) ShortNames() []string { return r.def.ShortNames }

// Categories implements rest.CategoriesProvider (`kubectl get all`).
func (r *REST) Categories() []string { return r.def.Categories }

var (
	_ rest.ShortNamesProvider = &REST{}
	_ rest.CategoriesProvider = &REST{}
)

// StatusREST is the status subresource.
type StatusREST struct {
	store *genericregistry.Store
}

// New returns an empty object of the resource's kind.
func (r *StatusREST) New() runtime.Object { return r.store.New() }

// Destroy does nothing: the main resource owns the storage.
func (r *StatusREST) Destroy() {}

// Get returns the object, status and all.
func (r *StatusREST) Get(ctx context.Context, name string, options *metav1.GetOptions) (runtime.Object, error) {
	return r.store.Get(ctx, name, options)
}

// Update changes the status of the object.
func (r *StatusREST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc, updateValidation rest.ValidateObjectUpdateFunc, forceAllowCreate bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	// Subresources never create their object.
	return r.store.Update(ctx, name, objInfo, createValidation, updateValidation, false, options)
}

// GetResetFields implements rest.ResetFieldsStrategy.
func (r *StatusREST) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return r.store.GetResetFields()
}

// ConvertToTable prints the object as the main resource does.
func (r *StatusREST) ConvertToTable(ctx context.Context, object runtime.Object, tableOptions runtime.Object) (*metav1.Table, error) {
	return r.store.ConvertToTable(ctx, object, tableOptions)
}
