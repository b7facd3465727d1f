package networking

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/apis/internal/fielderrors"
)

func validIngress() *networkingv1.Ingress {
	return &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default", ResourceVersion: "1"},
		Spec: networkingv1.IngressSpec{
			IngressClassName: ptr.To("nginx"),
			Rules: []networkingv1.IngressRule{{Host: "example.com", IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
				Paths: []networkingv1.HTTPIngressPath{{Path: "/", PathType: ptr.To(networkingv1.PathTypePrefix), Backend: networkingv1.IngressBackend{
					Service: &networkingv1.IngressServiceBackend{Name: "web", Port: networkingv1.ServiceBackendPort{Number: 80}},
				}}},
			}}}},
			TLS: []networkingv1.IngressTLS{{Hosts: []string{"*.example.com"}, SecretName: "web-tls"}},
		},
	}
}

func TestValidateIngress(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*networkingv1.Ingress)
		want   []string
	}{
		{name: "valid", mutate: func(*networkingv1.Ingress) {}},
		{
			name:   "no rules or backend",
			mutate: func(i *networkingv1.Ingress) { i.Spec.Rules = nil },
			want:   []string{"spec: Invalid value: null: either `defaultBackend` or `rules` must be specified"},
		},
		{
			name: "IP host and bad path",
			mutate: func(i *networkingv1.Ingress) {
				i.Spec.Rules[0].Host = "10.0.0.1"
				i.Spec.Rules[0].HTTP.Paths[0].Path = "/a//b"
			},
			want: []string{
				`spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address`,
				`spec.rules[0].http.paths[0].path: Invalid value: "/a//b": must not contain '//'`,
			},
		},
		{
			name: "backend with both port name and number",
			mutate: func(i *networkingv1.Ingress) {
				i.Spec.Rules[0].HTTP.Paths[0].Backend.Service.Port.Name = "http"
			},
			want: []string{`spec.rules[0].http.paths[0].backend: Invalid value: "": cannot set both port name & port number`},
		},
		{
			name:   "missing path type",
			mutate: func(i *networkingv1.Ingress) { i.Spec.Rules[0].HTTP.Paths[0].PathType = nil },
			want:   []string{`spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified`},
		},
		{
			name: "class annotation disagrees",
			mutate: func(i *networkingv1.Ingress) {
				i.Annotations = map[string]string{"kubernetes.io/ingress.class": "traefik"}
			},
			want: []string{"annotations.kubernetes.io/ingress.class: Invalid value: \"traefik\": must match `ingressClassName` when both are specified"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ing := validIngress()
			tc.mutate(ing)
			fielderrors.Want(t, tc.want, ValidateIngress(ing))
		})
	}

	t.Run("invalid secret name tolerated on update", func(t *testing.T) {
		old := validIngress()
		old.Spec.TLS[0].SecretName = "Web_TLS"
		ing := old.DeepCopy()
		fielderrors.Want(t, nil, ValidateIngressUpdate(ing, old))
	})
}

func TestValidateIngressClass(t *testing.T) {
	valid := &networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: "nginx", ResourceVersion: "1"}, Spec: networkingv1.IngressClassSpec{
		Controller: "example.com/ingress-nginx",
		Parameters: &networkingv1.IngressClassParametersReference{Kind: "Config", Name: "cfg", Scope: ptr.To("Cluster")},
	}}
	fielderrors.Want(t, nil, ValidateIngressClass(valid))

	bad := valid.DeepCopy()
	bad.Spec.Controller = "nginx"
	bad.Spec.Parameters.Namespace = ptr.To("default")
	fielderrors.Want(t, []string{
		`spec.controller: Invalid value: "nginx": must be a domain-prefixed path (such as "acme.io/foo")`,
		"spec.parameters.namespace: Forbidden: `parameters.scope` is set to 'Cluster'",
	}, ValidateIngressClass(bad))

	changed := valid.DeepCopy()
	changed.Spec.Controller = "example.com/other"
	fielderrors.Want(t, []string{`spec.controller: Invalid value: "example.com/other": field is immutable`}, ValidateIngressClassUpdate(changed, valid))
}

func TestValidateNetworkPolicy(t *testing.T) {
	valid := func() *networkingv1.NetworkPolicy {
		return &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "deny", Namespace: "default"}, Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				Ports: []networkingv1.NetworkPolicyPort{{Protocol: ptr.To(corev1.ProtocolTCP), Port: ptr.To(intstr.FromInt32(80)), EndPort: ptr.To[int32](90)}},
				From:  []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/8", Except: []string{"10.1.0.0/16"}}}},
			}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
		}}
	}
	cases := []struct {
		name   string
		mutate func(*networkingv1.NetworkPolicy)
		want   []string
	}{
		{name: "valid", mutate: func(*networkingv1.NetworkPolicy) {}},
		{
			name: "end port below port, named port with end port",
			mutate: func(np *networkingv1.NetworkPolicy) {
				np.Spec.Ingress[0].Ports = append(np.Spec.Ingress[0].Ports,
					networkingv1.NetworkPolicyPort{Port: ptr.To(intstr.FromInt32(100)), EndPort: ptr.To[int32](50)},
					networkingv1.NetworkPolicyPort{Port: ptr.To(intstr.FromString("http")), EndPort: ptr.To[int32](50)})
			},
			want: []string{
				"spec.ingress[0].ports[1].endPort: Invalid value: 50: must be greater than or equal to `port`",
				"spec.ingress[0].ports[2].endPort: Invalid value: 50: may not be specified when `port` is non-numeric",
			},
		},
		{
			name: "except outside cidr, ipBlock with selector, empty peer",
			mutate: func(np *networkingv1.NetworkPolicy) {
				np.Spec.Ingress[0].From = []networkingv1.NetworkPolicyPeer{
					{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/16", Except: []string{"192.168.0.0/24"}}, PodSelector: &metav1.LabelSelector{}},
					{},
				}
			},
			want: []string{
				"spec.ingress[0].from[0].ipBlock.except[0]: Invalid value: \"192.168.0.0/24\": must be a strict subset of `cidr`",
				`spec.ingress[0].from[0]: Forbidden: may not specify both ipBlock and another peer`,
				`spec.ingress[0].from[1]: Required value: must specify a peer`,
			},
		},
		{
			name:   "policy type",
			mutate: func(np *networkingv1.NetworkPolicy) { np.Spec.PolicyTypes = []networkingv1.PolicyType{"Both"} },
			want:   []string{`spec.policyTypes[0]: Unsupported value: "Both": supported values: "Ingress", "Egress"`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			np := valid()
			tc.mutate(np)
			fielderrors.Want(t, tc.want, ValidateNetworkPolicy(np))
		})
	}
}

func TestValidateServiceCIDR(t *testing.T) {
	sc := func(cidrs ...string) *networkingv1.ServiceCIDR {
		return &networkingv1.ServiceCIDR{ObjectMeta: metav1.ObjectMeta{Name: "extra", ResourceVersion: "1"}, Spec: networkingv1.ServiceCIDRSpec{CIDRs: cidrs}}
	}
	tests := []struct {
		name string
		obj  *networkingv1.ServiceCIDR
		want []string
	}{
		{name: "ipv4", obj: sc("10.96.0.0/12")},
		{name: "dual-stack", obj: sc("10.96.0.0/12", "fd00:10:96::/112")},
		{name: "none", obj: sc(), want: []string{"spec.cidrs: Required value: at least one CIDR required"}},
		{name: "three", obj: sc("10.0.0.0/24", "10.1.0.0/24", "fd00::/64"), want: []string{
			`spec.cidrs: Invalid value: {"cidrs":["10.0.0.0/24","10.1.0.0/24","fd00::/64"]}: may only hold up to 2 values`,
		}},
		{name: "same family", obj: sc("10.0.0.0/24", "10.1.0.0/24"), want: []string{
			`spec.cidrs: Invalid value: ["10.0.0.0/24","10.1.0.0/24"]: may specify no more than one IP for each IP family, i.e 192.168.0.0/24 and 2001:db8::/64`,
		}},
		{name: "not a CIDR", obj: sc("10.0.0.1"), want: []string{
			`spec.cidrs[0]: Invalid value: "10.0.0.1": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { fielderrors.Want(t, tt.want, ValidateServiceCIDR(tt.obj)) })
	}
}

func TestValidateServiceCIDRUpdate(t *testing.T) {
	old := &networkingv1.ServiceCIDR{ObjectMeta: metav1.ObjectMeta{Name: "extra", ResourceVersion: "1"}, Spec: networkingv1.ServiceCIDRSpec{CIDRs: []string{"10.96.0.0/12"}}}
	with := func(cidrs ...string) *networkingv1.ServiceCIDR {
		sc := old.DeepCopy()
		sc.Spec.CIDRs = cidrs
		return sc
	}
	tests := []struct {
		name string
		obj  *networkingv1.ServiceCIDR
		want []string
	}{
		{name: "unchanged", obj: with("10.96.0.0/12")},
		{name: "to dual-stack", obj: with("10.96.0.0/12", "fd00::/64")},
		{name: "changed", obj: with("10.97.0.0/16"), want: []string{`spec.cidrs[0]: Invalid value: "10.97.0.0/16": field is immutable`}},
		{name: "removed", obj: with(), want: []string{`spec.cidrs: Invalid value: null: field is immutable`}},
		{name: "second of the same family", obj: with("10.96.0.0/12", "10.0.0.0/24"), want: []string{
			`spec.cidrs: Invalid value: ["10.96.0.0/12","10.0.0.0/24"]: may specify no more than one IP for each IP family, i.e 192.168.0.0/24 and 2001:db8::/64`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { fielderrors.Want(t, tt.want, ValidateServiceCIDRUpdate(tt.obj, old)) })
	}
}

func TestValidateIPAddress(t *testing.T) {
	ip := func(name string, ref *networkingv1.ParentReference) *networkingv1.IPAddress {
		return &networkingv1.IPAddress{ObjectMeta: metav1.ObjectMeta{Name: name, ResourceVersion: "1"}, Spec: networkingv1.IPAddressSpec{ParentRef: ref}}
	}
	svc := &networkingv1.ParentReference{Resource: "services", Namespace: "default", Name: "web"}
	tests := []struct {
		name string
		obj  *networkingv1.IPAddress
		want []string
	}{
		{name: "ipv4 service", obj: ip("10.96.0.10", svc)},
		{name: "ipv6 other group", obj: ip("fe80::42:1dff:fe84:f9e2", &networkingv1.ParentReference{Group: "mygroup", Resource: "myresources", Name: "bar"})},
		{name: "not canonical", obj: ip("2001:db8:0::1", svc), want: []string{
			`metadata.name: Invalid value: "2001:db8:0::1": must be in canonical form ("2001:db8::1")`,
		}},
		{name: "not an IP", obj: ip("web", svc), want: []string{
			`metadata.name: Invalid value: "web": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)`,
		}},
		{name: "no parent", obj: ip("10.96.0.10", nil), want: []string{"spec.parentRef: Required value"}},
		{name: "parent without resource and name", obj: ip("10.96.0.10", &networkingv1.ParentReference{Group: "Bad_Group", Namespace: "a/b"}), want: []string{
			`spec.parentRef.group: Invalid value: "Bad_Group": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
			"spec.parentRef.resource: Required value",
			"spec.parentRef.name: Required value",
			`spec.parentRef.namespace: Invalid value: "a/b": may not contain '/'`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { fielderrors.Want(t, tt.want, ValidateIPAddress(tt.obj)) })
	}

	changed := ip("10.96.0.10", &networkingv1.ParentReference{Resource: "services", Namespace: "default", Name: "other"})
	fielderrors.Want(t, []string{
		`spec.parentRef: Invalid value: {"resource":"services","namespace":"default","name":"other"}: field is immutable`,
	}, ValidateIPAddressUpdate(changed, ip("10.96.0.10", svc)))
}
