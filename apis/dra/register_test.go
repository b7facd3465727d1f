package dra

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	resourcev1 "k8s.io/api/resource/v1"
	"k8s.io/utils/ptr"
)

func TestResourceSliceFields(t *testing.T) {
	s := &resourcev1.ResourceSlice{Spec: resourcev1.ResourceSliceSpec{Driver: "d", Pool: resourcev1.ResourcePool{Name: "p"}, NodeName: ptr.To("n")}}
	want := map[string]string{"spec.nodeName": "n", "spec.driver": "d", "spec.pool.name": "p"}
	if diff := cmp.Diff(want, map[string]string(ResourceSliceFields(s))); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	s.Spec.NodeName = nil
	if got := ResourceSliceFields(s)["spec.nodeName"]; got != "" {
		t.Errorf("spec.nodeName of a slice without a node = %q, want empty", got)
	}

	convert := defaultingScheme(t).ConvertFieldLabel
	gvk := resourcev1.SchemeGroupVersion.WithKind("ResourceSlice")
	if _, _, err := convert(gvk, "spec.pool.name", "p"); err != nil {
		t.Errorf("spec.pool.name: %v", err)
	}
	if _, _, err := convert(gvk, "spec.devices", "x"); err == nil {
		t.Errorf("spec.devices accepted as a field selector")
	}
}
