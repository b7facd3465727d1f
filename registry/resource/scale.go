package resource

import (
	"context"
	"fmt"
	"reflect"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	"k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
)

// ScaleREST is the scale subresource: an autoscaling/v1 Scale view of the
// object's replica counts.
type ScaleREST struct {
	store    *genericregistry.Store
	scale    *Scale
	resource schema.GroupResource
}

var (
	_ rest.Patcher                  = &ScaleREST{}
	_ rest.GroupVersionKindProvider = &ScaleREST{}
)

// GroupVersionKind is autoscaling/v1 Scale whatever the parent's group.
func (r *ScaleREST) GroupVersionKind(schema.GroupVersion) schema.GroupVersionKind {
	return autoscalingv1.SchemeGroupVersion.WithKind("Scale")
}

// New returns an empty Scale.
func (r *ScaleREST) New() runtime.Object { return &autoscalingv1.Scale{} }

// Destroy does nothing: the main resource owns the storage.
func (r *ScaleREST) Destroy() {}

// Get returns the scale of the named object.
func (r *ScaleREST) Get(ctx context.Context, name string, options *metav1.GetOptions) (runtime.Object, error) {
	obj, err := r.store.Get(ctx, name, options)
	if err != nil {
		return nil, err
	}
	return r.toScale(obj)
}

// Update sets the object's desired replicas from a Scale.
func (r *ScaleREST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc, updateValidation rest.ValidateObjectUpdateFunc, forceAllowCreate bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	info := &scaleUpdate{r: r, name: name, req: objInfo}
	obj, _, err := r.store.Update(ctx, name, info,
		func(ctx context.Context, obj runtime.Object) error {
			if createValidation == nil {
				return nil
			}
			scale, err := r.toScale(obj)
			if err != nil {
				return err
			}
			return createValidation(ctx, scale)
		},
		func(ctx context.Context, obj, old runtime.Object) error {
			if updateValidation == nil {
				return nil
			}
			scale, err := r.toScale(obj)
			if err != nil {
				return err
			}
			oldScale, err := r.toScale(old)
			if err != nil {
				return err
			}
			return updateValidation(ctx, scale, oldScale)
		}, false, options)
	if err != nil {
		return nil, false, err
	}
	scale, err := r.toScale(obj)
	return scale, false, err
}

// ConvertToTable prints a Scale with the default columns.
func (r *ScaleREST) ConvertToTable(ctx context.Context, object runtime.Object, tableOptions runtime.Object) (*metav1.Table, error) {
	return rest.NewDefaultTableConvertor(r.resource).ConvertToTable(ctx, object, tableOptions)
}

func (r *ScaleREST) toScale(obj runtime.Object) (*autoscalingv1.Scale, error) {
	accessor := mustAccessor(obj)
	selector, err := r.scale.Selector(obj)
	if err != nil {
		return nil, err
	}
	s := &autoscalingv1.Scale{
		ObjectMeta: metav1.ObjectMeta{
			Name:              accessor.GetName(),
			Namespace:         accessor.GetNamespace(),
			UID:               accessor.GetUID(),
			ResourceVersion:   accessor.GetResourceVersion(),
			CreationTimestamp: accessor.GetCreationTimestamp(),
		},
		Status: autoscalingv1.ScaleStatus{Replicas: int32(fieldOf(obj, "Status").FieldByName("Replicas").Int())},
	}
	if p := specReplicas(obj); !p.IsNil() {
		s.Spec.Replicas = int32(p.Elem().Int())
	}
	if selector != nil {
		sel, err := metav1.LabelSelectorAsSelector(selector)
		if err != nil {
			return nil, fmt.Errorf("selector of %s: %w", accessor.GetName(), err)
		}
		s.Status.Selector = sel.String()
	}
	return s, nil
}

// scaleUpdate turns the Scale a client sent into an update of the object.
type scaleUpdate struct {
	r    *ScaleREST
	name string
	req  rest.UpdatedObjectInfo
}

func (i *scaleUpdate) Preconditions() *metav1.Preconditions { return i.req.Preconditions() }

func (i *scaleUpdate) UpdatedObject(ctx context.Context, oldObj runtime.Object) (runtime.Object, error) {
	if oldObj == nil {
		return nil, errors.NewNotFound(i.r.resource, i.name)
	}
	obj := oldObj.DeepCopyObject()
	oldScale, err := i.r.toScale(obj)
	if err != nil {
		return nil, err
	}
	updated, err := i.req.UpdatedObject(ctx, oldScale)
	if err != nil {
		return nil, err
	}
	scale, ok := updated.(*autoscalingv1.Scale)
	if !ok {
		return nil, errors.NewBadRequest(fmt.Sprintf("expected a Scale, got %T", updated))
	}
	if scale.Spec.Replicas < 0 {
		return nil, errors.NewInvalid(autoscalingv1.SchemeGroupVersion.WithKind("Scale").GroupKind(), i.name, field.ErrorList{
			field.Invalid(field.NewPath("spec", "replicas"), scale.Spec.Replicas, "must be greater than or equal to 0"),
		})
	}
	replicas := scale.Spec.Replicas
	specReplicas(obj).Set(reflect.ValueOf(&replicas))
	accessor := mustAccessor(obj)
	// The client's resourceVersion is the precondition: a Scale read before
	// another change of the object conflicts.
	accessor.SetResourceVersion(scale.ResourceVersion)
	return obj, nil
}

// specReplicas is the object's spec.replicas field, a *int32.
func specReplicas(obj runtime.Object) reflect.Value {
	return fieldOf(obj, "Spec").FieldByName("Replicas")
}
