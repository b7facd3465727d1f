package defaultstorageclass

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"
)

func TestAdmit(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	class := func(name string, created time.Time, isDefault bool) *storagev1.StorageClass {
		sc := &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(created)}}
		if isDefault {
			sc.Annotations = map[string]string{"storageclass.kubernetes.io/is-default-class": "true"}
		}
		return sc
	}
	tests := []struct {
		name    string
		classes []*storagev1.StorageClass
		claim   *corev1.PersistentVolumeClaim
		want    *string
	}{{
		name:    "no class gets the default",
		classes: []*storagev1.StorageClass{class("local-path", t0, true), class("other", t0, false)},
		claim:   &corev1.PersistentVolumeClaim{},
		want:    ptr.To("local-path"),
	}, {
		name:    "the newest of two defaults",
		classes: []*storagev1.StorageClass{class("old", t0, true), class("new", t0.Add(time.Hour), true)},
		claim:   &corev1.PersistentVolumeClaim{},
		want:    ptr.To("new"),
	}, {
		name:    "no default, no class",
		classes: []*storagev1.StorageClass{class("other", t0, false)},
		claim:   &corev1.PersistentVolumeClaim{},
		want:    nil,
	}, {
		name:    "an explicit class is kept",
		classes: []*storagev1.StorageClass{class("local-path", t0, true)},
		claim:   &corev1.PersistentVolumeClaim{Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: ptr.To("fast")}},
		want:    ptr.To("fast"),
	}, {
		name:    `"" asks for no class and keeps it`,
		classes: []*storagev1.StorageClass{class("local-path", t0, true)},
		claim:   &corev1.PersistentVolumeClaim{Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: ptr.To("")}},
		want:    ptr.To(""),
	}, {
		name:    "the beta annotation counts as a class",
		classes: []*storagev1.StorageClass{class("local-path", t0, true)},
		claim: &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{
			corev1.BetaStorageClassAnnotation: "fast"}}},
		want: nil,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			factory := informers.NewSharedInformerFactory(fake.NewClientset(), 0)
			p := New()
			p.SetExternalKubeInformerFactory(factory)
			for _, c := range tc.classes {
				if err := factory.Storage().V1().StorageClasses().Informer().GetIndexer().Add(c); err != nil {
					t.Fatal(err)
				}
			}
			if err := p.ValidateInitialization(); err != nil {
				t.Fatal(err)
			}
			attrs := admission.NewAttributesRecord(tc.claim, nil, schema.GroupVersionKind{}, "ns", "data",
				corev1.SchemeGroupVersion.WithResource("persistentvolumeclaims"), "", admission.Create, &metav1.CreateOptions{}, false, nil)
			if err := p.Admit(context.Background(), attrs, nil); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, tc.claim.Spec.StorageClassName); diff != "" {
				t.Errorf("storageClassName (-want +got):\n%s", diff)
			}
		})
	}
}
