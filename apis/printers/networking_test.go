package printers

import (
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
)

func networking(resource string) schema.GroupResource {
	return schema.GroupResource{Group: "networking.k8s.io", Resource: resource}
}

func TestIngresses(t *testing.T) {
	rules := func(hosts ...string) []networkingv1.IngressRule {
		var rs []networkingv1.IngressRule
		for _, h := range hosts {
			rs = append(rs, networkingv1.IngressRule{Host: h})
		}
		return rs
	}
	testRows(t, networking("ingresses"),
		[]string{"Name", "Class", "Hosts", "Address", "Ports", "Age"},
		[]rowCase{
			{
				name: "no class, no hosts, no address",
				obj:  &networkingv1.Ingress{ObjectMeta: objectMeta("web"), Spec: networkingv1.IngressSpec{Rules: rules("")}},
				row:  []any{"web", "<none>", "*", "", "80", "3h"},
			},
			{
				name: "tls with addresses",
				obj: &networkingv1.Ingress{ObjectMeta: objectMeta("web"),
					Spec: networkingv1.IngressSpec{IngressClassName: ptr.To("nginx"), Rules: rules("a.example.com", "b.example.com"),
						TLS: []networkingv1.IngressTLS{{Hosts: []string{"a.example.com"}}}},
					Status: networkingv1.IngressStatus{LoadBalancer: networkingv1.IngressLoadBalancerStatus{
						Ingress: []networkingv1.IngressLoadBalancerIngress{{IP: "198.51.100.9"}, {Hostname: "lb.example.com"}}}}},
				row: []any{"web", "nginx", "a.example.com,b.example.com", "198.51.100.9,lb.example.com", "80, 443", "3h"},
			},
			{
				name: "more than three hosts",
				obj: &networkingv1.Ingress{ObjectMeta: objectMeta("web"),
					Spec: networkingv1.IngressSpec{Rules: rules("a", "", "b", "c", "d")}},
				row: []any{"web", "<none>", "a,b,c + 2 more...", "", "80", "3h"},
			},
		})
}

func TestNetworkingResources(t *testing.T) {
	testRows(t, networking("ingressclasses"), []string{"Name", "Controller", "Parameters", "Age"}, []rowCase{
		{
			name: "default with parameters",
			obj: &networkingv1.IngressClass{
				ObjectMeta: metav1.ObjectMeta{Name: "nginx", CreationTimestamp: ago(0),
					Annotations: map[string]string{networkingv1.AnnotationIsDefaultIngressClass: "true"}},
				Spec: networkingv1.IngressClassSpec{Controller: "k8s.io/ingress-nginx",
					Parameters: &networkingv1.IngressClassParametersReference{APIGroup: ptr.To("k8s.example.com"), Kind: "Params", Name: "p"}}},
			row: []any{"nginx (default)", "k8s.io/ingress-nginx", "Params.k8s.example.com/p", "0s"},
		},
		{
			name: "core parameters",
			obj: &networkingv1.IngressClass{ObjectMeta: objectMeta("other"), Spec: networkingv1.IngressClassSpec{
				Controller: "example.com/ingress", Parameters: &networkingv1.IngressClassParametersReference{Kind: "ConfigMap", Name: "c"}}},
			row: []any{"other", "example.com/ingress", "ConfigMap/c", "3h"},
		},
		{
			name: "no parameters",
			obj:  &networkingv1.IngressClass{ObjectMeta: objectMeta("plain")},
			row:  []any{"plain", "", "<none>", "3h"},
		},
	})
	testRows(t, networking("networkpolicies"), []string{"Name", "Pod-Selector", "Age"}, []rowCase{
		{
			name: "all pods",
			obj:  &networkingv1.NetworkPolicy{ObjectMeta: objectMeta("deny-all")},
			row:  []any{"deny-all", "<none>", "3h"},
		},
		{
			name: "selected pods",
			obj: &networkingv1.NetworkPolicy{ObjectMeta: objectMeta("web"), Spec: networkingv1.NetworkPolicySpec{
				PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}},
			row: []any{"web", "app=web", "3h"},
		},
	})
}

func TestServiceCIDRsAndIPAddresses(t *testing.T) {
	testRows(t, networking("servicecidrs"), []string{"Name", "CIDRs", "Age"}, []rowCase{{
		name: "dual-stack",
		obj: &networkingv1.ServiceCIDR{ObjectMeta: objectMeta("kubernetes"),
			Spec: networkingv1.ServiceCIDRSpec{CIDRs: []string{"10.96.0.0/12", "fd00:10:96::/112"}}},
		row: []any{"kubernetes", "10.96.0.0/12,fd00:10:96::/112", "3h"},
	}})
	testRows(t, networking("ipaddresses"), []string{"Name", "ParentRef", "Age"}, []rowCase{
		{
			name: "service",
			obj: &networkingv1.IPAddress{ObjectMeta: objectMeta("10.96.0.10"), Spec: networkingv1.IPAddressSpec{
				ParentRef: &networkingv1.ParentReference{Resource: "services", Namespace: "kube-system", Name: "kube-dns"}}},
			row: []any{"10.96.0.10", "services/kube-system/kube-dns", "3h"},
		},
		{
			name: "cluster-scoped parent of another group",
			obj: &networkingv1.IPAddress{ObjectMeta: objectMeta("fe80::1"), Spec: networkingv1.IPAddressSpec{
				ParentRef: &networkingv1.ParentReference{Group: "Example.com", Resource: "Gateways", Name: "gw"}}},
			row: []any{"fe80::1", "gateways.example.com/gw", "3h"},
		},
		{
			name: "no parent",
			obj:  &networkingv1.IPAddress{ObjectMeta: objectMeta("10.0.0.1")},
			row:  []any{"10.0.0.1", "<none>", "3h"},
		},
	})
}
