package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	buildDir  string
	built     string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// pauseBinary builds this command once for the tests of the package.
func pauseBinary(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("needs the go tool to build the binary")
	}
	buildOnce.Do(func() {
		if buildDir, buildErr = os.MkdirTemp("", "kubeshim-pause-test-"); buildErr != nil {
			return
		}
		built = filepath.Join(buildDir, "pause")
		cmd := exec.Command(goTool, "build", "-o", built, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return built
}

func TestStopsOnSignal(t *testing.T) {
	bin := pauseBinary(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			var stderr bytes.Buffer
			cmd := exec.Command(bin)
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// SIGCHLD and a second process before the stop signal must not end it.
			time.Sleep(100 * time.Millisecond)
			if err := cmd.Process.Signal(syscall.SIGCHLD); err != nil {
				t.Fatal(err)
			}
			time.Sleep(100 * time.Millisecond)
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("want exit status 0 on %v, got %v; stderr:\n%s", sig, err, stderr.String())
				}
			case <-time.After(10 * time.Second):
				_ = cmd.Process.Kill()
				t.Fatalf("still running 10s after %v", sig)
			}
			if !strings.Contains(stderr.String(), "pause should be the first process") {
				t.Errorf("want the warning of a pause that is not PID 1, stderr:\n%s", stderr.String())
			}
		})
	}
}

func TestVersion(t *testing.T) {
	out, err := exec.Command(pauseBinary(t), "-v").Output()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(out), "kubeshim-pause "+version+"\n"; got != want {
		t.Errorf("-v: got %q, want %q", got, want)
	}
}

// TestReapsOrphans runs pause as PID 1 of a new PID namespace, orphans a
// process into that namespace and checks that no zombie of it stays.
func TestReapsOrphans(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to make a PID namespace")
	}
	if _, err := exec.LookPath("nsenter"); err != nil {
		t.Skip("needs nsenter")
	}
	bin := pauseBinary(t)
	cmd := exec.Command(bin)
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot make a PID namespace here: %v", err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})

	// The shell runs in pause's PID namespace; its background sleep outlives
	// it and is re-parented to pause, the namespace's init.
	orphan := exec.Command("nsenter", "--target", strconv.Itoa(pid), "--pid", "--", "/bin/sh", "-c", "sleep 1 </dev/null >/dev/null 2>&1 & exit 0")
	if out, err := orphan.CombinedOutput(); err != nil {
		t.Fatalf("orphan a process: %v\n%s", err, out)
	}
	sawChild := false
	deadline := time.Now().Add(5 * time.Second)
	for {
		children := childrenOf(t, pid)
		if len(children) > 0 {
			sawChild = true
		}
		if sawChild && len(children) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("children of pause after 5s: %v (Z is a zombie not reaped); saw a child: %v", children, sawChild)
		}
		time.Sleep(50 * time.Millisecond)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("want exit status 0 as PID 1 on SIGTERM, got %v; stderr:\n%s", err, stderr.String())
	}
	if strings.Contains(stderr.String(), "first process") {
		t.Errorf("pause warned that it is not PID 1 in its own PID namespace:\n%s", stderr.String())
	}
}

// childrenOf returns the state of each child of pid by host PID.
func childrenOf(t *testing.T, pid int) map[int]string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	children := map[int]string{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		status, err := os.ReadFile(filepath.Join("/proc", e.Name(), "status"))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		var ppid int
		var state string
		for _, line := range strings.Split(string(status), "\n") {
			if v, ok := strings.CutPrefix(line, "PPid:"); ok {
				ppid, _ = strconv.Atoi(strings.TrimSpace(v))
			}
			if v, ok := strings.CutPrefix(line, "State:"); ok {
				state = strings.Fields(v)[0]
			}
		}
		if ppid == pid {
			children[p] = state
		}
	}
	return children
}
