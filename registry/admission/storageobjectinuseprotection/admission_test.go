package storageobjectinuseprotection

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/admission"
)

func TestAdmit(t *testing.T) {
	pvs := corev1.SchemeGroupVersion.WithResource("persistentvolumes")
	pvcs := corev1.SchemeGroupVersion.WithResource("persistentvolumeclaims")
	vacs := storagev1.SchemeGroupVersion.WithResource("volumeattributesclasses")
	tests := []struct {
		name        string
		resource    schema.GroupVersionResource
		subresource string
		obj         runtime.Object
		want        []string
	}{
		{"a volume", pvs, "", &corev1.PersistentVolume{}, []string{PVProtectionFinalizer}},
		{"a claim keeps its own finalizers", pvcs, "", &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Finalizers: []string{"x"}}}, []string{"x", PVCProtectionFinalizer}},
		{"a claim that has it", pvcs, "", &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Finalizers: []string{PVCProtectionFinalizer}}}, []string{PVCProtectionFinalizer}},
		{"a volume attributes class", vacs, "", &storagev1.VolumeAttributesClass{}, []string{VACProtectionFinalizer}},
		{"a subresource", pvcs, "status", &corev1.PersistentVolumeClaim{}, nil},
		{"another resource", corev1.SchemeGroupVersion.WithResource("pods"), "", &corev1.Pod{}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			attrs := admission.NewAttributesRecord(tc.obj, nil, schema.GroupVersionKind{}, "", "x", tc.resource, tc.subresource,
				admission.Create, &metav1.CreateOptions{}, false, nil)
			if err := New().Admit(context.Background(), attrs, nil); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, tc.obj.(metav1.Object).GetFinalizers()); diff != "" {
				t.Errorf("finalizers (-want +got):\n%s", diff)
			}
		})
	}
}
