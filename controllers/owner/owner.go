package owner

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Resolve returns the owner ref names if ref is of kind and get (a lister
// lookup by name in the dependent's namespace) finds an object with ref's
// UID; otherwise the zero T. The UID check matters: an owner deleted and
// recreated under the same name is a different object and must not pick up
// its predecessor's dependents.
func Resolve[T metav1.Object](ref *metav1.OwnerReference, kind string, get func(name string) (T, error)) T {
	var none T
	if ref == nil || ref.Kind != kind {
		return none
	}
	o, err := get(ref.Name)
	if err != nil || o.GetUID() != ref.UID {
		return none
	}
	return o
}
