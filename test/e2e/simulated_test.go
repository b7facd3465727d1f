package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// simulatedAgent is a `kubeshim agent --simulate` child process.
type simulatedAgent struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// startSimulatedAgent starts `kubeshim agent --simulate 1` for the node
// <prefix>-0 against s; it is stopped when the test ends, if not before.
// It touches nothing of the host, so it needs no host lock.
func startSimulatedAgent(t *testing.T, binary string, s *server, prefix string) *simulatedAgent {
	t.Helper()
	logFile, err := os.Create(filepath.Join(s.dir, "agent-"+prefix+".log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command(binary, "agent", "--kubeconfig", s.kubeconfig, "--simulate", "1", "--simulate-prefix", prefix)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	a := &simulatedAgent{cmd: cmd, done: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(a.done)
	}()
	t.Cleanup(func() {
		if err := a.stop(); err != nil {
			t.Errorf("agent %s: %v", prefix, err)
		}
	})
	return a
}

// stop sends SIGTERM to the agent's PID and waits for it to exit 0.
func (a *simulatedAgent) stop() error {
	select {
	case <-a.done:
	default:
		if err := a.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			return err
		}
		select {
		case <-a.done:
		case <-time.After(stopTimeout):
			a.cmd.Process.Kill()
			<-a.done
			return fmt.Errorf("pid %d did not exit within %s of SIGTERM; killed", a.cmd.Process.Pid, stopTimeout)
		}
	}
	if !a.cmd.ProcessState.Success() {
		return fmt.Errorf("pid %d: %v", a.cmd.Process.Pid, a.cmd.ProcessState)
	}
	return nil
}

// movedDeployment is a deployment pinned to two nodes whose pods tolerate an
// unreachable or not-ready node for 5 s only (the default is 300 s).
func movedDeployment(nodeA, nodeB string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: moved
spec:
  replicas: 3
  selector:
    matchLabels: {app: moved}
  template:
    metadata:
      labels: {app: moved}
    spec:
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
            - matchExpressions:
              - {key: kubernetes.io/hostname, operator: In, values: [%s, %s]}
      tolerations:
      - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 5}
      - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 5}
      containers:
      - name: pause
        image: registry.k8s.io/pause:3.10
`, nodeA, nodeB)
}

// TestStoppedAgentPodsRecreatedElsewhere runs a deployment on a simulated
// node, starts a second one and stops the first agent (SIGTERM): the node
// lifecycle controller marks the node Unknown once its lease has not been
// renewed for the grace period (shortened to 20 s on this server), taints
// it unreachable, the taint eviction controller deletes the pods when
// their 5 s toleration runs out, and the deployment's pods are created
// again on the other node. A server of its own, since the grace period is
// a server flag; simulated agents, so no host lock.
func TestStoppedAgentPodsRecreatedElsewhere(t *testing.T) {
	binary, err := serverBinary()
	if err != nil {
		t.Skip(err)
	}
	dir, err := os.MkdirTemp("", "kubeshim-e2e-evict-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	s, err := startKubeshim(binary, dir, 0, "server", "--node-monitor-grace-period=20s")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.stop(); err != nil {
			t.Errorf("stop server: %v", err)
		}
	})
	for _, version := range kubectlVersions {
		t.Run("kubectl-"+version, func(t *testing.T) {
			k := newKubectl(t, version, s)
			k.namespace = namespaceName(t)
			k.ok(t, "create", "namespace", k.namespace)
			prefix := "evict-" + strings.ReplaceAll(version, ".", "-")
			nodeA, nodeB := prefix+"-a-0", prefix+"-b-0"
			// Registered before the agents start, so run after they stop:
			// dead nodes left behind would put the zone into partial
			// disruption for the next subtest (3 of 4 nodes not Ready),
			// which stops evictions in a small cluster, as upstream.
			t.Cleanup(func() { k.run(t, "", "delete", "node", nodeA, nodeB, "--ignore-not-found") })

			agentA := startSimulatedAgent(t, binary, s, prefix+"-a")
			succeedsWithin(t, 60*time.Second, func() error {
				return k.run(t, "", "get", "node/"+nodeA).err
			})
			k.waitFor(t, "node/"+nodeA, "condition=Ready")
			k.okIn(t, movedDeployment(nodeA, nodeB), "apply", "-f", "-")
			rolloutStatus(t, k, "deployment/moved")
			if got, _ := podNodes(t, k); got != strings.Repeat(nodeA+" ", 3) {
				t.Fatalf("pods on %q before the agent stops, want all on %s", got, nodeA)
			}

			startSimulatedAgent(t, binary, s, prefix+"-b")
			succeedsWithin(t, 60*time.Second, func() error {
				return k.run(t, "", "get", "node/"+nodeB).err
			})
			k.waitFor(t, "node/"+nodeB, "condition=Ready")

			if err := agentA.stop(); err != nil {
				t.Fatalf("stop agent of %s: %v", nodeA, err)
			}
			succeedsWithin(t, 90*time.Second, func() error {
				got := k.jsonpath(t, "node/"+nodeA, `{.status.conditions[?(@.type=="Ready")].status} {.spec.taints[?(@.effect=="NoExecute")].key}`)
				if got != "Unknown node.kubernetes.io/unreachable" {
					return fmt.Errorf("node %s: Ready and NoExecute taint %q", nodeA, got)
				}
				return nil
			})
			succeedsWithin(t, 90*time.Second, func() error {
				if got, _ := podNodes(t, k); got != strings.Repeat(nodeB+" ", 3) {
					return fmt.Errorf("live pods on %q, want all on %s", got, nodeB)
				}
				return nil
			})
			rolloutStatus(t, k, "deployment/moved")
			k.expectJSONPath(t, "deployment/moved", "{.status.availableReplicas}", "3")
			// The evicted pods stay Terminating on the dead node, as
			// upstream: nothing there confirms that they stopped.
			if _, evicted := podNodes(t, k); evicted != strings.Repeat(nodeA+" ", 3) {
				t.Errorf("terminating pods on %q, want the 3 evicted from %s", evicted, nodeA)
			}
		})
	}
}

// podNodes returns the nodes of the deployment's live pods (Running, not
// terminating) and of its terminating pods, each sorted and each name
// followed by a space.
func podNodes(t *testing.T, k *kubectl) (live, terminating string) {
	t.Helper()
	out := k.ok(t, "get", "pods", "-l", "app=moved", "-o",
		`jsonpath={range .items[*]}{.status.phase}/{.metadata.deletionTimestamp}/{.spec.nodeName}{"\n"}{end}`)
	var l, d []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.SplitN(line, "/", 3)
		switch {
		case len(f) != 3:
		case f[1] != "":
			d = append(d, f[2])
		case f[0] == "Running":
			l = append(l, f[2])
		}
	}
	join := func(names []string) string {
		slices.Sort(names)
		var b strings.Builder
		for _, n := range names {
			b.WriteString(n + " ")
		}
		return b.String()
	}
	return join(l), join(d)
}
