package volumes

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestConfigMapVolume(t *testing.T) {
	cm := configMap("cfg", map[string]string{"a.conf": "A", "b.conf": "B"})
	cm.BinaryData = map[string][]byte{"bin": {0, 1, 2}}
	ref := func(name string) corev1.LocalObjectReference { return corev1.LocalObjectReference{Name: name} }
	tests := []struct {
		name      string
		src       corev1.ConfigMapVolumeSource
		wantFiles map[string]string
		wantModes map[string]os.FileMode
		wantErr   string
	}{
		{
			name:      "all keys with the default mode",
			src:       corev1.ConfigMapVolumeSource{LocalObjectReference: ref("cfg")},
			wantFiles: map[string]string{"a.conf": "A", "b.conf": "B", "bin": "\x00\x01\x02"},
			wantModes: map[string]os.FileMode{"a.conf": 0o644, "b.conf": 0o644, "bin": 0o644},
		},
		{
			name: "items at paths with modes",
			src: corev1.ConfigMapVolumeSource{
				LocalObjectReference: ref("cfg"),
				DefaultMode:          ptr(int32(0o440)),
				Items: []corev1.KeyToPath{
					{Key: "a.conf", Path: "conf/app/a"},
					{Key: "bin", Path: "bin.dat", Mode: ptr(int32(0o600))},
				},
			},
			wantFiles: map[string]string{"conf/app/a": "A", "bin.dat": "\x00\x01\x02"},
			wantModes: map[string]os.FileMode{"conf/app/a": 0o440, "bin.dat": 0o600},
		},
		{
			name:      "missing optional config map is an empty volume",
			src:       corev1.ConfigMapVolumeSource{LocalObjectReference: ref("nope"), Optional: ptr(true)},
			wantFiles: map[string]string{},
			wantModes: map[string]os.FileMode{},
		},
		{
			name: "missing key of optional config map is skipped",
			src: corev1.ConfigMapVolumeSource{LocalObjectReference: ref("cfg"), Optional: ptr(true),
				Items: []corev1.KeyToPath{{Key: "nope", Path: "x"}, {Key: "b.conf", Path: "b"}}},
			wantFiles: map[string]string{"b": "B"},
			wantModes: map[string]os.FileMode{"b": 0o644},
		},
		{
			name:    "missing config map",
			src:     corev1.ConfigMapVolumeSource{LocalObjectReference: ref("nope")},
			wantErr: `MountVolume.SetUp failed for volume "vol" : configmap "nope" not found`,
		},
		{
			name: "missing key",
			src: corev1.ConfigMapVolumeSource{LocalObjectReference: ref("cfg"),
				Items: []corev1.KeyToPath{{Key: "nope", Path: "x"}}},
			wantErr: `MountVolume.SetUp failed for volume "vol" : configmap references non-existent config key: nope`,
		},
		{
			name: "path escaping the volume",
			src: corev1.ConfigMapVolumeSource{LocalObjectReference: ref("cfg"),
				Items: []corev1.KeyToPath{{Key: "a.conf", Path: "../escape"}}},
			wantErr: `MountVolume.SetUp failed for volume "vol" : write volume contents: invalid path: must not contain '..': ../escape`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t, cm)
			pod := testPod("1", corev1.Volume{Name: "vol", VolumeSource: corev1.VolumeSource{ConfigMap: &tt.src}})
			mounts, err := env.m.Setup(context.Background(), pod, PodInfo{})
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("Setup error = %v, want %q", err, tt.wantErr)
				}
				if len(mounts) != 0 {
					t.Errorf("a failed volume was returned: %v", mounts)
				}
				return
			}
			if err != nil {
				t.Fatalf("Setup: %v", err)
			}
			dir := filepath.Join(env.root, "uid-1", "volumes", PluginConfigMap, "vol")
			if diff := cmp.Diff(map[string]Mount{"vol": {HostPath: dir, ReadOnly: true}}, mounts); diff != "" {
				t.Errorf("mounts (-want +got):\n%s", diff)
			}
			files, modes := readVolume(t, dir)
			if diff := cmp.Diff(tt.wantFiles, files); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantModes, modes); diff != "" {
				t.Errorf("modes (-want +got):\n%s", diff)
			}
			if err := env.m.Teardown(context.Background(), pod.UID); err != nil {
				t.Fatalf("Teardown: %v", err)
			}
			if _, err := os.Stat(filepath.Join(env.root, "uid-1")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("pod directory still there after Teardown: %v", err)
			}
		})
	}
}

// TestConfigMapUpdate checks the atomic update: a changed config map gives a
// new timestamped directory behind ..data, the old one goes, keys that are
// gone lose their links, and an unchanged one leaves everything alone.
func TestConfigMapUpdate(t *testing.T) {
	ctx := context.Background()
	env := newTestEnv(t, configMap("cfg", map[string]string{"keep": "1", "drop": "2"}))
	pod := testPod("1", corev1.Volume{Name: "vol", VolumeSource: corev1.VolumeSource{
		ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}}}})
	dir := filepath.Join(env.root, "uid-1", "volumes", PluginConfigMap, "vol")
	t.Cleanup(func() { _ = env.m.Teardown(ctx, pod.UID) })

	if _, err := env.m.Setup(ctx, pod, PodInfo{}); err != nil {
		t.Fatal(err)
	}
	first := dataDirTarget(t, dir)
	if want := "..2026_01_02_15_04_05."; len(first) <= len(want) || first[:len(want)] != want {
		t.Errorf("..data -> %q, want a %s<random> directory", first, want)
	}
	// A running container holds the file open through the link, as a process
	// watching its config would.
	keep, err := os.Open(filepath.Join(dir, "keep"))
	if err != nil {
		t.Fatal(err)
	}
	defer keep.Close()

	// Unchanged: nothing is rewritten.
	env.clock.Step(61e9)
	if _, err := env.m.Setup(ctx, pod, PodInfo{}); err != nil {
		t.Fatal(err)
	}
	if got := dataDirTarget(t, dir); got != first {
		t.Errorf("unchanged config map rewrote ..data: %s -> %s", first, got)
	}

	cm := configMap("cfg", map[string]string{"keep": "1-new", "add": "3"})
	if _, err := env.client.CoreV1().ConfigMaps(testNS).Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.m.Setup(ctx, pod, PodInfo{}); err != nil {
		t.Fatal(err)
	}
	second := dataDirTarget(t, dir)
	if second == first {
		t.Fatalf("..data still points to %s after an update", first)
	}
	if want := "..2026_01_02_15_05_06."; second[:len(want)] != want {
		t.Errorf("new data directory %s is not named after the clock (%s...)", second, want)
	}
	if _, err := os.Stat(filepath.Join(dir, first)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("old data directory %s not removed: %v", first, err)
	}
	files, _ := readVolume(t, dir)
	if diff := cmp.Diff(map[string]string{"keep": "1-new", "add": "3"}, files); diff != "" {
		t.Errorf("files after update (-want +got):\n%s", diff)
	}
	if _, err := os.Lstat(filepath.Join(dir, "drop")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("link of a removed key is still there: %v", err)
	}
	// The open file is the old version: the update never changed a file in place.
	old := make([]byte, 10)
	n, _ := keep.Read(old)
	if got := string(old[:n]); got != "1" {
		t.Errorf("open file read %q, want the old contents %q", got, "1")
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if diff := cmp.Diff([]string{second, "..data", "add", "keep"}, names); diff != "" {
		t.Errorf("volume directory entries (-want +got):\n%s", diff)
	}
}
