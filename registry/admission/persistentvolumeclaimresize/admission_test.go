package persistentvolumeclaimresize

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"
)

func TestValidate(t *testing.T) {
	claim := func(class, size string, phase corev1.PersistentVolumeClaimPhase) *corev1.PersistentVolumeClaim {
		return &corev1.PersistentVolumeClaim{
			Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: ptr.To(class),
				Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(size)}}},
			Status: corev1.PersistentVolumeClaimStatus{Phase: phase},
		}
	}
	classes := []*storagev1.StorageClass{
		{ObjectMeta: metav1.ObjectMeta{Name: "local-path"}},
		{ObjectMeta: metav1.ObjectMeta{Name: "no"}, AllowVolumeExpansion: ptr.To(false)},
		{ObjectMeta: metav1.ObjectMeta{Name: "yes"}, AllowVolumeExpansion: ptr.To(true)},
	}
	const refused = `persistentvolumeclaims "data" is forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize`
	tests := []struct {
		name     string
		old, new *corev1.PersistentVolumeClaim
		want     string
	}{
		{"growing in a class that allows it", claim("yes", "1Gi", corev1.ClaimBound), claim("yes", "2Gi", corev1.ClaimBound), ""},
		{"growing in a class without allowVolumeExpansion", claim("local-path", "1Gi", corev1.ClaimBound), claim("local-path", "2Gi", corev1.ClaimBound), refused},
		{"growing in a class that forbids it", claim("no", "1Gi", corev1.ClaimBound), claim("no", "2Gi", corev1.ClaimBound), refused},
		{"growing in a class that does not exist", claim("gone", "1Gi", corev1.ClaimBound), claim("gone", "2Gi", corev1.ClaimBound), refused},
		{"growing a claim of no class", claim("", "1Gi", corev1.ClaimBound), claim("", "2Gi", corev1.ClaimBound), refused},
		{"growing an unbound claim", claim("yes", "1Gi", corev1.ClaimPending), claim("yes", "2Gi", corev1.ClaimPending),
			`persistentvolumeclaims "data" is forbidden: Only bound persistent volume claims can be expanded`},
		{"the same size", claim("no", "1Gi", corev1.ClaimBound), claim("no", "1Gi", corev1.ClaimBound), ""},
		{"shrinking is validation's business", claim("no", "2Gi", corev1.ClaimBound), claim("no", "1Gi", corev1.ClaimBound), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			factory := informers.NewSharedInformerFactory(fake.NewClientset(), 0)
			p := New()
			p.SetExternalKubeInformerFactory(factory)
			for _, c := range classes {
				if err := factory.Storage().V1().StorageClasses().Informer().GetIndexer().Add(c); err != nil {
					t.Fatal(err)
				}
			}
			attrs := admission.NewAttributesRecord(tc.new, tc.old, schema.GroupVersionKind{}, "ns", "data",
				corev1.SchemeGroupVersion.WithResource("persistentvolumeclaims"), "", admission.Update, &metav1.UpdateOptions{}, false, nil)
			got := ""
			if err := p.Validate(context.Background(), attrs, nil); err != nil {
				got = err.Error()
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
		})
	}
}
