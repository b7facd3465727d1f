package proxy

import (
	"fmt"
	"maps"
	"net/netip"
	"strconv"

	corev1 "k8s.io/api/core/v1"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// udpFrontends maps every UDP frontend of the snapshot ("ip:port" of a
// cluster, external or load balancer IP; ":port" of a node port) to the
// serving endpoints ("ip:port") its traffic may be DNATed to.
//
// A UDP "connection" lives as long as packets keep coming: a client
// sending to a frontend keeps its conntrack entry, DNATed to an endpoint
// that may be long gone, or not DNATed at all when it started while the
// service had no endpoints. Upstream therefore deletes every UDP entry for
// a frontend whose reply does not come from one of its serving endpoints;
// so does the proxy, whenever this map changes.
type udpFrontends map[string]map[string]bool

func newUDPFrontends(s *Snapshot) udpFrontends {
	m := udpFrontends{}
	for _, sp := range s.Services {
		if sp.Name.Protocol != corev1.ProtocolUDP {
			continue
		}
		// Terminating and traffic policies are left out: they must not
		// break flows that exist, as with TCP.
		serving := map[string]bool{}
		for _, e := range s.Endpoints[sp.Name] {
			if e.Serving {
				serving[e.addr] = true
			}
		}
		port := strconv.Itoa(int(sp.Port))
		for _, ip := range append(append([]string{sp.ClusterIP}, sp.ExternalIPs...), sp.LoadBalancerIPs...) {
			m[ip+":"+port] = serving
		}
		// With no serving endpoint a node port entry is matched by port
		// alone, which could hit unrelated flows: left alone, as upstream.
		if sp.NodePort != 0 && len(serving) > 0 {
			m[":"+strconv.Itoa(int(sp.NodePort))] = serving
		}
	}
	return m
}

func (u udpFrontends) equal(o udpFrontends) bool {
	return maps.EqualFunc(u, o, func(a, b map[string]bool) bool { return maps.Equal(a, b) })
}

// staleUDPFilter is a netlink conntrack filter matching the entries to
// delete: UDP, to a frontend, answered by anything but a serving endpoint.
// Node port frontends match only when sent to a node port address.
type staleUDPFilter struct {
	frontends udpFrontends
	nodeIPs   map[netip.Addr]bool
	localhost bool
}

var loopback = netip.MustParsePrefix("127.0.0.0/8")

// MatchConntrackFlow implements netlink.CustomConntrackFilter.
func (f *staleUDPFilter) MatchConntrackFlow(flow *netlink.ConntrackFlow) bool {
	if flow.Forward.Protocol != unix.IPPROTO_UDP {
		return false
	}
	dst, ok := netip.AddrFromSlice(flow.Forward.DstIP)
	if !ok {
		return false
	}
	dst = dst.Unmap()
	src, ok := netip.AddrFromSlice(flow.Reverse.SrcIP)
	if !ok {
		return false
	}
	reply := src.Unmap().String() + ":" + strconv.Itoa(int(flow.Reverse.SrcPort))
	if serving, ok := f.frontends[dst.String()+":"+strconv.Itoa(int(flow.Forward.DstPort))]; ok {
		return !serving[reply]
	}
	if f.nodeIPs[dst] || (f.localhost && loopback.Contains(dst)) {
		if serving, ok := f.frontends[":"+strconv.Itoa(int(flow.Forward.DstPort))]; ok {
			return !serving[reply]
		}
	}
	return false
}

// conntracker deletes conntrack entries; the real one talks netlink in the
// network namespace of the calling thread.
type conntracker interface {
	DeleteStaleUDP(f *staleUDPFilter) (uint, error)
}

type netlinkConntrack struct{}

func (netlinkConntrack) DeleteStaleUDP(f *staleUDPFilter) (uint, error) {
	n, err := netlink.ConntrackDeleteFilters(netlink.ConntrackTable, unix.AF_INET, f)
	if err != nil {
		return n, fmt.Errorf("delete stale UDP conntrack entries: %w", err)
	}
	return n, nil
}

func newStaleUDPFilter(frontends udpFrontends, nodeIPs []string, localhost bool) *staleUDPFilter {
	f := &staleUDPFilter{frontends: frontends, nodeIPs: map[netip.Addr]bool{}, localhost: localhost}
	for _, s := range nodeIPs {
		if ip, err := netip.ParseAddr(s); err == nil {
			f.nodeIPs[ip] = true
		}
	}
	return f
}
