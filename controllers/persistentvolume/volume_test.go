package persistentvolume

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestSyncVolume(t *testing.T) {
	released := func(claim string) volumeState {
		return volumeState{Phase: corev1.VolumeReleased, ClaimRef: ns + "/" + claim + "/uid-" + claim}
	}
	tests := []struct {
		name        string
		world       world
		volume      string
		wantVolumes map[string]volumeState
		wantClaims  map[string]claimState
		wantEvents  []string
	}{{
		name:        "a new unclaimed volume becomes Available",
		world:       world{volumes: []*corev1.PersistentVolume{volume("v", "1Gi", volumePhase(corev1.VolumePending))}},
		volume:      "v",
		wantVolumes: map[string]volumeState{"v": available},
		wantClaims:  map[string]claimState{},
	}, {
		name:        "a volume pre-bound to a claim that has not bound is Available",
		world:       world{volumes: []*corev1.PersistentVolume{volume("v", "1Gi", volumePhase(corev1.VolumePending), claimRef("data", ""))}},
		volume:      "v",
		wantVolumes: map[string]volumeState{"v": {Phase: corev1.VolumeAvailable, ClaimRef: ns + "/data/"}},
		wantClaims:  map[string]claimState{},
	}, {
		name: "a volume whose claim points back is Bound",
		world: world{
			volumes: []*corev1.PersistentVolume{volume("v", "1Gi", volumePhase(corev1.VolumeAvailable), claimRef("data", "uid-data"))},
			claims:  []*corev1.PersistentVolumeClaim{claim("data", "1Gi", bound("v"))},
		},
		volume:      "v",
		wantVolumes: map[string]volumeState{"v": {Phase: corev1.VolumeBound, ClaimRef: ns + "/data/uid-data"}},
		wantClaims: map[string]claimState{"data": {Phase: corev1.ClaimBound, VolumeName: "v", Class: "",
			Annotations: pairs(annBindCompleted, "yes", annBoundBy, "yes")}},
	}, {
		name: "Retain: the claim is deleted, the volume stays Released",
		world: world{
			volumes: []*corev1.PersistentVolume{volume("v", "1Gi", volumePhase(corev1.VolumeBound), claimRef("data", "uid-data"))},
		},
		volume:      "v",
		wantVolumes: map[string]volumeState{"v": released("data")},
		wantClaims:  map[string]claimState{},
	}, {
		name: "Retain: a claim of the same name made again does not own the volume",
		world: world{
			volumes: []*corev1.PersistentVolume{volume("v", "1Gi", volumePhase(corev1.VolumeBound), claimRef("data", "uid-old"))},
			claims:  []*corev1.PersistentVolumeClaim{claim("data", "1Gi")},
		},
		volume:      "v",
		wantVolumes: map[string]volumeState{"v": {Phase: corev1.VolumeReleased, ClaimRef: ns + "/data/uid-old"}},
		wantClaims:  map[string]claimState{"data": pending},
	}, {
		name: "Delete: a static local volume has no deleter and fails",
		world: world{
			volumes: []*corev1.PersistentVolume{volume("v", "1Gi", volumePhase(corev1.VolumeBound), claimRef("data", "uid-data"),
				reclaim(corev1.PersistentVolumeReclaimDelete))},
		},
		volume: "v",
		wantVolumes: map[string]volumeState{"v": {Phase: corev1.VolumeFailed, ClaimRef: ns + "/data/uid-data",
			Message: `error getting deleter volume plugin for volume "v": no volume plugin matched`}},
		wantClaims: map[string]claimState{},
		wantEvents: []string{`Warning VolumeFailedDelete error getting deleter volume plugin for volume "v": no volume plugin matched`},
	}, {
		name: "Delete: a static hostPath volume outside /tmp fails as upstream's deleter",
		world: world{
			volumes: []*corev1.PersistentVolume{volume("v", "1Gi", volumePhase(corev1.VolumeBound), claimRef("data", "uid-data"),
				reclaim(corev1.PersistentVolumeReclaimDelete), hostPath("/data/v"))},
		},
		volume: "v",
		wantVolumes: map[string]volumeState{"v": {Phase: corev1.VolumeFailed, ClaimRef: ns + "/data/uid-data",
			Message: "host_path deleter only supports /tmp/.+ but received provided /data/v"}},
		wantClaims: map[string]claimState{},
		wantEvents: []string{"Warning VolumeFailedDelete host_path deleter only supports /tmp/.+ but received provided /data/v"},
	}, {
		name: "Delete: a Failed volume is not failed again",
		world: world{
			volumes: []*corev1.PersistentVolume{volume("v", "1Gi", volumePhase(corev1.VolumeFailed), claimRef("data", "uid-data"),
				reclaim(corev1.PersistentVolumeReclaimDelete))},
		},
		volume:      "v",
		wantVolumes: map[string]volumeState{"v": {Phase: corev1.VolumeFailed, ClaimRef: ns + "/data/uid-data"}},
		wantClaims:  map[string]claimState{},
	}, {
		name: "Delete: a provisioned volume is Released for its provisioner to delete",
		world: world{
			volumes: []*corev1.PersistentVolume{volume("pvc-1", "1Gi", volumePhase(corev1.VolumeBound), claimRef("data", "uid-data"),
				reclaim(corev1.PersistentVolumeReclaimDelete), volumeAnnotations(annProvisionedBy, localPath))},
		},
		volume: "pvc-1",
		wantVolumes: map[string]volumeState{"pvc-1": {Phase: corev1.VolumeReleased, ClaimRef: ns + "/data/uid-data",
			Annotations: pairs(annProvisionedBy, localPath)}},
		wantClaims: map[string]claimState{},
	}, {
		name: "Delete: a CSI volume is its driver's to delete",
		world: world{
			volumes: []*corev1.PersistentVolume{volume("csi", "1Gi", volumePhase(corev1.VolumeBound), claimRef("data", "uid-data"),
				reclaim(corev1.PersistentVolumeReclaimDelete), func(v *corev1.PersistentVolume) {
					v.Spec.PersistentVolumeSource = corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{Driver: "d", VolumeHandle: "h"}}
				})},
		},
		volume:      "csi",
		wantVolumes: map[string]volumeState{"csi": released("data")},
		wantClaims:  map[string]claimState{},
	}, {
		name: "Recycle: no recycler",
		world: world{
			volumes: []*corev1.PersistentVolume{volume("v", "1Gi", volumePhase(corev1.VolumeBound), claimRef("data", "uid-data"),
				reclaim(corev1.PersistentVolumeReclaimRecycle), hostPath("/srv/v"))},
		},
		volume: "v",
		wantVolumes: map[string]volumeState{"v": {Phase: corev1.VolumeFailed, ClaimRef: ns + "/data/uid-data",
			Message: "No recycler plugin found for the volume!"}},
		wantClaims: map[string]claimState{},
		wantEvents: []string{"Warning VolumeFailedRecycle No recycler plugin found for the volume!"},
	}, {
		name: "a volume the controller bound to a claim that bound elsewhere is unbound",
		world: world{
			volumes: []*corev1.PersistentVolume{volume("loser", "1Gi", volumePhase(corev1.VolumeBound), claimRef("data", "uid-data"),
				volumeAnnotations(annBoundBy, "yes"))},
			claims: []*corev1.PersistentVolumeClaim{claim("data", "1Gi", bound("winner"))},
		},
		volume:      "loser",
		wantVolumes: map[string]volumeState{"loser": available},
		wantClaims: map[string]claimState{"data": {Phase: corev1.ClaimBound, VolumeName: "winner", Class: "",
			Annotations: pairs(annBindCompleted, "yes", annBoundBy, "yes")}},
	}, {
		name: "a volume a user pre-bound to a claim that bound elsewhere keeps its claimRef without UID",
		world: world{
			volumes: []*corev1.PersistentVolume{volume("reserved", "1Gi", volumePhase(corev1.VolumeBound), claimRef("data", "uid-data"))},
			claims:  []*corev1.PersistentVolumeClaim{claim("data", "1Gi", bound("winner"))},
		},
		volume:      "reserved",
		wantVolumes: map[string]volumeState{"reserved": {Phase: corev1.VolumeAvailable, ClaimRef: ns + "/data/"}},
		wantClaims: map[string]claimState{"data": {Phase: corev1.ClaimBound, VolumeName: "winner", Class: "",
			Annotations: pairs(annBindCompleted, "yes", annBoundBy, "yes")}},
	}, {
		name: "a provisioned Delete volume whose claim bound elsewhere is released",
		world: world{
			volumes: []*corev1.PersistentVolume{volume("extra", "1Gi", volumePhase(corev1.VolumeBound), claimRef("data", "uid-data"),
				reclaim(corev1.PersistentVolumeReclaimDelete), volumeAnnotations(annProvisionedBy, localPath))},
			claims: []*corev1.PersistentVolumeClaim{claim("data", "1Gi", bound("winner"))},
		},
		volume: "extra",
		wantVolumes: map[string]volumeState{"extra": {Phase: corev1.VolumeReleased, ClaimRef: ns + "/data/uid-data",
			Annotations: pairs(annProvisionedBy, localPath)}},
		wantClaims: map[string]claimState{"data": {Phase: corev1.ClaimBound, VolumeName: "winner", Class: "",
			Annotations: pairs(annBindCompleted, "yes", annBoundBy, "yes")}},
	}, {
		name: "volume mode mismatch with the claim it is pre-bound to",
		world: world{
			volumes: []*corev1.PersistentVolume{volume("v", "1Gi", volumeBlock, claimRef("data", "uid-data"))},
			claims:  []*corev1.PersistentVolumeClaim{claim("data", "1Gi")},
		},
		volume:      "v",
		wantVolumes: map[string]volumeState{"v": {Phase: corev1.VolumeAvailable, ClaimRef: ns + "/data/uid-data"}},
		wantClaims:  map[string]claimState{"data": pending},
		wantEvents: []string{
			`Warning VolumeMismatch Cannot bind PersistentVolume to requested PersistentVolumeClaim "data" due to incompatible volumeMode.`,
			`Warning VolumeMismatch Cannot bind PersistentVolume "v" to requested PersistentVolumeClaim due to incompatible volumeMode.`,
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.world)
			if err := h.syncVolume(tc.volume); err != nil {
				t.Fatalf("sync: %v", err)
			}
			if diff := cmp.Diff(tc.wantVolumes, h.volumes()); diff != "" {
				t.Errorf("volumes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantClaims, h.claims()); diff != "" {
				t.Errorf("claims (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantEvents, h.events()); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDeletedClaim: a claim gone from the informer is forgotten and its
// volume synced, which releases it.
func TestDeletedClaim(t *testing.T) {
	h := newHarness(t, world{
		volumes: []*corev1.PersistentVolume{volume("v", "1Gi", volumePhase(corev1.VolumeBound), claimRef("data", "uid-data"))},
		claims:  []*corev1.PersistentVolumeClaim{claim("data", "1Gi", bound("v"))},
	})
	gone := claim("data", "1Gi", bound("v"))
	if err := h.factory.Core().V1().PersistentVolumeClaims().Informer().GetIndexer().Delete(gone); err != nil {
		t.Fatal(err)
	}
	if err := h.client.CoreV1().PersistentVolumeClaims(ns).Delete(context.Background(), "data", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := h.syncClaim("data"); err != nil {
		t.Fatal(err)
	}
	if keys := h.ctrl.claims.ListKeys(); len(keys) != 0 {
		t.Errorf("cached claims after the deletion: %v", keys)
	}
	if err := h.syncVolume("v"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]volumeState{"v": {Phase: corev1.VolumeReleased, ClaimRef: ns + "/data/uid-data"}}, h.volumes()); diff != "" {
		t.Errorf("volumes (-want +got):\n%s", diff)
	}
}

// TestStaleInformer: an informer copy older than what the controller wrote
// is not acted on.
func TestStaleInformer(t *testing.T) {
	h := newHarness(t, world{volumes: []*corev1.PersistentVolume{volume("v", "1Gi", volumePhase(corev1.VolumePending))}})
	newer := volume("v", "1Gi", volumePhase(corev1.VolumeAvailable))
	newer.ResourceVersion = "5"
	if _, err := storeObjectUpdate(h.ctrl.volumes.store, newer); err != nil {
		t.Fatal(err)
	}
	if err := h.syncVolume("v"); err != nil {
		t.Fatal(err)
	}
	// The fake API still has the Pending volume: no write happened.
	if diff := cmp.Diff(map[string]volumeState{"v": {Phase: corev1.VolumePending}}, h.volumes()); diff != "" {
		t.Errorf("volumes (-want +got):\n%s", diff)
	}
}
