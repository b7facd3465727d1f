package volumeexpand

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stypes "k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/record"
)

func claim(phase corev1.PersistentVolumeClaimPhase, request, capacity string) *corev1.PersistentVolumeClaim {
	c := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "data", UID: "claim-uid"},
		Spec: corev1.PersistentVolumeClaimSpec{
			VolumeName: "pv",
			Resources:  corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(request)}},
		},
		Status: corev1.PersistentVolumeClaimStatus{Phase: phase},
	}
	if capacity != "" {
		c.Status.Capacity = corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(capacity)}
	}
	return c
}

func volume(claimUID string) *corev1.PersistentVolume {
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: "pv"},
		Spec:       corev1.PersistentVolumeSpec{Capacity: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
	}
	if claimUID != "" {
		pv.Spec.ClaimRef = &corev1.ObjectReference{Namespace: "ns", Name: "data", UID: k8stypes.UID(claimUID)}
	}
	return pv
}

func TestSync(t *testing.T) {
	for _, tc := range []struct {
		name    string
		objects []runtime.Object
		events  []string
		err     string
	}{{
		name:    "a bound claim that grew waits for its external resizer",
		objects: []runtime.Object{claim(corev1.ClaimBound, "2Gi", "1Gi"), volume("claim-uid")},
		events:  []string{"Normal ExternalExpanding waiting for an external controller to expand this PVC"},
	}, {
		name:    "a claim that has what it asks for",
		objects: []runtime.Object{claim(corev1.ClaimBound, "1Gi", "1Gi"), volume("claim-uid")},
	}, {
		name:    "a claim whose request went down to its capacity",
		objects: []runtime.Object{claim(corev1.ClaimBound, "1Gi", "2Gi"), volume("claim-uid")},
	}, {
		name:    "a pending claim is the binder's",
		objects: []runtime.Object{claim(corev1.ClaimPending, "2Gi", ""), volume("")},
	}, {
		name:    "a volume bound to another claim is retried",
		objects: []runtime.Object{claim(corev1.ClaimBound, "2Gi", "1Gi"), volume("other")},
		err:     "persistent volume pv is not bound to claim ns/data",
	}, {
		name:    "a missing volume is retried",
		objects: []runtime.Object{claim(corev1.ClaimBound, "2Gi", "1Gi")},
		err:     `volume "pv" of claim ns/data: persistentvolume "pv" not found`,
	}, {
		name: "a deleted claim",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			client := fake.NewClientset(tc.objects...)
			factory := informers.NewSharedInformerFactory(client, 0)
			recorder := record.NewFakeRecorder(10)
			c, err := newController(client, factory.Core().V1().PersistentVolumeClaims(), factory.Core().V1().PersistentVolumes(), recorder)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer func() {
				cancel()
				factory.Shutdown()
			}()
			factory.Start(ctx.Done())
			factory.WaitForCacheSync(ctx.Done())

			_, err = c.sync(ctx, "ns/data")
			if got := errString(err); got != tc.err {
				t.Errorf("sync error %q, want %q", got, tc.err)
			}
			var events []string
			for len(recorder.Events) > 0 {
				events = append(events, <-recorder.Events)
			}
			if diff := cmp.Diff(tc.events, events); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
