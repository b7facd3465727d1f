package volumes

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
)

func TestHostPath(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "dir")
	regular := filepath.Join(base, "file")
	sock := filepath.Join(base, "sock")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(regular, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	missing := filepath.Join(base, "missing")

	typ := func(tp corev1.HostPathType) *corev1.HostPathType { return &tp }
	tests := []struct {
		name     string
		path     string
		pathType *corev1.HostPathType
		wantErr  string
		created  bool
	}{
		{name: "no type, missing path", path: missing},
		{name: "unset type", path: missing, pathType: typ(corev1.HostPathUnset)},
		{name: "directory", path: dir, pathType: typ(corev1.HostPathDirectory)},
		{name: "directory but a file", path: regular, pathType: typ(corev1.HostPathDirectory),
			wantErr: fmt.Sprintf("hostPath type check failed: %s is not a directory, it's a File", regular)},
		{name: "directory missing", path: missing, pathType: typ(corev1.HostPathDirectory),
			wantErr: fmt.Sprintf("hostPath type check failed, %s is not a directory, unable to determine its type: path %q does not exist", missing, missing)},
		{name: "directory or create, creates", path: filepath.Join(base, "new/sub"), pathType: typ(corev1.HostPathDirectoryOrCreate), created: true},
		{name: "directory or create, existing file", path: regular, pathType: typ(corev1.HostPathDirectoryOrCreate),
			wantErr: fmt.Sprintf("hostPath type check failed: %s is not a directory, it's a File", regular)},
		{name: "file", path: regular, pathType: typ(corev1.HostPathFile)},
		{name: "file but a directory", path: dir, pathType: typ(corev1.HostPathFile),
			wantErr: fmt.Sprintf("hostPath type check failed: %s is not a file, it's a Directory", dir)},
		{name: "file or create, creates", path: filepath.Join(base, "newfile"), pathType: typ(corev1.HostPathFileOrCreate), created: true},
		{name: "socket", path: sock, pathType: typ(corev1.HostPathSocket)},
		{name: "socket but a file", path: regular, pathType: typ(corev1.HostPathSocket),
			wantErr: fmt.Sprintf("hostPath type check failed: %s is not a socket file, it's a File", regular)},
		{name: "char device", path: "/dev/null", pathType: typ(corev1.HostPathCharDev)},
		{name: "block device but a char device", path: "/dev/null", pathType: typ(corev1.HostPathBlockDev),
			wantErr: "hostPath type check failed: /dev/null is not a block device, it's a CharDevice"},
		{name: "char device but a directory", path: dir, pathType: typ(corev1.HostPathCharDev),
			wantErr: fmt.Sprintf("hostPath type check failed: %s is not a character device, it's a Directory", dir)},
		{name: "invalid type", path: dir, pathType: typ("Weird"), wantErr: "Weird is an invalid volume type"},
		{name: "backsteps", path: "/var/../etc", wantErr: "invalid HostPath `/var/../etc`: must not contain '..'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t)
			pod := testPod("1", corev1.Volume{Name: "h", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: tt.path, Type: tt.pathType}}})
			mounts, err := env.m.Setup(context.Background(), pod, PodInfo{})
			if tt.wantErr != "" {
				want := `MountVolume.SetUp failed for volume "h" : ` + tt.wantErr
				if err == nil || err.Error() != want {
					t.Fatalf("Setup error = %v\nwant %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(map[string]Mount{"h": {HostPath: tt.path}}, mounts); diff != "" {
				t.Errorf("mounts (-want +got):\n%s", diff)
			}
			if _, err := os.Stat(tt.path); tt.created && err != nil {
				t.Errorf("%s not created: %v", tt.path, err)
			}
		})
	}
}

func TestNestedMountpoints(t *testing.T) {
	pod := &corev1.Pod{Spec: corev1.PodSpec{
		InitContainers: []corev1.Container{{VolumeMounts: []corev1.VolumeMount{
			{Name: "cfg", MountPath: "/etc/app"}, {Name: "init-certs", MountPath: "/etc/app/init"},
		}}},
		Containers: []corev1.Container{{VolumeMounts: []corev1.VolumeMount{
			{Name: "cfg", MountPath: "/etc/app/"},
			{Name: "certs", MountPath: "/etc/app/certs"},
			{Name: "deeper", MountPath: "/etc/app/certs/extra"},
			{Name: "other", MountPath: "/etc/application"},
			{Name: "data", MountPath: "/etc/app/data/x"},
		}}},
	}}
	want := []string{"init", "certs", "data/x"}
	if diff := cmp.Diff(want, nestedMountpoints("cfg", pod)); diff != "" {
		t.Errorf("nestedMountpoints (-want +got):\n%s", diff)
	}
	if got := nestedMountpoints("other", pod); len(got) != 0 {
		t.Errorf("other has nested mount points %v", got)
	}
}

// TestNestedMountpointCreated checks that a read-only volume gets the
// directory another volume is mounted on.
func TestNestedMountpointCreated(t *testing.T) {
	ctx := context.Background()
	env := newTestEnv(t, configMap("cfg", map[string]string{"a": "A"}))
	pod := testPod("1",
		corev1.Volume{Name: "cfg", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}}}},
		corev1.Volume{Name: "scratch", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
	)
	pod.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "cfg", MountPath: "/etc/app"}, {Name: "scratch", MountPath: "/etc/app/cache"}}
	mounts, err := env.m.Setup(ctx, pod, PodInfo{})
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(mounts["cfg"].HostPath, "cache")); err != nil || !fi.IsDir() {
		t.Errorf("nested mount point not created: %v", err)
	}
	files, _ := readVolume(t, mounts["cfg"].HostPath)
	if diff := cmp.Diff(map[string]string{"a": "A"}, files); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}
