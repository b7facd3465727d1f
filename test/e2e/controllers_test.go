package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// component is a `kubeshim scheduler` or `kubeshim controllers` child
// process.
type component struct {
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

func startComponent(t *testing.T, s *server, role string, args ...string) *component {
	t.Helper()
	binary, err := serverBinary()
	if err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(t.TempDir(), role+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command(binary, append([]string{role, "--kubeconfig", s.kubeconfig}, args...)...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", role, err)
	}
	c := &component{cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(func() {
		if err := c.stop(); err != nil {
			t.Errorf("%s: %v", role, err)
		}
	})
	return c
}

// stop sends SIGTERM and waits; it is an error not to exit 0 in time.
func (c *component) stop() error {
	select {
	case <-c.done:
	default:
		c.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-c.done:
		case <-time.After(stopTimeout):
			c.cmd.Process.Kill()
			<-c.done
			return fmt.Errorf("pid %d did not exit within %s of SIGTERM", c.cmd.Process.Pid, stopTimeout)
		}
	}
	if !c.cmd.ProcessState.Success() {
		data, _ := os.ReadFile(c.log)
		return fmt.Errorf("exited %v; log:\n%s", c.cmd.ProcessState, data)
	}
	return nil
}

// TestStandaloneControlPlane: a server with neither scheduler nor
// controllers, and `kubeshim controllers` and `kubeshim scheduler` as
// processes of their own: a deployment gets its ReplicaSet and pods, the
// pods are tried by the scheduler (no node: unschedulable), each component
// holds its Lease, and stopping one releases its Lease.
func TestStandaloneControlPlane(t *testing.T) {
	binary, err := serverBinary()
	if err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	s, err := startKubeshim(binary, dir, 0, "server", "--disable=scheduler,controllers")
	if err != nil {
		t.Fatal(err)
	}
	// Cleanups run last-in first-out: the components stop before the
	// server.
	t.Cleanup(func() {
		if err := s.stop(); err != nil {
			t.Errorf("stop server: %v", err)
		}
	})
	controllers := startComponent(t, s, "controllers")
	startComponent(t, s, "scheduler")
	k := newKubectl(t, kubectlVersions[len(kubectlVersions)-1], s)

	k.ok(t, "create", "deployment", "web", "--image=busybox", "--replicas=2")
	if !eventually(60*time.Second, func() bool {
		out := k.run(t, "", "get", "pods", "-l", "app=web", "-o", "jsonpath={range .items[*]}{.status.conditions[?(@.type==\"PodScheduled\")].reason}{\"\\n\"}{end}")
		return out.err == nil && strings.Count(out.stdout, "Unschedulable") == 2
	}) {
		t.Fatalf("the deployment's two pods were not created and found unschedulable:\n%s", k.ok(t, "get", "rs,pods", "-o", "wide"))
	}
	k.expectJSONPath(t, "deployment/web", "{.status.replicas}", "2")

	holder := func(lease string) string {
		return k.ok(t, "get", "lease", lease, "-n", "kube-system", "-o", "jsonpath={.spec.holderIdentity}")
	}
	for _, lease := range []string{"kube-controller-manager", "kube-scheduler"} {
		if h := holder(lease); h == "" {
			t.Errorf("lease kube-system/%s has no holder", lease)
		}
	}
	// A component that stops hands its lease back at once.
	if err := controllers.stop(); err != nil {
		t.Fatal(err)
	}
	if h := holder("kube-controller-manager"); h != "" {
		t.Errorf("stopped controllers still hold their lease: %q", h)
	}
}
