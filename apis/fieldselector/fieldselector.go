package fieldselector

import (
	"fmt"
	"reflect"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Func returns the selectable fields of an object beyond metadata.name and
// metadata.namespace. It must accept a zero object of its kind.
type Func func(obj runtime.Object) fields.Set

// Register installs a field-label conversion for each kind of byKind in gv.
// Kinds without a Func keep the scheme's default (metadata.name and
// metadata.namespace).
func Register(s *runtime.Scheme, gv schema.GroupVersion, byKind map[string]Func) error {
	for kind, fn := range byKind {
		gvk := gv.WithKind(kind)
		zero, err := s.New(gvk)
		if err != nil {
			return fmt.Errorf("field selectors for %s: %w", gvk, err)
		}
		allowed := fn(zero)
		err = s.AddFieldLabelConversionFunc(gvk, func(label, value string) (string, string, error) {
			switch label {
			case "metadata.name", "metadata.namespace":
				return label, value, nil
			}
			if _, ok := allowed[label]; ok {
				return label, value, nil
			}
			// The message is upstream's, word for word.
			return "", "", fmt.Errorf("field label not supported: %s", label)
		})
		if err != nil {
			return fmt.Errorf("field selectors for %s: %w", gvk, err)
		}
	}
	return nil
}

// Set returns every selectable field of obj: metadata.name, metadata.namespace
// (for namespaced kinds) and what fn adds. fn may be nil.
func Set(obj runtime.Object, namespaced bool, fn Func) (fields.Set, error) {
	accessor, err := meta.Accessor(obj)
	if err != nil {
		return nil, fmt.Errorf("field selector on %s: %w", reflect.TypeOf(obj), err)
	}
	set := fields.Set{"metadata.name": accessor.GetName()}
	if namespaced {
		set["metadata.namespace"] = accessor.GetNamespace()
	}
	if fn != nil {
		for k, v := range fn(obj) {
			set[k] = v
		}
	}
	return set, nil
}
