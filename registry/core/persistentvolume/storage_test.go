package persistentvolume

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestPhaseTransitionTime(t *testing.T) {
	t0 := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	t1 := metav1.NewTime(t0.Add(time.Hour))
	clock := metav1.NewTime(t0.Add(2 * time.Hour))
	defer func(old func() metav1.Time) { now = old }(now)
	now = func() metav1.Time { return clock }

	t.Run("create starts Pending now, whatever the request says", func(t *testing.T) {
		pv := &corev1.PersistentVolume{Status: corev1.PersistentVolumeStatus{Phase: corev1.VolumeBound, Message: "x", LastPhaseTransitionTime: &t1}}
		prepareForCreate(context.Background(), pv)
		want := corev1.PersistentVolumeStatus{Phase: corev1.VolumePending, LastPhaseTransitionTime: &clock}
		if diff := cmp.Diff(want, pv.Status); diff != "" {
			t.Errorf("status (-want +got):\n%s", diff)
		}
	})

	tests := []struct {
		name     string
		old, new corev1.PersistentVolumeStatus
		want     *metav1.Time
	}{{
		name: "same phase without a time keeps the old time",
		old:  corev1.PersistentVolumeStatus{Phase: corev1.VolumeBound, LastPhaseTransitionTime: &t0},
		new:  corev1.PersistentVolumeStatus{Phase: corev1.VolumeBound},
		want: &t0,
	}, {
		name: "same phase with a time of the writer's keeps it",
		old:  corev1.PersistentVolumeStatus{Phase: corev1.VolumeBound, LastPhaseTransitionTime: &t0},
		new:  corev1.PersistentVolumeStatus{Phase: corev1.VolumeBound, LastPhaseTransitionTime: &t1},
		want: &t1,
	}, {
		name: "a new phase without a time is stamped now",
		old:  corev1.PersistentVolumeStatus{Phase: corev1.VolumeAvailable, LastPhaseTransitionTime: &t0},
		new:  corev1.PersistentVolumeStatus{Phase: corev1.VolumeBound},
		want: &clock,
	}, {
		name: "a new phase carrying the old time is stamped now",
		old:  corev1.PersistentVolumeStatus{Phase: corev1.VolumeAvailable, LastPhaseTransitionTime: &t0},
		new:  corev1.PersistentVolumeStatus{Phase: corev1.VolumeBound, LastPhaseTransitionTime: &t0},
		want: &clock,
	}, {
		name: "a new phase with a time of the writer's keeps it",
		old:  corev1.PersistentVolumeStatus{Phase: corev1.VolumeAvailable, LastPhaseTransitionTime: &t0},
		new:  corev1.PersistentVolumeStatus{Phase: corev1.VolumeBound, LastPhaseTransitionTime: &t1},
		want: &t1,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pv := &corev1.PersistentVolume{Status: tc.new}
			prepareForStatusUpdate(context.Background(), pv, &corev1.PersistentVolume{Status: tc.old})
			if diff := cmp.Diff(tc.want, pv.Status.LastPhaseTransitionTime); diff != "" {
				t.Errorf("lastPhaseTransitionTime (-want +got):\n%s", diff)
			}
		})
	}
}
