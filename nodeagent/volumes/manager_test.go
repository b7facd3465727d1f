package volumes

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	k8stypes "k8s.io/apimachinery/pkg/types"
)

func TestTeardownAndOrphans(t *testing.T) {
	requireRoot(t)
	ctx := context.Background()
	env := newTestEnv(t)
	for _, uid := range []string{"a", "b", "c"} {
		pod := testPod(uid,
			corev1.Volume{Name: "mem", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory}}},
			corev1.Volume{Name: "disk", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
		)
		if _, err := env.m.Setup(ctx, pod, PodInfo{}); err != nil {
			t.Fatal(err)
		}
	}
	// A tmpfs mounted on top of a directory inside another tmpfs: Teardown
	// takes the upper one off first.
	inner := filepath.Join(env.root, "uid-a", "volumes", PluginEmptyDir, "mem", "inner")
	if err := os.Mkdir(inner, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := mountTmpfs(inner, 1<<20); err != nil {
		t.Fatal(err)
	}

	uids, err := env.m.PodUIDs()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]k8stypes.UID{"uid-a", "uid-b", "uid-c"}, uids); diff != "" {
		t.Errorf("PodUIDs (-want +got):\n%s", diff)
	}
	removed, err := env.m.CleanupOrphans(ctx, func(uid k8stypes.UID) bool { return uid == "uid-b" })
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(removed, func(i, j int) bool { return removed[i] < removed[j] })
	if diff := cmp.Diff([]k8stypes.UID{"uid-a", "uid-c"}, removed); diff != "" {
		t.Errorf("CleanupOrphans removed (-want +got):\n%s", diff)
	}
	for _, uid := range []string{"uid-a", "uid-c"} {
		if mps, _ := mountsUnder(filepath.Join(env.root, uid)); len(mps) != 0 {
			t.Errorf("%s still has mounts %v", uid, mps)
		}
		if _, err := os.Stat(filepath.Join(env.root, uid)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s not removed: %v", uid, err)
		}
	}
	if err := env.m.Teardown(ctx, "uid-b"); err != nil {
		t.Fatal(err)
	}
	if uids, _ := env.m.PodUIDs(); len(uids) != 0 {
		t.Errorf("pods left: %v", uids)
	}
	for _, bad := range []k8stypes.UID{"", "..", "a/b"} {
		if err := env.m.Teardown(ctx, bad); err == nil {
			t.Errorf("Teardown(%q) succeeded", bad)
		}
	}
}

func TestTeardownRecreatesAfterLoss(t *testing.T) {
	requireRoot(t)
	ctx := context.Background()
	env := newTestEnv(t)
	pod := testPod("1", corev1.Volume{Name: "mem", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory}}})
	t.Cleanup(func() { _ = env.m.Teardown(ctx, pod.UID) })
	mounts, err := env.m.Setup(ctx, pod, PodInfo{})
	if err != nil {
		t.Fatal(err)
	}
	// The tmpfs vanishes (a reboot would do this) but the ready marker stays.
	if err := unmount(mounts["mem"].HostPath); err != nil {
		t.Fatal(err)
	}
	if _, err := env.m.Setup(ctx, pod, PodInfo{}); err != nil {
		t.Fatal(err)
	}
	if fsType := fsTypeOf(t, mounts["mem"].HostPath); fsType != "tmpfs" {
		t.Errorf("memory emptyDir not remounted: %q", fsType)
	}
}

func TestUnsupportedVolume(t *testing.T) {
	env := newTestEnv(t)
	pod := testPod("1",
		corev1.Volume{Name: "nfs", VolumeSource: corev1.VolumeSource{NFS: &corev1.NFSVolumeSource{Server: "s", Path: "/"}}},
		corev1.Volume{Name: "ok", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}},
	)
	mounts, err := env.m.Setup(context.Background(), pod, PodInfo{})
	want := `MountVolume.SetUp failed for volume "nfs" : volume "nfs": nfs volumes are not supported by kubeshim`
	if err == nil || err.Error() != want {
		t.Errorf("Setup error = %v\nwant %q", err, want)
	}
	if diff := cmp.Diff(map[string]Mount{"ok": {HostPath: "/"}}, mounts); diff != "" {
		t.Errorf("mounts (-want +got):\n%s", diff)
	}
}

func TestVolumeErrors(t *testing.T) {
	a := &VolumeError{Volume: "a", Err: errors.New("boom")}
	b := &VolumeError{Volume: "b", Err: errors.New("bang")}
	tests := []struct {
		name string
		err  error
		want []*VolumeError
	}{
		{name: "nil", err: nil},
		{name: "single", err: errors.Join(a), want: []*VolumeError{a}},
		{name: "several", err: errors.Join(a, b), want: []*VolumeError{a, b}},
		{name: "other error", err: fmt.Errorf("x: %w", errors.New("y"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			same := cmp.Comparer(func(x, y *VolumeError) bool { return x == y })
			if diff := cmp.Diff(tt.want, VolumeErrors(tt.err), same); diff != "" {
				t.Errorf("VolumeErrors (-want +got):\n%s", diff)
			}
		})
	}
	if got, want := a.Error(), `MountVolume.SetUp failed for volume "a" : boom`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestParseMountInfo(t *testing.T) {
	data := []byte(`22 1 0:21 / /proc rw,nosuid shared:5 - proc proc rw
30 22 0:25 / /var/lib/kubeshim/pods/u/volumes/kubernetes.io~secret/my\040vol rw master:1 - tmpfs tmpfs rw,size=1024k
31 22 0:26 / /with\134backslash rw - ext4 /dev/sda1 rw
`)
	got, err := parseMountInfo(data)
	if err != nil {
		t.Fatal(err)
	}
	want := []mountPoint{
		{path: "/proc", fsType: "proc"},
		{path: "/var/lib/kubeshim/pods/u/volumes/kubernetes.io~secret/my vol", fsType: "tmpfs"},
		{path: `/with\backslash`, fsType: "ext4"},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(mountPoint{})); diff != "" {
		t.Errorf("parseMountInfo (-want +got):\n%s", diff)
	}
	if _, err := parseMountInfo([]byte("1 2 3\n")); err == nil {
		t.Error("a malformed line parsed")
	}
}

func TestValidatePayloadPath(t *testing.T) {
	long := make([]byte, 256)
	for i := range long {
		long[i] = 'a'
	}
	tests := []struct {
		path, wantErr string
	}{
		{path: "a"},
		{path: "a/b/c"},
		{path: "..a/b", wantErr: "invalid path: must not start with '..': ..a/b"},
		{path: "a/..b"},
		{path: "", wantErr: `invalid path: must not be empty: ""`},
		{path: "/abs", wantErr: "invalid path: must be relative path: /abs"},
		{path: "a/../b", wantErr: "invalid path: must not contain '..': a/../b"},
		{path: string(long), wantErr: "invalid path: filenames must be less than or equal to 255 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			err := validatePayloadPath(tt.path)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if diff := cmp.Diff(tt.wantErr, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
