package proxy

import (
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

const testNode = "node-a"

// testParams are the node settings of most tests: node IP 192.168.0.2,
// pods in 10.244.0.0/16.
func testParams() Params {
	return Params{
		NodeIPs:            []string{"192.168.0.2"},
		LocalhostNodePorts: true,
		ClusterCIDR:        "10.244.0.0/16",
		MasqueradeMark:     "0x004000",
		RandomFully:        true,
		DropInvalid:        true,
	}
}

// svc makes a ClusterIP service ns/name at ip with ports "name:port/PROTO"
// ("http:80/TCP"; a node port as "http:80:30080/TCP"), then applies opts.
func svc(ns, name, ip string, ports []string, opts ...func(*corev1.Service)) *corev1.Service {
	s := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: corev1.ServiceSpec{
			Type:       corev1.ServiceTypeClusterIP,
			ClusterIP:  ip,
			ClusterIPs: []string{ip},
		},
	}
	for _, p := range ports {
		spec, proto, _ := strings.Cut(p, "/")
		f := strings.Split(spec, ":")
		port, _ := strconv.Atoi(f[1])
		sp := corev1.ServicePort{Name: f[0], Port: int32(port), Protocol: corev1.Protocol(proto), TargetPort: intstr.FromInt32(int32(port))}
		if len(f) > 2 {
			np, _ := strconv.Atoi(f[2])
			sp.NodePort = int32(np)
		}
		s.Spec.Ports = append(s.Spec.Ports, sp)
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

func nodePortType(s *corev1.Service) {
	s.Spec.Type = corev1.ServiceTypeNodePort
	s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyCluster
}

func loadBalancer(ips ...string) func(*corev1.Service) {
	return func(s *corev1.Service) {
		s.Spec.Type = corev1.ServiceTypeLoadBalancer
		s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyCluster
		for _, ip := range ips {
			s.Status.LoadBalancer.Ingress = append(s.Status.LoadBalancer.Ingress, corev1.LoadBalancerIngress{IP: ip})
		}
	}
}

func externalIPs(ips ...string) func(*corev1.Service) {
	return func(s *corev1.Service) { s.Spec.ExternalIPs = ips }
}

func affinity(seconds int32) func(*corev1.Service) {
	return func(s *corev1.Service) {
		s.Spec.SessionAffinity = corev1.ServiceAffinityClientIP
		s.Spec.SessionAffinityConfig = &corev1.SessionAffinityConfig{ClientIP: &corev1.ClientIPConfig{TimeoutSeconds: &seconds}}
	}
}

func externalLocal(s *corev1.Service) {
	s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
}

func internalLocal(s *corev1.Service) {
	p := corev1.ServiceInternalTrafficPolicyLocal
	s.Spec.InternalTrafficPolicy = &p
}

func annotate(k, v string) func(*corev1.Service) {
	return func(s *corev1.Service) { s.Annotations = map[string]string{k: v} }
}

// ep describes an endpoint as "ip[@node][,notready][,terminating][,notserving]".
type ep string

// slice makes an EndpointSlice of service ns/svcName with ports
// "name:port/PROTO" and endpoints.
func slice(ns, svcName, name string, ports []string, eps ...ep) *discoveryv1.EndpointSlice {
	s := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{discoveryv1.LabelServiceName: svcName}},
		AddressType: discoveryv1.AddressTypeIPv4,
	}
	for _, p := range ports {
		spec, proto, _ := strings.Cut(p, "/")
		pname, pnum, _ := strings.Cut(spec, ":")
		n, _ := strconv.Atoi(pnum)
		pr := corev1.Protocol(proto)
		s.Ports = append(s.Ports, discoveryv1.EndpointPort{Name: &pname, Port: ptr(int32(n)), Protocol: &pr})
	}
	for _, e := range eps {
		f := strings.Split(string(e), ",")
		addr, node, _ := strings.Cut(f[0], "@")
		de := discoveryv1.Endpoint{Addresses: []string{addr}, Conditions: discoveryv1.EndpointConditions{Ready: ptr(true), Serving: ptr(true), Terminating: ptr(false)}}
		if node != "" {
			de.NodeName = &node
		}
		for _, flag := range f[1:] {
			switch flag {
			case "notready":
				de.Conditions.Ready = ptr(false)
			case "terminating":
				de.Conditions.Ready, de.Conditions.Terminating = ptr(false), ptr(true)
			case "notserving":
				de.Conditions.Serving = ptr(false)
			}
		}
		s.Endpoints = append(s.Endpoints, de)
	}
	return s
}

func ptr[T any](v T) *T { return &v }

// names maps placeholders in expected rule text to chain names:
// {SVC:ns/name:port/tcp}, {SVL:...}, {EXT:...}, {FW:...} and
// {SEP:ns/name:port/tcp@ip:port}.
func expand(text string) string {
	var b strings.Builder
	for {
		i := strings.Index(text, "{")
		if i < 0 {
			b.WriteString(text)
			return b.String()
		}
		j := strings.Index(text[i:], "}")
		b.WriteString(text[:i])
		kind, arg, _ := strings.Cut(text[i+1:i+j], ":")
		switch kind {
		case "SEP":
			key, addr, _ := strings.Cut(arg, "@")
			b.WriteString(prefixSEP + chainHash(key+addr))
		case "SVC":
			b.WriteString(prefixSVC + chainHash(arg))
		case "SVL":
			b.WriteString(prefixSVL + chainHash(arg))
		case "EXT":
			b.WriteString(prefixEXT + chainHash(arg))
		case "FW":
			b.WriteString(prefixFW + chainHash(arg))
		default:
			b.WriteString(text[i : i+j+1])
		}
		text = text[i+j+1:]
	}
}
