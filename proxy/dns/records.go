package dns

import (
	"math/rand/v2"
	"net/netip"
	"strings"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
)

// maxChase bounds how many in-zone CNAMEs (ExternalName services naming other cluster
// names) one answer follows, as CoreDNS stops after 8.
const maxChase = 8

// target is one thing a cluster name stands for: an address with the name it is
// published under (the service's, or an endpoint's below it) and the port an SRV record
// gives, or an alias (an ExternalName service's CNAME target).
type target struct {
	name  string // fully qualified owner of addr, for SRV targets
	addr  netip.Addr
	alias string // fully qualified; set for ExternalName services instead of addr
	port  int32  // -1: no port, no SRV record
}

// cluster answers question q, whose lower-cased name is name, inside the cluster domain.
// It returns RcodeSuccess with no answer for NODATA. depth counts the CNAMEs followed to
// get here.
//
// The names, after the domain, are those of the DNS specification as CoreDNS parses them:
//
//	<service>.<ns>.svc                    A, AAAA, CNAME (ExternalName), SRV for every port
//	<endpoint>.<service>.<ns>.svc         A, AAAA, SRV: an endpoint by hostname or dashed IP
//	_<port>._<proto>.<service>.<ns>.svc   SRV, A, AAAA (the underscores are optional)
//	<dashed-ip>.<ns>.pod                  A or AAAA: the address itself (`pods insecure`)
//	<ns>.svc, <ns>.pod, svc, pod          NODATA for any namespace, as CoreDNS does
//	dns-version                           TXT
//	ns.dns                                A, AAAA: the nameserver
func (s *Server) cluster(q dns.Question, name string, depth int) (rcode int, answer, extra []dns.RR) {
	labels := dns.SplitDomainName(strings.TrimSuffix(name, s.zone))
	n := len(labels)
	switch {
	case n == 0:
		return s.apex(q)
	case n == 1 && labels[0] == "dns-version":
		if q.Qtype == dns.TypeTXT {
			return dns.RcodeSuccess, []dns.RR{&dns.TXT{
				Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: versionTTL},
				Txt: []string{schemaVersion},
			}}, nil
		}
		return dns.RcodeSuccess, nil, nil
	case n == 2 && labels[0] == "ns" && labels[1] == "dns":
		return dns.RcodeSuccess, s.addressRecords(q.Name, q.Qtype, s.nameserverAddrs()), nil
	}

	kind := labels[n-1]
	if kind != "svc" && kind != "pod" {
		return dns.RcodeNameError, nil, nil
	}
	if n <= 2 {
		return dns.RcodeSuccess, nil, nil
	}
	namespace, svcName := labels[n-2], labels[n-3]
	if kind == "pod" {
		addr, ok := podAddr(svcName)
		if n != 3 || !ok {
			return dns.RcodeNameError, nil, nil
		}
		return dns.RcodeSuccess, s.addressRecords(q.Name, q.Qtype, []netip.Addr{addr}), nil
	}

	var endpoint, port, proto string
	switch n {
	case 3:
	case 4:
		endpoint = labels[0]
	case 5:
		port, proto = strings.TrimPrefix(labels[0], "_"), strings.TrimPrefix(labels[1], "_")
	default:
		return dns.RcodeNameError, nil, nil
	}
	targets, found := s.serviceTargets(namespace, svcName, endpoint, port, proto)
	if !found {
		return dns.RcodeNameError, nil, nil
	}
	switch q.Qtype {
	case dns.TypeA, dns.TypeAAAA:
		answer = s.targetAddresses(q, name, targets, depth)
	case dns.TypeCNAME:
		for _, t := range targets {
			if t.alias != "" {
				answer = append(answer, s.cname(q.Name, t.alias))
			}
		}
	case dns.TypeSRV:
		answer, extra = s.srv(q.Name, targets, depth)
	}
	return dns.RcodeSuccess, answer, extra
}

// apex answers queries for the zone itself: its SOA and NS records, NODATA otherwise.
func (s *Server) apex(q dns.Question) (int, []dns.RR, []dns.RR) {
	switch q.Qtype {
	case dns.TypeSOA:
		return dns.RcodeSuccess, []dns.RR{s.soa(s.zone)}, nil
	case dns.TypeNS:
		ns := "ns.dns." + s.zone
		answer := []dns.RR{&dns.NS{Hdr: s.header(s.zone, dns.TypeNS), Ns: ns}}
		addrs := s.nameserverAddrs()
		extra := append(s.addressRecords(ns, dns.TypeA, addrs), s.addressRecords(ns, dns.TypeAAAA, addrs)...)
		return dns.RcodeSuccess, answer, extra
	}
	return dns.RcodeSuccess, nil, nil
}

// nameserverAddrs are the addresses of ns.dns.<domain>: the DNS Service's cluster IPs,
// else the specific addresses Run listens on.
func (s *Server) nameserverAddrs() []netip.Addr {
	if svc := s.service(s.nsService.Namespace, s.nsService.Name); svc != nil && !headless(svc) {
		var addrs []netip.Addr
		for _, ip := range clusterIPs(svc) {
			if a, err := netip.ParseAddr(ip); err == nil {
				addrs = append(addrs, a)
			}
		}
		if len(addrs) > 0 {
			return addrs
		}
	}
	return s.nsAddrs
}

// serviceTargets finds what <endpoint>.<service>.<namespace>.svc or
// _<port>._<proto>.<service>.<namespace>.svc stands for; empty endpoint, port and proto
// match everything. found is false for NXDOMAIN: no such service, an ExternalName that
// is an IP address, a headless service without published endpoints, or nothing
// matching the endpoint, port or protocol.
func (s *Server) serviceTargets(namespace, name, endpoint, port, proto string) (targets []target, found bool) {
	svc := s.service(namespace, name)
	if svc == nil {
		return nil, false
	}
	svcName := name + "." + namespace + ".svc." + s.zone

	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		ext := svc.Spec.ExternalName
		if endpoint != "" || ext == "" {
			return nil, false
		}
		if _, err := netip.ParseAddr(strings.TrimSuffix(ext, ".")); err == nil {
			return nil, false
		}
		return []target{{name: svcName, alias: strings.ToLower(dns.Fqdn(ext)), port: 0}}, true
	}

	// An endpoint name is looked up among the endpoints even for a service with a
	// cluster IP, as CoreDNS does.
	if endpoint != "" || headless(svc) {
		for _, slice := range s.slicesBy(indexSliceService, namespace+"/"+name) {
			ports := slicePorts(slice)
			for i := range slice.Endpoints {
				ep := &slice.Endpoints[i]
				if !published(ep, svc) {
					continue
				}
				for _, a := range ep.Addresses {
					addr, err := netip.ParseAddr(a)
					if err != nil {
						continue
					}
					host := endpointHostname(ep, addr)
					if endpoint != "" && host != endpoint {
						continue
					}
					for _, p := range ports {
						if !matchPort(port, proto, p.name, p.protocol) {
							continue
						}
						found = true
						targets = append(targets, target{name: host + "." + svcName, addr: addr, port: p.port})
					}
				}
			}
		}
		return targets, found
	}

	for _, p := range svc.Spec.Ports {
		if !matchPort(port, proto, p.Name, string(p.Protocol)) {
			continue
		}
		found = true
		for _, ip := range clusterIPs(svc) {
			if addr, err := netip.ParseAddr(ip); err == nil {
				targets = append(targets, target{name: svcName, addr: addr, port: p.Port})
			}
		}
	}
	return targets, found
}

// matchPort matches a query's port and protocol labels (empty: any) against a port.
func matchPort(port, proto, name, protocol string) bool {
	return (port == "" || strings.EqualFold(port, name)) && (proto == "" || strings.EqualFold(proto, protocol))
}

// podAddr reads the address in a pod name: a-b-c-d for IPv4, the IPv6 address with
// dashes for colons otherwise, as CoreDNS does.
func podAddr(label string) (netip.Addr, bool) {
	var ip string
	if strings.Count(label, "-") == 3 && !strings.Contains(label, "--") {
		ip = strings.ReplaceAll(label, "-", ".")
	} else {
		ip = strings.ReplaceAll(label, "-", ":")
	}
	addr, err := netip.ParseAddr(ip)
	if err != nil || addr.Zone() != "" {
		return netip.Addr{}, false
	}
	return addr.Unmap(), true
}

// targetAddresses returns the A or AAAA records of targets under owner qname: their
// addresses, or for an alias its CNAME followed, when it is a cluster name, by the
// alias's own records. Names outside the cluster domain are left to the client to
// resolve.
func (s *Server) targetAddresses(q dns.Question, name string, targets []target, depth int) []dns.RR {
	var addrs []netip.Addr
	var records []dns.RR
	for _, t := range targets {
		if t.alias == "" {
			addrs = append(addrs, t.addr)
			continue
		}
		if t.alias == name {
			continue // a CNAME to itself
		}
		records = append(records, s.cname(q.Name, t.alias))
		if depth < maxChase && dns.IsSubDomain(s.zone, t.alias) {
			_, chased, _ := s.cluster(dns.Question{Name: t.alias, Qtype: q.Qtype, Qclass: q.Qclass}, t.alias, depth+1)
			records = append(records, chased...)
		}
	}
	return append(records, s.addressRecords(q.Name, q.Qtype, addrs)...)
}

// addressRecords returns an A (qtype A) or AAAA (qtype AAAA) record under owner for each
// distinct address of that family; nothing for other types.
func (s *Server) addressRecords(owner string, qtype uint16, addrs []netip.Addr) []dns.RR {
	var records []dns.RR
	for i, a := range addrs {
		if a.Is4() != (qtype == dns.TypeA) || (qtype != dns.TypeA && qtype != dns.TypeAAAA) {
			continue
		}
		if slicesContainsBefore(addrs, i) {
			continue
		}
		records = append(records, s.addressRecord(owner, a))
	}
	return records
}

// slicesContainsBefore reports whether addrs[i] occurs earlier in addrs; answers are
// small, so a scan beats a map.
func slicesContainsBefore(addrs []netip.Addr, i int) bool {
	for _, a := range addrs[:i] {
		if a == addrs[i] {
			return true
		}
	}
	return false
}

func (s *Server) addressRecord(owner string, a netip.Addr) dns.RR {
	if a.Is4() {
		return &dns.A{Hdr: s.header(owner, dns.TypeA), A: a.AsSlice()}
	}
	return &dns.AAAA{Hdr: s.header(owner, dns.TypeAAAA), AAAA: a.AsSlice()}
}

func (s *Server) cname(owner, target string) dns.RR {
	return &dns.CNAME{Hdr: s.header(owner, dns.TypeCNAME), Target: target}
}

func (s *Server) header(owner string, rrtype uint16) dns.RR_Header {
	return dns.RR_Header{Name: owner, Rrtype: rrtype, Class: dns.ClassINET, Ttl: s.ttl}
}

// srv returns the SRV records of targets under owner qname, one per distinct target and
// port, priority 0 and equal weights summing to about 100 as CoreDNS gives them, with
// the targets' addresses as additional records. An alias target (ExternalName) gets
// port 0, and additional records only when it is a cluster name.
func (s *Server) srv(qname string, targets []target, depth int) (answer, extra []dns.RR) {
	type srvKey struct {
		target string
		port   int32
	}
	type extraKey struct {
		name string
		addr netip.Addr
	}
	seenSRV := map[srvKey]bool{}
	seenExtra := map[extraKey]bool{}
	var records []*dns.SRV
	for _, t := range targets {
		if t.port < 0 {
			continue
		}
		if t.alias != "" {
			records = append(records, &dns.SRV{Hdr: s.header(qname, dns.TypeSRV), Port: uint16(t.port), Target: t.alias})
			if depth < maxChase && dns.IsSubDomain(s.zone, t.alias) {
				_, chased, _ := s.cluster(dns.Question{Name: t.alias, Qtype: dns.TypeA, Qclass: dns.ClassINET}, t.alias, depth+1)
				extra = append(extra, chased...)
			}
			continue
		}
		if k := (srvKey{t.name, t.port}); !seenSRV[k] {
			seenSRV[k] = true
			records = append(records, &dns.SRV{Hdr: s.header(qname, dns.TypeSRV), Port: uint16(t.port), Target: t.name})
		}
		if k := (extraKey{t.name, t.addr}); !seenExtra[k] {
			seenExtra[k] = true
			extra = append(extra, s.addressRecord(t.name, t.addr))
		}
	}
	if len(records) == 0 {
		return nil, nil
	}
	weight := uint16(max(100/len(records), 1))
	answer = make([]dns.RR, len(records))
	for i, r := range records {
		r.Weight = weight
		answer[i] = r
	}
	return answer, extra
}

// shuffleAddresses shuffles the A and AAAA records among the places they hold in
// answer, leaving a CNAME chain in front of them in order. kubeadm's Corefile has the
// loadbalance plugin do this, so that clients spread over a headless service's endpoints.
func shuffleAddresses(answer []dns.RR) {
	var idx []int
	for i, rr := range answer {
		if t := rr.Header().Rrtype; t == dns.TypeA || t == dns.TypeAAAA {
			idx = append(idx, i)
		}
	}
	for i := len(idx) - 1; i > 0; i-- {
		j := rand.IntN(i + 1)
		answer[idx[i]], answer[idx[j]] = answer[idx[j]], answer[idx[i]]
	}
}
