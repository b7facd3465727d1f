package proxy

import (
	"net"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

func TestStaleUDPFilter(t *testing.T) {
	s := NewSnapshot([]*corev1.Service{
		svc("ns", "dns", "10.96.0.10", []string{"dns:53:30053/UDP", "dnstcp:53/TCP"}, nodePortType, externalIPs("1.2.3.4")),
		svc("ns", "empty", "10.96.0.11", []string{"p:514:30514/UDP"}, nodePortType),
	}, []*discoveryv1.EndpointSlice{
		slice("ns", "dns", "dns-1", []string{"dns:5353/UDP", "dnstcp:5353/TCP"}, "10.244.0.5", "10.244.0.6,notready", "10.244.0.7,terminating,notserving"),
	}, testNode)
	frontends := newUDPFrontends(s)
	want := udpFrontends{
		"10.96.0.10:53":  {"10.244.0.5:5353": true, "10.244.0.6:5353": true},
		"1.2.3.4:53":     {"10.244.0.5:5353": true, "10.244.0.6:5353": true},
		":30053":         {"10.244.0.5:5353": true, "10.244.0.6:5353": true},
		"10.96.0.11:514": {},
	}
	if diff := cmp.Diff(want, frontends); diff != "" {
		t.Errorf("UDP frontends (-want +got):\n%s", diff)
	}
	f := newStaleUDPFilter(frontends, []string{"192.168.0.2"}, true)
	flow := func(proto uint8, dst string, dport uint16, replySrc string, replyPort uint16) *netlink.ConntrackFlow {
		return &netlink.ConntrackFlow{
			Forward: netlink.IPTuple{Protocol: proto, SrcIP: net.ParseIP("10.244.0.99"), DstIP: net.ParseIP(dst), SrcPort: 40000, DstPort: dport},
			Reverse: netlink.IPTuple{Protocol: proto, SrcIP: net.ParseIP(replySrc), DstIP: net.ParseIP("10.244.0.99"), SrcPort: replyPort, DstPort: 40000},
		}
	}
	for _, tc := range []struct {
		name string
		flow *netlink.ConntrackFlow
		want bool
	}{
		{"to a serving endpoint", flow(unix.IPPROTO_UDP, "10.96.0.10", 53, "10.244.0.5", 5353), false},
		{"to a not ready but serving endpoint", flow(unix.IPPROTO_UDP, "10.96.0.10", 53, "10.244.0.6", 5353), false},
		{"to a gone endpoint", flow(unix.IPPROTO_UDP, "10.96.0.10", 53, "10.244.0.9", 5353), true},
		{"to a not serving endpoint", flow(unix.IPPROTO_UDP, "10.96.0.10", 53, "10.244.0.7", 5353), true},
		{"never DNATed", flow(unix.IPPROTO_UDP, "10.96.0.10", 53, "10.96.0.10", 53), true},
		{"external IP to a gone endpoint", flow(unix.IPPROTO_UDP, "1.2.3.4", 53, "10.244.0.9", 5353), true},
		{"node port to a gone endpoint", flow(unix.IPPROTO_UDP, "192.168.0.2", 30053, "10.244.0.9", 5353), true},
		{"localhost node port to a gone endpoint", flow(unix.IPPROTO_UDP, "127.0.0.1", 30053, "10.244.0.9", 5353), true},
		{"the node port number on another address", flow(unix.IPPROTO_UDP, "10.1.2.3", 30053, "10.1.2.3", 30053), false},
		{"a service without endpoints", flow(unix.IPPROTO_UDP, "10.96.0.11", 514, "10.244.0.9", 514), true},
		{"its node port is left alone", flow(unix.IPPROTO_UDP, "192.168.0.2", 30514, "10.244.0.9", 514), false},
		{"TCP", flow(unix.IPPROTO_TCP, "10.96.0.10", 53, "10.244.0.9", 5353), false},
		{"another address", flow(unix.IPPROTO_UDP, "10.96.0.12", 53, "10.244.0.9", 5353), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := f.MatchConntrackFlow(tc.flow); got != tc.want {
				t.Errorf("match = %v, want %v", got, tc.want)
			}
		})
	}
}
