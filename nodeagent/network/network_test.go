package network

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// The tests use only 10.244.250.0/24 for pods and 10.111.250.0/24 for
// services, and send no packet: they look at addresses, routes and rules.
const (
	testPodCIDR     = "10.244.250.0/24"
	testServiceCIDR = "10.111.250.0/24"
)

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// requireHost skips unless the test can make network namespaces and links.
func requireHost(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to make network namespaces and links")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs iproute2's ip")
	}
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// newNetNS makes a named network namespace, removed when the test ends,
// and returns its path.
func newNetNS(t *testing.T) (name, path string) {
	t.Helper()
	name = "kshtest-" + randomHex(4)
	run(t, "ip", "netns", "add", name)
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil && !strings.Contains(string(out), "No such file") {
			t.Errorf("ip netns del %s: %v\n%s", name, err, out)
		}
	})
	return name, filepath.Join("/run/netns", name)
}

// newTestNetwork returns a Network on a bridge of its own, with the pod
// CIDR set; the bridge is removed when the test ends.
func newTestNetwork(t *testing.T, stateDir string) (*Network, Config) {
	t.Helper()
	config := Config{StateDir: stateDir, Bridge: "ksht" + randomHex(3), SinkDevice: "kshs" + randomHex(3)}
	n, err := New(config)
	if err != nil {
		t.Skipf("needs the CNI plugins: %v", err)
	}
	t.Cleanup(func() {
		for _, dev := range []string{config.Bridge, config.SinkDevice} {
			if linkExists(dev) {
				if out, err := exec.Command("ip", "link", "del", dev).CombinedOutput(); err != nil {
					t.Errorf("ip link del %s: %v\n%s", dev, err, out)
				}
			}
		}
	})
	return n, n.config
}

func linkExists(name string) bool {
	_, err := net.InterfaceByName(name)
	return err == nil
}

func TestNewDefaultsAndChecks(t *testing.T) {
	if _, err := New(Config{PluginDirs: []string{t.TempDir()}}); err == nil || !strings.Contains(err.Error(), `CNI plugin "bridge" not found`) {
		t.Errorf("New without plugins = %v, want a plugin not found error", err)
	}
	n, err := New(Config{StateDir: t.TempDir()})
	if err != nil {
		t.Skipf("needs the CNI plugins: %v", err)
	}
	if n.config.Bridge != "kubeshim0" || n.config.SinkDevice != "kubeshim-sink" {
		t.Errorf("defaults: bridge %q, sink %q", n.config.Bridge, n.config.SinkDevice)
	}
	if n.PodCIDR() != "" {
		t.Errorf("PodCIDR before SetPodCIDR = %q", n.PodCIDR())
	}
	if _, err := n.Setup(context.Background(), Pod{SandboxID: "x", NetNS: "/nonexistent"}); err == nil || !strings.Contains(err.Error(), "no pod CIDR") {
		t.Errorf("Setup before SetPodCIDR = %v, want not ready", err)
	}
	// Nothing was set up: nothing to tear down.
	if err := n.Teardown(context.Background(), Pod{SandboxID: "x"}); err != nil {
		t.Errorf("Teardown before SetPodCIDR: %v", err)
	}
	if err := n.SetPodCIDR("10.244.250.0"); err == nil {
		t.Errorf("SetPodCIDR of an address succeeded")
	}
	if err := n.SetPodCIDR(testPodCIDR); err != nil || n.PodCIDR() != testPodCIDR {
		t.Errorf("SetPodCIDR = %v, PodCIDR %q", err, n.PodCIDR())
	}
}

func ipamFile(stateDir string, ip net.IP) string {
	return filepath.Join(stateDir, "ipam", "kubeshim", ip.String())
}

func TestSetupTeardown(t *testing.T) {
	requireHost(t)
	ctx := context.Background()
	stateDir := t.TempDir()
	n, config := newTestNetwork(t, stateDir)
	if err := n.SetPodCIDR(testPodCIDR); err != nil {
		t.Fatal(err)
	}
	_, subnet, _ := net.ParseCIDR(testPodCIDR)

	setup := func(t *testing.T, name string) (Pod, string, net.IP) {
		t.Helper()
		nsName, nsPath := newNetNS(t)
		p := Pod{Namespace: "default", Name: name, UID: "uid-" + name, SandboxID: "sb-" + randomHex(8), NetNS: nsPath}
		t.Cleanup(func() { _ = n.Teardown(context.Background(), p) })
		ip, err := n.Setup(ctx, p)
		if err != nil {
			t.Fatalf("Setup: %v", err)
		}
		if !subnet.Contains(ip) || ip.Equal(net.ParseIP("10.244.250.1")) || ip.Equal(net.ParseIP("10.244.250.0")) {
			t.Fatalf("pod IP %s, want a host address of %s other than the gateway", ip, testPodCIDR)
		}
		return p, nsName, ip
	}

	p1, ns1, ip1 := setup(t, "p1")
	p2, ns2, ip2 := setup(t, "p2")
	if ip1.Equal(ip2) {
		t.Errorf("two pods got the same IP %s", ip1)
	}
	for _, c := range []struct {
		ns string
		ip net.IP
	}{{ns1, ip1}, {ns2, ip2}} {
		if out := run(t, "ip", "-n", c.ns, "-4", "-o", "addr", "show", "dev", "eth0"); !strings.Contains(out, c.ip.String()+"/24") {
			t.Errorf("eth0 in %s: %s; want %s/24", c.ns, out, c.ip)
		}
		if out := run(t, "ip", "-n", c.ns, "-o", "link", "show", "lo"); !strings.Contains(out, "UP") {
			t.Errorf("lo in %s is not up: %s", c.ns, out)
		}
		if out := run(t, "ip", "-n", c.ns, "route", "show", "default"); !strings.Contains(out, "via 10.244.250.1 dev eth0") {
			t.Errorf("default route in %s: %q, want via the bridge's 10.244.250.1", c.ns, out)
		}
		if _, err := os.Stat(ipamFile(stateDir, c.ip)); err != nil {
			t.Errorf("host-local allocation of %s: %v", c.ip, err)
		}
	}
	if out := run(t, "ip", "-4", "-o", "addr", "show", "dev", config.Bridge); !strings.Contains(out, "10.244.250.1/24") {
		t.Errorf("bridge %s: %s; want the gateway 10.244.250.1/24", config.Bridge, out)
	}

	t.Run("teardown", func(t *testing.T) {
		for i := 0; i < 2; i++ {
			if err := n.Teardown(ctx, p1); err != nil {
				t.Fatalf("Teardown #%d: %v", i+1, err)
			}
		}
		if _, err := os.Stat(ipamFile(stateDir, ip1)); !os.IsNotExist(err) {
			t.Errorf("allocation of %s after Teardown: %v, want it gone", ip1, err)
		}
		if out, err := exec.Command("ip", "-n", ns1, "link", "show", "eth0").CombinedOutput(); err == nil {
			t.Errorf("eth0 still in the namespace after Teardown:\n%s", out)
		}
		// Never set up: nothing to do.
		if err := n.Teardown(ctx, Pod{SandboxID: "never-" + randomHex(4), NetNS: "/run/netns/none"}); err != nil {
			t.Errorf("Teardown of a pod never set up: %v", err)
		}
	})

	t.Run("teardown cached", func(t *testing.T) {
		// A Network that does not know the pod CIDR (kubeshim reset)
		// releases with what the cache recorded.
		other, err := New(config)
		if err != nil {
			t.Fatal(err)
		}
		if err := other.Teardown(ctx, p2); err != nil {
			t.Errorf("Teardown without a pod CIDR: %v", err)
		}
		if _, err := os.Stat(ipamFile(stateDir, ip2)); err != nil {
			t.Errorf("Teardown without a pod CIDR released %s: %v", ip2, err)
		}
		for i := 0; i < 2; i++ {
			if err := other.TeardownCached(ctx, p2); err != nil {
				t.Fatalf("TeardownCached #%d: %v", i+1, err)
			}
		}
		if _, err := os.Stat(ipamFile(stateDir, ip2)); !os.IsNotExist(err) {
			t.Errorf("allocation of %s after TeardownCached: %v, want it gone", ip2, err)
		}
		if out, err := exec.Command("ip", "-n", ns2, "link", "show", "eth0").CombinedOutput(); err == nil {
			t.Errorf("eth0 still in the namespace after TeardownCached:\n%s", out)
		}
	})

	t.Run("teardown after the namespace is gone", func(t *testing.T) {
		p3, ns3, ip3 := setup(t, "p3")
		run(t, "ip", "netns", "del", ns3)
		if err := n.Teardown(ctx, p3); err != nil {
			t.Fatalf("Teardown: %v", err)
		}
		if _, err := os.Stat(ipamFile(stateDir, ip3)); !os.IsNotExist(err) {
			t.Errorf("allocation of %s after Teardown without its namespace: %v, want it gone", ip3, err)
		}
	})
}

// TestEnsureHost runs EnsureHost and RemoveHost in a network namespace of
// the test's own, standing in for the host: the forward guard's chain has
// a fixed name, and an agent running on this machine owns the host's.
func TestEnsureHost(t *testing.T) {
	requireHost(t)
	if _, err := exec.LookPath("iptables"); err != nil {
		t.Skip("needs iptables")
	}
	nsName, nsPath := newNetNS(t)
	n, config := newTestNetwork(t, t.TempDir())
	n.config.ClusterCIDR, n.config.ServiceCIDR = testPodCIDR, testServiceCIDR
	config = n.config
	ipIn := func(args ...string) (string, error) {
		out, err := exec.Command("ip", append([]string{"-n", nsName}, args...)...).CombinedOutput()
		return string(out), err
	}
	iptablesIn := func(args ...string) (string, error) {
		out, err := exec.Command("ip", append([]string{"netns", "exec", nsName, "iptables"}, args...)...).CombinedOutput()
		return string(out), err
	}
	// The guard chain's name is the host's: make sure what inNamespace
	// runs, commands included, acts in the test's namespace only.
	var nsStat unix.Stat_t
	if err := unix.Stat(nsPath, &nsStat); err != nil {
		t.Fatal(err)
	}
	var childNS string
	if err := inNamespace(nsPath, func() error {
		out, err := exec.Command("readlink", "/proc/self/ns/net").Output()
		childNS = strings.TrimSpace(string(out))
		return err
	}); err != nil || childNS != fmt.Sprintf("net:[%d]", nsStat.Ino) {
		t.Fatalf("a command started in the test's namespace runs in %q (%v), want net:[%d]", childNS, err, nsStat.Ino)
	}
	// A default route, as the host has one: a veth pair inside the
	// namespace, with no address. Before EnsureHost cluster addresses
	// follow it; after, the sink must win.
	for _, args := range [][]string{
		{"link", "add", "kshdef0", "type", "veth", "peer", "name", "kshdef1"},
		{"link", "set", "kshdef0", "up"},
		{"link", "set", "kshdef1", "up"},
		{"route", "add", "default", "dev", "kshdef0"},
	} {
		if out, err := ipIn(args...); err != nil {
			t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	if out, err := ipIn("route", "get", "10.244.250.77"); err != nil || !strings.Contains(out, "dev kshdef0 ") {
		t.Fatalf("route to a cluster address before EnsureHost = %q, %v; want the default route", out, err)
	}

	for i := 0; i < 2; i++ { // idempotent
		if err := inNamespace(nsPath, n.EnsureHost); err != nil {
			t.Fatalf("EnsureHost #%d: %v", i+1, err)
		}
	}
	for _, addr := range []string{"10.244.250.77", "10.111.250.9"} {
		out, err := ipIn("route", "get", addr)
		if err != nil || !strings.Contains(out, "dev "+config.SinkDevice+" ") {
			t.Errorf("ip route get %s = %q, %v; want dev %s", addr, out, err, config.SinkDevice)
		}
	}
	if out, err := ipIn("-o", "link", "show", config.SinkDevice); err != nil || !strings.Contains(out, "UP") {
		t.Errorf("sink device: %q, %v; want it up", out, err)
	}
	chain, err := iptablesIn("-S", forwardChain)
	rule := fmt.Sprintf("-A %s -i %s ! -o %s -m comment --comment \"kubeshim: pod traffic stays on this host\" -j DROP", forwardChain, config.Bridge, config.Bridge)
	if err != nil || strings.Count(chain, "-A ") != 1 || !strings.Contains(chain, rule) {
		t.Errorf("iptables -S %s = %q, %v; want one rule %s", forwardChain, chain, err, rule)
	}
	fwd, err := iptablesIn("-S", "FORWARD")
	jump := "-A FORWARD -m comment --comment \"kubeshim forward guard\" -j " + forwardChain
	if err != nil || strings.Count(fwd, jump) != 1 {
		t.Errorf("iptables -S FORWARD = %q, %v; want the jump once: %s", fwd, err, jump)
	}

	// The pods' bridge goes too: make one as the bridge plugin would.
	if out, err := ipIn("link", "add", config.Bridge, "type", "bridge"); err != nil {
		t.Fatalf("add bridge: %v\n%s", err, out)
	}
	for _, d := range []string{"ipam", "cache"} {
		if err := os.MkdirAll(filepath.Join(config.StateDir, d, "kubeshim"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 2; i++ { // missing pieces are skipped
		if err := inNamespace(nsPath, n.RemoveHost); err != nil {
			t.Fatalf("RemoveHost #%d: %v", i+1, err)
		}
	}
	for _, dev := range []string{config.SinkDevice, config.Bridge} {
		if out, err := ipIn("link", "show", dev); err == nil {
			t.Errorf("%s still there after RemoveHost: %s", dev, out)
		}
	}
	if out, err := iptablesIn("-S", forwardChain); err == nil {
		t.Errorf("chain %s still there after RemoveHost: %s", forwardChain, out)
	}
	if fwd, err := iptablesIn("-S", "FORWARD"); err != nil || strings.Contains(fwd, forwardChain) {
		t.Errorf("iptables -S FORWARD after RemoveHost = %q, %v; want no jump", fwd, err)
	}
	if out, err := ipIn("route", "get", "10.111.250.9"); err != nil || !strings.Contains(out, "dev kshdef0 ") {
		t.Errorf("route to a service address after RemoveHost = %q, %v; want the default route again", out, err)
	}
	for _, d := range []string{"ipam", "cache"} {
		if _, err := os.Stat(filepath.Join(config.StateDir, d)); !os.IsNotExist(err) {
			t.Errorf("%s after RemoveHost: %v, want it gone", d, err)
		}
	}
}

// inNamespace runs fn on a thread in the network namespace at path: its
// netlink sockets and the commands it starts (iptables) act there. The
// thread is discarded afterwards rather than trusted back into the pool.
func inNamespace(path string, fn func() error) error {
	ns, err := os.Open(path)
	if err != nil {
		return err
	}
	defer ns.Close()
	errc := make(chan error, 1)
	go func() {
		// No UnlockOSThread: the thread ends with the goroutine.
		goruntime.LockOSThread()
		if err := unix.Setns(int(ns.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("enter netns: %w", err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}
