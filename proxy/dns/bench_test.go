package dns

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
)

// benchServices is how many ClusterIP services the benchmark cluster holds.
const benchServices = 1000

// benchCluster is 1000 ClusterIP services and a headless service with 10 endpoints.
func benchCluster() []runtime.Object {
	var objs []runtime.Object
	for i := range benchServices {
		objs = append(objs, service("bench", fmt.Sprintf("svc-%d", i), clusterIP(fmt.Sprintf("10.96.%d.%d", i/200, i%200+1))))
	}
	objs = append(objs, service("bench", "hl", headlessSpec))
	var eps []discoveryv1.Endpoint
	for i := range 10 {
		eps = append(eps, endpoint(fmt.Sprintf("10.244.9.%d", i+1), ptr.To(true), fmt.Sprintf("db-%d", i)))
	}
	objs = append(objs, endpointSlice("bench", "hl", "hl-1", discoveryv1.AddressTypeIPv4,
		[]discoveryv1.EndpointPort{port("http", 80, corev1.ProtocolTCP)}, eps...))
	return objs
}

type benchQuery struct {
	name    string
	network string
	qname   func(i int) string
	qtype   uint16
	rcode   int
}

func benchQueries() []benchQuery {
	return []benchQuery{
		{name: "udp/service-A", network: "udp", qtype: dns.TypeA,
			qname: func(i int) string { return fmt.Sprintf("svc-%d.bench.svc.cluster.local.", i%benchServices) }},
		{name: "udp/headless-A-10-records", network: "udp", qtype: dns.TypeA,
			qname: func(int) string { return "hl.bench.svc.cluster.local." }},
		{name: "udp/headless-SRV-10-records", network: "udp", qtype: dns.TypeSRV,
			qname: func(int) string { return "_http._tcp.hl.bench.svc.cluster.local." }},
		{name: "udp/NXDOMAIN", network: "udp", qtype: dns.TypeA, rcode: dns.RcodeNameError,
			qname: func(i int) string { return fmt.Sprintf("missing-%d.bench.svc.cluster.local.", i%benchServices) }},
		{name: "udp/PTR", network: "udp", qtype: dns.TypePTR,
			qname: func(i int) string {
				r, _ := dns.ReverseAddr(fmt.Sprintf("10.96.%d.%d", (i%benchServices)/200, i%200+1))
				return r
			}},
		{name: "udp/forwarded", network: "udp", qtype: dns.TypeA,
			qname: func(int) string { return "example.com." }},
		{name: "tcp/service-A", network: "tcp", qtype: dns.TypeA,
			qname: func(i int) string { return fmt.Sprintf("svc-%d.bench.svc.cluster.local.", i%benchServices) }},
	}
}

// BenchmarkQuery measures queries answered per second over loopback: several clients per
// core, each with its own socket, asking one query at a time.
func BenchmarkQuery(b *testing.B) {
	up := startUpstream(b)
	s, _ := startServer(b, Config{Upstreams: []string{up.addr}}, benchCluster()...)
	addr := s.Addrs()[0]
	for _, bq := range benchQueries() {
		b.Run(bq.name, func(b *testing.B) {
			b.SetParallelism(4)
			b.RunParallel(func(pb *testing.PB) {
				conn, err := dns.Dial(bq.network, addr)
				if err != nil {
					b.Error(err)
					return
				}
				defer conn.Close()
				m := new(dns.Msg)
				for i := 0; pb.Next(); i++ {
					m.SetQuestion(bq.qname(i), bq.qtype)
					m.Id = dns.Id()
					conn.SetDeadline(time.Now().Add(10 * time.Second))
					if err := conn.WriteMsg(m); err != nil {
						b.Error(err)
						return
					}
					resp, err := conn.ReadMsg()
					if err != nil {
						b.Error(err)
						return
					}
					if resp.Rcode != bq.rcode {
						b.Errorf("%s: rcode %s", bq.qname(i), dns.RcodeToString[resp.Rcode])
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
		})
	}
}

// BenchmarkAnswer measures building an answer in process, without sockets: the cost
// of the cache lookups and the records.
func BenchmarkAnswer(b *testing.B) {
	s, _ := startServer(b, Config{ReverseCIDRs: []netip.Prefix{netip.MustParsePrefix("10.96.0.0/12")}}, benchCluster()...)
	ctx := context.Background()
	logger := klog.Background()
	for _, bq := range benchQueries() {
		if bq.name == "udp/forwarded" || bq.network != "udp" {
			continue
		}
		b.Run(bq.name[len("udp/"):], func(b *testing.B) {
			b.ReportAllocs()
			req := new(dns.Msg)
			for i := 0; b.Loop(); i++ {
				req.SetQuestion(bq.qname(i), bq.qtype)
				m := s.reply(ctx, logger, req, false)
				fit(m, req, false)
				if m.Rcode != bq.rcode {
					b.Fatalf("%s: rcode %s", bq.qname(i), dns.RcodeToString[m.Rcode])
				}
			}
		})
	}
}
