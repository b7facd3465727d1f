package pvprotection

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
)

func TestSync(t *testing.T) {
	volume := func(phase corev1.PersistentVolumePhase, deleted bool, finalizers ...string) *corev1.PersistentVolume {
		pv := &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "v", Finalizers: finalizers}, Status: corev1.PersistentVolumeStatus{Phase: phase}}
		if deleted {
			pv.DeletionTimestamp = &metav1.Time{Time: time.Unix(1, 0)}
		}
		return pv
	}
	tests := []struct {
		name   string
		volume *corev1.PersistentVolume
		want   []string
	}{
		{name: "a volume without the finalizer gets it", volume: volume(corev1.VolumeAvailable, false), want: []string{Finalizer}},
		{name: "other finalizers are kept", volume: volume(corev1.VolumeAvailable, false, "example.com/x"), want: []string{"example.com/x", Finalizer}},
		{name: "a deleted Bound volume keeps it", volume: volume(corev1.VolumeBound, true, Finalizer), want: []string{Finalizer}},
		{name: "a deleted Released volume loses it", volume: volume(corev1.VolumeReleased, true, Finalizer, "example.com/x"), want: []string{"example.com/x"}},
		{name: "a deleted Available volume loses it", volume: volume(corev1.VolumeAvailable, true, Finalizer), want: nil},
		{name: "a deleted volume without it gets nothing", volume: volume(corev1.VolumeAvailable, true, "example.com/x"), want: []string{"example.com/x"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			client := fake.NewClientset(tc.volume)
			factory := informers.NewSharedInformerFactory(client, 0)
			c, err := New(client, factory.Core().V1().PersistentVolumes())
			if err != nil {
				t.Fatal(err)
			}
			if err := factory.Core().V1().PersistentVolumes().Informer().GetIndexer().Add(tc.volume); err != nil {
				t.Fatal(err)
			}
			if _, err := c.sync(context.Background(), "v"); err != nil {
				t.Fatalf("sync: %v", err)
			}
			got, err := client.CoreV1().PersistentVolumes().Get(context.Background(), "v", metav1.GetOptions{})
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
