package proxy

import (
	"crypto/sha256"
	"encoding/base32"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"
)

// AnnotationNodeLocal marks a service the node agent serves itself at its
// cluster IP on every node (the cluster DNS): the proxy makes no rule at
// all for it, not even a REJECT, so that the local listener answers.
const AnnotationNodeLocal = "proxy.kubeshim.io/node-local"

// labelServiceProxyName hands a service to another proxy (upstream's
// service.kubernetes.io/service-proxy-name); such services are not watched.
const labelServiceProxyName = "service.kubernetes.io/service-proxy-name"

// ServicePortName names one port of a service, the unit the proxy programs.
type ServicePortName struct {
	types.NamespacedName
	Port     string
	Protocol corev1.Protocol
}

// String is "namespace/name:port" (or "namespace/name" for an unnamed
// port), as upstream prints it in rule comments.
func (n ServicePortName) String() string {
	if n.Port == "" {
		return n.NamespacedName.String()
	}
	return n.NamespacedName.String() + ":" + n.Port
}

// ServicePort is what the proxy needs of one service port. It is built by
// NewSnapshot and not changed afterwards.
type ServicePort struct {
	Name      ServicePortName
	ClusterIP string
	Port      int32
	NodePort  int32
	// ExternalIPs are spec.externalIPs; LoadBalancerIPs the VIP-mode
	// status.loadBalancer.ingress IPs. Both are "external" destinations.
	ExternalIPs              []string
	LoadBalancerIPs          []string
	LoadBalancerSourceRanges []string
	// AffinitySeconds is the ClientIP session affinity timeout; 0 means no
	// affinity.
	AffinitySeconds int32
	// InternalLocal and ExternalLocal are the Local internal and external
	// traffic policies (ExternalLocal only for externally reachable
	// services, as upstream).
	InternalLocal, ExternalLocal bool

	// Precomputed: the rule comment, the lower-case protocol and the chain
	// names, which cost a hash each.
	nameString, proto                          string
	svcChain, svlChain, extChain, fwChain, key string
}

// equal reports whether two service ports program the same rules.
func (s *ServicePort) equal(o *ServicePort) bool {
	return s == o || (s.key == o.key && s.ClusterIP == o.ClusterIP && s.Port == o.Port && s.NodePort == o.NodePort &&
		slices.Equal(s.ExternalIPs, o.ExternalIPs) && slices.Equal(s.LoadBalancerIPs, o.LoadBalancerIPs) &&
		slices.Equal(s.LoadBalancerSourceRanges, o.LoadBalancerSourceRanges) && s.AffinitySeconds == o.AffinitySeconds &&
		s.InternalLocal == o.InternalLocal && s.ExternalLocal == o.ExternalLocal)
}

// externallyAccessible: the port has a node port, external IPs or load
// balancer IPs.
func (s *ServicePort) externallyAccessible() bool {
	return s.NodePort != 0 || len(s.ExternalIPs) > 0 || len(s.LoadBalancerIPs) > 0
}

// usesClusterEndpoints: some traffic to the port goes to endpoints on any node.
func (s *ServicePort) usesClusterEndpoints() bool {
	return !s.InternalLocal || s.externallyAccessible()
}

// usesLocalEndpoints: some traffic to the port goes to this node's endpoints only.
func (s *ServicePort) usesLocalEndpoints() bool {
	return s.InternalLocal || (s.ExternalLocal && s.externallyAccessible())
}

// Endpoint is one endpoint of a service port.
type Endpoint struct {
	IP   string
	Port int32
	// Ready, Serving and Terminating are the EndpointSlice conditions
	// (nil ready and serving mean true, as upstream reads them).
	Ready, Serving, Terminating bool
	// Local: the endpoint is on this node.
	Local bool

	addr, chain string
}

// String is "ip:port".
func (e *Endpoint) String() string { return e.addr }

// Snapshot is the proxy's view of the cluster at one moment: the service
// ports it programs and their endpoints, sorted. It is never changed after
// NewSnapshot returns.
type Snapshot struct {
	Services  []*ServicePort
	Endpoints map[ServicePortName][]*Endpoint
}

// NewSnapshot converts Services and EndpointSlices into the proxy's view
// for the node nodeName. Services the proxy leaves alone (headless,
// ExternalName, IPv6-only, node-local, another proxy's) are left out.
// It is a pure function: the objects are only read.
func NewSnapshot(services []*corev1.Service, slices []*discoveryv1.EndpointSlice, nodeName string) *Snapshot {
	return newSnapshotter(nodeName).snapshot(services, slices)
}

// snapshotter makes snapshots, reusing its conversion of the objects it
// saw in the last one: an informer replaces an object on every change, so
// the same pointer means the same content. Reuse only saves work; the
// snapshot is what NewSnapshot would make.
type snapshotter struct {
	nodeName  string
	services  map[*corev1.Service][]*ServicePort
	endpoints map[types.NamespacedName]*serviceEndpoints
}

// serviceEndpoints are a service's endpoints per port, from its slices.
type serviceEndpoints struct {
	slices []*discoveryv1.EndpointSlice // sorted by name
	ports  map[ServicePortName][]*Endpoint
}

func newSnapshotter(nodeName string) *snapshotter {
	return &snapshotter{nodeName: nodeName}
}

func (c *snapshotter) snapshot(services []*corev1.Service, endpointSlices []*discoveryv1.EndpointSlice) *Snapshot {
	s := &Snapshot{Endpoints: map[ServicePortName][]*Endpoint{}}
	svcCache := make(map[*corev1.Service][]*ServicePort, len(services))
	for _, svc := range services {
		sps, ok := c.services[svc]
		if !ok {
			sps = servicePorts(svc)
		}
		svcCache[svc] = sps
		s.Services = append(s.Services, sps...)
	}
	sort.Slice(s.Services, func(i, j int) bool { return s.Services[i].key < s.Services[j].key })

	bySvc := map[types.NamespacedName][]*discoveryv1.EndpointSlice{}
	for _, slice := range endpointSlices {
		if slice.AddressType != discoveryv1.AddressTypeIPv4 || slice.Labels[discoveryv1.LabelServiceName] == "" {
			continue
		}
		nn := types.NamespacedName{Namespace: slice.Namespace, Name: slice.Labels[discoveryv1.LabelServiceName]}
		bySvc[nn] = append(bySvc[nn], slice)
	}
	epCache := make(map[types.NamespacedName]*serviceEndpoints, len(bySvc))
	for nn, list := range bySvc {
		sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
		se := c.endpoints[nn]
		if se == nil || !slices.Equal(se.slices, list) {
			se = &serviceEndpoints{slices: list, ports: endpointsOf(nn, list, c.nodeName)}
		}
		epCache[nn] = se
	}
	c.services, c.endpoints = svcCache, epCache

	for _, sp := range s.Services {
		if se := epCache[sp.Name.NamespacedName]; se != nil {
			if eps := se.ports[sp.Name]; len(eps) > 0 {
				s.Endpoints[sp.Name] = eps
			}
		}
	}
	return s
}

// endpointsOf merges a service's slices into sorted endpoints per port.
func endpointsOf(nn types.NamespacedName, slices []*discoveryv1.EndpointSlice, nodeName string) map[ServicePortName][]*Endpoint {
	byPort := map[ServicePortName]map[string]*Endpoint{}
	for _, slice := range slices {
		for _, port := range slice.Ports {
			if port.Name == nil || port.Port == nil || *port.Port == 0 {
				continue
			}
			proto := corev1.ProtocolTCP
			if port.Protocol != nil {
				proto = *port.Protocol
			}
			spn := ServicePortName{NamespacedName: nn, Port: *port.Name, Protocol: proto}
			set := byPort[spn]
			if set == nil {
				set = map[string]*Endpoint{}
				byPort[spn] = set
			}
			addEndpoints(set, spn, *port.Port, slice.Endpoints, nodeName)
		}
	}
	out := make(map[ServicePortName][]*Endpoint, len(byPort))
	for spn, set := range byPort {
		eps := make([]*Endpoint, 0, len(set))
		for _, ep := range set {
			eps = append(eps, ep)
		}
		sort.Slice(eps, func(i, j int) bool { return eps[i].addr < eps[j].addr })
		out[spn] = eps
	}
	return out
}

// addEndpoints adds a slice's endpoints for one port. An endpoint listed
// in several slices (during a move between slices) counts once; a
// non-terminating copy wins, as upstream.
func addEndpoints(set map[string]*Endpoint, spn ServicePortName, port int32, endpoints []discoveryv1.Endpoint, nodeName string) {
	for i := range endpoints {
		e := &endpoints[i]
		if len(e.Addresses) == 0 {
			continue
		}
		ip, err := netip.ParseAddr(e.Addresses[0])
		if err != nil || !ip.Is4() {
			continue
		}
		ep := &Endpoint{
			IP:          ip.String(),
			Port:        port,
			Ready:       e.Conditions.Ready == nil || *e.Conditions.Ready,
			Serving:     e.Conditions.Serving == nil || *e.Conditions.Serving,
			Terminating: e.Conditions.Terminating != nil && *e.Conditions.Terminating,
			Local:       nodeName != "" && e.NodeName != nil && *e.NodeName == nodeName,
		}
		ep.addr = ep.IP + ":" + strconv.Itoa(int(port))
		if old, ok := set[ep.addr]; ok && ep.Terminating && !old.Terminating {
			continue
		}
		ep.chain = endpointChain(spn, ep.addr)
		set[ep.addr] = ep
	}
}

// servicePorts converts one Service; nil for services the proxy leaves alone.
func servicePorts(svc *corev1.Service) []*ServicePort {
	if svc.Spec.Type == corev1.ServiceTypeExternalName || svc.Annotations[AnnotationNodeLocal] == "true" {
		return nil
	}
	clusterIP := ipv4Of(append([]string{svc.Spec.ClusterIP}, svc.Spec.ClusterIPs...))
	if clusterIP == "" { // headless ("None"), unset or IPv6-only
		return nil
	}
	accessible := svc.Spec.Type == corev1.ServiceTypeNodePort || svc.Spec.Type == corev1.ServiceTypeLoadBalancer || len(svc.Spec.ExternalIPs) > 0
	externalLocal := accessible && svc.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal
	internalLocal := svc.Spec.InternalTrafficPolicy != nil && *svc.Spec.InternalTrafficPolicy == corev1.ServiceInternalTrafficPolicyLocal
	var affinity int32
	if svc.Spec.SessionAffinity == corev1.ServiceAffinityClientIP {
		affinity = corev1.DefaultClientIPServiceAffinitySeconds
		if c := svc.Spec.SessionAffinityConfig; c != nil && c.ClientIP != nil && c.ClientIP.TimeoutSeconds != nil {
			affinity = *c.ClientIP.TimeoutSeconds
		}
	}
	externalIPs := ipv4s(svc.Spec.ExternalIPs)
	var lbIPs []string
	if svc.Spec.Type == corev1.ServiceTypeLoadBalancer {
		for _, ing := range svc.Status.LoadBalancer.Ingress {
			// Proxy-mode ingress is delivered to the load balancer's own
			// proxy, not to the VIP; upstream makes no rule for it.
			if ing.IPMode != nil && *ing.IPMode != corev1.LoadBalancerIPModeVIP {
				continue
			}
			if ip := ipv4Of([]string{ing.IP}); ip != "" {
				lbIPs = append(lbIPs, ip)
			}
		}
	}
	var ranges []string
	for _, r := range svc.Spec.LoadBalancerSourceRanges {
		p, err := netip.ParsePrefix(strings.TrimSpace(r))
		if err != nil || !p.Addr().Is4() {
			continue
		}
		if p.Bits() == 0 { // 0.0.0.0/0 allows everyone: no firewall at all
			ranges = nil
			break
		}
		ranges = append(ranges, p.Masked().String())
	}
	var out []*ServicePort
	for _, port := range svc.Spec.Ports {
		proto := port.Protocol
		if proto == "" {
			proto = corev1.ProtocolTCP
		}
		sp := &ServicePort{
			Name:                     ServicePortName{NamespacedName: types.NamespacedName{Namespace: svc.Namespace, Name: svc.Name}, Port: port.Name, Protocol: proto},
			ClusterIP:                clusterIP,
			Port:                     port.Port,
			ExternalIPs:              externalIPs,
			LoadBalancerIPs:          lbIPs,
			LoadBalancerSourceRanges: ranges,
			AffinitySeconds:          affinity,
			InternalLocal:            internalLocal,
			ExternalLocal:            externalLocal,
		}
		if svc.Spec.Type == corev1.ServiceTypeNodePort || svc.Spec.Type == corev1.ServiceTypeLoadBalancer {
			sp.NodePort = port.NodePort
		}
		sp.nameString = sp.Name.String()
		sp.proto = strings.ToLower(string(proto))
		sp.key = sp.nameString + "/" + sp.proto
		h := chainHash(sp.key)
		sp.svcChain, sp.svlChain, sp.extChain, sp.fwChain = prefixSVC+h, prefixSVL+h, prefixEXT+h, prefixFW+h
		out = append(out, sp)
	}
	return out
}

func ipv4Of(ips []string) string {
	for _, s := range ips {
		if ip, err := netip.ParseAddr(s); err == nil && ip.Is4() {
			return ip.String()
		}
	}
	return ""
}

func ipv4s(ips []string) []string {
	var out []string
	for _, s := range ips {
		if ip := ipv4Of([]string{s}); ip != "" {
			out = append(out, ip)
		}
	}
	return out
}

// Chain name prefixes of the per-service chains. With the 15 characters of
// the hash every name fits iptables' 28.
const (
	prefixSVC = "KUBESHIM-SVC-" // a service port's endpoints (Cluster policy)
	prefixSVL = "KUBESHIM-SVL-" // its endpoints on this node (Local policy)
	prefixEXT = "KUBESHIM-EXT-" // its external destinations
	prefixFW  = "KUBESHIM-FW-"  // its load balancer source ranges
	prefixSEP = "KUBESHIM-SEP-" // one endpoint
	hashLen   = 15
)

var servicePrefixes = []string{prefixSVC, prefixSVL, prefixEXT, prefixFW, prefixSEP}

// isServiceChain reports whether a chain is one of the per-service chains
// the proxy creates and deletes as services come and go.
func isServiceChain(name string) bool {
	for _, p := range servicePrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// chainHash is the base32 of the sha256 of "namespace/name:port/protocol"
// (plus the endpoint for an endpoint chain), cut to 15 characters: stable
// across restarts, so a restarted proxy recognises its own chains.
func chainHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base32.StdEncoding.EncodeToString(sum[:])[:hashLen]
}

func endpointChain(spn ServicePortName, addr string) string {
	return prefixSEP + chainHash(spn.String()+"/"+strings.ToLower(string(spn.Protocol))+addr)
}
