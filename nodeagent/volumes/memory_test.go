package volumes

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"
)

func fsTypeOf(t *testing.T, dir string) string {
	t.Helper()
	fsType, err := mountedFSType(dir)
	if err != nil {
		t.Fatal(err)
	}
	return fsType
}

// tmpfsSizeOf reads the size a tmpfs was mounted with from statfs.
func tmpfsSizeOf(t *testing.T, dir string) int64 {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Blocks) * st.Bsize
}

func TestSecretVolumeOnTmpfs(t *testing.T) {
	requireRoot(t)
	ctx := context.Background()
	env := newTestEnv(t, secret("creds", map[string]string{"user": "admin", "password": "hunter2"}))
	pod := testPod("1",
		corev1.Volume{Name: "all", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "creds", DefaultMode: ptr(int32(0o400))}}},
		corev1.Volume{Name: "some", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "creds",
			Items: []corev1.KeyToPath{{Key: "password", Path: "db/pw", Mode: ptr(int32(0o600))}}}}},
		corev1.Volume{Name: "opt", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "gone", Optional: ptr(true)}}},
		corev1.Volume{Name: "req", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "gone"}}},
		corev1.Volume{Name: "key", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "creds",
			Items: []corev1.KeyToPath{{Key: "nope", Path: "x"}}}}},
	)
	info := PodInfo{NodeAllocatable: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("64Mi")}}
	mounts, err := env.m.Setup(ctx, pod, info)
	t.Cleanup(func() { _ = env.m.Teardown(ctx, pod.UID) })

	var got []string
	for _, ve := range VolumeErrors(err) {
		got = append(got, ve.Error())
	}
	want := []string{
		`MountVolume.SetUp failed for volume "req" : secret "gone" not found`,
		`MountVolume.SetUp failed for volume "key" : references non-existent secret key: nope`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("volume errors (-want +got):\n%s", diff)
	}
	dir := func(name string) string { return filepath.Join(env.root, "uid-1", "volumes", PluginSecret, name) }
	wantMounts := map[string]Mount{
		"all":  {HostPath: dir("all"), ReadOnly: true},
		"some": {HostPath: dir("some"), ReadOnly: true},
		"opt":  {HostPath: dir("opt"), ReadOnly: true},
	}
	if diff := cmp.Diff(wantMounts, mounts); diff != "" {
		t.Errorf("mounts (-want +got):\n%s", diff)
	}
	for name := range wantMounts {
		if fsType := fsTypeOf(t, dir(name)); fsType != "tmpfs" {
			t.Errorf("secret volume %s is on %q, want tmpfs", name, fsType)
		}
	}
	if size := tmpfsSizeOf(t, dir("all")); size != 64<<20 {
		t.Errorf("tmpfs size = %d, want node allocatable memory %d", size, 64<<20)
	}
	files, modes := readVolume(t, dir("all"))
	if diff := cmp.Diff(map[string]string{"user": "admin", "password": "hunter2"}, files); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]os.FileMode{"user": 0o400, "password": 0o400}, modes); diff != "" {
		t.Errorf("modes (-want +got):\n%s", diff)
	}
	files, modes = readVolume(t, dir("some"))
	if diff := cmp.Diff(map[string]string{"db/pw": "hunter2"}, files); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]os.FileMode{"db/pw": 0o600}, modes); diff != "" {
		t.Errorf("modes (-want +got):\n%s", diff)
	}

	// Setup again: still one tmpfs per volume, not a second one on top.
	if _, err := env.m.Setup(ctx, pod, info); len(VolumeErrors(err)) != 2 {
		t.Fatalf("second Setup: %v", err)
	}
	mps, err := mountsUnder(filepath.Join(env.root, "uid-1"))
	if err != nil {
		t.Fatal(err)
	}
	if len(mps) != 3 {
		t.Errorf("mounts after a second Setup = %v, want 3", mps)
	}

	if err := env.m.Teardown(ctx, pod.UID); err != nil {
		t.Fatalf("Teardown: %v", err)
	}
	if mps, _ := mountsUnder(filepath.Join(env.root, "uid-1")); len(mps) != 0 {
		t.Errorf("still mounted after Teardown: %v", mps)
	}
	if _, err := os.Stat(filepath.Join(env.root, "uid-1")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("pod directory still there after Teardown: %v", err)
	}
	if err := env.m.Teardown(ctx, pod.UID); err != nil {
		t.Errorf("second Teardown: %v", err)
	}
}

func TestDownwardAPIVolume(t *testing.T) {
	requireRoot(t)
	ctx := context.Background()
	field := func(path, fieldPath string) corev1.DownwardAPIVolumeFile {
		return corev1.DownwardAPIVolumeFile{Path: path, FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: fieldPath}}
	}
	res := func(path, container, r, divisor string) corev1.DownwardAPIVolumeFile {
		f := corev1.DownwardAPIVolumeFile{Path: path, ResourceFieldRef: &corev1.ResourceFieldSelector{ContainerName: container, Resource: r}}
		if divisor != "" {
			f.ResourceFieldRef.Divisor = resource.MustParse(divisor)
		}
		return f
	}
	info := PodInfo{NodeAllocatable: corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("1Gi"),
	}}
	tests := []struct {
		name      string
		items     []corev1.DownwardAPIVolumeFile
		wantFiles map[string]string
		wantErr   string
	}{
		{
			name: "metadata",
			items: []corev1.DownwardAPIVolumeFile{
				field("name", "metadata.name"), field("namespace", "metadata.namespace"), field("uid", "metadata.uid"),
				field("labels", "metadata.labels"), field("annotations", "metadata.annotations"),
				field("sub/app", "metadata.labels['app']"),
			},
			wantFiles: map[string]string{
				"name": "pod-1", "namespace": "ns", "uid": "uid-1",
				"labels": "app=\"web\"\ntier=\"front\"", "annotations": `example.com/note="hello"`,
				"sub/app": "web",
			},
		},
		{
			name: "resources with divisors and allocatable defaults",
			items: []corev1.DownwardAPIVolumeFile{
				res("cpu_limit", "main", "limits.cpu", "1m"), res("cpu_request", "main", "requests.cpu", "1m"),
				res("mem_limit", "main", "limits.memory", "1Mi"), res("mem_request", "main", "requests.memory", ""),
			},
			wantFiles: map[string]string{"cpu_limit": "500", "cpu_request": "250", "mem_limit": "1024", "mem_request": "67108864"},
		},
		{
			name:    "errors are collected",
			items:   []corev1.DownwardAPIVolumeFile{field("x", "spec.nodeName"), res("y", "ghost", "limits.cpu", "")},
			wantErr: `MountVolume.SetUp failed for volume "info" : [unsupported fieldPath: spec.nodeName, container ghost not found]`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t)
			pod := testPod("1", corev1.Volume{Name: "info", VolumeSource: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{Items: tt.items}}})
			pod.Spec.Containers[0].Resources = corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
				Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m")},
			}
			mounts, err := env.m.Setup(ctx, pod, info)
			t.Cleanup(func() { _ = env.m.Teardown(ctx, pod.UID) })
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("Setup error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			dir := mounts["info"].HostPath
			if fsType := fsTypeOf(t, dir); fsType != "tmpfs" {
				t.Errorf("downwardAPI volume is on %q, want tmpfs", fsType)
			}
			files, _ := readVolume(t, dir)
			if diff := cmp.Diff(tt.wantFiles, files); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
		})
	}
}

// tokenReactor answers TokenRequests with numbered tokens, or fails while
// fail is set.
type tokenReactor struct {
	issued   int
	fail     bool
	now      func() time.Time
	requests []*authenticationv1.TokenRequest
}

func (r *tokenReactor) react(action k8stesting.Action) (bool, runtime.Object, error) {
	create, ok := action.(k8stesting.CreateAction)
	if !ok || action.GetSubresource() != "token" {
		return false, nil, nil
	}
	if r.fail {
		return true, nil, errors.New("token service down")
	}
	req := create.GetObject().(*authenticationv1.TokenRequest).DeepCopy()
	r.requests = append(r.requests, req)
	r.issued++
	req.Status.Token = fmt.Sprintf("token-%d", r.issued)
	req.Status.ExpirationTimestamp = metav1.NewTime(r.now().Add(time.Duration(*req.Spec.ExpirationSeconds) * time.Second))
	return true, req, nil
}

func TestProjectedVolume(t *testing.T) {
	requireRoot(t)
	ctx := context.Background()
	env := newTestEnv(t, configMap("cfg", map[string]string{"ca.crt": "CA"}), secret("sec", map[string]string{"key": "K"}))
	tokens := &tokenReactor{now: env.clock.Now}
	env.client.PrependReactor("create", "serviceaccounts", tokens.react)

	pod := testPod("1", corev1.Volume{Name: "proj", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
		DefaultMode: ptr(int32(0o444)),
		Sources: []corev1.VolumeProjection{
			{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token", Audience: "vault"}},
			{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}}},
			{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "sec"},
				Items: []corev1.KeyToPath{{Key: "key", Path: "tls/key", Mode: ptr(int32(0o400))}}}},
			{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "nope"}, Optional: ptr(true)}},
			{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{
				{Path: "namespace", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}}}},
		},
	}}})
	t.Cleanup(func() { _ = env.m.Teardown(ctx, pod.UID) })

	setup := func() map[string]string {
		t.Helper()
		mounts, err := env.m.Setup(ctx, pod, PodInfo{})
		if err != nil {
			t.Fatalf("Setup: %v", err)
		}
		dir := mounts["proj"].HostPath
		if want := filepath.Join(env.root, "uid-1", "volumes", PluginProjected, "proj"); dir != want {
			t.Errorf("projected volume at %s, want %s", dir, want)
		}
		files, _ := readVolume(t, dir)
		return files
	}
	files := setup()
	want := map[string]string{"token": "token-1", "ca.crt": "CA", "tls/key": "K", "namespace": "ns"}
	if diff := cmp.Diff(want, files); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if fsType := fsTypeOf(t, filepath.Join(env.root, "uid-1", "volumes", PluginProjected, "proj")); fsType != "tmpfs" {
		t.Errorf("projected volume is on %q, want tmpfs", fsType)
	}
	wantReq := authenticationv1.TokenRequestSpec{
		Audiences:         []string{"vault"},
		ExpirationSeconds: ptr(int64(3600)),
		BoundObjectRef:    &authenticationv1.BoundObjectReference{APIVersion: "v1", Kind: "Pod", Name: "pod-1", UID: "uid-1"},
	}
	if len(tokens.requests) != 1 {
		t.Fatalf("%d token requests, want 1", len(tokens.requests))
	}
	if diff := cmp.Diff(wantReq, tokens.requests[0].Spec); diff != "" {
		t.Errorf("token request (-want +got):\n%s", diff)
	}

	// 47 minutes in, under 80% of the hour: the cached token is still good
	// (the jitter of at most 10s cannot bring the 48-minute mark this close).
	env.clock.Step(47 * time.Minute)
	if files := setup(); files["token"] != "token-1" || tokens.issued != 1 {
		t.Errorf("token refreshed early: file %q after %d requests", files["token"], tokens.issued)
	}
	// Past 80%: refreshed, and the file changes.
	env.clock.Step(2 * time.Minute)
	if files := setup(); files["token"] != "token-2" {
		t.Errorf("token after 49 minutes = %q, want token-2", files["token"])
	}
	// A failed refresh keeps the current token while it is valid...
	env.clock.Step(49 * time.Minute)
	tokens.fail = true
	if files := setup(); files["token"] != "token-2" {
		t.Errorf("token after a failed refresh = %q, want token-2 kept", files["token"])
	}
	// ... and fails once it has expired.
	env.clock.Step(12 * time.Minute)
	_, err := env.m.Setup(ctx, pod, PodInfo{})
	if err == nil || len(VolumeErrors(err)) != 1 {
		t.Fatalf("Setup with an expired token and a failing refresh: %v", err)
	}
	tokens.fail = false
	if files := setup(); files["token"] != "token-3" {
		t.Errorf("token after recovery = %q, want token-3", files["token"])
	}
}

func TestEmptyDir(t *testing.T) {
	requireRoot(t)
	ctx := context.Background()
	env := newTestEnv(t)
	pod := testPod("1",
		corev1.Volume{Name: "disk", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
		corev1.Volume{Name: "mem", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{
			Medium: corev1.StorageMediumMemory, SizeLimit: ptr(resource.MustParse("8Mi"))}}},
		corev1.Volume{Name: "huge", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumHugePages}}},
	)
	t.Cleanup(func() { _ = env.m.Teardown(ctx, pod.UID) })
	info := PodInfo{NodeAllocatable: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")}}
	mounts, err := env.m.Setup(ctx, pod, info)
	if want := `MountVolume.SetUp failed for volume "huge" : emptyDir medium "HugePages" is not supported by kubeshim`; err == nil || err.Error() != want {
		t.Errorf("Setup error = %v, want %q", err, want)
	}
	dir := func(name string) string { return filepath.Join(env.root, "uid-1", "volumes", PluginEmptyDir, name) }
	if diff := cmp.Diff(map[string]Mount{"disk": {HostPath: dir("disk")}, "mem": {HostPath: dir("mem")}}, mounts); diff != "" {
		t.Errorf("mounts (-want +got):\n%s", diff)
	}
	fi, err := os.Stat(dir("disk"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o777 {
		t.Errorf("disk emptyDir mode = %v, want 0777", fi.Mode().Perm())
	}
	if fsType := fsTypeOf(t, dir("disk")); fsType != "" {
		t.Errorf("disk emptyDir is a %s mount", fsType)
	}
	if fsType := fsTypeOf(t, dir("mem")); fsType != "tmpfs" {
		t.Errorf("memory emptyDir is on %q, want tmpfs", fsType)
	}
	if size := tmpfsSizeOf(t, dir("mem")); size != 8<<20 {
		t.Errorf("memory emptyDir size = %d, want the sizeLimit %d", size, 8<<20)
	}

	// Data survives a second Setup.
	if err := os.WriteFile(filepath.Join(dir("mem"), "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := env.m.Setup(ctx, pod, info); len(VolumeErrors(err)) != 1 {
		t.Fatalf("second Setup: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(dir("mem"), "f")); err != nil || string(b) != "x" {
		t.Errorf("file in memory emptyDir after a second Setup: %q, %v", b, err)
	}
}

func TestFSGroup(t *testing.T) {
	requireRoot(t)
	ctx := context.Background()
	const gid = 4321
	env := newTestEnv(t, configMap("cfg", map[string]string{"a": "A"}))
	tokens := &tokenReactor{now: env.clock.Now}
	env.client.PrependReactor("create", "serviceaccounts", tokens.react)
	hostDir := t.TempDir()
	pod := testPod("1",
		corev1.Volume{Name: "scratch", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
		corev1.Volume{Name: "cfg", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}, DefaultMode: ptr(int32(0o400))}}},
		corev1.Volume{Name: "sa", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
			Sources: []corev1.VolumeProjection{{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token"}}}}}},
		corev1.Volume{Name: "host", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: hostDir}}},
	)
	pod.Spec.SecurityContext = &corev1.PodSecurityContext{FSGroup: ptr(int64(gid))}
	t.Cleanup(func() { _ = env.m.Teardown(ctx, pod.UID) })
	type owner struct {
		Gid  uint32
		Mode os.FileMode
	}
	stat := func(p string) owner {
		t.Helper()
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return owner{Gid: fi.Sys().(*syscall.Stat_t).Gid, Mode: fi.Mode()}
	}
	hostBefore := stat(hostDir)
	if hostBefore.Gid == gid {
		t.Fatalf("test directory already has group %d", gid)
	}
	mounts, err := env.m.Setup(ctx, pod, PodInfo{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]owner{
		"scratch":   stat(mounts["scratch"].HostPath),
		"cfg/a":     stat(filepath.Join(mounts["cfg"].HostPath, "a")),
		"sa/token":  stat(filepath.Join(mounts["sa"].HostPath, "token")),
		"sa/..data": stat(filepath.Join(mounts["sa"].HostPath, dataDirName)),
		"host":      stat(hostDir),
	}
	want := map[string]owner{
		"scratch": {Gid: gid, Mode: os.ModeDir | os.ModeSetgid | 0o777},
		// 0400 plus group read: read-only volumes get 0440 added.
		"cfg/a": {Gid: gid, Mode: 0o440},
		// A token with fsGroup is 0600 (not the default 0644) plus group read.
		"sa/token":  {Gid: gid, Mode: 0o640},
		"sa/..data": {Gid: gid, Mode: os.ModeDir | os.ModeSetgid | 0o755},
		// hostPath volumes are left alone.
		"host": hostBefore,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ownership (-want +got):\n%s", diff)
	}
}

func TestTmpfsSize(t *testing.T) {
	mi := func(n int64) int64 { return n << 20 }
	limits := func(mem string) corev1.ResourceRequirements {
		return corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse(mem)}}
	}
	always := corev1.ContainerRestartPolicyAlways
	tests := []struct {
		name        string
		spec        corev1.PodSpec
		sizeLimit   string
		allocatable string
		want        int64
	}{
		{name: "nothing known: kernel default", want: 0},
		{name: "allocatable", allocatable: "1Gi", want: mi(1024)},
		{name: "sizeLimit below allocatable", allocatable: "1Gi", sizeLimit: "10Mi", want: mi(10)},
		{name: "sizeLimit above allocatable", allocatable: "1Gi", sizeLimit: "2Gi", want: mi(1024)},
		{
			name:        "all containers limited",
			allocatable: "1Gi",
			spec: corev1.PodSpec{
				Containers:     []corev1.Container{{Resources: limits("100Mi")}, {Resources: limits("50Mi")}},
				InitContainers: []corev1.Container{{Resources: limits("120Mi")}},
			},
			want: mi(150),
		},
		{
			name:        "init container larger than the rest",
			allocatable: "1Gi",
			spec: corev1.PodSpec{
				Containers:     []corev1.Container{{Resources: limits("100Mi")}},
				InitContainers: []corev1.Container{{Resources: limits("300Mi")}},
			},
			want: mi(300),
		},
		{
			name:        "sidecar adds to the regular containers and later init containers",
			allocatable: "1Gi",
			spec: corev1.PodSpec{
				Containers: []corev1.Container{{Resources: limits("100Mi")}},
				InitContainers: []corev1.Container{
					{Resources: limits("20Mi"), RestartPolicy: &always},
					{Resources: limits("200Mi")},
				},
				Overhead: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Mi")},
			},
			want: mi(221),
		},
		{
			name:        "one container unlimited: no pod limit",
			allocatable: "1Gi",
			spec:        corev1.PodSpec{Containers: []corev1.Container{{Resources: limits("100Mi")}, {}}},
			want:        mi(1024),
		},
		{
			name:        "pod-level limit",
			allocatable: "1Gi",
			sizeLimit:   "512Mi",
			spec:        corev1.PodSpec{Resources: &corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("256Mi")}}},
			want:        mi(256),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sizeLimit *resource.Quantity
			if tt.sizeLimit != "" {
				sizeLimit = ptr(resource.MustParse(tt.sizeLimit))
			}
			alloc := corev1.ResourceList{}
			if tt.allocatable != "" {
				alloc[corev1.ResourceMemory] = resource.MustParse(tt.allocatable)
			}
			if diff := cmp.Diff(tt.want, tmpfsSize(&corev1.Pod{Spec: tt.spec}, sizeLimit, alloc)); diff != "" {
				t.Errorf("tmpfsSize (-want +got):\n%s", diff)
			}
		})
	}
}
