package runtime

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cimages "github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
	utilexec "k8s.io/utils/exec"

	"github.com/kubeshim/kubeshim/nodeagent/images"
	"github.com/kubeshim/kubeshim/nodeagent/images/oci"
	"github.com/kubeshim/kubeshim/nodeagent/logs"
)

const (
	containerdSocket = "/run/containerd/containerd.sock"
	busyboxImage     = "docker.io/library/busybox:latest"
)

// testEnv is a Runtime on a containerd namespace of its own, with the
// busybox and pause images, and everything it made removed at the end.
type testEnv struct {
	rt     *Runtime
	config Config
	podUID string
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to run containers")
	}
	if _, err := os.Stat(containerdSocket); err != nil {
		t.Skipf("needs containerd at %s: %v", containerdSocket, err)
	}
	for _, f := range []string{"/bin/busybox", "/bin/bash"} {
		if _, err := os.Stat(f); err != nil {
			t.Skipf("needs %s for the busybox test image: %v", f, err)
		}
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("needs the go tool to build kubeshim-pause")
	}
	ctx := context.Background()
	dir := t.TempDir()
	config := Config{
		Address:    containerdSocket,
		Namespace:  "kubeshim-rt-test-" + randomHex(4),
		StateDir:   filepath.Join(dir, "state"),
		LogDir:     filepath.Join(dir, "logs"),
		PauseImage: images.PauseImage,
	}
	rt, err := New(ctx, config)
	if err != nil {
		t.Skipf("needs containerd: %v", err)
	}
	vctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := rt.Version(vctx); err != nil {
		rt.Close()
		t.Skipf("needs a running containerd at %s: %v", containerdSocket, err)
	}
	env := &testEnv{rt: rt, config: config, podUID: "rt-test-" + randomHex(6)}
	t.Cleanup(func() { env.cleanup(t) })

	spec, err := oci.LoadSpec("../../test/images/busybox.yaml")
	if err != nil {
		t.Fatal(err)
	}
	img, err := spec.Image(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := img.WriteArchive(&buf); err != nil {
		t.Fatal(err)
	}
	if _, err := images.Import(ctx, rt.Client(), config.Namespace, &buf); err != nil {
		t.Fatal(err)
	}
	pause := filepath.Join(t.TempDir(), "kubeshim-pause")
	build := exec.Command(goTool, "build", "-ldflags", "-s -w", "-o", pause, "../../cmd/kubeshim-pause")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build kubeshim-pause: %v\n%s", err, out)
	}
	if _, err := images.EnsurePause(ctx, rt.Client(), config.Namespace, pause); err != nil {
		t.Fatal(err)
	}
	return env
}

// cleanup removes the containers, sandboxes, images and namespace of the
// test, and the pod cgroups runc leaves behind.
func (e *testEnv) cleanup(t *testing.T) {
	ctx := context.Background()
	client := e.rt.Client()
	if infos, err := e.rt.List(ctx, nil); err != nil {
		t.Errorf("list for cleanup: %v", err)
	} else {
		for _, info := range infos {
			var err error
			if info.Labels[LabelKind] == KindSandbox {
				err = e.rt.RemoveSandbox(ctx, info.ID)
			} else {
				err = e.rt.RemoveContainer(ctx, info.ID)
			}
			if err != nil {
				t.Errorf("remove %s: %v", info.ID, err)
			}
		}
	}
	nsCtx := namespaces.WithNamespace(ctx, e.config.Namespace)
	if imgs, err := client.ImageService().List(nsCtx); err == nil {
		for _, img := range imgs {
			if err := client.ImageService().Delete(nsCtx, img.Name, cimages.SynchronousDelete()); err != nil && !errdefs.IsNotFound(err) {
				t.Errorf("delete image %s: %v", img.Name, err)
			}
		}
	}
	if ls, err := client.LeasesService().List(nsCtx); err == nil {
		for _, l := range ls {
			_ = client.LeasesService().Delete(nsCtx, l)
		}
	}
	var err error
	for i := 0; i < 50; i++ {
		if err = client.NamespaceService().Delete(ctx, e.config.Namespace); err == nil || errdefs.IsNotFound(err) {
			err = nil
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Errorf("delete namespace %s: %v", e.config.Namespace, err)
	} else if err := RemoveNamespaceLeftovers(ctx, e.config.Namespace); err != nil {
		t.Error(err)
	} else if left := NamespaceLeftovers(e.config.Namespace); len(left) > 0 {
		t.Errorf("containerd namespace %s removed, but left: %v", e.config.Namespace, left)
	}
	e.rt.Close()
	// runc removes a container's own cgroup, not the pod's parent one.
	dirs, _ := filepath.Glob("/sys/fs/cgroup/*/kubeshim/pod" + e.podUID)
	more, _ := filepath.Glob("/sys/fs/cgroup/kubeshim/pod" + e.podUID)
	for _, d := range append(dirs, more...) {
		subs, _ := filepath.Glob(filepath.Join(d, "*"))
		for _, s := range subs {
			if fi, err := os.Stat(s); err == nil && fi.IsDir() {
				_ = os.Remove(s)
			}
		}
		if err := os.Remove(d); err != nil && !os.IsNotExist(err) {
			t.Logf("remove cgroup %s: %v", d, err)
		}
	}
}

// sandbox makes and starts a sandbox and returns its ID, netns and pid.
func (e *testEnv) sandbox(t *testing.T, name string, hostNetwork bool) (string, string, uint32) {
	t.Helper()
	ctx := context.Background()
	id, netns, err := e.rt.CreateSandbox(ctx, SandboxConfig{PodUID: e.podUID, PodName: name, PodNamespace: "default", Hostname: name, HostNetwork: hostNetwork})
	if err != nil {
		t.Fatalf("CreateSandbox: %v", err)
	}
	if err := e.rt.StartSandbox(ctx, id); err != nil {
		t.Fatalf("StartSandbox: %v", err)
	}
	pid, err := e.rt.SandboxPid(ctx, id)
	if err != nil || pid == 0 {
		t.Fatalf("SandboxPid = %d, %v", pid, err)
	}
	return id, netns, pid
}

// container creates and starts a container of busybox in a sandbox.
func (e *testEnv) container(t *testing.T, sandboxID, netns string, pid uint32, name string, command ...string) (string, *ContainerConfig) {
	t.Helper()
	ctx := context.Background()
	logDir := filepath.Join(e.config.LogDir, "default_p_"+e.podUID, name)
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := &ContainerConfig{
		SandboxID: sandboxID, PodUID: e.podUID, PodName: "p", PodNamespace: "default",
		Name: name, Type: "app", Image: busyboxImage, Command: command,
		Env:         []string{"PATH=/bin:/usr/bin"},
		HostNetwork: netns == "", NetNS: netns, SandboxPid: pid,
		LogPath: filepath.Join(logDir, "0.log"),
	}
	id, err := e.rt.CreateContainer(ctx, cfg)
	if err != nil {
		t.Fatalf("CreateContainer %s: %v", name, err)
	}
	if err := e.rt.StartContainer(ctx, id); err != nil {
		t.Fatalf("StartContainer %s: %v", name, err)
	}
	return id, cfg
}

// waitExit waits for rt to report id's exit.
func waitExit(t *testing.T, rt *Runtime, id string, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case got := <-rt.Exits():
			if got == id {
				return
			}
		case <-deadline:
			t.Fatalf("container %s: no exit reported within %v", id, timeout)
		}
	}
}

func inspect(t *testing.T, rt *Runtime, id string) *Info {
	t.Helper()
	info, err := rt.Inspect(context.Background(), id)
	if err != nil {
		t.Fatalf("Inspect %s: %v", id, err)
	}
	return info
}

// syncBuffer is an io.WriteCloser safe for the concurrent copies of exec.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Close() error { return nil }

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestRuntime(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	sbID, netns, pid := e.sandbox(t, "p", true)
	if netns != "" {
		t.Errorf("host-network sandbox has netns %q", netns)
	}
	if sb := inspect(t, e.rt, sbID); sb.State != "running" || sb.Labels[LabelKind] != KindSandbox || sb.Labels[LabelHostNetwork] != "true" {
		t.Errorf("sandbox: state %s, labels %v", sb.State, sb.Labels)
	}

	t.Run("exit code, reason and logs", func(t *testing.T) {
		termFile := filepath.Join(t.TempDir(), "termination-log")
		if err := os.WriteFile(termFile, nil, 0o666); err != nil {
			t.Fatal(err)
		}
		logDir := filepath.Join(e.config.LogDir, "default_p_"+e.podUID, "fail")
		if err := os.MkdirAll(logDir, 0o755); err != nil {
			t.Fatal(err)
		}
		cfg := &ContainerConfig{
			SandboxID: sbID, PodUID: e.podUID, PodName: "p", PodNamespace: "default",
			Name: "fail", Type: "app", Attempt: 0, Image: busyboxImage,
			Command:     []string{"sh", "-c", "echo out; echo err >&2; exit 3"},
			HostNetwork: true, SandboxPid: pid,
			LogPath:                    filepath.Join(logDir, "0.log"),
			TerminationMessageHostPath: termFile, FallbackToLogs: true,
		}
		start := time.Now()
		id, err := e.rt.CreateContainer(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if info := inspect(t, e.rt, id); info.State != "created" || info.Labels[LabelContainerName] != "fail" || info.Labels[LabelSandboxID] != sbID {
			t.Errorf("created container: state %s, labels %v", info.State, info.Labels)
		}
		if err := e.rt.StartContainer(ctx, id); err != nil {
			t.Fatal(err)
		}
		waitExit(t, e.rt, id, 30*time.Second)
		info := inspect(t, e.rt, id)
		if info.State != "exited" || info.ExitCode != 3 || info.Reason != "Error" {
			t.Errorf("exited container: state %s, exit code %d, reason %q; want exited, 3, Error", info.State, info.ExitCode, info.Reason)
		}
		// (The order of the two is TestStartedBeforeFinished's.)
		if info.StartedAt.Before(start.Add(-time.Second)) || info.FinishedAt.Before(start.Add(-time.Second)) || time.Since(info.FinishedAt) > time.Minute {
			t.Errorf("started at %v, finished at %v; want both just after %v", info.StartedAt, info.FinishedAt, start)
		}
		// FallbackToLogsOnError: the empty termination file gives way to
		// the log's tail (the two streams are copied concurrently, so
		// their order may vary).
		if info.Message != "out\nerr\n" && info.Message != "err\nout\n" {
			t.Errorf("termination message = %q, want the log tail %q", info.Message, "out\nerr\n")
		}
		if !strings.HasPrefix(info.ImageID, "sha256:") || info.Image != busyboxImage {
			t.Errorf("image %q, image ID %q", info.Image, info.ImageID)
		}
		var stdout, stderr bytes.Buffer
		if err := logs.Read(ctx, cfg.LogPath, logs.Options{}, &stdout, &stderr); err != nil {
			t.Fatal(err)
		}
		if stdout.String() != "out\n" || stderr.String() != "err\n" {
			t.Errorf("log: stdout %q, stderr %q; want %q, %q", stdout.String(), stderr.String(), "out\n", "err\n")
		}
		infos, err := e.rt.List(ctx, map[string]string{LabelPodUID: e.podUID, LabelContainerName: "fail"})
		if err != nil || len(infos) != 1 || infos[0].ID != id {
			t.Errorf("List by labels = %v, %v; want just %s", infos, err, id)
		}
		for i := 0; i < 2; i++ {
			if err := e.rt.RemoveContainer(ctx, id); err != nil {
				t.Errorf("RemoveContainer #%d: %v", i+1, err)
			}
		}
		if _, err := e.rt.Inspect(ctx, id); !errdefs.IsNotFound(err) {
			t.Errorf("Inspect after remove: %v, want not found", err)
		}
		if _, err := os.Stat(cfg.LogPath); err != nil {
			t.Errorf("log is gone with the container: %v", err)
		}
	})

	t.Run("termination message file", func(t *testing.T) {
		termFile := filepath.Join(t.TempDir(), "termination-log")
		if err := os.WriteFile(termFile, nil, 0o666); err != nil {
			t.Fatal(err)
		}
		logDir := filepath.Join(e.config.LogDir, "default_p_"+e.podUID, "msg")
		if err := os.MkdirAll(logDir, 0o755); err != nil {
			t.Fatal(err)
		}
		id, err := e.rt.CreateContainer(ctx, &ContainerConfig{
			SandboxID: sbID, PodUID: e.podUID, PodName: "p", PodNamespace: "default",
			Name: "msg", Type: "app", Image: busyboxImage,
			Command:     []string{"sh", "-c", "echo -n DONE > /dev/termination-log"},
			HostNetwork: true, SandboxPid: pid, LogPath: filepath.Join(logDir, "0.log"),
			Mounts:                     []specs.Mount{{Destination: "/dev/termination-log", Type: "bind", Source: termFile, Options: []string{"rbind", "rw"}}},
			TerminationMessageHostPath: termFile,
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.rt.StartContainer(ctx, id); err != nil {
			t.Fatal(err)
		}
		waitExit(t, e.rt, id, 30*time.Second)
		if info := inspect(t, e.rt, id); info.ExitCode != 0 || info.Reason != "Completed" || info.Message != "DONE" {
			t.Errorf("exit code %d, reason %q, message %q; want 0, Completed, DONE", info.ExitCode, info.Reason, info.Message)
		}
	})

	t.Run("exec", func(t *testing.T) {
		id, _ := e.container(t, sbID, "", pid, "sleeper", "sleep", "3600")
		var out, errOut syncBuffer
		if err := e.rt.Exec(ctx, id, []string{"sh", "-c", "echo hi; echo oops >&2"}, nil, &out, &errOut, false, nil); err != nil {
			t.Errorf("Exec: %v", err)
		}
		if out.String() != "hi\n" || errOut.String() != "oops\n" {
			t.Errorf("Exec output %q, %q; want %q, %q", out.String(), errOut.String(), "hi\n", "oops\n")
		}
		err := e.rt.Exec(ctx, id, []string{"sh", "-c", "exit 7"}, nil, nil, nil, false, nil)
		var exitErr utilexec.ExitError
		if !errors.As(err, &exitErr) || exitErr.ExitStatus() != 7 {
			t.Errorf("Exec of exit 7 = %v, want an ExitError with status 7", err)
		}
		// stdin reaches the process and its end is the process's EOF.
		var catOut syncBuffer
		if err := e.rt.Exec(ctx, id, []string{"cat"}, strings.NewReader("piped\n"), &catOut, nil, false, nil); err != nil || catOut.String() != "piped\n" {
			t.Errorf("Exec cat = %v, output %q", err, catOut.String())
		}
		// sleep is PID 1 and ignores SIGTERM: the grace period runs out
		// and it is killed.
		start := time.Now()
		if err := e.rt.StopContainer(ctx, id, time.Second); err != nil {
			t.Fatalf("StopContainer: %v", err)
		}
		if d := time.Since(start); d < time.Second {
			t.Errorf("StopContainer returned after %v, before the grace period", d)
		}
		if info := inspect(t, e.rt, id); info.State != "exited" || info.ExitCode != 137 {
			t.Errorf("after kill: state %s, exit code %d; want exited, 137", info.State, info.ExitCode)
		}
		// Stopping a stopped container is no error.
		if err := e.rt.StopContainer(ctx, id, time.Second); err != nil {
			t.Errorf("StopContainer again: %v", err)
		}
		if err := e.rt.Exec(ctx, id, []string{"true"}, nil, nil, nil, false, nil); err == nil {
			t.Errorf("Exec in a stopped container succeeded")
		}
	})

	t.Run("stop with grace", func(t *testing.T) {
		id, _ := e.container(t, sbID, "", pid, "graceful", "sh", "-c", "trap 'exit 0' TERM; echo ready; sleep 3600 & wait")
		waitLog(t, filepath.Join(e.config.LogDir, "default_p_"+e.podUID, "graceful", "0.log"), "ready")
		// Exit code 0 (the trap), not 137: SIGTERM ended it within grace.
		if err := e.rt.StopContainer(ctx, id, 20*time.Second); err != nil {
			t.Fatalf("StopContainer: %v", err)
		}
		if info := inspect(t, e.rt, id); info.State != "exited" || info.ExitCode != 0 || info.Reason != "Completed" {
			t.Errorf("after SIGTERM: state %s, exit code %d, reason %q; want exited, 0, Completed", info.State, info.ExitCode, info.Reason)
		}
	})

	t.Run("adopt", func(t *testing.T) {
		// A first agent starts the container and goes away.
		first, err := New(ctx, e.config)
		if err != nil {
			t.Fatal(err)
		}
		id, err := first.CreateContainer(ctx, &ContainerConfig{
			SandboxID: sbID, PodUID: e.podUID, PodName: "p", PodNamespace: "default",
			Name: "adopted", Type: "app", Image: busyboxImage,
			Command:     []string{"sh", "-c", "echo before; sleep 3; echo after; exit 5"},
			HostNetwork: true, SandboxPid: pid,
			LogPath: filepath.Join(e.config.LogDir, "adopted.log"),
		})
		if err != nil {
			t.Fatal(err)
		}
		// The first agent's context ends (SIGTERM) while the container
		// runs: that must not read as the container's exit.
		fctx, stop := context.WithCancel(ctx)
		if err := first.StartContainer(fctx, id); err != nil {
			t.Fatal(err)
		}
		stop()
		if !pollUntil(10*time.Second, func() bool {
			first.mu.Lock()
			defer first.mu.Unlock()
			_, watched := first.ios[id]
			return !watched
		}) {
			t.Fatal("the first agent still watches the container after its context ended")
		}
		if info := inspect(t, first, id); info.State != "running" || info.Labels[LabelFinishedAt] != "" {
			t.Fatalf("after the first agent stopped: state %s, labels %v; want running, no exit recorded", info.State, info.Labels)
		}
		first.Close()

		second, err := New(ctx, e.config)
		if err != nil {
			t.Fatal(err)
		}
		defer second.Close()
		if err := second.Adopt(ctx); err != nil {
			t.Fatalf("Adopt: %v", err)
		}
		if info := inspect(t, second, id); info.State != "running" {
			t.Fatalf("adopted container is %s, want running", info.State)
		}
		// Adopting again is a no-op.
		if err := second.Adopt(ctx); err != nil {
			t.Fatalf("second Adopt: %v", err)
		}
		waitExit(t, second, id, 30*time.Second)
		info := inspect(t, second, id)
		if info.State != "exited" || info.ExitCode != 5 || info.Reason != "Error" || info.Labels[LabelFinishedAt] == "" {
			t.Errorf("adopted container after exit: state %s, exit code %d, reason %q, labels %v", info.State, info.ExitCode, info.Reason, info.Labels)
		}
		var out bytes.Buffer
		if err := logs.Read(ctx, filepath.Join(e.config.LogDir, "adopted.log"), logs.Options{}, &out, &out); err != nil || !strings.Contains(out.String(), "after") {
			t.Errorf("log of the adopted container = %q, %v; want the line written after adoption", out.String(), err)
		}
	})

	t.Run("inspect while exiting", func(t *testing.T) {
		// The watcher records an exit and deletes the task while the pod
		// manager inspects: every inspect in between must say running or
		// exited 0, never unknown or lost (which had init containers run
		// twice).
		for i := range 8 {
			id, err := e.rt.CreateContainer(ctx, &ContainerConfig{
				SandboxID: sbID, PodUID: e.podUID, PodName: "p", PodNamespace: "default",
				Name: fmt.Sprintf("quick-%d", i), Type: "init", Image: busyboxImage,
				Command:     []string{"true"},
				HostNetwork: true, SandboxPid: pid,
				LogPath: filepath.Join(e.config.LogDir, fmt.Sprintf("quick-%d.log", i)),
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := e.rt.StartContainer(ctx, id); err != nil {
				t.Fatal(err)
			}
			var states []string
			ok := pollUntil(30*time.Second, func() bool {
				info, err := e.rt.Inspect(ctx, id)
				if err != nil {
					states = append(states, err.Error())
					return false
				}
				if n := len(states); n == 0 || states[n-1] != info.State {
					states = append(states, fmt.Sprintf("%s/%d", info.State, info.ExitCode))
				}
				return info.Labels[LabelFinishedAt] != ""
			})
			for _, st := range states {
				if st != "running/0" && st != "exited/0" && st != "created/0" {
					t.Errorf("container %d: states seen %v; want only running and exited 0", i, states)
					break
				}
			}
			if !ok {
				t.Fatalf("container %d: no exit recorded; states %v", i, states)
			}
		}
	})

	t.Run("inspect before the exit is recorded", func(t *testing.T) {
		// An inspect between a task's exit and its record waits for the
		// record: a status without the termination message would be the
		// last of a pod that succeeds.
		msgFile := filepath.Join(t.TempDir(), "termination-log")
		if err := os.WriteFile(msgFile, nil, 0o666); err != nil {
			t.Fatal(err)
		}
		setHook := func(f func()) {
			e.rt.mu.Lock()
			e.rt.beforeRecordExit = f
			e.rt.mu.Unlock()
		}
		setHook(func() { time.Sleep(time.Second) })
		t.Cleanup(func() { setHook(nil) })
		id, err := e.rt.CreateContainer(ctx, &ContainerConfig{
			SandboxID: sbID, PodUID: e.podUID, PodName: "p", PodNamespace: "default",
			Name: "message", Image: busyboxImage,
			Command:     []string{"sh", "-c", "echo -n OK > /dev/termination-log"},
			HostNetwork: true, SandboxPid: pid,
			Mounts:                     []specs.Mount{{Destination: "/dev/termination-log", Type: "bind", Source: msgFile, Options: []string{"rbind", "rw"}}},
			LogPath:                    filepath.Join(e.config.LogDir, "message.log"),
			TerminationMessageHostPath: msgFile,
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.rt.StartContainer(ctx, id); err != nil {
			t.Fatal(err)
		}
		var info *Info
		pollUntil(30*time.Second, func() bool {
			info, err = e.rt.Inspect(ctx, id)
			return err == nil && info.State == "exited"
		})
		if info == nil || info.State != "exited" || info.Message != "OK" {
			t.Errorf("inspect after the exit: %+v, want exited with message OK", info)
		}
	})

	t.Run("own network namespace", func(t *testing.T) {
		sb2, ns2, pid2 := e.sandbox(t, "p2", false)
		if want := filepath.Join(e.config.StateDir, "netns", sb2); ns2 != want {
			t.Errorf("netns = %q, want %q", ns2, want)
		}
		var nsStat, pauseStat unix.Stat_t
		if err := unix.Stat(ns2, &nsStat); err != nil {
			t.Fatalf("netns file: %v", err)
		}
		if err := unix.Stat(fmt.Sprintf("/proc/%d/ns/net", pid2), &pauseStat); err != nil {
			t.Fatal(err)
		}
		if nsStat.Ino != pauseStat.Ino || nsStat.Dev != pauseStat.Dev {
			t.Errorf("the pause process is not in the sandbox's network namespace")
		}
		id, cfg := e.container(t, sb2, ns2, pid2, "netcheck", "sh", "-c", "hostname; cat /proc/net/dev")
		waitExit(t, e.rt, id, 30*time.Second)
		var out bytes.Buffer
		if err := logs.Read(ctx, cfg.LogPath, logs.Options{}, &out, &out); err != nil {
			t.Fatal(err)
		}
		// The container shares the sandbox's hostname and network: only
		// loopback, no CNI ran.
		if !strings.HasPrefix(out.String(), "p2\n") || !strings.Contains(out.String(), "lo:") || strings.Contains(out.String(), "eth0:") {
			t.Errorf("hostname and interfaces in the pod:\n%s", out.String())
		}
		if err := e.rt.RemoveContainer(ctx, id); err != nil {
			t.Error(err)
		}
		if err := e.rt.StopSandbox(ctx, sb2); err != nil {
			t.Errorf("StopSandbox: %v", err)
		}
		if info := inspect(t, e.rt, sb2); info.State != "exited" {
			t.Errorf("stopped sandbox is %s", info.State)
		}
		if _, err := os.Stat(ns2); err != nil {
			t.Errorf("netns gone after StopSandbox (the network is torn down after it): %v", err)
		}
		for i := 0; i < 2; i++ {
			if err := e.rt.RemoveSandbox(ctx, sb2); err != nil {
				t.Errorf("RemoveSandbox #%d: %v", i+1, err)
			}
		}
		if _, err := os.Stat(ns2); !os.IsNotExist(err) {
			t.Errorf("netns after RemoveSandbox: %v, want it gone", err)
		}
		if mounted(t, ns2) {
			t.Errorf("netns %s still mounted", ns2)
		}
	})

	t.Run("remove sandbox", func(t *testing.T) {
		for i := 0; i < 2; i++ {
			if err := e.rt.RemoveSandbox(ctx, sbID); err != nil {
				t.Errorf("RemoveSandbox #%d: %v", i+1, err)
			}
		}
		if _, err := e.rt.Inspect(ctx, sbID); !errdefs.IsNotFound(err) {
			t.Errorf("Inspect after RemoveSandbox: %v", err)
		}
		if err := e.rt.StopSandbox(ctx, sbID); err != nil {
			t.Errorf("StopSandbox of a removed sandbox: %v", err)
		}
		if err := e.rt.StopContainer(ctx, "no-such-container", time.Second); err != nil {
			t.Errorf("StopContainer of a missing container: %v", err)
		}
	})
}

// TestStartedBeforeFinished checks that a container that exits at once
// still reports a start time no later than its finish time.
func TestStartedBeforeFinished(t *testing.T) {
	e := newTestEnv(t)
	sbID, _, pid := e.sandbox(t, "p", true)
	for i := 0; i < 5; i++ {
		id, _ := e.container(t, sbID, "", pid, fmt.Sprintf("quick%d", i), "true")
		waitExit(t, e.rt, id, 30*time.Second)
		if info := inspect(t, e.rt, id); info.FinishedAt.Before(info.StartedAt) {
			t.Errorf("container %d: started at %v, finished at %v", i, info.StartedAt, info.FinishedAt)
		}
	}
}

// TestCreateContainerConfigErrors checks the errors the kubelet reports
// as CreateContainerConfigError.
func TestCreateContainerConfigErrors(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	sbID, _, pid := e.sandbox(t, "p", true)
	base := ContainerConfig{SandboxID: sbID, PodUID: e.podUID, PodName: "p", PodNamespace: "default",
		Name: "c", Type: "app", Image: busyboxImage, HostNetwork: true, SandboxPid: pid,
		LogPath: filepath.Join(e.config.LogDir, "c.log")}
	root := int64(0)
	for _, tc := range []struct {
		name string
		edit func(*ContainerConfig)
		want string
	}{
		{name: "runAsNonRoot and root image", edit: func(c *ContainerConfig) { c.RunAsNonRoot = true },
			want: "container has runAsNonRoot and image will run as root"},
		{name: "runAsNonRoot and runAsUser 0", edit: func(c *ContainerConfig) { c.RunAsNonRoot, c.RunAsUser = true, &root },
			want: "container's runAsUser breaks non-root policy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base
			tc.edit(&cfg)
			_, err := e.rt.CreateContainer(ctx, &cfg)
			if !errors.Is(err, ErrConfig) || !strings.Contains(fmt.Sprint(err), tc.want) {
				t.Errorf("CreateContainer = %v, want ErrConfig saying %q", err, tc.want)
			}
		})
	}
	if _, err := e.rt.CreateContainer(ctx, &ContainerConfig{SandboxID: sbID, Image: "docker.io/library/absent:1"}); err == nil || !errdefs.IsNotFound(err) {
		t.Errorf("CreateContainer of a missing image = %v, want not found", err)
	}
	if infos, err := e.rt.List(ctx, map[string]string{LabelKind: KindContainer}); err != nil || len(infos) != 0 {
		t.Errorf("containers after failed creates: %v, %v", infos, err)
	}
}

// waitLog waits until the CRI log file at path has a line containing s.
func waitLog(t *testing.T, path, s string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var out bytes.Buffer
		if err := logs.Read(context.Background(), path, logs.Options{}, &out, &out); err == nil && strings.Contains(out.String(), s) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("log %s: no %q within 30s", path, s)
}

// mounted tells whether path is a mount point in this mount namespace.
func mounted(t *testing.T, path string) bool {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 4 && f[4] == path {
			return true
		}
	}
	return false
}

// pollUntil calls cond without pause until it holds or timeout passes.
func pollUntil(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(time.Millisecond)
	}
	return false
}
