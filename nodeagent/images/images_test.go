package images

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/pkg/cio"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	cspec "github.com/containerd/containerd/v2/pkg/oci"
	"github.com/google/go-cmp/cmp"

	"github.com/kubeshim/kubeshim/nodeagent/images/oci"
	"github.com/kubeshim/kubeshim/nodeagent/runtime"
)

const containerdSocket = "/run/containerd/containerd.sock"

// testNamespace connects to the host's containerd and returns a fresh
// namespace that is emptied and removed when the test ends. It skips when
// there is no containerd to talk to.
func testNamespace(t *testing.T) (*containerd.Client, string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to run containers")
	}
	if _, err := os.Stat(containerdSocket); err != nil {
		t.Skipf("needs containerd at %s: %v", containerdSocket, err)
	}
	client, err := containerd.New(containerdSocket)
	if err != nil {
		t.Skipf("needs containerd: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := client.Version(ctx); err != nil {
		client.Close()
		t.Skipf("needs a running containerd at %s: %v", containerdSocket, err)
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	ns := "kubeshim-test-" + hex.EncodeToString(b)
	t.Cleanup(func() {
		removeNamespace(t, client, ns)
		client.Close()
	})
	return client, ns
}

// removeNamespace deletes what the test left in ns and then ns itself.
func removeNamespace(t *testing.T, client *containerd.Client, ns string) {
	ctx := namespaces.WithNamespace(context.Background(), ns)
	containers, err := client.Containers(ctx)
	if err != nil {
		t.Errorf("list containers of %s: %v", ns, err)
	}
	for _, c := range containers {
		if task, err := c.Task(ctx, nil); err == nil {
			_, _ = task.Delete(ctx, containerd.WithProcessKill)
		}
		if err := c.Delete(ctx, containerd.WithSnapshotCleanup); err != nil {
			t.Errorf("delete container %s: %v", c.ID(), err)
		}
	}
	imgs, err := client.ImageService().List(ctx)
	if err != nil {
		t.Errorf("list images of %s: %v", ns, err)
	}
	for _, img := range imgs {
		// Synchronous: the garbage collector removes the content and
		// snapshots before the namespace is deleted.
		if err := client.ImageService().Delete(ctx, img.Name, images.SynchronousDelete()); err != nil {
			t.Errorf("delete image %s: %v", img.Name, err)
		}
	}
	var lastErr error
	for i := 0; i < 20; i++ {
		if lastErr = client.NamespaceService().Delete(context.Background(), ns); lastErr == nil {
			if err := runtime.RemoveNamespaceLeftovers(context.Background(), ns); err != nil {
				t.Error(err)
			}
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Errorf("delete namespace %s: %v", ns, lastErr)
}

// busyboxArchive builds an image of the host's static busybox.
func busyboxArchive(t *testing.T, names ...string) []byte {
	t.Helper()
	if _, err := os.Stat("/bin/busybox"); err != nil {
		t.Skip("needs /bin/busybox (Debian's busybox-static)")
	}
	spec, err := oci.ParseSpec([]byte("names: ["+strings.Join(names, ", ")+"]\nbusybox: {source: /bin/busybox}\nconfig: {cmd: [sh]}\n"), "/")
	if err != nil {
		t.Fatal(err)
	}
	img, err := spec.Image(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := img.WriteArchive(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// run runs a container of image with args and returns its exit status and
// output. A non-nil signal is sent once the task has started.
func run(t *testing.T, ctx context.Context, client *containerd.Client, id, image string, args []string, signal syscall.Signal) (uint32, string) {
	t.Helper()
	img, err := client.GetImage(ctx, image)
	if err != nil {
		t.Fatal(err)
	}
	specOpts := []cspec.SpecOpts{cspec.WithImageConfig(img)}
	if args != nil {
		specOpts = append(specOpts, cspec.WithProcessArgs(args...))
	}
	container, err := client.NewContainer(ctx, id,
		containerd.WithImage(img),
		containerd.WithNewSnapshot(id, img),
		containerd.WithNewSpec(specOpts...))
	if err != nil {
		t.Fatalf("create container: %v", err)
	}
	defer func() {
		if err := container.Delete(ctx, containerd.WithSnapshotCleanup); err != nil {
			t.Errorf("delete container: %v", err)
		}
	}()
	out := &syncBuffer{}
	task, err := container.NewTask(ctx, cio.NewCreator(cio.WithStreams(nil, out, out)))
	if err != nil {
		t.Fatalf("create task: %v", err)
	}
	exited, err := task.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := task.Start(ctx); err != nil {
		t.Fatalf("start task: %v", err)
	}
	if signal != 0 {
		// Give the process time to set up its signal handlers.
		time.Sleep(500 * time.Millisecond)
		if err := task.Kill(ctx, signal); err != nil {
			t.Fatalf("signal task: %v", err)
		}
	}
	var status containerd.ExitStatus
	select {
	case status = <-exited:
	case <-time.After(30 * time.Second):
		_ = task.Kill(ctx, syscall.SIGKILL)
		status = <-exited
		t.Errorf("container %s still ran after 30s", id)
	}
	// Task.Delete of containerd's v2 client closes the FIFOs (io.Cancel)
	// before it waits for them, which can lose output not yet copied: wait
	// for the copy to reach the end, which the shim marks once the process
	// has exited.
	copied := make(chan struct{})
	go func() {
		task.IO().Wait()
		close(copied)
	}()
	select {
	case <-copied:
	case <-time.After(10 * time.Second):
		t.Errorf("output of container %s still open 10s after it exited", id)
	}
	if _, err := task.Delete(ctx); err != nil {
		t.Errorf("delete task: %v", err)
	}
	return status.ExitCode(), out.String()
}

// syncBuffer collects stdout and stderr, which are copied concurrently. It
// has no ReadFrom on purpose: bytes.Buffer's would truncate what the other
// stream wrote while it waited in Read.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestImportAndRun(t *testing.T) {
	client, ns := testNamespace(t)
	ctx := namespaces.WithNamespace(context.Background(), ns)
	archive := busyboxArchive(t, "busybox", "registry.k8s.io/e2e-test-images/busybox:1.37.0-2")

	names, err := Import(ctx, client, ns, bytes.NewReader(archive))
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	want := []string{"docker.io/library/busybox:latest", "registry.k8s.io/e2e-test-images/busybox:1.37.0-2"}
	if diff := cmp.Diff(want, names, cmpSorted); diff != "" {
		t.Errorf("imported names (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		ref  string
		want bool
	}{
		{"busybox", true},
		{"docker.io/library/busybox:latest", true},
		{"registry.k8s.io/e2e-test-images/busybox:1.37.0-2", true},
		{"busybox:1.0", false},
	} {
		got, err := Has(ctx, client, ns, tc.ref)
		if err != nil || got != tc.want {
			t.Errorf("Has(%s) = %v, %v; want %v", tc.ref, got, err, tc.want)
		}
	}
	// Nothing of it is visible in another namespace.
	if got, err := Has(ctx, client, ns+"-other", "busybox"); err != nil || got {
		t.Errorf("Has in another namespace = %v, %v; want false", got, err)
	}

	code, out := run(t, ctx, client, "echo", "docker.io/library/busybox:latest", []string{"busybox", "echo", "hi"}, 0)
	if code != 0 || out != "hi\n" {
		t.Errorf("busybox echo hi: exit %d, output %q", code, out)
	}
	// The image's Cmd is sh and applets are links in /bin.
	code, out = run(t, ctx, client, "sh", "registry.k8s.io/e2e-test-images/busybox:1.37.0-2", []string{"sh", "-c", "readlink /bin/ls; exit 3"}, 0)
	if code != 3 || out != "/bin/busybox\n" {
		t.Errorf("sh -c: exit %d, output %q", code, out)
	}

	// Importing again is no error and keeps the names.
	if names, err = Import(ctx, client, ns, bytes.NewReader(archive)); err != nil || len(names) != 2 {
		t.Errorf("import again: %v, %v", names, err)
	}
}

var cmpSorted = cmp.Transformer("sorted", func(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
})

// TestCtrImport checks that ctr, containerd's own client, names the images
// of an archive as Import does.
func TestCtrImport(t *testing.T) {
	ctr, err := exec.LookPath("ctr")
	if err != nil {
		t.Skip("needs ctr")
	}
	client, ns := testNamespace(t)
	file := filepath.Join(t.TempDir(), "busybox.tar")
	if err := os.WriteFile(file, busyboxArchive(t, "busybox:1.36.1-1", "example.com/x/busybox:2"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(ctr, "--address", containerdSocket, "-n", ns, "images", "import", file).CombinedOutput(); err != nil {
		t.Fatalf("ctr import: %v\n%s", err, out)
	}
	imgs, err := client.ImageService().List(namespaces.WithNamespace(context.Background(), ns))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, img := range imgs {
		names = append(names, img.Name)
	}
	want := []string{"docker.io/library/busybox:1.36.1-1", "example.com/x/busybox:2"}
	if diff := cmp.Diff(want, names, cmpSorted); diff != "" {
		t.Errorf("names after ctr import (-want +got):\n%s", diff)
	}
}

func TestEnsurePause(t *testing.T) {
	client, ns := testNamespace(t)
	ctx := namespaces.WithNamespace(context.Background(), ns)
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("needs the go tool to build kubeshim-pause")
	}
	pause := filepath.Join(t.TempDir(), "kubeshim-pause")
	build := exec.Command(goTool, "build", "-ldflags", "-s -w", "-o", pause, "../../cmd/kubeshim-pause")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build kubeshim-pause: %v\n%s", err, out)
	}

	if has, err := Has(ctx, client, ns, PauseImage); err != nil || has {
		t.Fatalf("Has before EnsurePause = %v, %v", has, err)
	}
	name, err := EnsurePause(ctx, client, ns, pause)
	if err != nil || name != PauseImage {
		t.Fatalf("EnsurePause = %q, %v", name, err)
	}
	if has, err := Has(ctx, client, ns, PauseImage); err != nil || !has {
		t.Errorf("Has after EnsurePause = %v, %v", has, err)
	}
	// Present now, it is not built again: the binary is not read.
	if name, err := EnsurePause(ctx, client, ns, "/nonexistent/pause"); err != nil || name != PauseImage {
		t.Errorf("second EnsurePause = %q, %v", name, err)
	}

	// The image runs as upstream's does: /pause as user 65535, exiting 0 on SIGTERM.
	img, err := client.GetImage(ctx, PauseImage)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := img.Spec(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"/pause"}, spec.Config.Entrypoint); diff != "" || spec.Config.User != "65535:65535" {
		t.Errorf("pause image config: entrypoint diff %s, user %q", diff, spec.Config.User)
	}
	code, out := run(t, ctx, client, "pause", PauseImage, nil, syscall.SIGTERM)
	if code != 0 || !strings.Contains(out, "Shutting down") {
		t.Errorf("pause on SIGTERM: exit %d, output %q", code, out)
	}
	if strings.Contains(out, "first process") {
		t.Errorf("pause is not PID 1 in its container: %q", out)
	}
}
