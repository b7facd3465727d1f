package vacprotection

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"
)

func TestSync(t *testing.T) {
	class := func(deleted bool, finalizers ...string) *storagev1.VolumeAttributesClass {
		vac := &storagev1.VolumeAttributesClass{ObjectMeta: metav1.ObjectMeta{Name: "gold", Finalizers: finalizers}, DriverName: "d"}
		if deleted {
			vac.DeletionTimestamp = &metav1.Time{Time: time.Unix(1, 0)}
		}
		return vac
	}
	volume := &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "v"}, Spec: corev1.PersistentVolumeSpec{VolumeAttributesClassName: ptr.To("gold")}}
	asks := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "asks", Namespace: "ns"},
		Spec: corev1.PersistentVolumeClaimSpec{VolumeAttributesClassName: ptr.To("gold")}}
	has := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "has", Namespace: "ns"},
		Status: corev1.PersistentVolumeClaimStatus{CurrentVolumeAttributesClassName: ptr.To("gold")}}
	target := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "target", Namespace: "ns"},
		Status: corev1.PersistentVolumeClaimStatus{ModifyVolumeStatus: &corev1.ModifyVolumeStatus{TargetVolumeAttributesClassName: "gold"}}}
	other := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "other", Namespace: "ns"},
		Spec: corev1.PersistentVolumeClaimSpec{VolumeAttributesClassName: ptr.To("silver")}}
	tests := []struct {
		name    string
		class   *storagev1.VolumeAttributesClass
		volumes []*corev1.PersistentVolume
		claims  []*corev1.PersistentVolumeClaim
		want    []string
	}{
		{name: "a class without the finalizer gets it", class: class(false), want: []string{Finalizer}},
		{name: "a deleted class nothing uses loses it", class: class(true, Finalizer), claims: []*corev1.PersistentVolumeClaim{other}, want: nil},
		{name: "a volume holds it", class: class(true, Finalizer), volumes: []*corev1.PersistentVolume{volume}, want: []string{Finalizer}},
		{name: "a claim asking for it holds it", class: class(true, Finalizer), claims: []*corev1.PersistentVolumeClaim{asks}, want: []string{Finalizer}},
		{name: "a claim having it holds it", class: class(true, Finalizer), claims: []*corev1.PersistentVolumeClaim{has}, want: []string{Finalizer}},
		{name: "a claim being modified to it holds it", class: class(true, Finalizer), claims: []*corev1.PersistentVolumeClaim{target}, want: []string{Finalizer}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			client := fake.NewClientset(tc.class)
			factory := informers.NewSharedInformerFactory(client, 0)
			c, err := New(client, factory.Core().V1().PersistentVolumeClaims(), factory.Core().V1().PersistentVolumes(), factory.Storage().V1().VolumeAttributesClasses())
			if err != nil {
				t.Fatal(err)
			}
			if err := factory.Storage().V1().VolumeAttributesClasses().Informer().GetIndexer().Add(tc.class); err != nil {
				t.Fatal(err)
			}
			for _, v := range tc.volumes {
				if err := factory.Core().V1().PersistentVolumes().Informer().GetIndexer().Add(v); err != nil {
					t.Fatal(err)
				}
			}
			for _, pvc := range tc.claims {
				if err := factory.Core().V1().PersistentVolumeClaims().Informer().GetIndexer().Add(pvc); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := c.sync(context.Background(), "gold"); err != nil {
				t.Fatalf("sync: %v", err)
			}
			got, err := client.StorageV1().VolumeAttributesClasses().Get(context.Background(), "gold", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var finalizers []string
			if len(got.Finalizers) > 0 {
				finalizers = got.Finalizers
			}
			if diff := cmp.Diff(tc.want, finalizers); diff != "" {
				t.Errorf("finalizers (-want +got):\n%s", diff)
			}
		})
	}
}
