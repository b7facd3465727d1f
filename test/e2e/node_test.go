package e2e

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

	"github.com/kubeshim/kubeshim/nodeagent/runtime"
)

// The node tests run pods for real: `kubeshim up` (server and agent) on
// this host's containerd, with its own containerd namespace holding the
// test images, removed with `kubeshim reset` when the package ends.

var (
	nodeOnce    sync.Once
	node        *server
	nodeDir     string
	nodeNS      string
	nodeSkip    string
	nodeErr     error
	nodeBinary  string
	busyboxSpec = "test/images/busybox.yaml"
)

const containerdSocket = "/run/containerd/containerd.sock"

// nodeCluster returns the package's one-node cluster, starting it on first
// use; it skips the test when the host cannot run pods.
func nodeCluster(t *testing.T) *server {
	t.Helper()
	nodeOnce.Do(startNodeCluster)
	if nodeSkip != "" {
		t.Skip(nodeSkip)
	}
	if nodeErr != nil {
		t.Fatalf("start node cluster: %v", nodeErr)
	}
	return node
}

func startNodeCluster() {
	binary, err := serverBinary()
	if err != nil {
		nodeSkip = err.Error()
		return
	}
	if os.Geteuid() != 0 {
		nodeSkip = "running pods needs root"
		return
	}
	if _, err := os.Stat(containerdSocket); err != nil {
		nodeSkip = "containerd is not running (hack/ensure-host.sh test starts it): " + err.Error()
		return
	}
	root := filepath.Dir(filepath.Dir(filepath.Dir(binary)))
	nodeBinary = binary
	b := make([]byte, 4)
	rand.Read(b)
	nodeNS = "kubeshim-e2e-" + hex.EncodeToString(b)
	nodeDir, err = os.MkdirTemp("", "kubeshim-e2e-node-")
	if err != nil {
		nodeErr = err
		return
	}
	// The test images, built from the host's files into this namespace.
	archive := filepath.Join(nodeDir, "busybox.tar")
	for _, args := range [][]string{
		{"image", "build", filepath.Join(root, busyboxSpec), "-o", archive},
		{"image", "import", "--namespace", nodeNS, archive},
	} {
		if out, err := exec.Command(binary, args...).CombinedOutput(); err != nil {
			nodeErr = fmt.Errorf("kubeshim %s: %v\n%s", strings.Join(args, " "), err, out)
			return
		}
	}
	// --dns-upstreams=none: the cluster DNS forwards nothing off this host.
	node, nodeErr = startKubeshim(binary, nodeDir, 0, "up", "--containerd-namespace", nodeNS, "--dns-upstreams=none", "--disable-image-pulls")
	if nodeErr != nil {
		return
	}
	// Ready means the node is registered and Ready.
	k := &kubectl{version: "1.33", path: filepath.Join(kubectlDir, "kubectl.1.33"), kubeconfig: node.kubeconfig, home: filepath.Join(nodeDir, "home-wait")}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		cmd := k.command(context.Background(), "wait", "--for=condition=Ready", "node", "--all", "--timeout=5s")
		if out, err := cmd.CombinedOutput(); err == nil && bytes.Contains(out, []byte("condition met")) {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	nodeErr = fmt.Errorf("node not Ready in 60s; log:\n%s", node.logTail(40))
}

// keepNodeLog copies the node cluster's log (server and agent, all restarts)
// out of the directory stopNodeCluster removes, for a failed run's
// post-mortem.
func keepNodeLog() {
	if nodeDir == "" {
		return
	}
	data, err := os.ReadFile(filepath.Join(nodeDir, "server.log"))
	if err != nil {
		return
	}
	path := filepath.Join(os.TempDir(), nodeNS+".log")
	if err := os.WriteFile(path, data, 0o600); err == nil {
		fmt.Fprintf(os.Stderr, "node cluster log kept in %s\n", path)
	}
}

// stopNodeCluster stops the cluster and removes everything it made.
func stopNodeCluster() error {
	if node == nil && nodeDir == "" {
		return nil
	}
	var errs []error
	if node != nil {
		if err := node.stop(); err != nil {
			errs = append(errs, fmt.Errorf("%w; log:\n%s", err, node.logTail(40)))
		}
	}
	if nodeBinary != "" {
		out, err := exec.Command(nodeBinary, "reset", "--data-dir", filepath.Join(nodeDir, "data"), "--containerd-namespace", nodeNS).CombinedOutput()
		if err != nil {
			errs = append(errs, fmt.Errorf("kubeshim reset: %v\n%s", err, out))
		}
	}
	errs = append(errs, os.RemoveAll(nodeDir))
	errs = append(errs, leftovers())
	return errors.Join(errs...)
}

// leftovers reports what a reset should have removed and did not: the
// containerd namespace, its directories and shims, the pods' bridge and the
// sink, the agent's iptables chains and the portmap plugin's, network
// namespace pins.
func leftovers() error {
	var found []string
	if out, err := exec.Command("ctr", "namespaces", "ls", "-q").Output(); err == nil && strings.Contains(string(out), nodeNS) {
		found = append(found, "containerd namespace "+nodeNS)
	}
	for _, link := range []string{"kubeshim0", "kubeshim-sink"} {
		if exec.Command("ip", "link", "show", link).Run() == nil {
			found = append(found, "link "+link)
		}
	}
	for _, table := range []string{"filter", "nat"} {
		out, _ := exec.Command("iptables-save", "-t", table).Output()
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(line, ":KUBESHIM-") || strings.HasPrefix(line, ":CNI-") {
				found = append(found, table+" chain "+strings.Fields(line)[0][1:])
			}
		}
	}
	// containerd's per-namespace directories and shims.
	found = append(found, runtime.NamespaceLeftovers(nodeNS)...)
	if mounts, err := os.ReadFile("/proc/self/mountinfo"); err == nil && strings.Contains(string(mounts), nodeDir) {
		found = append(found, "mounts under "+nodeDir)
	}
	if len(found) > 0 {
		return fmt.Errorf("kubeshim reset left: %s", strings.Join(found, ", "))
	}
	return nil
}

// forEachNodeKubectl runs fn per kubectl version against the node
// cluster, each in a fresh namespace.
func forEachNodeKubectl(t *testing.T, fn func(t *testing.T, k *kubectl)) {
	s := nodeCluster(t)
	for _, version := range kubectlVersions {
		t.Run("kubectl-"+version, func(t *testing.T) {
			k := newKubectl(t, version, s)
			k.namespace = namespaceName(t)
			k.createNamespace(t, k.namespace)
			t.Cleanup(func() { k.run(t, "", "delete", "namespace", k.namespace, "--wait=false") })
			fn(t, k)
		})
	}
}

const busybox = "registry.k8s.io/e2e-test-images/busybox:1.37.0-2"

// waitFor waits until kubectl wait's condition holds for object.
func (k *kubectl) waitFor(t *testing.T, object, condition string) {
	t.Helper()
	r := k.run(t, "", "wait", "--for="+condition, object, "--timeout=50s")
	if r.err != nil {
		desc := k.run(t, "", "describe", object)
		t.Fatalf("%v\n%s", r, desc.stdout)
	}
}

// succeedsWithin retries fn until it returns nil or the timeout passes.
func succeedsWithin(t *testing.T, timeout time.Duration, fn func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var err error
	for time.Now().Before(deadline) {
		if err = fn(); err == nil {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("after %s: %v", timeout, err)
}
