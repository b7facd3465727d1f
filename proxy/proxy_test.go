package proxy

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/klog/v2/ktesting"
	clocktesting "k8s.io/utils/clock/testing"
)

// fakeFilter records what the proxy asks of iptables.
type fakeFilter struct {
	calls    []string
	payloads []string
	chains   []string // the chains Save("nat") lists, without rules
	jumpsOK  bool
	failNext bool
}

func (f *fakeFilter) EnsureJumps(js []jump) error {
	f.calls = append(f.calls, "EnsureJumps")
	f.jumpsOK = true
	return nil
}
func (f *fakeFilter) JumpsPresent([]jump) (bool, error) {
	f.calls = append(f.calls, "JumpsPresent")
	return f.jumpsOK, nil
}
func (f *fakeFilter) Restore(payload []byte) error {
	f.calls = append(f.calls, "Restore")
	if f.failNext {
		f.failNext = false
		return errors.New("iptables-restore: line 3 failed")
	}
	f.payloads = append(f.payloads, string(payload))
	return nil
}
func (f *fakeFilter) Save(table string) ([]byte, error) {
	f.calls = append(f.calls, "Save "+table)
	var b strings.Builder
	b.WriteString("*" + table + "\n")
	for _, c := range f.chains {
		b.WriteString(":" + c + " - [0:0]\n")
	}
	b.WriteString("COMMIT\n")
	return []byte(b.String()), nil
}
func (f *fakeFilter) DeleteJumps([]jump) error { f.calls = append(f.calls, "DeleteJumps"); return nil }
func (f *fakeFilter) RandomFully() bool        { return true }

// take returns the calls since the last take.
func (f *fakeFilter) take() []string {
	c := f.calls
	f.calls = nil
	return c
}

func (f *fakeFilter) last() string { return f.payloads[len(f.payloads)-1] }

type fakeConntrack struct{ filters []*staleUDPFilter }

func (c *fakeConntrack) DeleteStaleUDP(f *staleUDPFilter) (uint, error) {
	c.filters = append(c.filters, f)
	return 0, nil
}

// fakeSysctls are sysctl files in a temporary directory.
func fakeSysctls(t *testing.T) sysctls {
	s := sysctls{root: t.TempDir(), stateDir: t.TempDir()}
	for name, v := range map[string]string{sysctlRouteLocalnet: "0", sysctlTCPBeLiberal: "0"} {
		path := filepath.Join(s.root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(v+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// testProxy is a proxy on a fake API whose informers have synced; the test
// calls sync itself.
func testProxy(t *testing.T, objects ...runtime.Object) (*Proxy, *fakeFilter, *fakeConntrack, *fake.Clientset, context.Context) {
	_, ctx := ktesting.NewTestContext(t)
	ctx, cancel := context.WithCancel(ctx)
	client := fake.NewClientset(objects...)
	ipt, ct := &fakeFilter{}, &fakeConntrack{}
	clk := clocktesting.NewFakeClock(time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC))
	p, err := newProxy(&Config{Client: client, NodeName: testNode, NodeIPs: []string{"192.168.0.9"}, ClusterCIDR: "10.244.0.0/16",
		MinSyncPeriod: time.Second, SyncPeriod: 30 * time.Second, MasqueradeBit: 14, LocalhostNodePorts: true}, ipt, ct, fakeSysctls(t), clk)
	if err != nil {
		t.Fatal(err)
	}
	p.setUpHost(ctx)
	p.factory.Start(ctx.Done())
	p.nodeFactory.Start(ctx.Done())
	p.factory.WaitForCacheSync(ctx.Done())
	p.nodeFactory.WaitForCacheSync(ctx.Done())
	t.Cleanup(func() {
		cancel() // Shutdown waits for the informers, which stop with ctx
		p.factory.Shutdown()
		p.nodeFactory.Shutdown()
	})
	return p, ipt, ct, client, ctx
}

// eventually waits for the informers to see a write.
func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	for i := 0; i < 500 && !cond(); i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if !cond() {
		t.Fatal("informer did not catch up")
	}
}

func TestProxySync(t *testing.T) {
	p, ipt, ct, client, ctx := testProxy(t,
		svc("ns", "web", "10.96.0.10", []string{"http:80/TCP"}),
		slice("ns", "web", "web-1", []string{"http:8080/TCP"}, "10.244.0.5@node-a", "10.244.1.5@node-b"),
		svc("ns", "dns", "10.96.0.11", []string{"dns:53/UDP"}),
		slice("ns", "dns", "dns-1", []string{"dns:53/UDP"}, "10.244.0.6@node-a"),
	)
	ipt.chains = []string{"KUBESHIM-SVC-LEFTOVERLEFTOVE", "KUBESHIM-FORWARD", "PREROUTING"}
	web := expand("{SVC:ns/web:http/tcp}")

	// The first sync is full: jumps, the table's chains, everything.
	if err := p.sync(ctx, false); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"EnsureJumps", "Save nat", "Restore"}, ipt.take()); diff != "" {
		t.Errorf("first sync (-want +got):\n%s", diff)
	}
	for _, want := range []string{":" + web, "-X KUBESHIM-SVC-LEFTOVERLEFTOVE", "-d 192.168.0.9 -j KUBESHIM-NODEPORTS", "-d 127.0.0.0/8 -j KUBESHIM-NODEPORTS"} {
		if !strings.Contains(ipt.last(), want) {
			t.Errorf("first payload lacks %q:\n%s", want, ipt.last())
		}
	}
	if strings.Contains(ipt.last(), "-X KUBESHIM-FORWARD") {
		t.Errorf("the agent's chain is deleted")
	}
	if len(ct.filters) != 1 {
		t.Errorf("conntrack cleanups: %d, want 1 for the UDP service", len(ct.filters))
	}

	// Nothing changed: no restore at all.
	if err := p.sync(ctx, false); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string(nil), ipt.take()); diff != "" {
		t.Errorf("sync without changes (-want +got):\n%s", diff)
	}

	// A TCP endpoint goes: a partial payload with that service only.
	if _, err := client.DiscoveryV1().EndpointSlices("ns").Update(ctx, slice("ns", "web", "web-1", []string{"http:8080/TCP"}, "10.244.0.5@node-a"), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() bool { s, _ := p.slices.EndpointSlices("ns").Get("web-1"); return len(s.Endpoints) == 1 })
	if err := p.sync(ctx, false); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Restore"}, ipt.take()); diff != "" {
		t.Errorf("partial sync (-want +got):\n%s", diff)
	}
	gone := expand("{SEP:ns/web:http/tcp@10.244.1.5:8080}")
	for _, want := range []string{":" + web, "-X " + gone} {
		if !strings.Contains(ipt.last(), want) {
			t.Errorf("partial payload lacks %q:\n%s", want, ipt.last())
		}
	}
	if strings.Contains(ipt.last(), expand(":{SVC:ns/dns:dns/udp}")) {
		t.Errorf("partial payload rewrites the unchanged service:\n%s", ipt.last())
	}
	if len(ct.filters) != 1 {
		t.Errorf("a TCP change cleaned conntrack")
	}

	// A failed restore makes the next sync full.
	ipt.failNext = true
	if err := client.CoreV1().Services("ns").Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() bool { _, err := p.services.Services("ns").Get("web"); return err != nil })
	if err := p.sync(ctx, false); err == nil {
		t.Fatal("sync succeeded with a failing restore")
	}
	ipt.take()
	if err := p.sync(ctx, false); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"EnsureJumps", "Save nat", "Restore"}, ipt.take()); diff != "" {
		t.Errorf("sync after a failure (-want +got):\n%s", diff)
	}

	// The UDP endpoint goes: stale flows are cleaned, after the rules.
	if err := client.DiscoveryV1().EndpointSlices("ns").Delete(ctx, "dns-1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() bool { _, err := p.slices.EndpointSlices("ns").Get("dns-1"); return err != nil })
	if err := p.sync(ctx, false); err != nil {
		t.Fatal(err)
	}
	if len(ct.filters) != 2 || len(ct.filters[1].frontends["10.96.0.11:53"]) != 0 {
		t.Errorf("conntrack cleanup after the UDP endpoint went: %+v", ct.filters)
	}

	// A periodic sync finds the jumps gone (iptables -F): a full sync.
	ipt.take()
	ipt.jumpsOK = false
	if err := p.sync(ctx, true); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"JumpsPresent", "EnsureJumps", "Save nat", "Restore"}, ipt.take()); diff != "" {
		t.Errorf("periodic sync with the jumps gone (-want +got):\n%s", diff)
	}
	if err := p.sync(ctx, true); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"JumpsPresent"}, ipt.take()); diff != "" {
		t.Errorf("periodic sync with the jumps there (-want +got):\n%s", diff)
	}

	// The Node appears with its addresses: node ports follow them.
	if _, err := client.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: testNode},
		Status: corev1.NodeStatus{Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "192.168.0.2"}, {Type: corev1.NodeHostName, Address: "node-a"}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() bool { _, err := p.nodes.Get(testNode); return err == nil })
	if err := p.sync(ctx, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ipt.last(), "-d 192.168.0.2 -j KUBESHIM-NODEPORTS") || strings.Contains(ipt.last(), "192.168.0.9") {
		t.Errorf("node ports not on the Node's address:\n%s", ipt.last())
	}
}

// TestProxyRouteLocalnet checks that the proxy records setting
// route_localnet, and cleanup undoes exactly that.
func TestProxyRouteLocalnet(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	sys := fakeSysctls(t)
	p := &Proxy{config: &Config{LocalhostNodePorts: true}, sys: sys, ipt: &fakeFilter{}}
	p.setUpHost(ctx)
	if v, _ := sys.get(sysctlRouteLocalnet); v != "1" || !p.localhost || !p.dropInvalid {
		t.Fatalf("route_localnet %s, localhost %v, dropInvalid %v", v, p.localhost, p.dropInvalid)
	}
	ipt := &fakeFilter{chains: []string{"KUBESHIM-SERVICES", "KUBESHIM-SEP-AAAAAAAAAAAAAAA", "KUBESHIM-FORWARD", "CNI-HOSTPORT-DNAT"}}
	if err := cleanup(ctx, ipt, sys); err != nil {
		t.Fatal(err)
	}
	if v, _ := sys.get(sysctlRouteLocalnet); v != "0" {
		t.Errorf("route_localnet after cleanup: %s", v)
	}
	want := "*filter\n:KUBESHIM-SERVICES - [0:0]\n-X KUBESHIM-SERVICES\nCOMMIT\n" +
		"*nat\n:KUBESHIM-SERVICES - [0:0]\n:KUBESHIM-SEP-AAAAAAAAAAAAAAA - [0:0]\n-X KUBESHIM-SERVICES\n-X KUBESHIM-SEP-AAAAAAAAAAAAAAA\nCOMMIT\n"
	if diff := cmp.Diff(want, ipt.last()); diff != "" {
		t.Errorf("cleanup payload (-want +got):\n%s", diff)
	}

	// Already 1 (someone else's): neither recorded nor undone.
	if err := sys.set(sysctlRouteLocalnet, "1"); err != nil {
		t.Fatal(err)
	}
	p.setUpHost(ctx)
	if err := sys.restoreRouteLocalnet(); err != nil {
		t.Fatal(err)
	}
	if v, _ := sys.get(sysctlRouteLocalnet); v != "1" {
		t.Errorf("route_localnet set by someone else was changed to %s", v)
	}
}

// TestProxyFullSyncPeriod checks the hourly full sync, which large
// clusters skip.
func TestProxyFullSyncPeriod(t *testing.T) {
	for _, tc := range []struct {
		name      string
		endpoints int
		wantFull  bool
	}{{"small cluster", 10, true}, {"large cluster", 1001, false}} {
		t.Run(tc.name, func(t *testing.T) {
			services, slices := clusterObjects(1, tc.endpoints)
			var objects []runtime.Object
			for _, s := range services {
				objects = append(objects, s)
			}
			for _, s := range slices {
				objects = append(objects, s)
			}
			p, ipt, _, _, ctx := testProxy(t, objects...)
			if err := p.sync(ctx, false); err != nil {
				t.Fatal(err)
			}
			ipt.take()
			p.clock.(*clocktesting.FakeClock).Step(fullSyncPeriod + time.Second)
			if err := p.sync(ctx, false); err != nil {
				t.Fatal(err)
			}
			if got := len(ipt.take()) > 0; got != tc.wantFull {
				t.Errorf("full sync after an hour: %v, want %v", got, tc.wantFull)
			}
		})
	}
}
