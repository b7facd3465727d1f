package networking

import (
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
)

// addDefaultingFuncs registers upstream's defaults for the v1 kinds, as
// k8s.io/kubernetes v1.37 pkg/apis/networking/v1 applies them. Ingress,
// IPAddress and ServiceCIDR have none.
func addDefaultingFuncs(s *runtime.Scheme) error {
	s.AddTypeDefaultingFunc(&networkingv1.IngressClass{}, func(obj any) { SetObjectDefaultsIngressClass(obj.(*networkingv1.IngressClass)) })
	s.AddTypeDefaultingFunc(&networkingv1.IngressClassList{}, func(obj any) {
		defaultEach(obj.(*networkingv1.IngressClassList).Items, SetObjectDefaultsIngressClass)
	})
	s.AddTypeDefaultingFunc(&networkingv1.NetworkPolicy{}, func(obj any) { SetObjectDefaultsNetworkPolicy(obj.(*networkingv1.NetworkPolicy)) })
	s.AddTypeDefaultingFunc(&networkingv1.NetworkPolicyList{}, func(obj any) {
		defaultEach(obj.(*networkingv1.NetworkPolicyList).Items, SetObjectDefaultsNetworkPolicy)
	})
	return nil
}

// SetObjectDefaultsNetworkPolicy applies upstream's NetworkPolicy defaults:
// a policy without policyTypes isolates ingress, and egress too when it has
// egress rules; a port without a protocol is TCP.
func SetObjectDefaultsNetworkPolicy(np *networkingv1.NetworkPolicy) {
	spec := &np.Spec
	if len(spec.PolicyTypes) == 0 {
		spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
		if len(spec.Egress) != 0 {
			spec.PolicyTypes = append(spec.PolicyTypes, networkingv1.PolicyTypeEgress)
		}
	}
	for i := range spec.Ingress {
		defaultPorts(spec.Ingress[i].Ports)
	}
	for i := range spec.Egress {
		defaultPorts(spec.Egress[i].Ports)
	}
}

func defaultPorts(ports []networkingv1.NetworkPolicyPort) {
	for i := range ports {
		if ports[i].Protocol == nil {
			ports[i].Protocol = ptr.To(corev1.ProtocolTCP)
		}
	}
}

// SetObjectDefaultsIngressClass scopes an IngressClass's parameters to the
// cluster unless they say otherwise.
func SetObjectDefaultsIngressClass(ic *networkingv1.IngressClass) {
	if p := ic.Spec.Parameters; p != nil && p.Scope == nil {
		p.Scope = ptr.To(networkingv1.IngressClassParametersReferenceScopeCluster)
	}
}

// defaultEach defaults each item of a list in place.
func defaultEach[T any](items []T, setDefaults func(*T)) {
	for i := range items {
		setDefaults(&items[i])
	}
}
