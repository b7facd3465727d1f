package endpoint

import (
	"bytes"
	"fmt"
	"math"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/conversion"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/endpointslice"
	endpointsliceutil "k8s.io/endpointslice/util"
	"k8s.io/klog/v2"
	utilnet "k8s.io/utils/net"
)

const (
	// maxCapacity is the most addresses one Endpoints holds; upstream's.
	maxCapacity = 1000
	// truncated is the over-capacity annotation's value.
	truncated = "truncated"
)

// subsetsFor returns the repacked subsets pods give svc. The pods must be the
// ones svc selects.
func subsetsFor(logger klog.Logger, svc *corev1.Service, pods []*corev1.Pod) []corev1.EndpointSubset {
	var subsets []corev1.EndpointSubset
	for _, pod := range pods {
		if !endpointsliceutil.ShouldPodBeInEndpoints(pod, svc.Spec.PublishNotReadyAddresses) {
			continue
		}
		addr, err := address(svc, pod)
		if err != nil {
			// A pod without an IP of the service's family: a node that is
			// single-stack in a dual-stack cluster.
			logger.V(2).Info("Pod has no IP of the service's family", "service", klog.KObj(svc), "pod", klog.KObj(pod), "err", err)
			continue
		}
		ready := svc.Spec.PublishNotReadyAddresses || endpointsliceutil.IsPodReady(pod)
		if len(svc.Spec.Ports) == 0 {
			// Only a headless service may have endpoints without ports.
			if svc.Spec.ClusterIP == corev1.ClusterIPNone {
				subsets = append(subsets, subset(addr, nil, ready))
			}
			continue
		}
		for i := range svc.Spec.Ports {
			sp := &svc.Spec.Ports[i]
			n, err := endpointslice.FindPort(pod, sp)
			if err != nil {
				logger.V(4).Info("Pod has no port for service port", "service", klog.KObj(svc), "pod", klog.KObj(pod), "port", sp.Name, "err", err)
				continue
			}
			port := corev1.EndpointPort{Name: sp.Name, Port: int32(n), Protocol: sp.Protocol, AppProtocol: sp.AppProtocol}
			subsets = append(subsets, subset(addr, &port, ready))
		}
	}
	return Repack(subsets)
}

func subset(addr corev1.EndpointAddress, port *corev1.EndpointPort, ready bool) corev1.EndpointSubset {
	s := corev1.EndpointSubset{}
	if port != nil {
		s.Ports = []corev1.EndpointPort{*port}
	}
	if ready {
		s.Addresses = []corev1.EndpointAddress{addr}
	} else {
		s.NotReadyAddresses = []corev1.EndpointAddress{addr}
	}
	return s
}

// address is pod's address for svc: its IP of the service's (first) family.
func address(svc *corev1.Service, pod *corev1.Pod) (corev1.EndpointAddress, error) {
	// Defaulting fills ipFamilies, but a watch may deliver a service from
	// before it did: infer the family from the cluster IP, else the pod.
	var wantIPv6 bool
	switch {
	case len(svc.Spec.IPFamilies) > 0:
		wantIPv6 = svc.Spec.IPFamilies[0] == corev1.IPv6Protocol
	case svc.Spec.ClusterIP != "" && svc.Spec.ClusterIP != corev1.ClusterIPNone:
		wantIPv6 = utilnet.IsIPv6String(svc.Spec.ClusterIP)
	default:
		wantIPv6 = utilnet.IsIPv6String(pod.Status.PodIP)
	}
	for _, pip := range pod.Status.PodIPs {
		// Re-format: a pod IP may be written irregularly (leading zeros).
		ip := utilnet.ParseIPSloppy(pip.IP)
		if ip == nil || utilnet.IsIPv6(ip) != wantIPv6 {
			continue
		}
		a := corev1.EndpointAddress{
			IP:        ip.String(),
			TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID},
		}
		// Upstream points at an empty nodeName too, which validation then
		// refuses; a pod with an IP has a node, so this only guards that.
		if pod.Spec.NodeName != "" {
			nodeName := pod.Spec.NodeName
			a.NodeName = &nodeName
		}
		if endpointsliceutil.ShouldSetHostname(pod, svc) {
			a.Hostname = pod.Spec.Hostname
		}
		return a, nil
	}
	return corev1.EndpointAddress{}, fmt.Errorf("pod %s/%s has no IP of the family of service %s", pod.Namespace, pod.Name, svc.Name)
}

// addressKey identifies an address: the same IP may belong to two pods
// (host-network pods on one node) and stays two addresses.
type addressKey struct {
	ip  string
	uid types.UID
}

func keyOf(a *corev1.EndpointAddress) addressKey {
	k := addressKey{ip: a.IP}
	if a.TargetRef != nil {
		k.uid = a.TargetRef.UID
	}
	return k
}

// portKey is a comparable EndpointPort; noPorts stands for a subset
// without ports (a headless service's).
type portKey struct {
	name     string
	port     int32
	protocol corev1.Protocol
	app      string
	hasApp   bool
	noPorts  bool
}

func portKeyOf(p corev1.EndpointPort) portKey {
	k := portKey{name: p.Name, port: p.Port, protocol: p.Protocol}
	if p.AppProtocol != nil {
		k.app, k.hasApp = *p.AppProtocol, true
	}
	return k
}

func (k portKey) less(o portKey) bool {
	if k.name != o.name {
		return k.name < o.name
	}
	if k.port != o.port {
		return k.port < o.port
	}
	if k.protocol != o.protocol {
		return k.protocol < o.protocol
	}
	if k.hasApp != o.hasApp {
		return !k.hasApp
	}
	return k.app < o.app
}

// Repack returns subsets in canonical form, as upstream's RepackSubsets:
// each address appears once per port, addresses that offer the same ports
// (with the same readiness) share one subset, and an address that is not
// ready for one of its subsets is not ready for that port at all. Addresses
// are sorted by IP and pod UID, ports by name, number and protocol, subsets
// by their addresses. Equal content repacks to equal subsets, which is what
// lets a sync compare stored and wanted Endpoints.
func Repack(subsets []corev1.EndpointSubset) []corev1.EndpointSubset {
	addrs := map[addressKey]*corev1.EndpointAddress{}
	byPort := map[portKey]map[addressKey]bool{}
	ports := map[portKey]corev1.EndpointPort{}
	add := func(pk portKey, a *corev1.EndpointAddress, ready bool) {
		k := keyOf(a)
		if _, ok := addrs[k]; !ok {
			addrs[k] = a.DeepCopy()
		}
		set := byPort[pk]
		if set == nil {
			set = map[addressKey]bool{}
			byPort[pk] = set
		}
		// Not ready wins over ready.
		if was, ok := set[k]; !ok || was {
			set[k] = ready
		}
	}
	for i := range subsets {
		s := &subsets[i]
		pks := []portKey{{noPorts: true}}
		if len(s.Ports) > 0 {
			pks = pks[:0]
			for _, p := range s.Ports {
				pk := portKeyOf(p)
				ports[pk] = *p.DeepCopy()
				pks = append(pks, pk)
			}
		}
		for _, pk := range pks {
			for j := range s.Addresses {
				add(pk, &s.Addresses[j], true)
			}
			for j := range s.NotReadyAddresses {
				add(pk, &s.NotReadyAddresses[j], false)
			}
		}
	}

	// Group the ports by the (address, readiness) set they are offered on.
	type group struct {
		set   map[addressKey]bool
		ports []portKey
	}
	groups := map[string]*group{}
	for pk, set := range byPort {
		sig := signature(set)
		g := groups[sig]
		if g == nil {
			g = &group{set: set}
			groups[sig] = g
		}
		if !pk.noPorts {
			g.ports = append(g.ports, pk)
		}
	}
	sigs := make([]string, 0, len(groups))
	for sig := range groups {
		sigs = append(sigs, sig)
	}
	sort.Strings(sigs)
	out := []corev1.EndpointSubset{}
	for _, sig := range sigs {
		g := groups[sig]
		var s corev1.EndpointSubset
		for _, k := range sortedKeys(g.set) {
			if g.set[k] {
				s.Addresses = append(s.Addresses, *addrs[k])
			} else {
				s.NotReadyAddresses = append(s.NotReadyAddresses, *addrs[k])
			}
		}
		sort.Slice(g.ports, func(i, j int) bool { return g.ports[i].less(g.ports[j]) })
		for _, pk := range g.ports {
			s.Ports = append(s.Ports, ports[pk])
		}
		out = append(out, s)
	}
	return out
}

func sortedKeys(set map[addressKey]bool) []addressKey {
	keys := make([]addressKey, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if c := bytes.Compare([]byte(keys[i].ip), []byte(keys[j].ip)); c != 0 {
			return c < 0
		}
		return keys[i].uid < keys[j].uid
	})
	return keys
}

// signature names an (address, readiness) set; equal sets have equal names.
func signature(set map[addressKey]bool) string {
	var b strings.Builder
	for _, k := range sortedKeys(set) {
		fmt.Fprintf(&b, "%s/%s/%t;", k.ip, k.uid, set[k])
	}
	return b.String()
}

// truncate cuts subsets down to maxCapacity addresses, keeping ready ones
// first, and reports whether it cut. Each subset keeps a share in
// proportion to its size (rounded up, so the last may get less), as
// upstream.
func truncate(subsets []corev1.EndpointSubset) bool {
	ready, notReady := 0, 0
	for _, s := range subsets {
		ready += len(s.Addresses)
		notReady += len(s.NotReadyAddresses)
	}
	if ready+notReady <= maxCapacity {
		return false
	}
	// Too many ready addresses: keep a share of them and no not-ready
	// ones. Otherwise keep every ready address and share out the rest.
	cutReady := ready > maxCapacity
	budget, total := maxCapacity-ready, notReady
	if cutReady {
		budget, total = maxCapacity, ready
	}
	left := budget
	for i := range subsets {
		s := &subsets[i]
		n := len(s.NotReadyAddresses)
		if cutReady {
			n = len(s.Addresses)
		}
		share := min(int(math.Ceil(float64(n)/float64(total)*float64(budget))), left)
		if cutReady {
			s.Addresses = s.Addresses[:min(share, len(s.Addresses))]
			s.NotReadyAddresses = nil
			left -= len(s.Addresses)
		} else {
			s.NotReadyAddresses = s.NotReadyAddresses[:min(share, len(s.NotReadyAddresses))]
			left -= len(s.NotReadyAddresses)
		}
	}
	return true
}

// semantic compares subsets as stored and as wanted; a target's
// resourceVersion (which some writers set) is not part of an address.
var semantic = conversion.EqualitiesOrDie(
	func(a, b corev1.ObjectReference) bool {
		a.ResourceVersion, b.ResourceVersion = "", ""
		return a == b
	},
)
