package proxy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// The packet-flow cluster: this node is node-a (192.168.0.2) with pods in
// 10.244.0.0/24; node-b has 10.244.1.0/24; 203.0.113.9 is outside.
func packetFlowCluster() ([]*corev1.Service, []*discoveryv1.EndpointSlice) {
	lbfw := func(s *corev1.Service) { s.Spec.LoadBalancerSourceRanges = []string{"203.0.113.0/24"} }
	tcp80 := []string{"p:80/TCP"}
	services := []*corev1.Service{
		svc("ns1", "web", "10.96.0.10", []string{"http:80/TCP"}),
		svc("ns1", "np", "10.96.0.11", []string{"p:8080:30080/TCP"}, nodePortType),
		svc("ns1", "npl", "10.96.0.12", []string{"p:80:30081/TCP"}, nodePortType, externalLocal),
		svc("ns1", "nplr", "10.96.0.13", []string{"p:80:30082/TCP"}, nodePortType, externalLocal),
		svc("ns1", "itl", "10.96.0.14", tcp80, internalLocal),
		svc("ns1", "itl2", "10.96.0.15", tcp80, internalLocal),
		svc("ns1", "empty", "10.96.0.16", []string{"dns:53/UDP", "np:54:30084/UDP"}, nodePortType, externalIPs("1.2.3.4")),
		svc("ns1", "aff", "10.96.0.17", tcp80, affinity(60)),
		svc("ns1", "term", "10.96.0.18", tcp80),
		svc("ns1", "termall", "10.96.0.22", tcp80),
		svc("ns1", "lb", "10.96.0.19", []string{"p:80:30083/TCP"}, loadBalancer("192.168.0.100")),
		svc("ns1", "lbfw", "10.96.0.23", []string{"p:80:30085/TCP"}, loadBalancer("192.168.0.101"), lbfw),
		svc("ns1", "sctp", "10.96.0.20", []string{"p:9999/SCTP"}),
		svc("ns1", "headless", "None", tcp80),
		svc("kube-system", "kube-dns", "10.96.0.21", []string{"dns:53/UDP"}, annotate(AnnotationNodeLocal, "true")),
		svc("ns1", "ext", "10.96.0.24", tcp80, externalIPs("1.2.3.5")),
	}
	slices := []*discoveryv1.EndpointSlice{
		slice("ns1", "web", "web-x", []string{"http:8080/TCP"}, "10.244.0.5@node-a", "10.244.1.5@node-b"),
		slice("ns1", "np", "np-x", tcp80, "10.244.0.6@node-a", "10.244.1.6@node-b"),
		slice("ns1", "npl", "npl-x", tcp80, "10.244.0.7@node-a", "10.244.1.7@node-b"),
		slice("ns1", "nplr", "nplr-x", tcp80, "10.244.1.8@node-b"),
		slice("ns1", "itl", "itl-x", tcp80, "10.244.1.9@node-b"),
		slice("ns1", "itl2", "itl2-x", tcp80, "10.244.0.10@node-a", "10.244.1.10@node-b"),
		slice("ns1", "aff", "aff-x", tcp80, "10.244.0.11@node-a", "10.244.1.11@node-b"),
		slice("ns1", "term", "term-x", tcp80, "10.244.0.12@node-a,terminating", "10.244.1.12@node-b,notready"),
		slice("ns1", "termall", "termall-x", tcp80, "10.244.0.14@node-a,terminating,notserving"),
		slice("ns1", "lb", "lb-x", tcp80, "10.244.0.15@node-a", "10.244.1.15@node-b"),
		slice("ns1", "lbfw", "lbfw-x", tcp80, "10.244.0.16@node-a"),
		slice("ns1", "sctp", "sctp-x", []string{"p:9999/SCTP"}, "10.244.0.13@node-a"),
		slice("ns1", "headless", "headless-x", tcp80, "10.244.0.17@node-a"),
		slice("kube-system", "kube-dns", "kube-dns-x", []string{"dns:53/UDP"}, "10.244.0.18@node-a"),
		slice("ns1", "ext", "ext-x", tcp80, "10.244.1.19@node-b"),
	}
	return services, slices
}

func TestPacketFlow(t *testing.T) {
	const (
		pod      = "10.244.0.99"
		host     = "192.168.0.2"
		outside  = "203.0.113.9"
		elsewher = "198.51.100.1"
	)
	services, slices := packetFlowCluster()
	payload := Build(NewSnapshot(services, slices, testNode), testParams(), nil).Payload(nil, nil)
	tr := newTracer(t, payload, host)
	affB := expand("{SEP:ns1/aff:p/tcp@10.244.1.11:80}")

	for _, tc := range []struct {
		name string
		p    packet
		want string
	}{
		// ClusterIP.
		{"cluster IP from a pod", packet{src: pod, dst: "10.96.0.10", proto: "tcp", dport: 80}, "DNAT 10.244.0.5:8080,10.244.1.5:8080"},
		{"cluster IP from the host is masqueraded", packet{src: host, dst: "10.96.0.10", proto: "tcp", dport: 80}, "DNAT 10.244.0.5:8080,10.244.1.5:8080 masq"},
		{"cluster IP from outside the cluster CIDR is masqueraded", packet{src: outside, dst: "10.96.0.10", proto: "tcp", dport: 80}, "DNAT 10.244.0.5:8080,10.244.1.5:8080 masq"},
		{"hairpin to itself is masqueraded", packet{src: "10.244.0.5", dst: "10.96.0.10", proto: "tcp", dport: 80}, "DNAT 10.244.0.5:8080,10.244.1.5:8080 masq-some"},
		{"cluster IP other port", packet{src: pod, dst: "10.96.0.10", proto: "tcp", dport: 81}, "ACCEPT"},
		{"cluster IP other protocol", packet{src: pod, dst: "10.96.0.10", proto: "udp", dport: 80}, "ACCEPT"},
		{"SCTP", packet{src: pod, dst: "10.96.0.20", proto: "sctp", dport: 9999}, "DNAT 10.244.0.13:9999"},

		// NodePort.
		{"node port from outside", packet{src: outside, dst: host, proto: "tcp", dport: 30080}, "DNAT 10.244.0.6:80,10.244.1.6:80 masq"},
		{"node port on localhost", packet{src: "127.0.0.1", dst: "127.0.0.1", proto: "tcp", dport: 30080}, "DNAT 10.244.0.6:80,10.244.1.6:80 masq"},
		{"node port from a pod", packet{src: pod, dst: host, proto: "tcp", dport: 30080}, "DNAT 10.244.0.6:80,10.244.1.6:80 masq"},
		{"node port on another address is not served", packet{src: outside, dst: "10.244.0.1", proto: "tcp", dport: 30080}, "ACCEPT"},
		{"cluster IP of a node port service", packet{src: pod, dst: "10.96.0.11", proto: "tcp", dport: 8080}, "DNAT 10.244.0.6:80,10.244.1.6:80"},

		// externalTrafficPolicy: Local.
		{"ETP Local from outside keeps the source", packet{src: outside, dst: host, proto: "tcp", dport: 30081}, "DNAT 10.244.0.7:80"},
		{"ETP Local from a pod goes anywhere", packet{src: pod, dst: host, proto: "tcp", dport: 30081}, "DNAT 10.244.0.7:80,10.244.1.7:80"},
		{"ETP Local from the host is masqueraded", packet{src: host, dst: host, proto: "tcp", dport: 30081}, "DNAT 10.244.0.7:80,10.244.1.7:80 masq"},
		{"ETP Local cluster IP uses all", packet{src: pod, dst: "10.96.0.12", proto: "tcp", dport: 80}, "DNAT 10.244.0.7:80,10.244.1.7:80"},
		{"ETP Local without local endpoints drops", packet{src: outside, dst: host, proto: "tcp", dport: 30082}, "DROP"},
		{"ETP Local without local endpoints, from a pod", packet{src: pod, dst: host, proto: "tcp", dport: 30082}, "DNAT 10.244.1.8:80"},

		// internalTrafficPolicy: Local.
		{"ITP Local without local endpoints drops", packet{src: pod, dst: "10.96.0.14", proto: "tcp", dport: 80}, "DROP"},
		{"ITP Local uses local endpoints only", packet{src: pod, dst: "10.96.0.15", proto: "tcp", dport: 80}, "DNAT 10.244.0.10:80"},

		// No endpoints.
		{"no endpoints rejects the cluster IP", packet{src: pod, dst: "10.96.0.16", proto: "udp", dport: 53}, "REJECT"},
		{"no endpoints rejects the external IP", packet{src: outside, dst: "1.2.3.4", proto: "udp", dport: 53}, "REJECT"},
		{"no endpoints rejects the node port", packet{src: outside, dst: host, proto: "udp", dport: 30084}, "REJECT"},
		{"headless gets nothing", packet{src: pod, dst: "10.244.0.17", proto: "tcp", dport: 80}, "ACCEPT"},

		// Session affinity.
		{"affinity, first packet", packet{src: pod, dst: "10.96.0.17", proto: "tcp", dport: 80}, "DNAT 10.244.0.11:80,10.244.1.11:80"},
		{"affinity, known client", packet{src: pod, dst: "10.96.0.17", proto: "tcp", dport: 80, recent: []string{affB}}, "DNAT 10.244.1.11:80"},

		// Terminating endpoints.
		{"serving terminating endpoints when none is ready", packet{src: pod, dst: "10.96.0.18", proto: "tcp", dport: 80}, "DNAT 10.244.0.12:80"},
		{"terminating, not serving: no endpoints", packet{src: pod, dst: "10.96.0.22", proto: "tcp", dport: 80}, "REJECT"},

		// External IPs and load balancers.
		{"external IP", packet{src: outside, dst: "1.2.3.5", proto: "tcp", dport: 80}, "DNAT 10.244.1.19:80 masq"},
		{"load balancer IP", packet{src: outside, dst: "192.168.0.100", proto: "tcp", dport: 80}, "DNAT 10.244.0.15:80,10.244.1.15:80 masq"},
		{"load balancer source range allows", packet{src: outside, dst: "192.168.0.101", proto: "tcp", dport: 80}, "DNAT 10.244.0.16:80 masq"},
		{"load balancer source range drops", packet{src: elsewher, dst: "192.168.0.101", proto: "tcp", dport: 80}, "DROP"},

		// Node-local services belong to the agent.
		{"node-local service has no rules", packet{src: pod, dst: "10.96.0.21", proto: "udp", dport: 53}, "ACCEPT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tr.trace(tc.p).String()); diff != "" {
				t.Errorf("%v (-want +got):\n%s", tc.p, diff)
			}
		})
	}
}
