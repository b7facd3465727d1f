package resource

import (
	"context"
	"reflect"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/storage/names"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/kubeshim/kubeshim/apis/scheme"
)

// strategy applies the common rules and then the Definition's own.
type strategy struct {
	runtime.ObjectTyper
	names.NameGenerator
	def *Definition
	// resetFields are the fields a request through this strategy cannot set.
	resetFields map[fieldpath.APIVersion]*fieldpath.Set
}

func newStrategy(def *Definition, gv string) strategy {
	s := strategy{ObjectTyper: scheme.Scheme, NameGenerator: names.SimpleNameGenerator, def: def}
	if def.Status {
		s.resetFields = resetAt(def, gv, "status")
	}
	return s
}

// resetAt names path as not settable at every version the resource is
// served at: server-side apply must not record a spec manager as owning
// status through whichever version it applied.
func resetAt(def *Definition, gv, path string) map[fieldpath.APIVersion]*fieldpath.Set {
	m := map[fieldpath.APIVersion]*fieldpath.Set{}
	for _, v := range append([]string{gv}, def.AlsoServedAt...) {
		m[fieldpath.APIVersion(v)] = fieldpath.NewSet(fieldpath.MakePathOrDie(path))
	}
	return m
}

func (s strategy) NamespaceScoped() bool { return s.def.NamespaceScoped }

func (s strategy) PrepareForCreate(ctx context.Context, obj runtime.Object) {
	if s.def.Status && !s.def.KeepStatusOnCreate {
		setField(obj, "Status", reflect.Value{})
	}
	if hasField(obj, "Spec") {
		mustAccessor(obj).SetGeneration(1)
	}
	if s.def.PrepareForCreate != nil {
		s.def.PrepareForCreate(ctx, obj)
	}
}

func (s strategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	if s.def.Status {
		setField(obj, "Status", fieldOf(old, "Status"))
	}
	bumpGeneration(obj, old)
	if s.def.PrepareForUpdate != nil {
		s.def.PrepareForUpdate(ctx, obj, old)
	}
}

func (s strategy) Validate(ctx context.Context, obj runtime.Object) field.ErrorList {
	if s.def.Validate != nil {
		return s.def.Validate(ctx, obj)
	}
	return apivalidation.ValidateObjectMetaAccessor(mustAccessor(obj), s.def.NamespaceScoped,
		apivalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
}

func (s strategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	if s.def.ValidateUpdate != nil {
		return s.def.ValidateUpdate(ctx, obj, old)
	}
	return s.Validate(ctx, obj)
}

func (strategy) WarningsOnCreate(context.Context, runtime.Object) []string { return nil }
func (strategy) WarningsOnUpdate(context.Context, runtime.Object, runtime.Object) []string {
	return nil
}
func (strategy) Canonicalize(runtime.Object)                {}
func (s strategy) AllowCreateOnUpdate(context.Context) bool { return s.def.AllowCreateOnUpdate }
func (s strategy) AllowUnconditionalUpdate(context.Context) bool {
	return !s.def.RequireResourceVersion
}
func (s strategy) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set { return s.resetFields }

// gracefulStrategy is a strategy for kinds that delete gracefully (pods).
type gracefulStrategy struct{ strategy }

func (s gracefulStrategy) CheckGracefulDelete(ctx context.Context, obj runtime.Object, options *metav1.DeleteOptions) bool {
	return s.def.CheckGracefulDelete(ctx, obj, options)
}

// statusStrategy is the strategy of the status subresource: it changes the
// status and the metadata, never the spec.
type statusStrategy struct{ strategy }

func newStatusStrategy(def *Definition, gv string) statusStrategy {
	s := statusStrategy{newStrategy(def, gv)}
	s.resetFields = resetAt(def, gv, "spec")
	return s
}

func (s statusStrategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	// Everything but metadata and status comes from the stored object:
	// clients such as controllers send whole objects read a while ago.
	keep := reflect.ValueOf(old).Elem()
	v := reflect.ValueOf(obj).Elem()
	for i := 0; i < v.NumField(); i++ {
		switch v.Type().Field(i).Name {
		case "TypeMeta", "ObjectMeta", "Status":
			continue
		}
		v.Field(i).Set(keep.Field(i))
	}
	if s.def.PrepareForStatusUpdate != nil {
		s.def.PrepareForStatusUpdate(ctx, obj, old)
	}
}

func (s statusStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	if s.def.ValidateStatusUpdate != nil {
		return s.def.ValidateStatusUpdate(ctx, obj, old)
	}
	return nil
}

// bumpGeneration sets the new object's generation: the stored one, plus one
// when the spec changed.
func bumpGeneration(obj, old runtime.Object) {
	if !hasField(obj, "Spec") {
		return
	}
	gen := mustAccessor(old).GetGeneration()
	if !apiequality.Semantic.DeepEqual(fieldOf(obj, "Spec").Interface(), fieldOf(old, "Spec").Interface()) {
		gen++
	}
	mustAccessor(obj).SetGeneration(gen)
}

func hasField(obj runtime.Object, name string) bool {
	return reflect.ValueOf(obj).Elem().FieldByName(name).IsValid()
}

func fieldOf(obj runtime.Object, name string) reflect.Value {
	return reflect.ValueOf(obj).Elem().FieldByName(name)
}

// setField sets a struct field of obj to v, or to its zero value when v is
// not valid. Kinds without the field are left alone.
func setField(obj runtime.Object, name string, v reflect.Value) {
	f := reflect.ValueOf(obj).Elem().FieldByName(name)
	if !f.IsValid() {
		return
	}
	if !v.IsValid() {
		f.Set(reflect.Zero(f.Type()))
		return
	}
	f.Set(v)
}

// mustAccessor returns the object's metadata. Every stored kind has
// ObjectMeta, so an error here is a programming error in a Definition.
func mustAccessor(obj runtime.Object) metav1.Object {
	a, err := meta.Accessor(obj)
	if err != nil {
		panic(err)
	}
	return a
}

var _ rest.RESTCreateStrategy = strategy{}
