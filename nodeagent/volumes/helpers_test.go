package volumes

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stypes "k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	testingclock "k8s.io/utils/clock/testing"
)

const testNS = "ns"

// requireRoot skips tests that mount tmpfs or chown.
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: mounts tmpfs and changes file ownership")
	}
}

type testEnv struct {
	m      *Manager
	client *fake.Clientset
	clock  *testingclock.FakeClock
	root   string
}

// newTestEnv returns a Manager over a fresh root and fake API objects. Its
// cleanup unmounts whatever a failed test left mounted under the root before
// t.TempDir's cleanup removes it (cleanups run last-registered first).
func newTestEnv(t *testing.T, objects ...runtime.Object) *testEnv {
	t.Helper()
	root := t.TempDir()
	client := fake.NewClientset(objects...)
	clk := testingclock.NewFakeClock(time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC))
	m := New(Config{Client: client, RootDir: root, NodeName: "node-1", Clock: clk})
	t.Cleanup(func() {
		mounts, err := mountsUnder(m.rootDir)
		if err != nil {
			t.Errorf("list leftover mounts: %v", err)
			return
		}
		sort.Slice(mounts, func(i, j int) bool { return len(mounts[i]) > len(mounts[j]) })
		for _, mp := range mounts {
			t.Errorf("test left %s mounted", mp)
			if err := unmount(mp); err != nil {
				t.Errorf("unmount leftover: %v", err)
			}
		}
	})
	return &testEnv{m: m, client: client, clock: clk, root: m.rootDir}
}

func testPod(uid string, volumes ...corev1.Volume) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: testNS, Name: "pod-" + uid, UID: k8stypes.UID("uid-" + uid),
			Labels:      map[string]string{"app": "web", "tier": "front"},
			Annotations: map[string]string{"example.com/note": "hello"},
		},
		Spec: corev1.PodSpec{
			NodeName:           "node-1",
			ServiceAccountName: "builder",
			Containers:         []corev1.Container{{Name: "main"}},
			Volumes:            volumes,
		},
	}
}

func configMap(name string, data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: testNS, Name: name}, Data: data}
}

func secret(name string, data map[string]string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: testNS, Name: name}, Data: map[string][]byte{}}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	return s
}

func ptr[T any](v T) *T { return &v }

// readVolume returns every user-visible file of an atomically written volume
// (followed through its symlinks) with its contents, plus the file modes.
func readVolume(t *testing.T, dir string) (map[string]string, map[string]os.FileMode) {
	t.Helper()
	files := map[string]string{}
	modes := map[string]os.FileMode{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("read volume: %v", err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "..") {
			continue
		}
		if e.Type()&os.ModeSymlink == 0 {
			// Nested mount points are plain directories.
			continue
		}
		target, err := os.Readlink(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if want := filepath.Join(dataDirName, e.Name()); target != want {
			t.Errorf("%s links to %s, want %s", e.Name(), target, want)
		}
		err = filepath.Walk(filepath.Join(dir, dataDirName, e.Name()), func(p string, fi os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			if fi.IsDir() {
				return nil
			}
			rel, _ := filepath.Rel(filepath.Join(dir, dataDirName), p)
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			files[rel] = string(b)
			modes[rel] = fi.Mode()
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return files, modes
}

func dataDirTarget(t *testing.T, dir string) string {
	t.Helper()
	target, err := os.Readlink(filepath.Join(dir, dataDirName))
	if err != nil {
		t.Fatalf("read ..data: %v", err)
	}
	return target
}
