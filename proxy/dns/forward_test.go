package dns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"
	"k8s.io/klog/v2/ktesting"
)

// upstream is a fake nameserver on 127.0.0.1 that logs what it is asked.
type upstream struct {
	addr string

	mu      sync.Mutex
	queries []string // "<network> <name> <type>"
}

// startUpstream serves, over UDP and TCP on one 127.0.0.1 port:
//
//	example.com.             A 192.0.2.1
//	big.example.com.         60 A records: more than 512 bytes, truncated over UDP
//	nx.example.com.          NXDOMAIN
//	1.2.0.192.in-addr.arpa.  PTR host.example.com.
func startUpstream(t testing.TB) *upstream {
	t.Helper()
	l, pc, err := listen(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := &upstream{addr: l.Addr().String()}
	h := dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		q := req.Question[0]
		_, tcp := w.RemoteAddr().(*net.TCPAddr)
		network := "udp"
		if tcp {
			network = "tcp"
		}
		u.mu.Lock()
		u.queries = append(u.queries, network+" "+q.Name+" "+dns.TypeToString[q.Qtype])
		u.mu.Unlock()

		m := new(dns.Msg)
		m.SetReply(req)
		m.RecursionAvailable = true
		rr := func(s string) dns.RR { r, _ := dns.NewRR(s); return r }
		switch q.Name {
		case "example.com.":
			m.Answer = []dns.RR{rr("example.com. 300 IN A 192.0.2.1")}
		case "big.example.com.":
			for i := range 60 {
				m.Answer = append(m.Answer, rr(fmt.Sprintf("big.example.com. 300 IN A 192.0.2.%d", i+1)))
			}
		case "1.2.0.192.in-addr.arpa.":
			m.Answer = []dns.RR{rr("1.2.0.192.in-addr.arpa. 300 IN PTR host.example.com.")}
		default:
			m.Rcode = dns.RcodeNameError
		}
		fit(m, req, tcp)
		w.WriteMsg(m)
	})
	for _, srv := range []*dns.Server{{Listener: l, Handler: h}, {PacketConn: pc, Handler: h}} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go srv.ActivateAndServe()
		<-started
		t.Cleanup(func() { srv.Shutdown() })
	}
	return u
}

func (u *upstream) asked() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.queries...)
}

// deadUpstream returns a 127.0.0.1 address nothing listens on: queries to it are
// refused at once.
func deadUpstream(t *testing.T) string {
	t.Helper()
	l, pc, err := listen(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	pc.Close()
	return addr
}

func TestForward(t *testing.T) {
	up := startUpstream(t)
	// The pod range is left out of the reverse ranges, so that an unknown pod address
	// goes upstream.
	s, _ := startServer(t, Config{
		Upstreams:    []string{deadUpstream(t), up.addr},
		ReverseCIDRs: []netip.Prefix{netip.MustParsePrefix("10.96.0.0/12")},
	}, cluster()...)

	for _, tc := range []struct {
		name    string
		network string
		qname   string
		qtype   uint16

		rcode     int
		answers   int
		truncated bool
		asked     []string // what the upstream is asked, in order
	}{
		{name: "an outside name is forwarded", network: "udp", qname: "example.com.", qtype: dns.TypeA,
			answers: 1, asked: []string{"udp example.com. A"}},
		{name: "over TCP as the client asked", network: "tcp", qname: "example.com.", qtype: dns.TypeA,
			answers: 1, asked: []string{"tcp example.com. A"}},
		{name: "an upstream NXDOMAIN is the answer", network: "udp", qname: "nx.example.com.", qtype: dns.TypeA,
			rcode: dns.RcodeNameError, asked: []string{"udp nx.example.com. A"}},
		{name: "a truncated upstream answer is asked again over TCP, then fitted to the client", network: "udp", qname: "big.example.com.", qtype: dns.TypeA,
			truncated: true, asked: []string{"udp big.example.com. A", "tcp big.example.com. A"}},
		{name: "a TCP client gets the whole answer", network: "tcp", qname: "big.example.com.", qtype: dns.TypeA,
			answers: 60, asked: []string{"tcp big.example.com. A"}},
		{name: "PTR outside the cluster ranges is forwarded", network: "udp", qname: "1.2.0.192.in-addr.arpa.", qtype: dns.TypePTR,
			answers: 1, asked: []string{"udp 1.2.0.192.in-addr.arpa. PTR"}},
		{name: "a cluster name is not forwarded", network: "udp", qname: "missing.default.svc.cluster.local.", qtype: dns.TypeA,
			rcode: dns.RcodeNameError},
		{name: "a cluster address is not forwarded", network: "udp", qname: "99.99.96.10.in-addr.arpa.", qtype: dns.TypePTR,
			rcode: dns.RcodeNameError},
		{name: "an endpoint address outside the cluster ranges is answered here", network: "udp", qname: "20.0.244.10.in-addr.arpa.", qtype: dns.TypePTR,
			answers: 1},
		{name: "an unknown address outside the cluster ranges is forwarded", network: "udp", qname: "9.9.244.10.in-addr.arpa.", qtype: dns.TypePTR,
			rcode: dns.RcodeNameError, asked: []string{"udp 9.9.244.10.in-addr.arpa. PTR"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(up.asked())
			resp := query(t, s, tc.network, tc.qname, tc.qtype)
			if resp.Rcode != tc.rcode {
				t.Errorf("rcode = %s, want %s", dns.RcodeToString[resp.Rcode], dns.RcodeToString[tc.rcode])
			}
			if resp.Truncated != tc.truncated {
				t.Errorf("TC = %v, want %v", resp.Truncated, tc.truncated)
			}
			if tc.truncated {
				if len(resp.Answer) == 0 || len(resp.Answer) >= 60 {
					t.Errorf("%d records in a truncated answer, want some but not all 60", len(resp.Answer))
				}
			} else if len(resp.Answer) != tc.answers {
				t.Errorf("%d records, want %d: %v", len(resp.Answer), tc.answers, resp.Answer)
			}
			if diff := cmp.Diff(tc.asked, up.asked()[before:], cmpEmpty); diff != "" {
				t.Errorf("upstream asked (-want +got):\n%s", diff)
			}
		})
	}
}

// cmpEmpty makes nil and empty slices equal.
var cmpEmpty = cmp.Comparer(func(a, b []string) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return cmp.Equal(a, b)
})

func TestForwardAllUpstreamsFail(t *testing.T) {
	s, _ := startServer(t, Config{Upstreams: []string{deadUpstream(t), deadUpstream(t)}})
	for _, network := range []string{"udp", "tcp"} {
		if resp := query(t, s, network, "example.com.", dns.TypeA); resp.Rcode != dns.RcodeServerFailure {
			t.Errorf("%s: rcode %s, want SERVFAIL", network, dns.RcodeToString[resp.Rcode])
		}
	}
}

// TestForwardNotToSelf lists the server's own address among the upstreams: Run drops it,
// so the query gets SERVFAIL instead of going round in a loop.
func TestForwardNotToSelf(t *testing.T) {
	l, pc, err := listen(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	self := l.Addr().String()
	l.Close()
	pc.Close()
	s, _ := startServer(t, Config{Listen: []string{self}, Upstreams: []string{self}})
	if got := s.upstreams; len(got) != 0 {
		t.Errorf("upstreams = %v, want none", got)
	}
	if resp := query(t, s, "udp", "example.com.", dns.TypeA); resp.Rcode != dns.RcodeServerFailure {
		t.Errorf("rcode %s, want SERVFAIL", dns.RcodeToString[resp.Rcode])
	}
}

func TestWithoutSelf(t *testing.T) {
	logger, _ := ktesting.NewTestContext(t)
	bound := func(s ...string) []netip.AddrPort {
		var out []netip.AddrPort
		for _, a := range s {
			out = append(out, netip.MustParseAddrPort(a))
		}
		return out
	}
	for _, tc := range []struct {
		name      string
		bound     []netip.AddrPort
		upstreams []string
		want      []string
	}{
		{name: "the bound address", bound: bound("10.96.0.10:53"),
			upstreams: []string{"10.96.0.10:53", "127.0.0.53:53"}, want: []string{"127.0.0.53:53"}},
		{name: "another port of the bound address", bound: bound("127.0.0.1:5353"),
			upstreams: []string{"127.0.0.1:53"}, want: []string{"127.0.0.1:53"}},
		{name: "all addresses: loopback with the port", bound: bound("0.0.0.0:53"),
			upstreams: []string{"127.0.0.53:53", "127.0.0.1:5353", "192.0.2.53:53"}, want: []string{"127.0.0.1:5353", "192.0.2.53:53"}},
		{name: "all IPv6 addresses", bound: bound("[::]:53"),
			upstreams: []string{"[::1]:53", "[fd00::53]:53"}, want: []string{"[fd00::53]:53"}},
		{name: "a v4-mapped upstream", bound: bound("10.96.0.10:53"),
			upstreams: []string{"[::ffff:10.96.0.10]:53"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &Server{upstreamsCfg: tc.upstreams}
			if diff := cmp.Diff(tc.want, s.withoutSelf(logger, tc.bound)); diff != "" {
				t.Errorf("upstreams (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUpstreams(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}

	got, err := Upstreams(write("resolv.conf", `# written by a test
; another comment
search default.svc.cluster.local svc.cluster.local
nameserver 127.0.0.53
nameserver 192.0.2.53   # trailing words are ignored
nameserver fd00::53
nameserver not-an-address
nameserver
options ndots:5 edns0
nameserver ::ffff:192.0.2.54
`))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"127.0.0.53:53", "192.0.2.53:53", "[fd00::53]:53", "192.0.2.54:53"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("upstreams (-want +got):\n%s", diff)
	}

	if _, err := Upstreams(write("empty.conf", "search example.com\n")); !errors.Is(err, ErrNoNameservers) {
		t.Errorf("without nameservers: err = %v, want ErrNoNameservers", err)
	}
	if _, err := Upstreams(filepath.Join(dir, "missing.conf")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v, want ErrNotExist", err)
	}
}
