package dns

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
)

// Index names are prefixed so that they cannot clash with the indexers another user of
// a shared informer adds.
const (
	// indexServiceIP indexes Services by cluster IP, for PTR queries.
	indexServiceIP = "kubeshim-dns/cluster-ip"
	// indexSliceService indexes EndpointSlices by <namespace>/<service>.
	indexSliceService = "kubeshim-dns/service"
	// indexSliceIP indexes EndpointSlices by endpoint address, ready or not, for PTR
	// queries; readiness is judged when answering.
	indexSliceIP = "kubeshim-dns/ip"
)

// setUpInformers registers the informers with the factory, adds the indexers that turn
// every query into map lookups, and keeps the SOA serial current.
func (s *Server) setUpInformers() error {
	s.services = s.factory.Core().V1().Services().Informer()
	s.slices = s.factory.Discovery().V1().EndpointSlices().Informer()
	if err := s.services.AddIndexers(cache.Indexers{indexServiceIP: serviceIPIndex}); err != nil {
		return fmt.Errorf("add service indexers: %w", err)
	}
	if err := s.slices.AddIndexers(cache.Indexers{indexSliceService: sliceServiceIndex, indexSliceIP: sliceIPIndex}); err != nil {
		return fmt.Errorf("add endpoint slice indexers: %w", err)
	}
	touch := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { s.touch() },
		UpdateFunc: func(any, any) { s.touch() },
		DeleteFunc: func(any) { s.touch() },
	}
	if _, err := s.services.AddEventHandler(touch); err != nil {
		return fmt.Errorf("watch services: %w", err)
	}
	if _, err := s.slices.AddEventHandler(touch); err != nil {
		return fmt.Errorf("watch endpoint slices: %w", err)
	}
	return nil
}

func (s *Server) touch() { s.modified.Store(s.clock.Now().Unix()) }

// dropManagedFields trims what DNS never reads from the objects its own factory caches.
func dropManagedFields(obj any) (any, error) {
	if o, ok := obj.(metav1.Object); ok {
		o.SetManagedFields(nil)
	}
	return obj, nil
}

func serviceIPIndex(obj any) ([]string, error) {
	svc, ok := obj.(*corev1.Service)
	if !ok {
		return nil, nil
	}
	var keys []string
	for _, ip := range clusterIPs(svc) {
		if a, err := netip.ParseAddr(ip); err == nil {
			keys = append(keys, a.String())
		}
	}
	return keys, nil
}

func sliceServiceIndex(obj any) ([]string, error) {
	slice, ok := obj.(*discoveryv1.EndpointSlice)
	if !ok || !servesDNS(slice) {
		return nil, nil
	}
	return []string{slice.Namespace + "/" + slice.Labels[discoveryv1.LabelServiceName]}, nil
}

func sliceIPIndex(obj any) ([]string, error) {
	slice, ok := obj.(*discoveryv1.EndpointSlice)
	if !ok || !servesDNS(slice) {
		return nil, nil
	}
	var keys []string
	for _, ep := range slice.Endpoints {
		for _, a := range ep.Addresses {
			if addr, err := netip.ParseAddr(a); err == nil {
				keys = append(keys, addr.String())
			}
		}
	}
	return keys, nil
}

// servesDNS reports whether slice belongs to a service and lists IP addresses (FQDN
// slices are not published, as in CoreDNS).
func servesDNS(slice *discoveryv1.EndpointSlice) bool {
	if slice.Labels[discoveryv1.LabelServiceName] == "" {
		return false
	}
	return slice.AddressType == discoveryv1.AddressTypeIPv4 || slice.AddressType == discoveryv1.AddressTypeIPv6
}

// service returns the cached Service namespace/name, nil when there is none. The object
// is shared with the cache: read only.
func (s *Server) service(namespace, name string) *corev1.Service {
	obj, exists, err := s.services.GetIndexer().GetByKey(namespace + "/" + name)
	if err != nil || !exists {
		return nil
	}
	svc, _ := obj.(*corev1.Service)
	return svc
}

// servicesByIP returns the cached Services with cluster IP addr, in key order.
func (s *Server) servicesByIP(addr netip.Addr) []*corev1.Service {
	objs, err := s.services.GetIndexer().ByIndex(indexServiceIP, addr.String())
	if err != nil {
		return nil
	}
	svcs := make([]*corev1.Service, 0, len(objs))
	for _, obj := range objs {
		if svc, ok := obj.(*corev1.Service); ok {
			svcs = append(svcs, svc)
		}
	}
	slices.SortFunc(svcs, func(a, b *corev1.Service) int {
		return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
	})
	return svcs
}

// slicesBy returns the cached EndpointSlices under key of index, in name order so that
// answers are stable.
func (s *Server) slicesBy(index, key string) []*discoveryv1.EndpointSlice {
	objs, err := s.slices.GetIndexer().ByIndex(index, key)
	if err != nil {
		return nil
	}
	out := make([]*discoveryv1.EndpointSlice, 0, len(objs))
	for _, obj := range objs {
		if slice, ok := obj.(*discoveryv1.EndpointSlice); ok {
			out = append(out, slice)
		}
	}
	slices.SortFunc(out, func(a, b *discoveryv1.EndpointSlice) int {
		return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
	})
	return out
}

// clusterIPs returns a service's cluster IPs, "None" for a headless one.
func clusterIPs(svc *corev1.Service) []string {
	if len(svc.Spec.ClusterIPs) > 0 {
		return svc.Spec.ClusterIPs
	}
	if svc.Spec.ClusterIP != "" {
		return []string{svc.Spec.ClusterIP}
	}
	return nil
}

func headless(svc *corev1.Service) bool {
	ips := clusterIPs(svc)
	return len(ips) > 0 && ips[0] == corev1.ClusterIPNone
}

// published reports whether DNS lists ep: when it is ready (an unknown readiness counts
// as ready, as the EndpointSlice API asks consumers to read it), or always when its
// service publishes not-ready addresses. svc may be nil.
//
// The EndpointSlice controller already marks every endpoint of such a service ready;
// checking the service as well keeps DNS right for slices that other writers manage.
func published(ep *discoveryv1.Endpoint, svc *corev1.Service) bool {
	if svc != nil && svc.Spec.PublishNotReadyAddresses {
		return true
	}
	return ep.Conditions.Ready == nil || *ep.Conditions.Ready
}

// endpointHostname is the label of an endpoint address under its service: its hostname
// (a StatefulSet pod's), or else its address with dashes for dots or colons.
func endpointHostname(ep *discoveryv1.Endpoint, addr netip.Addr) string {
	if ep.Hostname != nil && *ep.Hostname != "" {
		return strings.ToLower(*ep.Hostname)
	}
	if addr.Is4() {
		return strings.ReplaceAll(addr.String(), ".", "-")
	}
	return strings.ReplaceAll(addr.String(), ":", "-")
}

// slicePort is a port of an EndpointSlice; port -1 stands for a slice without ports (a
// headless service may have none), whose addresses still answer A and AAAA queries.
type slicePort struct {
	name, protocol string
	port           int32
}

var noPorts = []slicePort{{port: -1}}

func slicePorts(slice *discoveryv1.EndpointSlice) []slicePort {
	if len(slice.Ports) == 0 {
		return noPorts
	}
	ports := make([]slicePort, 0, len(slice.Ports))
	for _, p := range slice.Ports {
		sp := slicePort{protocol: string(corev1.ProtocolTCP), port: -1}
		if p.Name != nil {
			sp.name = *p.Name
		}
		if p.Protocol != nil {
			sp.protocol = string(*p.Protocol)
		}
		if p.Port != nil {
			sp.port = *p.Port
		}
		ports = append(ports, sp)
	}
	return ports
}
