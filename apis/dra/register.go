package dra

import (
	resourcev1 "k8s.io/api/resource/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/apis/fieldselector"
)

// Install registers the group's defaulting funcs and field selectors in s.
func Install(s *runtime.Scheme) error {
	if err := addDefaultingFuncs(s); err != nil {
		return err
	}
	return fieldselector.Register(s, resourcev1.SchemeGroupVersion, map[string]fieldselector.Func{"ResourceSlice": ResourceSliceFields})
}

// ResourceSliceFields are the selectable fields of a resource slice: a
// kubelet lists the slices of its node, a driver those of its pools. A
// slice without a node name selects as "".
func ResourceSliceFields(obj runtime.Object) fields.Set {
	s := obj.(*resourcev1.ResourceSlice)
	return fields.Set{
		resourcev1.ResourceSliceSelectorNodeName: ptr.Deref(s.Spec.NodeName, ""),
		resourcev1.ResourceSliceSelectorDriver:   s.Spec.Driver,
		resourcev1.ResourceSliceSelectorPoolName: s.Spec.Pool.Name,
	}
}
