package dns

import (
	"context"
	"fmt"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/klog/v2/ktesting"
	"k8s.io/utils/ptr"

	clocktesting "k8s.io/utils/clock/testing"
)

// serial is the fake clock's time, and so the SOA serial, in the tests.
const serial = 1700000000

var testTime = time.Unix(serial, 0)

// The SOA records NXDOMAIN and NODATA answers carry.
var (
	clusterSOA = "cluster.local. 30 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1700000000 7200 1800 86400 30"
	ipv4SOA    = "in-addr.arpa. 30 IN SOA ns.dns.in-addr.arpa. hostmaster.in-addr.arpa. 1700000000 7200 1800 86400 30"
)

// startServer runs a server for cfg on 127.0.0.1 with a random port over a fake
// clientset holding objs, waits until it is ready, and stops it when the test ends.
// Nothing in cfg may point beyond loopback.
func startServer(t testing.TB, cfg Config, objs ...runtime.Object) (*Server, *fake.Clientset) {
	t.Helper()
	client := fake.NewClientset(objs...)
	if cfg.Client == nil && cfg.Informers == nil {
		cfg.Client = client
	}
	if cfg.Listen == nil {
		cfg.Listen = []string{"127.0.0.1:0"}
	}
	if cfg.Clock == nil {
		cfg.Clock = clocktesting.NewFakePassiveClock(testTime)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	_, ctx := ktesting.NewTestContext(t)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	select {
	case <-s.Ready():
	case err := <-done:
		t.Fatalf("Run ended before ready: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("server not ready after 30s")
	}
	return s, client
}

// query asks the server for name and type over network ("udp" or "tcp") and fails the
// test when no answer comes.
func query(t testing.TB, s *Server, network, name string, qtype uint16) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	return exchange(t, s.Addrs()[0], network, m)
}

func exchange(t testing.TB, addr, network string, m *dns.Msg) *dns.Msg {
	t.Helper()
	c := &dns.Client{Net: network, Timeout: 10 * time.Second}
	resp, _, err := c.Exchange(m, addr)
	if err != nil {
		t.Fatalf("query %s %s over %s: %v", m.Question[0].Name, dns.TypeToString[m.Question[0].Qtype], network, err)
	}
	return resp
}

// rrs returns the records' presentation text in sorted order, without OPT records.
func rrs(records []dns.RR) []string {
	var out []string
	for _, rr := range records {
		if rr.Header().Rrtype == dns.TypeOPT {
			continue
		}
		out = append(out, rr.String())
	}
	slices.Sort(out)
	return out
}

// zone normalizes records written in zone-file syntax to what RR.String prints.
func zone(t testing.TB, lines ...string) []string {
	t.Helper()
	var out []string
	for _, l := range lines {
		rr, err := dns.NewRR(l)
		if err != nil {
			t.Fatalf("bad record %q: %v", l, err)
		}
		out = append(out, rr.String())
	}
	slices.Sort(out)
	return out
}

func service(ns, name string, mutate func(*corev1.ServiceSpec)) *corev1.Service {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP},
	}
	mutate(&svc.Spec)
	if len(svc.Spec.ClusterIPs) > 0 {
		svc.Spec.ClusterIP = svc.Spec.ClusterIPs[0]
	}
	return svc
}

func clusterIP(ips ...string) func(*corev1.ServiceSpec) {
	return func(spec *corev1.ServiceSpec) {
		spec.ClusterIPs = ips
		spec.Ports = []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP}}
	}
}

func headlessSpec(spec *corev1.ServiceSpec) {
	spec.ClusterIPs = []string{corev1.ClusterIPNone}
	spec.Ports = []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP}}
}

func externalName(name string) func(*corev1.ServiceSpec) {
	return func(spec *corev1.ServiceSpec) {
		spec.Type = corev1.ServiceTypeExternalName
		spec.ExternalName = name
	}
}

func endpointSlice(ns, svc, name string, family discoveryv1.AddressType, ports []discoveryv1.EndpointPort, eps ...discoveryv1.Endpoint) *discoveryv1.EndpointSlice {
	return &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ns,
			Name:      name,
			Labels:    map[string]string{discoveryv1.LabelServiceName: svc},
		},
		AddressType: family,
		Ports:       ports,
		Endpoints:   eps,
	}
}

func port(name string, number int32, protocol corev1.Protocol) discoveryv1.EndpointPort {
	return discoveryv1.EndpointPort{Name: ptr.To(name), Port: ptr.To(number), Protocol: ptr.To(protocol)}
}

// endpoint is an endpoint with addr; ready nil leaves readiness unknown.
func endpoint(addr string, ready *bool, hostname string) discoveryv1.Endpoint {
	ep := discoveryv1.Endpoint{Addresses: []string{addr}, Conditions: discoveryv1.EndpointConditions{Ready: ready}}
	if hostname != "" {
		ep.Hostname = ptr.To(hostname)
	}
	return ep
}

// cluster is the cluster every record test queries.
func cluster() []runtime.Object {
	http := []discoveryv1.EndpointPort{port("http", 80, corev1.ProtocolTCP)}
	return []runtime.Object{
		service("default", "kubernetes", func(spec *corev1.ServiceSpec) {
			spec.ClusterIPs = []string{"10.96.0.1"}
			spec.Ports = []corev1.ServicePort{{Name: "https", Port: 443, Protocol: corev1.ProtocolTCP}}
		}),
		service("kube-system", "kube-dns", func(spec *corev1.ServiceSpec) {
			spec.ClusterIPs = []string{"10.96.0.10"}
			spec.Ports = []corev1.ServicePort{
				{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP},
				{Name: "dns-tcp", Port: 53, Protocol: corev1.ProtocolTCP},
			}
		}),
		service("default", "web", func(spec *corev1.ServiceSpec) {
			spec.ClusterIPs = []string{"10.96.0.20"}
			spec.Ports = []corev1.ServicePort{
				{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP},
				{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP},
			}
		}),
		endpointSlice("default", "web", "web-1", discoveryv1.AddressTypeIPv4,
			[]discoveryv1.EndpointPort{port("http", 8080, corev1.ProtocolTCP), port("dns", 5353, corev1.ProtocolUDP)},
			endpoint("10.244.0.20", ptr.To(true), "")),
		service("default", "dual", clusterIP("10.96.0.30", "fd00:10:96::30")),
		service("default", "v6", clusterIP("fd00:10:96::31")),
		service("default", "headless", headlessSpec),
		endpointSlice("default", "headless", "headless-v4", discoveryv1.AddressTypeIPv4, http,
			endpoint("10.244.0.5", ptr.To(true), "web-0"),
			endpoint("10.244.0.6", ptr.To(true), ""),
			endpoint("10.244.0.7", ptr.To(false), "web-1"),
			endpoint("10.244.0.8", nil, "web-2")),
		endpointSlice("default", "headless", "headless-v6", discoveryv1.AddressTypeIPv6, http,
			endpoint("fd00:10:244::5", ptr.To(true), "")),
		service("default", "pnr", func(spec *corev1.ServiceSpec) {
			headlessSpec(spec)
			spec.PublishNotReadyAddresses = true
		}),
		endpointSlice("default", "pnr", "pnr-1", discoveryv1.AddressTypeIPv4, http,
			endpoint("10.244.1.5", ptr.To(false), "")),
		service("default", "empty", headlessSpec),
		service("default", "noports", func(spec *corev1.ServiceSpec) { spec.ClusterIPs = []string{corev1.ClusterIPNone} }),
		endpointSlice("default", "noports", "noports-1", discoveryv1.AddressTypeIPv4, nil,
			endpoint("10.244.2.5", ptr.To(true), "")),
		// An FQDN slice is not published.
		endpointSlice("default", "noports", "noports-fqdn", discoveryv1.AddressTypeFQDN, nil,
			endpoint("example.com", ptr.To(true), "")),
		service("default", "ext", externalName("db.example.com")),
		service("default", "alias", externalName("web.default.svc.cluster.local")),
		service("default", "extip", externalName("1.2.3.4")),
	}
}

type recordCase struct {
	name  string
	qname string
	qtype uint16

	rcode  int
	answer []string // zone-file lines
	ns     []string
	extra  []string
}

func recordCases(t *testing.T) []recordCase {
	ptrV6Service, _ := dns.ReverseAddr("fd00:10:96::30")
	ptrV6Endpoint, _ := dns.ReverseAddr("fd00:10:244::5")
	headlessSRV := "_http._tcp.headless.default.svc.cluster.local. 30 IN SRV 0 25 80 "
	return []recordCase{
		// Services with cluster IPs.
		{name: "A of a service", qname: "kubernetes.default.svc.cluster.local.", qtype: dns.TypeA,
			answer: []string{"kubernetes.default.svc.cluster.local. 30 IN A 10.96.0.1"}},
		{name: "names are case-insensitive and keep the asked case", qname: "KuBeRnEtEs.Default.SVC.Cluster.Local.", qtype: dns.TypeA,
			answer: []string{"KuBeRnEtEs.Default.SVC.Cluster.Local. 30 IN A 10.96.0.1"}},
		{name: "AAAA of an IPv4 service is NODATA", qname: "kubernetes.default.svc.cluster.local.", qtype: dns.TypeAAAA,
			ns: []string{clusterSOA}},
		{name: "dual-stack A", qname: "dual.default.svc.cluster.local.", qtype: dns.TypeA,
			answer: []string{"dual.default.svc.cluster.local. 30 IN A 10.96.0.30"}},
		{name: "dual-stack AAAA", qname: "dual.default.svc.cluster.local.", qtype: dns.TypeAAAA,
			answer: []string{"dual.default.svc.cluster.local. 30 IN AAAA fd00:10:96::30"}},
		{name: "A of an IPv6 service is NODATA", qname: "v6.default.svc.cluster.local.", qtype: dns.TypeA,
			ns: []string{clusterSOA}},
		{name: "IPv6 AAAA", qname: "v6.default.svc.cluster.local.", qtype: dns.TypeAAAA,
			answer: []string{"v6.default.svc.cluster.local. 30 IN AAAA fd00:10:96::31"}},
		{name: "A under a port", qname: "_https._tcp.kubernetes.default.svc.cluster.local.", qtype: dns.TypeA,
			answer: []string{"_https._tcp.kubernetes.default.svc.cluster.local. 30 IN A 10.96.0.1"}},
		{name: "an endpoint of a cluster IP service", qname: "10-244-0-20.web.default.svc.cluster.local.", qtype: dns.TypeA,
			answer: []string{"10-244-0-20.web.default.svc.cluster.local. 30 IN A 10.244.0.20"}},
		{name: "TXT of a service is NODATA", qname: "kubernetes.default.svc.cluster.local.", qtype: dns.TypeTXT,
			ns: []string{clusterSOA}},
		{name: "CNAME of a cluster IP service is NODATA", qname: "kubernetes.default.svc.cluster.local.", qtype: dns.TypeCNAME,
			ns: []string{clusterSOA}},

		// Headless services.
		{name: "headless A lists the published endpoints", qname: "headless.default.svc.cluster.local.", qtype: dns.TypeA,
			answer: []string{
				"headless.default.svc.cluster.local. 30 IN A 10.244.0.5",
				"headless.default.svc.cluster.local. 30 IN A 10.244.0.6",
				"headless.default.svc.cluster.local. 30 IN A 10.244.0.8",
			}},
		{name: "headless AAAA", qname: "headless.default.svc.cluster.local.", qtype: dns.TypeAAAA,
			answer: []string{"headless.default.svc.cluster.local. 30 IN AAAA fd00:10:244::5"}},
		{name: "endpoint by hostname", qname: "web-0.headless.default.svc.cluster.local.", qtype: dns.TypeA,
			answer: []string{"web-0.headless.default.svc.cluster.local. 30 IN A 10.244.0.5"}},
		{name: "endpoint by dashed IPv4", qname: "10-244-0-6.headless.default.svc.cluster.local.", qtype: dns.TypeA,
			answer: []string{"10-244-0-6.headless.default.svc.cluster.local. 30 IN A 10.244.0.6"}},
		{name: "endpoint by dashed IPv6", qname: "fd00-10-244--5.headless.default.svc.cluster.local.", qtype: dns.TypeAAAA,
			answer: []string{"fd00-10-244--5.headless.default.svc.cluster.local. 30 IN AAAA fd00:10:244::5"}},
		{name: "an unready endpoint is NXDOMAIN", qname: "web-1.headless.default.svc.cluster.local.", qtype: dns.TypeA,
			rcode: dns.RcodeNameError, ns: []string{clusterSOA}},
		{name: "publishNotReadyAddresses publishes unready endpoints", qname: "pnr.default.svc.cluster.local.", qtype: dns.TypeA,
			answer: []string{"pnr.default.svc.cluster.local. 30 IN A 10.244.1.5"}},
		{name: "a headless service without endpoints is NXDOMAIN", qname: "empty.default.svc.cluster.local.", qtype: dns.TypeA,
			rcode: dns.RcodeNameError, ns: []string{clusterSOA}},
		{name: "a headless service without ports has A records", qname: "noports.default.svc.cluster.local.", qtype: dns.TypeA,
			answer: []string{"noports.default.svc.cluster.local. 30 IN A 10.244.2.5"}},
		{name: "a headless service without ports has no SRV records", qname: "noports.default.svc.cluster.local.", qtype: dns.TypeSRV,
			ns: []string{clusterSOA}},

		// SRV.
		{name: "SRV of a named port", qname: "_https._tcp.kubernetes.default.svc.cluster.local.", qtype: dns.TypeSRV,
			answer: []string{"_https._tcp.kubernetes.default.svc.cluster.local. 30 IN SRV 0 100 443 kubernetes.default.svc.cluster.local."},
			extra:  []string{"kubernetes.default.svc.cluster.local. 30 IN A 10.96.0.1"}},
		{name: "SRV of a UDP port", qname: "_dns._udp.web.default.svc.cluster.local.", qtype: dns.TypeSRV,
			answer: []string{"_dns._udp.web.default.svc.cluster.local. 30 IN SRV 0 100 53 web.default.svc.cluster.local."},
			extra:  []string{"web.default.svc.cluster.local. 30 IN A 10.96.0.20"}},
		{name: "SRV with the wrong protocol is NXDOMAIN", qname: "_dns._tcp.web.default.svc.cluster.local.", qtype: dns.TypeSRV,
			rcode: dns.RcodeNameError, ns: []string{clusterSOA}},
		{name: "SRV of an unknown port is NXDOMAIN", qname: "_ftp._tcp.web.default.svc.cluster.local.", qtype: dns.TypeSRV,
			rcode: dns.RcodeNameError, ns: []string{clusterSOA}},
		{name: "SRV of a service name lists every port", qname: "web.default.svc.cluster.local.", qtype: dns.TypeSRV,
			answer: []string{
				"web.default.svc.cluster.local. 30 IN SRV 0 50 80 web.default.svc.cluster.local.",
				"web.default.svc.cluster.local. 30 IN SRV 0 50 53 web.default.svc.cluster.local.",
			},
			extra: []string{"web.default.svc.cluster.local. 30 IN A 10.96.0.20"}},
		{name: "SRV of a dual-stack service", qname: "_http._tcp.dual.default.svc.cluster.local.", qtype: dns.TypeSRV,
			answer: []string{"_http._tcp.dual.default.svc.cluster.local. 30 IN SRV 0 100 80 dual.default.svc.cluster.local."},
			extra: []string{
				"dual.default.svc.cluster.local. 30 IN A 10.96.0.30",
				"dual.default.svc.cluster.local. 30 IN AAAA fd00:10:96::30",
			}},
		{name: "headless SRV names every endpoint", qname: "_http._tcp.headless.default.svc.cluster.local.", qtype: dns.TypeSRV,
			answer: []string{
				headlessSRV + "web-0.headless.default.svc.cluster.local.",
				headlessSRV + "10-244-0-6.headless.default.svc.cluster.local.",
				headlessSRV + "web-2.headless.default.svc.cluster.local.",
				headlessSRV + "fd00-10-244--5.headless.default.svc.cluster.local.",
			},
			extra: []string{
				"web-0.headless.default.svc.cluster.local. 30 IN A 10.244.0.5",
				"10-244-0-6.headless.default.svc.cluster.local. 30 IN A 10.244.0.6",
				"web-2.headless.default.svc.cluster.local. 30 IN A 10.244.0.8",
				"fd00-10-244--5.headless.default.svc.cluster.local. 30 IN AAAA fd00:10:244::5",
			}},
		{name: "SRV of one endpoint", qname: "web-0.headless.default.svc.cluster.local.", qtype: dns.TypeSRV,
			answer: []string{"web-0.headless.default.svc.cluster.local. 30 IN SRV 0 100 80 web-0.headless.default.svc.cluster.local."},
			extra:  []string{"web-0.headless.default.svc.cluster.local. 30 IN A 10.244.0.5"}},

		// ExternalName.
		{name: "ExternalName A is its CNAME", qname: "ext.default.svc.cluster.local.", qtype: dns.TypeA,
			answer: []string{"ext.default.svc.cluster.local. 30 IN CNAME db.example.com."}},
		{name: "ExternalName AAAA is its CNAME", qname: "ext.default.svc.cluster.local.", qtype: dns.TypeAAAA,
			answer: []string{"ext.default.svc.cluster.local. 30 IN CNAME db.example.com."}},
		{name: "ExternalName CNAME", qname: "ext.default.svc.cluster.local.", qtype: dns.TypeCNAME,
			answer: []string{"ext.default.svc.cluster.local. 30 IN CNAME db.example.com."}},
		{name: "ExternalName SRV", qname: "ext.default.svc.cluster.local.", qtype: dns.TypeSRV,
			answer: []string{"ext.default.svc.cluster.local. 30 IN SRV 0 100 0 db.example.com."}},
		{name: "an ExternalName in the cluster is followed", qname: "alias.default.svc.cluster.local.", qtype: dns.TypeA,
			answer: []string{
				"alias.default.svc.cluster.local. 30 IN CNAME web.default.svc.cluster.local.",
				"web.default.svc.cluster.local. 30 IN A 10.96.0.20",
			}},
		{name: "an ExternalName IP address is NXDOMAIN", qname: "extip.default.svc.cluster.local.", qtype: dns.TypeA,
			rcode: dns.RcodeNameError, ns: []string{clusterSOA}},
		{name: "an ExternalName has no endpoints", qname: "web-0.ext.default.svc.cluster.local.", qtype: dns.TypeA,
			rcode: dns.RcodeNameError, ns: []string{clusterSOA}},

		// NXDOMAIN and NODATA.
		{name: "an unknown service is NXDOMAIN", qname: "missing.default.svc.cluster.local.", qtype: dns.TypeA,
			rcode: dns.RcodeNameError, ns: []string{clusterSOA}},
		{name: "TXT of an unknown service is NXDOMAIN", qname: "missing.default.svc.cluster.local.", qtype: dns.TypeTXT,
			rcode: dns.RcodeNameError, ns: []string{clusterSOA}},
		{name: "a namespace is NODATA", qname: "default.svc.cluster.local.", qtype: dns.TypeA,
			ns: []string{clusterSOA}},
		{name: "any namespace is NODATA", qname: "no-such-namespace.svc.cluster.local.", qtype: dns.TypeA,
			ns: []string{clusterSOA}},
		{name: "svc is NODATA", qname: "svc.cluster.local.", qtype: dns.TypeA,
			ns: []string{clusterSOA}},
		{name: "a name that is neither svc nor pod is NXDOMAIN", qname: "kubernetes.default.cluster.local.", qtype: dns.TypeA,
			rcode: dns.RcodeNameError, ns: []string{clusterSOA}},
		{name: "too many labels is NXDOMAIN", qname: "a._http._tcp.web.default.svc.cluster.local.", qtype: dns.TypeA,
			rcode: dns.RcodeNameError, ns: []string{clusterSOA}},
		{name: "wildcards are not served", qname: "*.default.svc.cluster.local.", qtype: dns.TypeA,
			rcode: dns.RcodeNameError, ns: []string{clusterSOA}},

		// Pods.
		{name: "pod A echoes the address", qname: "10-244-0-99.default.pod.cluster.local.", qtype: dns.TypeA,
			answer: []string{"10-244-0-99.default.pod.cluster.local. 30 IN A 10.244.0.99"}},
		{name: "pod AAAA of an IPv4 pod is NODATA", qname: "10-244-0-99.any.pod.cluster.local.", qtype: dns.TypeAAAA,
			ns: []string{clusterSOA}},
		{name: "pod AAAA of dashed IPv6", qname: "fd00-10-244--99.default.pod.cluster.local.", qtype: dns.TypeAAAA,
			answer: []string{"fd00-10-244--99.default.pod.cluster.local. 30 IN AAAA fd00:10:244::99"}},
		{name: "a pod name that is no address is NXDOMAIN", qname: "web-0.default.pod.cluster.local.", qtype: dns.TypeA,
			rcode: dns.RcodeNameError, ns: []string{clusterSOA}},
		{name: "a pod address out of range is NXDOMAIN", qname: "10-244-0-256.default.pod.cluster.local.", qtype: dns.TypeA,
			rcode: dns.RcodeNameError, ns: []string{clusterSOA}},
		{name: "pod namespace is NODATA", qname: "default.pod.cluster.local.", qtype: dns.TypeA,
			ns: []string{clusterSOA}},

		// PTR.
		{name: "PTR of a cluster IP", qname: "1.0.96.10.in-addr.arpa.", qtype: dns.TypePTR,
			answer: []string{"1.0.96.10.in-addr.arpa. 30 IN PTR kubernetes.default.svc.cluster.local."}},
		{name: "PTR of an IPv6 cluster IP", qname: ptrV6Service, qtype: dns.TypePTR,
			answer: []string{ptrV6Service + " 30 IN PTR dual.default.svc.cluster.local."}},
		{name: "PTR of an endpoint with a hostname", qname: "5.0.244.10.in-addr.arpa.", qtype: dns.TypePTR,
			answer: []string{"5.0.244.10.in-addr.arpa. 30 IN PTR web-0.headless.default.svc.cluster.local."}},
		{name: "PTR of an endpoint without a hostname", qname: "6.0.244.10.in-addr.arpa.", qtype: dns.TypePTR,
			answer: []string{"6.0.244.10.in-addr.arpa. 30 IN PTR 10-244-0-6.headless.default.svc.cluster.local."}},
		{name: "PTR of an IPv6 endpoint", qname: ptrV6Endpoint, qtype: dns.TypePTR,
			answer: []string{ptrV6Endpoint + " 30 IN PTR fd00-10-244--5.headless.default.svc.cluster.local."}},
		{name: "PTR of an endpoint of a cluster IP service", qname: "20.0.244.10.in-addr.arpa.", qtype: dns.TypePTR,
			answer: []string{"20.0.244.10.in-addr.arpa. 30 IN PTR 10-244-0-20.web.default.svc.cluster.local."}},
		{name: "PTR of an unready endpoint published anyway", qname: "5.1.244.10.in-addr.arpa.", qtype: dns.TypePTR,
			answer: []string{"5.1.244.10.in-addr.arpa. 30 IN PTR 10-244-1-5.pnr.default.svc.cluster.local."}},
		{name: "PTR of an unready endpoint is NXDOMAIN", qname: "7.0.244.10.in-addr.arpa.", qtype: dns.TypePTR,
			rcode: dns.RcodeNameError, ns: []string{ipv4SOA}},
		{name: "PTR of an unused cluster address is NXDOMAIN, not forwarded", qname: "99.99.96.10.in-addr.arpa.", qtype: dns.TypePTR,
			rcode: dns.RcodeNameError, ns: []string{ipv4SOA}},
		{name: "A of a reverse name with a PTR is NODATA", qname: "1.0.96.10.in-addr.arpa.", qtype: dns.TypeA,
			ns: []string{ipv4SOA}},

		// The zone.
		{name: "SOA of the zone", qname: "cluster.local.", qtype: dns.TypeSOA,
			answer: []string{clusterSOA}},
		{name: "NS of the zone", qname: "cluster.local.", qtype: dns.TypeNS,
			answer: []string{"cluster.local. 30 IN NS ns.dns.cluster.local."},
			extra:  []string{"ns.dns.cluster.local. 30 IN A 10.96.0.10"}},
		{name: "A of the nameserver", qname: "ns.dns.cluster.local.", qtype: dns.TypeA,
			answer: []string{"ns.dns.cluster.local. 30 IN A 10.96.0.10"}},
		{name: "A of the zone is NODATA", qname: "cluster.local.", qtype: dns.TypeA,
			ns: []string{clusterSOA}},
		{name: "SOA below the zone is NODATA for a name that exists", qname: "kubernetes.default.svc.cluster.local.", qtype: dns.TypeSOA,
			ns: []string{clusterSOA}},
		{name: "dns-version", qname: "dns-version.cluster.local.", qtype: dns.TypeTXT,
			answer: []string{`dns-version.cluster.local. 28800 IN TXT "1.1.0"`}},
		{name: "A of dns-version is NODATA", qname: "dns-version.cluster.local.", qtype: dns.TypeA,
			ns: []string{clusterSOA}},
		{name: "zone transfers are refused", qname: "cluster.local.", qtype: dns.TypeAXFR,
			rcode: dns.RcodeRefused},

		// Without upstreams.
		{name: "an outside name without upstreams is SERVFAIL", qname: "example.com.", qtype: dns.TypeA,
			rcode: dns.RcodeServerFailure},
		{name: "PTR outside the cluster ranges without upstreams is SERVFAIL", qname: "1.2.0.192.in-addr.arpa.", qtype: dns.TypePTR,
			rcode: dns.RcodeServerFailure},
		{name: "a partial reverse name without upstreams is SERVFAIL", qname: "96.10.in-addr.arpa.", qtype: dns.TypePTR,
			rcode: dns.RcodeServerFailure},
	}
}

// TestRecords queries every record type over UDP and TCP.
func TestRecords(t *testing.T) {
	s, _ := startServer(t, Config{}, cluster()...)
	for _, network := range []string{"udp", "tcp"} {
		for _, tc := range recordCases(t) {
			t.Run(network+"/"+tc.name, func(t *testing.T) {
				resp := query(t, s, network, tc.qname, tc.qtype)
				if resp.Rcode != tc.rcode {
					t.Fatalf("rcode = %s, want %s", dns.RcodeToString[resp.Rcode], dns.RcodeToString[tc.rcode])
				}
				if diff := cmp.Diff(zone(t, tc.answer...), rrs(resp.Answer)); diff != "" {
					t.Errorf("answer (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(zone(t, tc.ns...), rrs(resp.Ns)); diff != "" {
					t.Errorf("authority (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(zone(t, tc.extra...), rrs(resp.Extra)); diff != "" {
					t.Errorf("additional (-want +got):\n%s", diff)
				}
				ours := tc.rcode == dns.RcodeSuccess || tc.rcode == dns.RcodeNameError
				if resp.Authoritative != ours {
					t.Errorf("authoritative = %v, want %v", resp.Authoritative, ours)
				}
				if resp.Truncated {
					t.Error("answer truncated")
				}
			})
		}
	}
}

// TestAnswerOrder checks that CNAMEs lead the answer and that address records are
// shuffled, as kubeadm's loadbalance plugin shuffles them.
func TestAnswerOrder(t *testing.T) {
	s, _ := startServer(t, Config{}, cluster()...)
	resp := query(t, s, "udp", "alias.default.svc.cluster.local.", dns.TypeA)
	if len(resp.Answer) != 2 || resp.Answer[0].Header().Rrtype != dns.TypeCNAME {
		t.Errorf("answer = %v, want the CNAME first", resp.Answer)
	}
	firsts := map[string]bool{}
	for range 50 {
		resp := query(t, s, "udp", "headless.default.svc.cluster.local.", dns.TypeA)
		if len(resp.Answer) != 3 {
			t.Fatalf("answer = %v, want 3 records", resp.Answer)
		}
		firsts[resp.Answer[0].String()] = true
	}
	// Each of 50 answers has a one-in-three chance of leading with a given record.
	if len(firsts) < 2 {
		t.Errorf("50 answers all led with %v", firsts)
	}
}

// TestUpdates follows services and endpoints as they change.
func TestUpdates(t *testing.T) {
	clock := clocktesting.NewFakePassiveClock(testTime)
	s, client := startServer(t, Config{Clock: clock})
	ctx := context.Background()
	const name = "late.default.svc.cluster.local."

	eventually := func(t *testing.T, name string, qtype uint16, want func(*dns.Msg) bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			resp := query(t, s, "udp", name, qtype)
			if want(resp) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("answer for %s is still %v", name, resp)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	answers := func(want ...string) func(*dns.Msg) bool {
		return func(m *dns.Msg) bool {
			return m.Rcode == dns.RcodeSuccess && cmp.Equal(zone(t, want...), rrs(m.Answer))
		}
	}

	if resp := query(t, s, "udp", name, dns.TypeA); resp.Rcode != dns.RcodeNameError {
		t.Fatalf("before the service: rcode %s, want NXDOMAIN", dns.RcodeToString[resp.Rcode])
	}

	t.Run("a new service is answered", func(t *testing.T) {
		clock.SetTime(testTime.Add(time.Hour))
		if _, err := client.CoreV1().Services("default").Create(ctx, service("default", "late", clusterIP("10.96.0.50")), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		eventually(t, name, dns.TypeA, answers(name+" 30 IN A 10.96.0.50"))
		eventually(t, "50.0.96.10.in-addr.arpa.", dns.TypePTR, answers("50.0.96.10.in-addr.arpa. 30 IN PTR "+name))
	})

	t.Run("a change moves the SOA serial", func(t *testing.T) {
		resp := query(t, s, "udp", "cluster.local.", dns.TypeSOA)
		if len(resp.Answer) != 1 {
			t.Fatalf("SOA answer = %v", resp.Answer)
		}
		if got, want := resp.Answer[0].(*dns.SOA).Serial, uint32(testTime.Add(time.Hour).Unix()); got != want {
			t.Errorf("serial = %d, want %d", got, want)
		}
	})

	t.Run("a deleted service is NXDOMAIN", func(t *testing.T) {
		if err := client.CoreV1().Services("default").Delete(ctx, "late", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		eventually(t, name, dns.TypeA, func(m *dns.Msg) bool { return m.Rcode == dns.RcodeNameError })
		eventually(t, "50.0.96.10.in-addr.arpa.", dns.TypePTR, func(m *dns.Msg) bool { return m.Rcode == dns.RcodeNameError })
	})

	const hl = "hl.default.svc.cluster.local."
	http := []discoveryv1.EndpointPort{port("http", 80, corev1.ProtocolTCP)}
	t.Run("endpoints appear", func(t *testing.T) {
		if _, err := client.CoreV1().Services("default").Create(ctx, service("default", "hl", headlessSpec), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		eventually(t, hl, dns.TypeA, func(m *dns.Msg) bool { return m.Rcode == dns.RcodeNameError })
		slice := endpointSlice("default", "hl", "hl-1", discoveryv1.AddressTypeIPv4, http,
			endpoint("10.244.5.1", ptr.To(true), ""), endpoint("10.244.5.2", ptr.To(true), "db-0"))
		if _, err := client.DiscoveryV1().EndpointSlices("default").Create(ctx, slice, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		eventually(t, hl, dns.TypeA, answers(hl+" 30 IN A 10.244.5.1", hl+" 30 IN A 10.244.5.2"))
		eventually(t, "db-0."+hl, dns.TypeA, answers("db-0."+hl+" 30 IN A 10.244.5.2"))
	})

	t.Run("an endpoint that becomes unready leaves the answer", func(t *testing.T) {
		slice := endpointSlice("default", "hl", "hl-1", discoveryv1.AddressTypeIPv4, http,
			endpoint("10.244.5.1", ptr.To(true), ""), endpoint("10.244.5.2", ptr.To(false), "db-0"))
		if _, err := client.DiscoveryV1().EndpointSlices("default").Update(ctx, slice, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		eventually(t, hl, dns.TypeA, answers(hl+" 30 IN A 10.244.5.1"))
		eventually(t, "db-0."+hl, dns.TypeA, func(m *dns.Msg) bool { return m.Rcode == dns.RcodeNameError })
		eventually(t, "2.5.244.10.in-addr.arpa.", dns.TypePTR, func(m *dns.Msg) bool { return m.Rcode == dns.RcodeNameError })
	})

	t.Run("the last endpoint going makes the name NXDOMAIN", func(t *testing.T) {
		if err := client.DiscoveryV1().EndpointSlices("default").Delete(ctx, "hl-1", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		eventually(t, hl, dns.TypeA, func(m *dns.Msg) bool { return m.Rcode == dns.RcodeNameError })
	})
}

// TestTruncation fills a UDP answer beyond the client's size.
func TestTruncation(t *testing.T) {
	objs := []runtime.Object{service("default", "big", headlessSpec)}
	var eps []discoveryv1.Endpoint
	for i := 1; i <= 100; i++ {
		eps = append(eps, endpoint(fmt.Sprintf("10.244.3.%d", i), ptr.To(true), ""))
	}
	objs = append(objs, endpointSlice("default", "big", "big-1", discoveryv1.AddressTypeIPv4,
		[]discoveryv1.EndpointPort{port("http", 80, corev1.ProtocolTCP)}, eps...))
	s, _ := startServer(t, Config{}, objs...)
	const name = "big.default.svc.cluster.local."

	for _, tc := range []struct {
		name      string
		network   string
		edns      uint16 // 0: no EDNS0
		truncated bool
		limit     int // the largest answer the client takes
	}{
		{name: "UDP without EDNS0 fits 512 bytes", network: "udp", truncated: true, limit: dns.MinMsgSize},
		{name: "UDP with a 1232-byte EDNS0 buffer", network: "udp", edns: 1232, truncated: true, limit: 1232},
		{name: "UDP with a 4096-byte EDNS0 buffer takes all", network: "udp", edns: 4096, limit: 4096},
		{name: "TCP takes all", network: "tcp", limit: dns.MaxMsgSize},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := new(dns.Msg)
			m.SetQuestion(name, dns.TypeA)
			if tc.edns != 0 {
				m.SetEdns0(tc.edns, false)
			}
			resp := exchange(t, s.Addrs()[0], tc.network, m)
			if resp.Truncated != tc.truncated {
				t.Errorf("TC = %v, want %v", resp.Truncated, tc.truncated)
			}
			if tc.truncated && (len(resp.Answer) == 0 || len(resp.Answer) >= 100) {
				t.Errorf("%d records in a truncated answer, want some but not all 100", len(resp.Answer))
			}
			if !tc.truncated && len(resp.Answer) != 100 {
				t.Errorf("%d records, want 100", len(resp.Answer))
			}
			if (resp.IsEdns0() != nil) != (tc.edns != 0) {
				t.Errorf("OPT record in the answer: %v, want %v", resp.IsEdns0() != nil, tc.edns != 0)
			}
			resp.Compress = true // as the server sent it
			packed, err := resp.Pack()
			if err != nil {
				t.Fatal(err)
			}
			if len(packed) > tc.limit {
				t.Errorf("answer of %d bytes, the client takes %d", len(packed), tc.limit)
			}
		})
	}
}

func TestEDNSVersion(t *testing.T) {
	s, _ := startServer(t, Config{}, cluster()...)
	m := new(dns.Msg)
	m.SetQuestion("kubernetes.default.svc.cluster.local.", dns.TypeA)
	m.SetEdns0(1232, false)
	m.IsEdns0().SetVersion(1)
	resp := exchange(t, s.Addrs()[0], "udp", m)
	if resp.Rcode != dns.RcodeBadVers {
		t.Errorf("rcode = %s, want BADVERS", dns.RcodeToString[resp.Rcode])
	}
}

// TestNotSynced answers while the caches are still listing: what the caches cannot
// know is SERVFAIL, not NXDOMAIN.
func TestNotSynced(t *testing.T) {
	client := fake.NewClientset(cluster()...)
	gate := make(chan struct{})
	client.PrependReactor("list", "services", func(action k8stesting.Action) (bool, runtime.Object, error) {
		<-gate
		return false, nil, nil
	})
	opened := false
	open := func() {
		if !opened {
			opened = true
			close(gate)
		}
	}
	t.Cleanup(open) // before the server's cleanup, which stops it

	s, err := New(Config{Client: client, Listen: []string{"127.0.0.1:0"}, Clock: clocktesting.NewFakePassiveClock(testTime)})
	if err != nil {
		t.Fatal(err)
	}
	_, ctx := ktesting.NewTestContext(t)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() {
		open()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	for s.Addrs() == nil {
		time.Sleep(10 * time.Millisecond)
	}

	if resp := query(t, s, "udp", "missing.default.svc.cluster.local.", dns.TypeA); resp.Rcode != dns.RcodeServerFailure {
		t.Errorf("unknown service before sync: rcode %s, want SERVFAIL", dns.RcodeToString[resp.Rcode])
	}
	if resp := query(t, s, "udp", "10-244-0-1.default.pod.cluster.local.", dns.TypeA); resp.Rcode != dns.RcodeSuccess || len(resp.Answer) != 1 {
		t.Errorf("pod before sync: %v, want its A record", resp)
	}
	select {
	case <-s.Ready():
		t.Fatal("ready before the caches synced")
	default:
	}

	open()
	<-s.Ready()
	if resp := query(t, s, "udp", "missing.default.svc.cluster.local.", dns.TypeA); resp.Rcode != dns.RcodeNameError {
		t.Errorf("unknown service after sync: rcode %s, want NXDOMAIN", dns.RcodeToString[resp.Rcode])
	}
}

// TestShutdown checks that Run closes its listeners when ctx is done.
func TestShutdown(t *testing.T) {
	s, err := New(Config{Client: fake.NewClientset(), Listen: []string{"127.0.0.1:0", "127.0.0.1:0"}})
	if err != nil {
		t.Fatal(err)
	}
	_, ctx := ktesting.NewTestContext(t)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	<-s.Ready()
	addrs := s.Addrs()
	if len(addrs) != 2 || addrs[0] == addrs[1] {
		t.Fatalf("addresses %v, want two different ones", addrs)
	}
	for _, a := range addrs {
		m := new(dns.Msg)
		m.SetQuestion("10-0-0-1.default.pod.cluster.local.", dns.TypeA)
		exchange(t, a, "tcp", m)
	}
	if err := s.Run(ctx); err == nil {
		t.Error("a second Run succeeded")
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	for _, a := range addrs {
		if c, err := net.Dial("tcp", a); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections after Run returned", a)
		}
		// Binding the same UDP port again works only once the server closed it.
		if pc, err := net.ListenPacket("udp", a); err != nil {
			t.Errorf("UDP %s still bound after Run returned: %v", a, err)
		} else {
			pc.Close()
		}
	}
}

func TestNew(t *testing.T) {
	client := fake.NewClientset()
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{name: "no client", cfg: Config{Listen: []string{"127.0.0.1:53"}}},
		{name: "no listen address", cfg: Config{Client: client}},
		{name: "listen on a host name", cfg: Config{Client: client, Listen: []string{"localhost:53"}}},
		{name: "listen without a port", cfg: Config{Client: client, Listen: []string{"127.0.0.1"}}},
		{name: "upstream without a port", cfg: Config{Client: client, Listen: []string{"127.0.0.1:53"}, Upstreams: []string{"127.0.0.53"}}},
		{name: "upstream host name", cfg: Config{Client: client, Listen: []string{"127.0.0.1:53"}, Upstreams: []string{"resolver:53"}}},
		{name: "bad domain", cfg: Config{Client: client, Listen: []string{"127.0.0.1:53"}, ClusterDomain: "a..b"}},
		{name: "fractional TTL", cfg: Config{Client: client, Listen: []string{"127.0.0.1:53"}, TTL: 1500 * time.Millisecond}},
		{name: "TTL beyond an hour", cfg: Config{Client: client, Listen: []string{"127.0.0.1:53"}, TTL: 2 * time.Hour}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.cfg); err == nil {
				t.Error("New succeeded")
			}
		})
	}
}

// TestConfig serves another domain with another TTL, and the nameserver by listen
// address when there is no DNS service.
func TestConfig(t *testing.T) {
	s, _ := startServer(t, Config{ClusterDomain: "Example.Internal.", TTL: 5 * time.Second},
		service("default", "kubernetes", clusterIP("10.96.0.1")))
	for _, tc := range []struct {
		qname  string
		qtype  uint16
		answer []string
	}{
		{qname: "kubernetes.default.svc.example.internal.", qtype: dns.TypeA,
			answer: []string{"kubernetes.default.svc.example.internal. 5 IN A 10.96.0.1"}},
		{qname: "ns.dns.example.internal.", qtype: dns.TypeA,
			answer: []string{"ns.dns.example.internal. 5 IN A 127.0.0.1"}},
		{qname: "example.internal.", qtype: dns.TypeSOA,
			answer: []string{"example.internal. 5 IN SOA ns.dns.example.internal. hostmaster.example.internal. 1700000000 7200 1800 86400 5"}},
	} {
		resp := query(t, s, "udp", tc.qname, tc.qtype)
		if diff := cmp.Diff(zone(t, tc.answer...), rrs(resp.Answer)); diff != "" {
			t.Errorf("%s: answer (-want +got):\n%s", tc.qname, diff)
		}
	}
	// cluster.local is not ours now, and there is no upstream.
	if resp := query(t, s, "udp", "kubernetes.default.svc.cluster.local.", dns.TypeA); resp.Rcode != dns.RcodeServerFailure {
		t.Errorf("cluster.local: rcode %s, want SERVFAIL", dns.RcodeToString[resp.Rcode])
	}
}

func TestReverseAddr(t *testing.T) {
	for _, tc := range []struct {
		name string
		want string // "" for no address
	}{
		{"1.0.96.10.in-addr.arpa.", "10.96.0.1"},
		{"255.255.255.255.in-addr.arpa.", "255.255.255.255"},
		{"0.96.10.in-addr.arpa.", ""},
		{"1.1.0.96.10.in-addr.arpa.", ""},
		{"256.0.96.10.in-addr.arpa.", ""},
		{"01.0.96.10.in-addr.arpa.", ""},
		{"a.0.96.10.in-addr.arpa.", ""},
		{"in-addr.arpa.", ""},
		{"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa.", "fd00::1"},
		{"b.a.9.8.7.6.5.4.3.2.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa.", "fd00::123:4567:89ab"},
		{"0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa.", ""},
		{"g.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa.", ""},
		{"example.com.", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr, ok := reverseAddr(tc.name)
			got := ""
			if ok {
				got = addr.String()
			}
			if got != tc.want {
				t.Errorf("reverseAddr = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestPodAddr(t *testing.T) {
	for _, tc := range []struct {
		label string
		want  string
	}{
		{"10-244-0-5", "10.244.0.5"},
		{"fd00--1", "fd00::1"},
		{"fd00-10-244-0-0-0-0-5", "fd00:10:244::5"},
		{"--ffff-a0a-1", "10.10.0.1"},
		{"10-244-0", ""},
		{"10-244-0-5-6", ""},
		{"web-0", ""},
		{"1-2-3-04", ""},
	} {
		t.Run(tc.label, func(t *testing.T) {
			addr, ok := podAddr(tc.label)
			got := ""
			if ok {
				got = addr.String()
			}
			if got != tc.want {
				t.Errorf("podAddr = %q, want %q", got, tc.want)
			}
		})
	}
}
