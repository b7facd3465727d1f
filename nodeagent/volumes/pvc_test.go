package volumes

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stypes "k8s.io/apimachinery/pkg/types"
)

func claim(name, volume string, phase corev1.PersistentVolumeClaimPhase) *corev1.PersistentVolumeClaim {
	return &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Namespace: testNS, Name: name, UID: k8stypes.UID("claim-" + name)},
		Spec:       corev1.PersistentVolumeClaimSpec{VolumeName: volume},
		Status:     corev1.PersistentVolumeClaimStatus{Phase: phase},
	}
}

func volume(name, claimName string, src corev1.PersistentVolumeSource) *corev1.PersistentVolume {
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       corev1.PersistentVolumeSpec{PersistentVolumeSource: src},
	}
	if claimName != "" {
		pv.Spec.ClaimRef = &corev1.ObjectReference{Namespace: testNS, Name: claimName, UID: k8stypes.UID("claim-" + claimName)}
	}
	return pv
}

func TestPersistentVolumeClaims(t *testing.T) {
	hostDir := t.TempDir()
	localDir := t.TempDir()
	dirType := corev1.HostPathDirectory
	block := corev1.PersistentVolumeBlock
	deleting := claim("deleting", "pv-host", corev1.ClaimBound)
	deleting.DeletionTimestamp = &metav1.Time{Time: time.Now()}
	unbound := claim("unbound", "", corev1.ClaimPending)
	blockPV := volume("pv-block", "block", corev1.PersistentVolumeSource{Local: &corev1.LocalVolumeSource{Path: localDir}})
	blockPV.Spec.VolumeMode = &block
	objects := []runtime.Object{
		claim("host", "pv-host", corev1.ClaimBound),
		volume("pv-host", "host", corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: hostDir, Type: &dirType}}),
		claim("local", "pv-local", corev1.ClaimBound),
		volume("pv-local", "local", corev1.PersistentVolumeSource{Local: &corev1.LocalVolumeSource{Path: localDir}}),
		unbound, deleting,
		claim("no-name", "", corev1.ClaimBound),
		claim("lost-pv", "pv-gone", corev1.ClaimBound),
		claim("unclaimed", "pv-unclaimed", corev1.ClaimBound),
		volume("pv-unclaimed", "", corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: hostDir}}),
		claim("stolen", "pv-other", corev1.ClaimBound),
		volume("pv-other", "someone-else", corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: hostDir}}),
		claim("nfs", "pv-nfs", corev1.ClaimBound),
		volume("pv-nfs", "nfs", corev1.PersistentVolumeSource{NFS: &corev1.NFSVolumeSource{Server: "x", Path: "/"}}),
		claim("block", "pv-block", corev1.ClaimBound), blockPV,
	}
	tests := []struct {
		name     string
		claim    string
		readOnly bool
		want     Mount
		wantErr  string
	}{
		{name: "hostPath volume", claim: "host", want: Mount{HostPath: hostDir}},
		{name: "read-only claim", claim: "host", readOnly: true, want: Mount{HostPath: hostDir, ReadOnly: true}},
		{name: "local volume", claim: "local", want: Mount{HostPath: localDir}},
		{name: "missing claim", claim: "nope",
			wantErr: `error processing PVC ns/nope: failed to fetch PVC from API server: persistentvolumeclaims "nope" not found`},
		{name: "unbound claim", claim: "unbound", wantErr: "error processing PVC ns/unbound: PVC is not bound"},
		{name: "claim being deleted", claim: "deleting", wantErr: "error processing PVC ns/deleting: PVC is being deleted"},
		{name: "bound without a volume name", claim: "no-name", wantErr: "error processing PVC ns/no-name: PVC has empty pvc.Spec.VolumeName"},
		{name: "volume missing", claim: "lost-pv",
			wantErr: `error processing PVC ns/lost-pv: failed to fetch PV pv-gone from API server: persistentvolumes "pv-gone" not found`},
		{name: "volume without claimRef", claim: "unclaimed",
			wantErr: "error processing PVC ns/unclaimed: found PV object pv-unclaimed but it has a nil pv.Spec.ClaimRef indicating it is not yet bound to the claim"},
		{name: "volume bound elsewhere", claim: "stolen",
			wantErr: "error processing PVC ns/stolen: found PV object pv-other but its pv.Spec.ClaimRef.UID claim-someone-else does not point to claim.UID claim-stolen"},
		{name: "unsupported volume source", claim: "nfs",
			wantErr: "persistent volume pv-nfs: only hostPath and local persistent volumes are supported by kubeshim"},
		{name: "block volume", claim: "block", wantErr: "volume data has volumeMode Block, which kubeshim does not support"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t, objects...)
			pod := testPod("1", corev1.Volume{Name: "data", VolumeSource: corev1.VolumeSource{
				PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: tt.claim, ReadOnly: tt.readOnly}}})
			mounts, err := env.m.Setup(context.Background(), pod, PodInfo{})
			if tt.wantErr != "" {
				want := `MountVolume.SetUp failed for volume "data" : ` + tt.wantErr
				if err == nil || err.Error() != want {
					t.Fatalf("Setup error = %v\nwant %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(map[string]Mount{"data": tt.want}, mounts); diff != "" {
				t.Errorf("mounts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEphemeralVolume(t *testing.T) {
	hostDir := t.TempDir()
	pod := testPod("1", corev1.Volume{Name: "scratch", VolumeSource: corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{}}})
	owned := claim("pod-1-scratch", "pv-1", corev1.ClaimBound)
	owned.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "Pod", Name: pod.Name, UID: pod.UID, Controller: ptr(true)}}
	pv := volume("pv-1", "pod-1-scratch", corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: hostDir}})

	env := newTestEnv(t, owned, pv)
	mounts, err := env.m.Setup(context.Background(), pod, PodInfo{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]Mount{"scratch": {HostPath: hostDir}}, mounts); diff != "" {
		t.Errorf("mounts (-want +got):\n%s", diff)
	}

	foreign := claim("pod-1-scratch", "pv-1", corev1.ClaimBound)
	env = newTestEnv(t, foreign, pv)
	_, err = env.m.Setup(context.Background(), pod, PodInfo{})
	want := `MountVolume.SetUp failed for volume "scratch" : PVC ns/pod-1-scratch was not created for pod ns/pod-1 (pod is not owner)`
	if err == nil || err.Error() != want {
		t.Errorf("Setup error = %v\nwant %q", err, want)
	}
}

func TestLocalVolumeFSGroup(t *testing.T) {
	requireRoot(t)
	const gid = 4322
	localDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(localDir, "f"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	env := newTestEnv(t,
		claim("local", "pv-local", corev1.ClaimBound),
		volume("pv-local", "local", corev1.PersistentVolumeSource{Local: &corev1.LocalVolumeSource{Path: localDir}}))
	pod := testPod("1", corev1.Volume{Name: "data", VolumeSource: corev1.VolumeSource{
		PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "local"}}})
	pod.Spec.SecurityContext = &corev1.PodSecurityContext{FSGroup: ptr(int64(gid))}
	if _, err := env.m.Setup(context.Background(), pod, PodInfo{}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(localDir, "f"))
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Sys().(*syscall.Stat_t).Gid; got != gid || fi.Mode().Perm() != 0o660 {
		t.Errorf("file in local volume: group %d mode %v, want group %d mode 0660", got, fi.Mode().Perm(), gid)
	}
	// Once per pod: a file the pod made private later stays private.
	if err := os.Chmod(filepath.Join(localDir, "f"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := env.m.Setup(context.Background(), pod, PodInfo{}); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(filepath.Join(localDir, "f")); fi.Mode().Perm() != 0o600 {
		t.Errorf("second Setup changed permissions again: %v", fi.Mode().Perm())
	}
}

// TestFailedMountMessages: a claim that cannot be used is reported as the
// kubelet's volume manager reports it, beside ordinary mount failures.
func TestFailedMountMessages(t *testing.T) {
	claimVol := func(name, claimName string) corev1.Volume {
		return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claimName}}}
	}
	tests := []struct {
		name    string
		volumes []corev1.Volume
		want    []string
	}{
		{
			name:    "an unbound claim",
			volumes: []corev1.Volume{claimVol("data", "unbound"), {Name: "scratch", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
			want: []string{
				"Unable to attach or mount volumes: unmounted volumes=[data], unattached volumes=[], failed to process volumes=[data]: error processing PVC ns/unbound: PVC is not bound",
			},
		},
		{
			name: "two claims and a config map",
			volumes: []corev1.Volume{
				claimVol("b", "missing"), claimVol("a", "unbound"),
				{Name: "cfg", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "nope"}}}},
			},
			want: []string{
				`MountVolume.SetUp failed for volume "cfg" : configmap "nope" not found`,
				`Unable to attach or mount volumes: unmounted volumes=[a b cfg], unattached volumes=[], failed to process volumes=[a b]: ` +
					`error processing PVC ns/missing: failed to fetch PVC from API server: persistentvolumeclaims "missing" not found; error processing PVC ns/unbound: PVC is not bound`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t, claim("unbound", "", corev1.ClaimPending))
			_, err := env.m.Setup(context.Background(), testPod("1", tt.volumes...), PodInfo{})
			if err == nil {
				t.Fatal("Setup succeeded")
			}
			if diff := cmp.Diff(tt.want, FailedMountMessages(err)); diff != "" {
				t.Errorf("messages (-want +got):\n%s", diff)
			}
		})
	}
}
