package proxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/klog/v2/ktesting"
	"k8s.io/utils/clock"
)

// These tests apply real payloads with the real iptables binaries, but
// only inside a network namespace each test makes and deletes: the host's
// tables are never touched. Every packet they send stays in that
// namespace: its only devices are lo and a port-less bridge.

// testNetns is a network namespace of the test's own.
type testNetns struct {
	name  string
	fd    int
	inode uint64
	host  uint64
}

var netnsCount atomic.Int32

// newTestNetns makes kubeshim-proxytest-<pid>-<n> with lo up and a
// port-less bridge ksink holding 10.99.0.1 (the "node" address), with the
// service CIDR routed to it as the agent's sink does. It is deleted when
// the test ends, whatever happens.
func newTestNetns(t testing.TB) *testNetns {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to make a network namespace")
	}
	for _, bin := range []string{"ip", "iptables", "iptables-restore", "iptables-save"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("needs %s: %v", bin, err)
		}
	}
	name := fmt.Sprintf("kubeshim-proxytest-%d-%d", os.Getpid(), netnsCount.Add(1))
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Skipf("cannot make a network namespace: %v: %s", err, out)
	}
	n := &testNetns{name: name, fd: -1}
	t.Cleanup(func() {
		if n.fd >= 0 {
			unix.Close(n.fd)
		}
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v: %s", name, err, out)
		}
	})
	for _, args := range [][]string{
		{"link", "set", "lo", "up"},
		{"link", "add", "ksink", "type", "bridge"},
		{"addr", "add", "10.99.0.1/32", "dev", "ksink"},
		{"link", "set", "ksink", "up"},
		{"route", "add", "10.96.0.0/12", "dev", "ksink"},
	} {
		if out, err := exec.Command("ip", append([]string{"-n", name}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("ip -n %s %v: %v: %s", name, args, err, out)
		}
	}
	fd, err := unix.Open(filepath.Join("/run/netns", name), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	n.fd = fd
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		t.Fatal(err)
	}
	n.inode = st.Ino
	if n.host, err = threadNetns(); err != nil {
		t.Fatal(err)
	}
	if n.inode == n.host {
		t.Fatal("the test namespace is the host's")
	}
	return n
}

func threadNetns() (uint64, error) {
	var st unix.Stat_t
	if err := unix.Stat("/proc/thread-self/ns/net", &st); err != nil {
		return 0, err
	}
	return st.Ino, nil
}

// do runs fn on an OS thread inside the namespace: what it execs
// (iptables-restore) and the sockets it opens (netlink, TCP, /proc/sys/net)
// are the namespace's. The thread goes back to the host namespace
// afterwards, or dies with its goroutine if it cannot.
func (n *testNetns) do(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- err
			return
		}
		defer unix.Close(orig)
		if err := unix.Setns(n.fd, unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("enter %s: %w", n.name, err)
			return
		}
		// Never run fn anywhere but in the test's namespace.
		if ino, err := threadNetns(); err != nil || ino != n.inode || ino == n.host {
			errc <- fmt.Errorf("not in %s after setns (inode %d, want %d): %v", n.name, ino, n.inode, err)
			return // the locked thread exits with the goroutine
		}
		err = fn()
		if unix.Setns(orig, unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		errc <- err
	}()
	return <-errc
}

// save is iptables-save of a table in the namespace.
func (n *testNetns) save(t testing.TB, table string) string {
	t.Helper()
	out, err := exec.Command("ip", "netns", "exec", n.name, "iptables-save", "-t", table).Output()
	if err != nil {
		t.Fatalf("iptables-save in %s: %v", n.name, err)
	}
	return string(out)
}

// nsFilter runs every call of a packetFilter inside the namespace.
type nsFilter struct {
	ns    *testNetns
	inner packetFilter
}

func (f nsFilter) EnsureJumps(js []jump) error {
	return f.ns.do(func() error { return f.inner.EnsureJumps(js) })
}
func (f nsFilter) JumpsPresent(js []jump) (ok bool, err error) {
	err = f.ns.do(func() (e error) { ok, e = f.inner.JumpsPresent(js); return })
	return
}
func (f nsFilter) Restore(payload []byte) error {
	return f.ns.do(func() error { return f.inner.Restore(payload) })
}
func (f nsFilter) Save(table string) (out []byte, err error) {
	err = f.ns.do(func() (e error) { out, e = f.inner.Save(table); return })
	return
}
func (f nsFilter) DeleteJumps(js []jump) error {
	return f.ns.do(func() error { return f.inner.DeleteJumps(js) })
}
func (f nsFilter) RandomFully() bool { return f.inner.RandomFully() }

type nsConntrack struct{ ns *testNetns }

func (c nsConntrack) DeleteStaleUDP(filter *staleUDPFilter) (n uint, err error) {
	err = c.ns.do(func() (e error) { n, e = netlinkConntrack{}.DeleteStaleUDP(filter); return })
	return
}

func newNSFilter(t testing.TB, ns *testNetns) nsFilter {
	t.Helper()
	var ipt *hostIPTables
	if err := ns.do(func() (err error) { ipt, err = newHostIPTables(); return }); err != nil {
		t.Fatal(err)
	}
	return nsFilter{ns: ns, inner: ipt}
}

// ourChains are the KUBESHIM- chains of an iptables-save listing.
func ourChains(save string) []string {
	var out []string
	for _, c := range chainsOf([]byte(save)) {
		if strings.HasPrefix(c, "KUBESHIM-") {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out
}

// TestNetnsApply applies a full payload, a partial one and the cleanup
// with the real iptables in a private namespace, and checks what
// iptables-save lists there.
func TestNetnsApply(t *testing.T) {
	ns := newTestNetns(t)
	ipt := newNSFilter(t, ns)
	_, ctx := ktesting.NewTestContext(t)

	// Somebody else's rules, which must survive: the agent's guard and a
	// rule of the host's own.
	for _, args := range [][]string{
		{"-t", "filter", "-N", "KUBESHIM-FORWARD"},
		{"-t", "filter", "-A", "KUBESHIM-FORWARD", "-i", "kubeshim0", "!", "-o", "kubeshim0", "-j", "DROP"},
		{"-t", "filter", "-I", "FORWARD", "-j", "KUBESHIM-FORWARD"},
		{"-t", "nat", "-A", "POSTROUTING", "-s", "10.99.0.0/24", "-j", "RETURN"},
	} {
		if out, err := exec.Command("ip", append([]string{"netns", "exec", ns.name, "iptables"}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("iptables %v: %v: %s", args, err, out)
		}
	}

	services, eps := packetFlowCluster()
	p := testParams()
	p.RandomFully = ipt.RandomFully()
	first := Build(NewSnapshot(services, eps, testNode), p, nil)
	if err := ipt.EnsureJumps(jumps(true)); err != nil {
		t.Fatal(err)
	}
	if err := ipt.EnsureJumps(jumps(true)); err != nil { // idempotent
		t.Fatal(err)
	}
	if err := ipt.Restore(first.Payload(nil, nil)); err != nil {
		t.Fatal(err)
	}
	nat := ns.save(t, "nat")
	wantNat := append([]string{chainMarkMasq, chainNodePorts, chainPostrouting, chainServices}, first.Chains()...)
	slices.Sort(wantNat)
	if diff := cmp.Diff(wantNat, ourChains(nat)); diff != "" {
		t.Errorf("nat chains (-want +got):\n%s", diff)
	}
	for _, want := range []string{
		"-A PREROUTING -m comment --comment \"kubeshim service portals\" -j KUBESHIM-SERVICES",
		"-A OUTPUT -m comment --comment \"kubeshim service portals\" -j KUBESHIM-SERVICES",
		"-A POSTROUTING -m comment --comment \"kubeshim postrouting rules\" -j KUBESHIM-POSTROUTING",
		"-A POSTROUTING -s 10.99.0.0/24 -j RETURN",
		"--to-destination 10.244.0.5:8080",
	} {
		if strings.Count(nat, want) != 1 {
			t.Errorf("nat table has %d times %q:\n%s", strings.Count(nat, want), want, nat)
		}
	}
	filter := ns.save(t, "filter")
	for _, want := range []string{
		`-A KUBESHIM-SERVICES -d 10.96.0.16/32 -p udp -m comment --comment "ns1/empty:dns has no endpoints" -m udp --dport 53 -j REJECT --reject-with icmp-port-unreachable`,
		"-A FORWARD -j KUBESHIM-FORWARD",
		"-A FORWARD -m comment --comment \"kubeshim forwarding rules\" -j KUBESHIM-PROXY-FORWARD",
	} {
		if !strings.Contains(filter, want) {
			t.Errorf("filter table lacks %q:\n%s", want, filter)
		}
	}
	// The agent's guard comes before the proxy's ACCEPTs.
	if strings.Index(filter, "-A FORWARD -j KUBESHIM-FORWARD") > strings.Index(filter, "-j KUBESHIM-PROXY-FORWARD") {
		t.Errorf("KUBESHIM-PROXY-FORWARD is ahead of the forward guard:\n%s", filter)
	}

	// One service fewer and one endpoint less: a partial payload.
	services2 := without(services, "web")
	eps2 := append([]*discoveryv1.EndpointSlice{}, eps...)
	eps2[1] = slice("ns1", "np", "np-x", []string{"p:80/TCP"}, "10.244.0.6@node-a")
	second := Build(NewSnapshot(services2, eps2, testNode), p, first)
	partial := second.Payload(first, second.StaleSince(first))
	if len(partial) >= len(first.Payload(nil, nil)) {
		t.Errorf("partial payload is %d bytes, the full one %d", len(partial), len(first.Payload(nil, nil)))
	}
	if err := ipt.Restore(partial); err != nil {
		t.Fatal(err)
	}
	wantNat = append([]string{chainMarkMasq, chainNodePorts, chainPostrouting, chainServices}, second.Chains()...)
	slices.Sort(wantNat)
	if diff := cmp.Diff(wantNat, ourChains(ns.save(t, "nat"))); diff != "" {
		t.Errorf("nat chains after the partial payload (-want +got):\n%s", diff)
	}
	// What the kernel holds is what a full payload gives.
	if diff := cmp.Diff(strings.Split(normalize(ns.save(t, "nat")), "\n"), strings.Split(normalize(applyFresh(t, second.Payload(nil, nil))), "\n")); diff != "" {
		t.Errorf("nat table after the partial payload differs from a fresh full one (-partial +full):\n%s", diff)
	}

	// A stray chain of an earlier run is found and deleted by a full sync.
	if out, err := exec.Command("ip", "netns", "exec", ns.name, "iptables", "-t", "nat", "-N", "KUBESHIM-SEP-STRAYSTRAYSTRAY").CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	save, err := ipt.Save("nat")
	if err != nil {
		t.Fatal(err)
	}
	if err := ipt.Restore(second.FullPayload(mustParseSave(t, save))); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(ns.save(t, "nat"), "STRAY") {
		t.Errorf("stray chain not deleted")
	}

	if err := cleanup(ctx, ipt, sysctls{root: t.TempDir(), stateDir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	nat, filter = ns.save(t, "nat"), ns.save(t, "filter")
	if diff := cmp.Diff([]string(nil), ourChains(nat)); diff != "" {
		t.Errorf("nat chains after cleanup (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"KUBESHIM-FORWARD"}, ourChains(filter)); diff != "" {
		t.Errorf("filter chains after cleanup: only the agent's may stay (-want +got):\n%s", diff)
	}
	if strings.Contains(nat+filter, "kubeshim service") || !strings.Contains(nat, "-A POSTROUTING -s 10.99.0.0/24 -j RETURN") {
		t.Errorf("cleanup left a jump or took a foreign rule:\n%s\n%s", nat, filter)
	}
	if err := cleanup(ctx, ipt, sysctls{root: t.TempDir(), stateDir: t.TempDir()}); err != nil {
		t.Errorf("second cleanup: %v", err)
	}
}

func without(services []*corev1.Service, name string) []*corev1.Service {
	var out []*corev1.Service
	for _, s := range services {
		if s.Name != name {
			out = append(out, s)
		}
	}
	return out
}

// normalize drops iptables-save's comment lines and counters.
func normalize(save string) string {
	var out []string
	for _, l := range strings.Split(save, "\n") {
		if strings.HasPrefix(l, "#") {
			continue
		}
		if strings.HasPrefix(l, ":") {
			l, _, _ = strings.Cut(l, " ")
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// applyFresh is the nat table of a new namespace after payload.
func applyFresh(t *testing.T, payload []byte) string {
	ns := newTestNetns(t)
	ipt := newNSFilter(t, ns)
	if err := ipt.EnsureJumps(jumps(true)); err != nil {
		t.Fatal(err)
	}
	if err := ipt.Restore(payload); err != nil {
		t.Fatal(err)
	}
	// The first namespace has a foreign rule in POSTROUTING: add it here.
	if out, err := exec.Command("ip", "netns", "exec", ns.name, "iptables", "-t", "nat", "-A", "POSTROUTING", "-s", "10.99.0.0/24", "-j", "RETURN").CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return ns.save(t, "nat")
}

// TestNetnsProxy runs the whole proxy against a fake API with its rules
// in a private namespace, and sends real connections there: to a cluster
// IP, a node port, a localhost node port, and a service without endpoints.
func TestNetnsProxy(t *testing.T) {
	ns := newTestNetns(t)
	ipt := newNSFilter(t, ns)
	_, ctx := ktesting.NewTestContext(t)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// route_localnet, really, but in the namespace.
	sys := sysctls{root: procSys, stateDir: t.TempDir()}
	if err := ns.do(sys.enableRouteLocalnet); err != nil {
		t.Fatal(err)
	}

	// The endpoint: a TCP server on the namespace's "node" address.
	var ln net.Listener
	if err := ns.do(func() (err error) { ln, err = net.Listen("tcp", "10.99.0.1:8080"); return }); err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("hello from the endpoint\n"))
			c.Close()
		}
	}()

	client := fake.NewClientset(
		svc("ns1", "web", "10.96.0.10", []string{"http:80:30080/TCP"}, nodePortType),
		slice("ns1", "web", "web-1", []string{"http:8080/TCP"}, "10.99.0.1@node-a"),
		svc("ns1", "empty", "10.96.0.11", []string{"http:80/TCP"}),
		&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: testNode}, Status: corev1.NodeStatus{Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "10.99.0.1"}}}},
	)
	// The proxy's sysctls are files of the test: Run must not write the
	// host's /proc/sys (route_localnet is already 1 in the namespace).
	fakeSys := sysctls{root: t.TempDir(), stateDir: t.TempDir()}
	if err := os.MkdirAll(filepath.Join(fakeSys.root, filepath.Dir(sysctlRouteLocalnet)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(fakeSys.root, sysctlRouteLocalnet), []byte("1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := newProxy(&Config{
		Client: client, NodeName: testNode, ClusterCIDR: "10.244.0.0/16",
		MinSyncPeriod: 10 * time.Millisecond, SyncPeriod: time.Second, MasqueradeBit: 14, LocalhostNodePorts: true,
	}, ipt, nsConntrack{ns}, fakeSys, clock.RealClock{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()

	waitFor(t, "the service's chains", func() bool { return strings.Contains(ns.save(t, "nat"), "--to-destination 10.99.0.1:8080") })
	for _, addr := range []string{"10.96.0.10:80", "10.99.0.1:30080", "127.0.0.1:30080"} {
		if got, err := dial(ns, addr); err != nil || got != "hello from the endpoint\n" {
			t.Errorf("dial %s: %q, %v", addr, got, err)
		}
	}
	if _, err := dial(ns, "10.96.0.11:80"); !errors.Is(err, unix.ECONNREFUSED) {
		t.Errorf("dial a service without endpoints: %v, want connection refused (REJECT)", err)
	}

	// The endpoint goes: the service is rejected and its chains deleted.
	if err := client.DiscoveryV1().EndpointSlices("ns1").Delete(ctx, "web-1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the endpoint chain to go", func() bool { return !strings.Contains(ns.save(t, "nat"), prefixSEP) })
	if _, err := dial(ns, "10.96.0.10:80"); !errors.Is(err, unix.ECONNREFUSED) {
		t.Errorf("dial a service whose endpoint went: %v, want connection refused", err)
	}
	if !strings.Contains(ns.save(t, "filter"), `"ns1/web:http has no endpoints"`) {
		t.Errorf("no REJECT rule for ns1/web")
	}
}

func dial(ns *testNetns, addr string) (string, error) {
	var got string
	err := ns.do(func() error {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		b := make([]byte, 100)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := c.Read(b)
		got = string(b[:n])
		return err
	})
	return got, err
}

// waitFor polls cond; the proxy's sync is asynchronous.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	if err := wait.PollUntilContextTimeout(context.Background(), 20*time.Millisecond, 30*time.Second, true,
		func(context.Context) (bool, error) { return cond(), nil }); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// TestNetnsConntrack makes UDP conntrack entries in a private namespace
// and checks that exactly the stale ones are deleted.
func TestNetnsConntrack(t *testing.T) {
	ns := newTestNetns(t)
	flow := func(src, dst string, sport, dport uint16, replySrc string, replyPort uint16) *netlink.ConntrackFlow {
		// Four-byte addresses: netlink encodes 16-byte ones as IPv6.
		f := &netlink.ConntrackFlow{FamilyType: unix.AF_INET, TimeOut: 100}
		f.Forward = netlink.IPTuple{Protocol: unix.IPPROTO_UDP, SrcIP: net.ParseIP(src).To4(), DstIP: net.ParseIP(dst).To4(), SrcPort: sport, DstPort: dport}
		f.Reverse = netlink.IPTuple{Protocol: unix.IPPROTO_UDP, SrcIP: net.ParseIP(replySrc).To4(), DstIP: net.ParseIP(src).To4(), SrcPort: replyPort, DstPort: sport}
		return f
	}
	flows := map[string]*netlink.ConntrackFlow{
		"to a gone endpoint":       flow("10.244.0.50", "10.96.0.30", 5000, 53, "10.244.0.60", 53),
		"to a serving endpoint":    flow("10.244.0.51", "10.96.0.30", 5000, 53, "10.244.0.61", 53),
		"never DNATed":             flow("10.244.0.52", "10.96.0.30", 5000, 53, "10.96.0.30", 53),
		"node port, gone endpoint": flow("203.0.113.9", "10.99.0.1", 4000, 30053, "10.244.0.60", 53),
		"node port elsewhere":      flow("203.0.113.9", "10.99.0.7", 4000, 30053, "10.99.0.7", 30053),
		"another service":          flow("10.244.0.53", "10.96.0.31", 5000, 53, "10.244.0.70", 53),
	}
	if err := ns.do(func() error {
		for name, f := range flows {
			if err := netlink.ConntrackCreate(netlink.ConntrackTable, unix.AF_INET, f); err != nil {
				return fmt.Errorf("create %s: %w", name, err)
			}
		}
		return nil
	}); err != nil {
		t.Skipf("cannot make conntrack entries here: %v", err)
	}
	s := NewSnapshot([]*corev1.Service{svc("ns", "dns", "10.96.0.30", []string{"dns:53:30053/UDP"}, nodePortType)},
		[]*discoveryv1.EndpointSlice{slice("ns", "dns", "dns-1", []string{"dns:53/UDP"}, "10.244.0.61")}, testNode)
	n, err := nsConntrack{ns}.DeleteStaleUDP(newStaleUDPFilter(newUDPFrontends(s), []string{"10.99.0.1"}, true))
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	if err := ns.do(func() error {
		list, err := netlink.ConntrackTableList(netlink.ConntrackTable, unix.AF_INET)
		for _, f := range list {
			for name, want := range flows {
				if f.Forward.SrcIP.Equal(want.Forward.SrcIP) && f.Forward.DstIP.Equal(want.Forward.DstIP) && f.Forward.DstPort == want.Forward.DstPort {
					left = append(left, name)
				}
			}
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(left)
	if diff := cmp.Diff([]string{"another service", "node port elsewhere", "to a serving endpoint"}, left); diff != "" {
		t.Errorf("entries left (-want +got):\n%s", diff)
	}
	if n != 3 {
		t.Errorf("deleted %d entries, want 3", n)
	}
}

// TestNetnsRouteLocalnet sets route_localnet in a private namespace and
// puts it back; the host's value must not move.
func TestNetnsRouteLocalnet(t *testing.T) {
	ns := newTestNetns(t)
	hostBefore, err := os.ReadFile(filepath.Join(procSys, sysctlRouteLocalnet))
	if err != nil {
		t.Fatal(err)
	}
	sys := sysctls{root: procSys, stateDir: t.TempDir()}
	// A new namespace starts from the host's value, which a cluster
	// running on this host has set to 1.
	if err := ns.do(func() error { return sys.set(sysctlRouteLocalnet, "0") }); err != nil {
		t.Fatal(err)
	}
	var inside []string
	read := func() error {
		v, err := sys.get(sysctlRouteLocalnet)
		inside = append(inside, v)
		return err
	}
	for _, step := range []func() error{read, sys.enableRouteLocalnet, read, sys.restoreRouteLocalnet, read, sys.restoreRouteLocalnet} {
		if err := ns.do(step); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff([]string{"0", "1", "0"}, inside); diff != "" {
		t.Errorf("route_localnet in the namespace (-want +got):\n%s", diff)
	}
	if hostAfter, _ := os.ReadFile(filepath.Join(procSys, sysctlRouteLocalnet)); string(hostAfter) != string(hostBefore) {
		t.Errorf("the host's route_localnet changed: %q -> %q", hostBefore, hostAfter)
	}
}

// TestNetnsListFirst: the -S that listFirst puts into a large payload
// changes nothing. The same payload of 200 services (about 2,300 chains,
// above listFirstChains) is restored with it in one namespace and as it is
// in another, into empty tables and again over the rules already there,
// and iptables-save lists the same tables in both.
func TestNetnsListFirst(t *testing.T) {
	services, eps := clusterObjects(200, 10)
	payload := Build(NewSnapshot(services, eps, testNode), testParams(), nil).Payload(nil, nil)
	if n := bytes.Count(payload, []byte("\n:")); n < listFirstChains {
		t.Fatalf("payload declares %d chains, want at least %d for listFirst to act", n, listFirstChains)
	}
	if bytes.Equal(listFirst(payload), payload) {
		t.Fatal("listFirst left a large payload as it was")
	}
	with, without := newTestNetns(t), newTestNetns(t)
	ipt := newNSFilter(t, with)
	for round := range 2 {
		if err := ipt.Restore(payload); err != nil {
			t.Fatalf("round %d: restore with listFirst: %v", round, err)
		}
		cmd := exec.Command("ip", "netns", "exec", without.name, "iptables-restore", "-w", "5", "--noflush")
		cmd.Stdin = bytes.NewReader(payload)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("round %d: plain restore: %v: %s", round, err, out)
		}
		for _, table := range []string{"nat", "filter"} {
			got, want := normalize(with.save(t, table)), normalize(without.save(t, table))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("round %d: %s table with listFirst (-plain +listFirst):\n%s", round, table, diff)
			}
		}
	}
}

// TestNetnsFullSync: a full sync over a table that already holds the rules
// writes none of the per-service chains again (for every kind of rule the
// proxy makes, the kernel's listing compares equal to the proxy's text),
// and one over a table somebody changed rewrites exactly the service ports
// whose chains were touched, leaving the table as a fresh full sync would.
func TestNetnsFullSync(t *testing.T) {
	ns := newTestNetns(t)
	ipt := newNSFilter(t, ns)
	services, eps := packetFlowCluster()
	more, moreEps := clusterObjects(30, 3) // ClientIP affinity, node ports
	services, eps = append(services, more...), append(eps, moreEps...)
	p := testParams()
	p.RandomFully = ipt.RandomFully()
	r := Build(NewSnapshot(services, eps, testNode), p, nil)
	if err := ipt.EnsureJumps(jumps(true)); err != nil {
		t.Fatal(err)
	}
	full := func() string {
		t.Helper()
		save, err := ipt.Save("nat")
		if err != nil {
			t.Fatal(err)
		}
		return string(r.FullPayload(mustParseSave(t, save)))
	}
	written := func(payload string) []string {
		var out []string
		for _, c := range chainsOf([]byte(payload)) {
			if isServiceChain(c) {
				out = append(out, c)
			}
		}
		slices.Sort(out)
		return out
	}
	first := full()
	if diff := cmp.Diff(r.Chains(), written(first)); diff != "" {
		t.Fatalf("first full sync into an empty table (-want +got chains):\n%s", diff)
	}
	if err := ipt.Restore([]byte(first)); err != nil {
		t.Fatal(err)
	}
	if got := written(full()); len(got) != 0 {
		t.Errorf("a full sync over the same rules writes %d per-service chains again: %v", len(got), got)
	}

	// Somebody adds a rule to one service port's endpoint chain and
	// flushes another's service chain.
	var touched []string
	for _, name := range []string{"ns1/aff:p/tcp", "ns-3/svc-3:http/tcp", "ns-5/svc-5:http/tcp"} {
		f := r.byName[name]
		if f == nil {
			t.Fatalf("no service port %s; have %v", name, slices.Collect(maps.Keys(r.byName)))
		}
		touched = append(touched, f.chains...)
	}
	slices.Sort(touched)
	affSEP, svc3 := "", ""
	for _, c := range r.byName["ns1/aff:p/tcp"].chains {
		if strings.HasPrefix(c, "KUBESHIM-SEP-") {
			affSEP = c
		}
	}
	for _, c := range r.byName["ns-3/svc-3:http/tcp"].chains {
		if strings.HasPrefix(c, "KUBESHIM-SVC-") {
			svc3 = c
		}
	}
	// And one whose rule count stays: an endpoint's DNAT (its chain's
	// second rule) replaced by one to another address.
	sep5 := ""
	for _, c := range r.byName["ns-5/svc-5:http/tcp"].chains {
		if strings.HasPrefix(c, "KUBESHIM-SEP-") {
			sep5 = c
		}
	}
	for _, args := range [][]string{
		{"-t", "nat", "-A", "POSTROUTING", "-s", "10.99.0.0/24", "-j", "RETURN"}, // foreign: stays, as in applyFresh
		{"-t", "nat", "-A", affSEP, "-j", "RETURN"},
		{"-t", "nat", "-F", svc3},
		{"-t", "nat", "-R", sep5, "2", "-p", "tcp", "-m", "tcp", "-j", "DNAT", "--to-destination", "10.244.99.99:8080"},
	} {
		if out, err := exec.Command("ip", append([]string{"netns", "exec", ns.name, "iptables"}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("iptables %v: %v: %s", args, err, out)
		}
	}
	again := full()
	if diff := cmp.Diff(touched, written(again)); diff != "" {
		t.Errorf("full sync over a changed table (-want +got chains):\n%s", diff)
	}
	if err := ipt.Restore([]byte(again)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(strings.Split(normalize(applyFresh(t, r.Payload(nil, nil))), "\n"), strings.Split(normalize(ns.save(t, "nat")), "\n")); diff != "" {
		t.Errorf("nat table after the full sync differs from a fresh full one (-fresh +got):\n%s", diff)
	}
	if got := written(full()); len(got) != 0 {
		t.Errorf("after the repair a full sync still writes %v", got)
	}

	// A large cluster's rules (over 1,000 endpoints: no comments on the
	// endpoint rules) compare equal too.
	large := newNSFilter(t, newTestNetns(t))
	services, eps = clusterObjects(110, 10)
	r = Build(NewSnapshot(services, eps, testNode), p, nil)
	if !r.large {
		t.Fatal("110 services with 10 endpoints each are not a large cluster")
	}
	if err := large.EnsureJumps(jumps(true)); err != nil {
		t.Fatal(err)
	}
	if err := large.Restore(r.Payload(nil, nil)); err != nil {
		t.Fatal(err)
	}
	save, err := large.Save("nat")
	if err != nil {
		t.Fatal(err)
	}
	if got := written(string(r.FullPayload(mustParseSave(t, save)))); len(got) != 0 {
		t.Errorf("a full sync over a large cluster's rules writes %d per-service chains again: %v", len(got), got[:min(len(got), 5)])
	}
}
