package namespace

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/storage"

	"github.com/kubeshim/kubeshim/registry/resource"
)

// NewStorage returns namespaces, namespaces/status and namespaces/finalize.
func NewStorage(optsGetter generic.RESTOptionsGetter) (map[string]rest.Storage, error) {
	def := Definition()
	// A namespace being deleted goes when its last finalizer, of metadata
	// or of spec, does; through whichever subresource removes it.
	def.ShouldDeleteDuringUpdate = func(ctx context.Context, key string, obj, existing runtime.Object) bool {
		return len(obj.(*corev1.Namespace).Spec.Finalizers) == 0 && genericregistry.ShouldDeleteDuringUpdate(ctx, key, obj, existing)
	}
	s, err := resource.New(def, "v1", optsGetter)
	if err != nil {
		return nil, err
	}
	store := s.Store.Store
	m := s.Map()
	m["namespaces"] = &REST{REST: s.Store}
	finalize := *store
	finalize.UpdateStrategy = finalizeStrategy{store.UpdateStrategy}
	finalize.ResetFieldsStrategy = nil
	m["namespaces/finalize"] = &FinalizeREST{store: &finalize}
	return m, nil
}

// REST is the namespaces resource, whose deletion is two-phased.
type REST struct{ *resource.REST }

// Delete marks the namespace Terminating. The namespace controller empties
// it and removes the "kubernetes" finalizer through the finalize
// subresource, then deletes it again; only a namespace without spec
// finalizers is removed from storage.
func (r *REST) Delete(ctx context.Context, name string, deleteValidation rest.ValidateObjectFunc, options *metav1.DeleteOptions) (runtime.Object, bool, error) {
	obj, err := r.Get(ctx, name, &metav1.GetOptions{})
	if err != nil {
		return nil, false, err
	}
	ns := obj.(*corev1.Namespace)
	if options == nil {
		options = metav1.NewDeleteOptions(0)
	}
	if options.Preconditions == nil {
		options.Preconditions = &metav1.Preconditions{}
	}
	if options.Preconditions.UID == nil {
		options.Preconditions.UID = &ns.UID
	} else if *options.Preconditions.UID != ns.UID {
		return nil, false, apierrors.NewConflict(corev1.Resource("namespaces"), name,
			fmt.Errorf("Precondition failed: UID in precondition: %v, UID in object meta: %v", *options.Preconditions.UID, ns.UID))
	}
	if rv := options.Preconditions.ResourceVersion; rv != nil && *rv != ns.ResourceVersion {
		return nil, false, apierrors.NewConflict(corev1.Resource("namespaces"), name,
			fmt.Errorf("Precondition failed: ResourceVersion in precondition: %v, ResourceVersion in object meta: %v", *rv, ns.ResourceVersion))
	}
	if !ns.DeletionTimestamp.IsZero() {
		if len(ns.Spec.Finalizers) != 0 {
			return ns, false, nil
		}
		return r.REST.Delete(ctx, name, deleteValidation, options)
	}

	key, err := r.KeyFunc(ctx, name)
	if err != nil {
		return nil, false, err
	}
	out := r.NewFunc()
	preconditions := &storage.Preconditions{UID: options.Preconditions.UID, ResourceVersion: options.Preconditions.ResourceVersion}
	err = r.Storage.GuaranteedUpdate(ctx, key, out, false, preconditions,
		storage.SimpleUpdate(func(existing runtime.Object) (runtime.Object, error) {
			ns := existing.(*corev1.Namespace)
			if err := deleteValidation(ctx, ns); err != nil {
				return nil, err
			}
			if ns.DeletionTimestamp.IsZero() {
				now := metav1.Now()
				ns.DeletionTimestamp = &now
			}
			ns.Status.Phase = corev1.NamespaceTerminating
			ns.Finalizers = gcFinalizers(ns.Finalizers, options)
			return ns, nil
		}), len(options.DryRun) > 0, nil)
	if err != nil {
		return nil, false, storageError(err, name)
	}
	return out, false, nil
}

// gcFinalizers adds or removes the garbage collector's finalizers as the
// delete options ask (orphan or foreground propagation).
func gcFinalizers(finalizers []string, options *metav1.DeleteOptions) []string {
	set := sets.New(finalizers...)
	orphan, foreground := set.Has(metav1.FinalizerOrphanDependents), set.Has(metav1.FinalizerDeleteDependents)
	switch {
	case options.OrphanDependents != nil:
		orphan, foreground = *options.OrphanDependents, !*options.OrphanDependents
	case options.PropagationPolicy != nil:
		orphan = *options.PropagationPolicy == metav1.DeletePropagationOrphan
		foreground = *options.PropagationPolicy == metav1.DeletePropagationForeground
	}
	toggle := func(name string, on bool) {
		if on {
			set.Insert(name)
		} else {
			set.Delete(name)
		}
	}
	toggle(metav1.FinalizerOrphanDependents, orphan)
	toggle(metav1.FinalizerDeleteDependents, foreground)
	if set.Len() == len(finalizers) && set.HasAll(finalizers...) {
		return finalizers
	}
	return sets.List(set)
}

func storageError(err error, name string) error {
	if storage.IsNotFound(err) {
		return apierrors.NewNotFound(corev1.Resource("namespaces"), name)
	}
	if storage.IsConflict(err) {
		return apierrors.NewConflict(corev1.Resource("namespaces"), name, err)
	}
	if _, ok := err.(apierrors.APIStatus); ok {
		return err
	}
	return apierrors.NewInternalError(err)
}

// FinalizeREST is namespaces/finalize: it changes spec.finalizers only.
type FinalizeREST struct{ store *genericregistry.Store }

// New returns an empty Namespace.
func (r *FinalizeREST) New() runtime.Object { return &corev1.Namespace{} }

// Destroy does nothing: the main resource owns the storage.
func (r *FinalizeREST) Destroy() {}

// Update replaces the namespace's spec.finalizers.
func (r *FinalizeREST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc, updateValidation rest.ValidateObjectUpdateFunc, _ bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	return r.store.Update(ctx, name, objInfo, createValidation, updateValidation, false, options)
}

// finalizeStrategy keeps everything of the stored namespace but
// spec.finalizers.
type finalizeStrategy struct{ rest.RESTUpdateStrategy }

func (s finalizeStrategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	ns, oldNS := obj.(*corev1.Namespace), old.(*corev1.Namespace)
	finalizers := ns.Spec.Finalizers
	*ns = *oldNS.DeepCopy()
	ns.Spec.Finalizers = finalizers
}
