package persistentvolume

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	storagehelpers "k8s.io/component-helpers/storage/volume"
)

const (
	annBindCompleted = storagehelpers.AnnBindCompleted
	annBoundBy       = storagehelpers.AnnBoundByController
	annProvisioner   = storagehelpers.AnnStorageProvisioner
	annBetaProv      = storagehelpers.AnnBetaStorageProvisioner
	annSelectedNode  = storagehelpers.AnnSelectedNode
	annProvisionedBy = storagehelpers.AnnDynamicallyProvisioned
	localPath        = "kubeshim.io/local-path"
	externalMessage  = "Waiting for a volume to be created either by the external provisioner 'kubeshim.io/local-path' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered."
)

var (
	available = volumeState{Phase: corev1.VolumeAvailable}
	pending   = claimState{Phase: corev1.ClaimPending, Class: ""}
	rwx       = corev1.ReadWriteMany
	rox       = corev1.ReadOnlyMany
	wffc      = storagev1.VolumeBindingWaitForFirstConsumer
	immediate = storagev1.VolumeBindingImmediate
)

// boundVolume and boundClaim are the states of a binding the controller
// made.
func boundVolume(claim string) volumeState {
	return volumeState{Phase: corev1.VolumeBound, ClaimRef: ns + "/" + claim + "/uid-" + claim, Annotations: pairs(annBoundBy, "yes")}
}

func boundClaim(volume, class, size string, m ...corev1.PersistentVolumeAccessMode) claimState {
	return claimState{Phase: corev1.ClaimBound, VolumeName: volume, Class: class, Capacity: size, AccessModes: m,
		Annotations: pairs(annBindCompleted, "yes", annBoundBy, "yes")}
}

func TestSyncClaim(t *testing.T) {
	tests := []struct {
		name        string
		world       world
		claim       string
		wantVolumes map[string]volumeState
		wantClaims  map[string]claimState
		wantEvents  []string
	}{{
		name: "the smallest volume that fits",
		world: world{
			volumes: []*corev1.PersistentVolume{volume("small", "500Mi"), volume("medium", "2Gi"), volume("large", "5Gi")},
			claims:  []*corev1.PersistentVolumeClaim{claim("data", "1Gi")},
		},
		claim:       "data",
		wantVolumes: map[string]volumeState{"small": available, "medium": boundVolume("data"), "large": available},
		wantClaims:  map[string]claimState{"data": boundClaim("medium", "", "2Gi", rwo)},
	}, {
		name: "access modes: only a volume with all of them",
		world: world{
			volumes: []*corev1.PersistentVolume{volume("rwo", "1Gi"), volume("rwx", "10Gi", volumeModes(rwo, rwx))},
			claims:  []*corev1.PersistentVolumeClaim{claim("data", "1Gi", claimModes(rwx))},
		},
		claim:       "data",
		wantVolumes: map[string]volumeState{"rwo": available, "rwx": boundVolume("data")},
		wantClaims:  map[string]claimState{"data": boundClaim("rwx", "", "10Gi", rwo, rwx)},
	}, {
		name: "access modes: the fewest extra modes before the smallest size",
		world: world{
			volumes: []*corev1.PersistentVolume{volume("exact", "5Gi"), volume("more-modes", "1Gi", volumeModes(rwo, rox))},
			claims:  []*corev1.PersistentVolumeClaim{claim("data", "1Gi")},
		},
		claim:       "data",
		wantVolumes: map[string]volumeState{"exact": boundVolume("data"), "more-modes": available},
		wantClaims:  map[string]claimState{"data": boundClaim("exact", "", "5Gi", rwo)},
	}, {
		name: "selector",
		world: world{
			volumes: []*corev1.PersistentVolume{volume("plain", "1Gi"), volume("gold", "2Gi", volumeLabels(map[string]string{"tier": "gold"}))},
			claims:  []*corev1.PersistentVolumeClaim{claim("data", "1Gi", selector(map[string]string{"tier": "gold"}))},
		},
		claim:       "data",
		wantVolumes: map[string]volumeState{"plain": available, "gold": boundVolume("data")},
		wantClaims:  map[string]claimState{"data": boundClaim("gold", "", "2Gi", rwo)},
	}, {
		name: "storage class must match; a claim of class \"\" does not provision",
		world: world{
			volumes: []*corev1.PersistentVolume{volume("slow", "1Gi", volumeClass("slow"))},
			claims:  []*corev1.PersistentVolumeClaim{claim("data", "1Gi")},
		},
		claim:       "data",
		wantVolumes: map[string]volumeState{"slow": available},
		wantClaims:  map[string]claimState{"data": pending},
		wantEvents:  []string{"Normal FailedBinding no persistent volumes available for this claim and no storage class is set"},
	}, {
		name: "a volume of the claim's class",
		world: world{
			volumes: []*corev1.PersistentVolume{volume("none", "1Gi"), volume("slow", "1Gi", volumeClass("slow"))},
			claims:  []*corev1.PersistentVolumeClaim{claim("data", "1Gi", claimClass("slow"))},
			classes: []*storagev1.StorageClass{class("slow", "kubernetes.io/no-provisioner", immediate)},
		},
		claim:       "data",
		wantVolumes: map[string]volumeState{"none": available, "slow": boundVolume("data")},
		wantClaims:  map[string]claimState{"data": boundClaim("slow", "slow", "1Gi", rwo)},
	}, {
		name: "volume mode must match",
		world: world{
			volumes: []*corev1.PersistentVolume{volume("fs", "1Gi")},
			claims:  []*corev1.PersistentVolumeClaim{claim("data", "1Gi", claimBlock)},
		},
		claim:       "data",
		wantVolumes: map[string]volumeState{"fs": available},
		wantClaims:  map[string]claimState{"data": pending},
		wantEvents:  []string{"Normal FailedBinding no persistent volumes available for this claim and no storage class is set"},
	}, {
		name: "a volume not Available is not matched",
		world: world{
			volumes: []*corev1.PersistentVolume{volume("released", "1Gi", volumePhase(corev1.VolumeReleased), claimRef("old", "uid-old"))},
			claims:  []*corev1.PersistentVolumeClaim{claim("data", "1Gi")},
		},
		claim:       "data",
		wantVolumes: map[string]volumeState{"released": {Phase: corev1.VolumeReleased, ClaimRef: ns + "/old/uid-old"}},
		wantClaims:  map[string]claimState{"data": pending},
		wantEvents:  []string{"Normal FailedBinding no persistent volumes available for this claim and no storage class is set"},
	}, {
		name: "a volume pre-bound to the claim wins over a smaller match",
		world: world{
			volumes: []*corev1.PersistentVolume{volume("fits", "1Gi"), volume("reserved", "10Gi", claimRef("data", ""))},
			claims:  []*corev1.PersistentVolumeClaim{claim("data", "1Gi")},
		},
		claim: "data",
		wantVolumes: map[string]volumeState{"fits": available,
			// Pre-bound by the user: not marked bound by the controller.
			"reserved": {Phase: corev1.VolumeBound, ClaimRef: ns + "/data/uid-data"}},
		wantClaims: map[string]claimState{"data": boundClaim("reserved", "", "10Gi", rwo)},
	}, {
		name: "a volume pre-bound to another claim is not matched",
		world: world{
			volumes: []*corev1.PersistentVolume{volume("reserved", "1Gi", claimRef("other", ""))},
			claims:  []*corev1.PersistentVolumeClaim{claim("data", "1Gi")},
		},
		claim:       "data",
		wantVolumes: map[string]volumeState{"reserved": {Phase: corev1.VolumeAvailable, ClaimRef: ns + "/other/"}},
		wantClaims:  map[string]claimState{"data": pending},
		wantEvents:  []string{"Normal FailedBinding no persistent volumes available for this claim and no storage class is set"},
	}, {
		name: "a claim pre-bound to a volume",
		world: world{
			volumes: []*corev1.PersistentVolume{volume("smaller", "1Gi"), volume("wanted", "3Gi")},
			claims:  []*corev1.PersistentVolumeClaim{claim("data", "1Gi", volumeName("wanted"))},
		},
		claim:       "data",
		wantVolumes: map[string]volumeState{"smaller": available, "wanted": boundVolume("data")},
		// Pre-bound by the user: not marked bound by the controller.
		wantClaims: map[string]claimState{"data": {Phase: corev1.ClaimBound, VolumeName: "wanted", Class: "", Capacity: "3Gi",
			AccessModes: modes(rwo), Annotations: pairs(annBindCompleted, "yes")}},
	}, {
		name: "a claim pre-bound to a volume that does not satisfy it",
		world: world{
			volumes: []*corev1.PersistentVolume{volume("tiny", "100Mi")},
			claims:  []*corev1.PersistentVolumeClaim{claim("data", "1Gi", volumeName("tiny"))},
		},
		claim:       "data",
		wantVolumes: map[string]volumeState{"tiny": available},
		wantClaims:  map[string]claimState{"data": {Phase: corev1.ClaimPending, VolumeName: "tiny", Class: ""}},
		wantEvents:  []string{`Warning VolumeMismatch Cannot bind to requested volume "tiny": requested PV is too small`},
	}, {
		name: "a claim pre-bound to a volume of another claim waits",
		world: world{
			volumes: []*corev1.PersistentVolume{volume("taken", "1Gi", volumePhase(corev1.VolumeBound), claimRef("other", "uid-other"))},
			claims:  []*corev1.PersistentVolumeClaim{claim("data", "1Gi", volumeName("taken")), claim("other", "1Gi", bound("taken"))},
		},
		claim:       "data",
		wantVolumes: map[string]volumeState{"taken": {Phase: corev1.VolumeBound, ClaimRef: ns + "/other/uid-other"}},
		wantClaims: map[string]claimState{"data": {Phase: corev1.ClaimPending, VolumeName: "taken", Class: ""},
			"other": {Phase: corev1.ClaimBound, VolumeName: "taken", Class: "", Annotations: pairs(annBindCompleted, "yes", annBoundBy, "yes")}},
		wantEvents: []string{`Warning FailedBinding volume "taken" already bound to a different claim.`},
	}, {
		name: "a claim pre-bound to a volume that does not exist yet waits",
		world: world{
			claims: []*corev1.PersistentVolumeClaim{claim("data", "1Gi", volumeName("later"))},
		},
		claim:       "data",
		wantVolumes: map[string]volumeState{},
		wantClaims:  map[string]claimState{"data": {Phase: corev1.ClaimPending, VolumeName: "later", Class: ""}},
	}, {
		name: "WaitForFirstConsumer: no static binding by the controller before a node is chosen",
		world: world{
			volumes: []*corev1.PersistentVolume{volume("local", "1Gi", volumeClass("local-path"))},
			claims:  []*corev1.PersistentVolumeClaim{claim("data", "1Gi", claimClass("local-path"))},
			classes: []*storagev1.StorageClass{class("local-path", localPath, wffc)},
		},
		claim:       "data",
		wantVolumes: map[string]volumeState{"local": available},
		wantClaims:  map[string]claimState{"data": {Phase: corev1.ClaimPending, Class: "local-path"}},
		wantEvents:  []string{"Normal WaitForFirstConsumer waiting for first consumer to be created before binding"},
	}, {
		name: "WaitForFirstConsumer: a pod waits to be scheduled",
		world: world{
			claims:  []*corev1.PersistentVolumeClaim{claim("data", "1Gi", claimClass("local-path"))},
			classes: []*storagev1.StorageClass{class("local-path", localPath, wffc)},
			pods:    []*corev1.Pod{pod("app", "data", ""), pod("unrelated", "other", "")},
		},
		claim:       "data",
		wantVolumes: map[string]volumeState{},
		wantClaims:  map[string]claimState{"data": {Phase: corev1.ClaimPending, Class: "local-path"}},
		wantEvents:  []string{"Normal WaitForPodScheduled waiting for pod app to be scheduled"},
	}, {
		name: "WaitForFirstConsumer: the selected node starts provisioning",
		world: world{
			claims:  []*corev1.PersistentVolumeClaim{claim("data", "1Gi", claimClass("local-path"), claimAnnotations(annSelectedNode, "node-1"))},
			classes: []*storagev1.StorageClass{class("local-path", localPath, wffc)},
		},
		claim:       "data",
		wantVolumes: map[string]volumeState{},
		wantClaims: map[string]claimState{"data": {Phase: corev1.ClaimPending, Class: "local-path",
			Annotations: pairs(annSelectedNode, "node-1", annProvisioner, localPath, annBetaProv, localPath)}},
		wantEvents: []string{"Normal ExternalProvisioning " + externalMessage},
	}, {
		name: "WaitForFirstConsumer: a volume the scheduler pre-bound is bound",
		world: world{
			volumes: []*corev1.PersistentVolume{volume("local", "1Gi", volumeClass("local-path"), claimRef("data", "uid-data"),
				volumeAnnotations(annBoundBy, "yes"))},
			claims:  []*corev1.PersistentVolumeClaim{claim("data", "1Gi", claimClass("local-path"), claimAnnotations(annSelectedNode, "node-1"))},
			classes: []*storagev1.StorageClass{class("local-path", localPath, wffc)},
		},
		claim:       "data",
		wantVolumes: map[string]volumeState{"local": boundVolume("data")},
		wantClaims: map[string]claimState{"data": {Phase: corev1.ClaimBound, VolumeName: "local", Class: "local-path", Capacity: "1Gi",
			AccessModes: modes(rwo), Annotations: pairs(annSelectedNode, "node-1", annBindCompleted, "yes", annBoundBy, "yes")}},
	}, {
		name: "Immediate: a class with a provisioner is asked for a volume at once",
		world: world{
			claims:  []*corev1.PersistentVolumeClaim{claim("data", "1Gi", claimClass("now"))},
			classes: []*storagev1.StorageClass{class("now", localPath, immediate)},
		},
		claim:       "data",
		wantVolumes: map[string]volumeState{},
		wantClaims: map[string]claimState{"data": {Phase: corev1.ClaimPending, Class: "now",
			Annotations: pairs(annProvisioner, localPath, annBetaProv, localPath)}},
		wantEvents: []string{"Normal ExternalProvisioning " + externalMessage},
	}, {
		name: "a provisioned volume pre-bound to the claim is bound",
		world: world{
			volumes: []*corev1.PersistentVolume{volume("pvc-uid-data", "1Gi", volumeClass("now"), claimRef("data", "uid-data"),
				volumeAnnotations(annProvisionedBy, localPath), volumePhase(corev1.VolumePending))},
			claims: []*corev1.PersistentVolumeClaim{claim("data", "1Gi", claimClass("now"),
				claimAnnotations(annProvisioner, localPath, annBetaProv, localPath))},
			classes: []*storagev1.StorageClass{class("now", localPath, immediate)},
		},
		claim: "data",
		wantVolumes: map[string]volumeState{"pvc-uid-data": {Phase: corev1.VolumeBound, ClaimRef: ns + "/data/uid-data",
			Annotations: pairs(annProvisionedBy, localPath)}},
		wantClaims: map[string]claimState{"data": {Phase: corev1.ClaimBound, VolumeName: "pvc-uid-data", Class: "now", Capacity: "1Gi",
			AccessModes: modes(rwo), Annotations: pairs(annProvisioner, localPath, annBetaProv, localPath, annBindCompleted, "yes", annBoundBy, "yes")}},
	}, {
		name: "a claim without a class gets the default one",
		world: world{
			claims: []*corev1.PersistentVolumeClaim{claim("data", "1Gi", noClass)},
			classes: []*storagev1.StorageClass{class("local-path", localPath, wffc, "storageclass.kubernetes.io/is-default-class", "true"),
				class("other", localPath, wffc)},
		},
		claim:       "data",
		wantVolumes: map[string]volumeState{},
		wantClaims:  map[string]claimState{"data": {Phase: corev1.ClaimPending, Class: "local-path"}},
	}, {
		name: "a claim of a class that does not exist",
		world: world{
			claims: []*corev1.PersistentVolumeClaim{claim("data", "1Gi", claimClass("nope"))},
		},
		claim:       "data",
		wantVolumes: map[string]volumeState{},
		wantClaims:  map[string]claimState{"data": {Phase: corev1.ClaimPending, Class: "nope"}},
		wantEvents:  []string{`Warning ProvisioningFailed storageclass.storage.k8s.io "nope" not found`},
	}, {
		name: "an in-tree provisioner kubeshim does not have",
		world: world{
			claims:  []*corev1.PersistentVolumeClaim{claim("data", "1Gi", claimClass("gce"))},
			classes: []*storagev1.StorageClass{class("gce", "kubernetes.io/gce-pd", immediate)},
		},
		claim:       "data",
		wantVolumes: map[string]volumeState{},
		wantClaims:  map[string]claimState{"data": {Phase: corev1.ClaimPending, Class: "gce"}},
		wantEvents:  []string{"Warning ProvisioningFailed no volume plugin matched name: kubernetes.io/gce-pd"},
	}, {
		name: "a bound claim whose volume is gone is Lost",
		world: world{
			claims: []*corev1.PersistentVolumeClaim{claim("data", "1Gi", bound("gone"))},
		},
		claim:       "data",
		wantVolumes: map[string]volumeState{},
		wantClaims: map[string]claimState{"data": {Phase: corev1.ClaimLost, VolumeName: "gone", Class: "",
			Annotations: pairs(annBindCompleted, "yes", annBoundBy, "yes")}},
		wantEvents: []string{"Warning ClaimLost Bound claim has lost its PersistentVolume. Data on the volume is lost!"},
	}, {
		name: "a bound claim whose volume is bound to another claim is Lost",
		world: world{
			volumes: []*corev1.PersistentVolume{volume("shared", "1Gi", volumePhase(corev1.VolumeBound), claimRef("other", "uid-other"))},
			claims:  []*corev1.PersistentVolumeClaim{claim("data", "1Gi", bound("shared"))},
		},
		claim:       "data",
		wantVolumes: map[string]volumeState{"shared": {Phase: corev1.VolumeBound, ClaimRef: ns + "/other/uid-other"}},
		wantClaims: map[string]claimState{"data": {Phase: corev1.ClaimLost, VolumeName: "shared", Class: "",
			Annotations: pairs(annBindCompleted, "yes", annBoundBy, "yes")}},
		wantEvents: []string{"Warning ClaimMisbound Two claims are bound to the same volume, this one is bound incorrectly"},
	}, {
		name: "a bound claim whose volume lost its claimRef is bound again",
		world: world{
			volumes: []*corev1.PersistentVolume{volume("v", "1Gi")},
			claims:  []*corev1.PersistentVolumeClaim{claim("data", "1Gi", bound("v"))},
		},
		claim:       "data",
		wantVolumes: map[string]volumeState{"v": boundVolume("data")},
		// Status was already Bound: the capacity is not copied again.
		wantClaims: map[string]claimState{"data": {Phase: corev1.ClaimBound, VolumeName: "v", Class: "", AccessModes: modes(rwo),
			Annotations: pairs(annBindCompleted, "yes", annBoundBy, "yes")}},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.world)
			if err := h.syncClaim(tc.claim); err != nil {
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
