package dns

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/miekg/dns"
	discoveryv1 "k8s.io/api/discovery/v1"
)

const (
	zoneIPv4Reverse = "in-addr.arpa."
	zoneIPv6Reverse = "ip6.arpa."
)

// reverseZone returns the reverse zone name is in, or "" for a forward name.
func reverseZone(name string) string {
	switch {
	case name == zoneIPv4Reverse || strings.HasSuffix(name, "."+zoneIPv4Reverse):
		return zoneIPv4Reverse
	case name == zoneIPv6Reverse || strings.HasSuffix(name, "."+zoneIPv6Reverse):
		return zoneIPv6Reverse
	}
	return ""
}

// reverse answers a query for a reverse name when it is ours: the address has a cluster
// record, or it lies in ReverseCIDRs. ok is false for everything else (partial names
// such as 96.10.in-addr.arpa too), which goes upstream as CoreDNS's `fallthrough
// in-addr.arpa ip6.arpa` sends it.
func (s *Server) reverse(q dns.Question, name string) (rcode int, answer []dns.RR, ok bool) {
	addr, ok := reverseAddr(name)
	if !ok {
		return 0, nil, false
	}
	names := s.ptrNames(addr)
	if len(names) == 0 {
		for _, p := range s.reverseCIDRs {
			if p.Contains(addr) {
				return dns.RcodeNameError, nil, true
			}
		}
		return 0, nil, false
	}
	if q.Qtype == dns.TypePTR {
		for _, n := range names {
			answer = append(answer, &dns.PTR{Hdr: s.header(q.Name, dns.TypePTR), Ptr: n})
		}
	}
	return dns.RcodeSuccess, answer, true
}

// ptrNames returns the names of addr: the service whose cluster IP it is (the first by
// key, as CoreDNS returns one), else every published endpoint with that address, named
// <hostname or dashed IP>.<service>.<ns>.svc.<domain>.
func (s *Server) ptrNames(addr netip.Addr) []string {
	if svcs := s.servicesByIP(addr); len(svcs) > 0 {
		return []string{svcs[0].Name + "." + svcs[0].Namespace + ".svc." + s.zone}
	}
	var names []string
	for _, slice := range s.slicesBy(indexSliceIP, addr.String()) {
		svcName := slice.Labels[discoveryv1.LabelServiceName]
		svc := s.service(slice.Namespace, svcName)
		for i := range slice.Endpoints {
			ep := &slice.Endpoints[i]
			if !published(ep, svc) {
				continue
			}
			for _, a := range ep.Addresses {
				if a2, err := netip.ParseAddr(a); err != nil || a2 != addr {
					continue
				}
				n := endpointHostname(ep, addr) + "." + svcName + "." + slice.Namespace + ".svc." + s.zone
				if !slices.Contains(names, n) {
					names = append(names, n)
				}
			}
		}
	}
	return names
}

// reverseAddr reads the address of a full reverse name: d.c.b.a.in-addr.arpa. or the 32
// nibbles of an ip6.arpa. name.
func reverseAddr(name string) (netip.Addr, bool) {
	if rest, ok := strings.CutSuffix(name, "."+zoneIPv4Reverse); ok {
		parts := strings.Split(rest, ".")
		if len(parts) != 4 {
			return netip.Addr{}, false
		}
		var b [4]byte
		for i, p := range parts {
			v, err := strconv.ParseUint(p, 10, 8)
			if err != nil || (len(p) > 1 && p[0] == '0') {
				return netip.Addr{}, false
			}
			b[3-i] = byte(v)
		}
		return netip.AddrFrom4(b), true
	}
	if rest, ok := strings.CutSuffix(name, "."+zoneIPv6Reverse); ok {
		parts := strings.Split(rest, ".")
		if len(parts) != 32 {
			return netip.Addr{}, false
		}
		var b [16]byte
		for i, p := range parts {
			if len(p) != 1 {
				return netip.Addr{}, false
			}
			v, err := strconv.ParseUint(p, 16, 8)
			if err != nil {
				return netip.Addr{}, false
			}
			// parts[0] is the low nibble of the last byte.
			if i%2 == 0 {
				b[15-i/2] |= byte(v)
			} else {
				b[15-i/2] |= byte(v) << 4
			}
		}
		return netip.AddrFrom16(b), true
	}
	return netip.Addr{}, false
}
