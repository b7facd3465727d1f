package pod

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/kubeshim/kubeshim/apis/core"
)

// EphemeralContainersREST is pods/ephemeralcontainers (`kubectl debug`): it
// changes spec.ephemeralContainers only, and only by adding containers.
type EphemeralContainersREST struct{ store *genericregistry.Store }

var _ rest.Patcher = &EphemeralContainersREST{}

// New returns an empty Pod.
func (r *EphemeralContainersREST) New() runtime.Object { return &corev1.Pod{} }

// Destroy does nothing.
func (r *EphemeralContainersREST) Destroy() {}

// Get returns the pod.
func (r *EphemeralContainersREST) Get(ctx context.Context, name string, options *metav1.GetOptions) (runtime.Object, error) {
	return r.store.Get(ctx, name, options)
}

// Update sets the pod's ephemeral containers.
func (r *EphemeralContainersREST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc, updateValidation rest.ValidateObjectUpdateFunc, _ bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	return r.store.Update(ctx, name, objInfo, createValidation, updateValidation, false, options)
}

// ephemeralStrategy keeps everything of the stored pod but
// spec.ephemeralContainers, and lets them only grow.
type ephemeralStrategy struct{ rest.RESTUpdateStrategy }

func (ephemeralStrategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	pod, oldPod := obj.(*corev1.Pod), old.(*corev1.Pod)
	ephemeral := pod.Spec.EphemeralContainers
	*pod = *oldPod.DeepCopy()
	pod.Spec.EphemeralContainers = ephemeral
	// A new ephemeral container changes the spec: the generation follows,
	// as for any other spec change.
	if !core.SemanticEqual(ephemeral, oldPod.Spec.EphemeralContainers) {
		pod.Generation++
	}
}

func (ephemeralStrategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	pod, oldPod := obj.(*corev1.Pod), old.(*corev1.Pod)
	path := field.NewPath("spec", "ephemeralContainers")
	var errs field.ErrorList
	if len(pod.Spec.EphemeralContainers) < len(oldPod.Spec.EphemeralContainers) {
		errs = append(errs, field.Forbidden(path, "existing ephemeral containers may not be removed"))
	} else {
		for i, c := range oldPod.Spec.EphemeralContainers {
			if !core.SemanticEqual(c, pod.Spec.EphemeralContainers[i]) {
				errs = append(errs, field.Forbidden(path.Index(i), "existing ephemeral containers may not be changed"))
			}
		}
	}
	names := map[string]bool{}
	for _, c := range pod.Spec.Containers {
		names[c.Name] = true
	}
	for _, c := range pod.Spec.InitContainers {
		names[c.Name] = true
	}
	for i, c := range pod.Spec.EphemeralContainers {
		p := path.Index(i)
		if c.Name == "" {
			errs = append(errs, field.Required(p.Child("name"), ""))
		} else if names[c.Name] {
			errs = append(errs, field.Duplicate(p.Child("name"), c.Name))
		}
		names[c.Name] = true
		if c.Image == "" {
			errs = append(errs, field.Required(p.Child("image"), ""))
		}
	}
	return errs
}
