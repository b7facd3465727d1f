package networking

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

func TestSetObjectDefaultsNetworkPolicy(t *testing.T) {
	port := intstr.FromInt32(80)
	tests := []struct {
		name string
		in   networkingv1.NetworkPolicySpec
		want networkingv1.NetworkPolicySpec
	}{
		{
			name: "no rules isolates ingress",
			in:   networkingv1.NetworkPolicySpec{},
			want: networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}},
		},
		{
			name: "egress rules isolate egress too; ports get TCP",
			in: networkingv1.NetworkPolicySpec{
				Ingress: []networkingv1.NetworkPolicyIngressRule{{Ports: []networkingv1.NetworkPolicyPort{{Port: &port}}}},
				Egress: []networkingv1.NetworkPolicyEgressRule{{Ports: []networkingv1.NetworkPolicyPort{
					{Port: &port, Protocol: ptr.To(corev1.ProtocolUDP)},
					{},
				}}},
			},
			want: networkingv1.NetworkPolicySpec{
				Ingress: []networkingv1.NetworkPolicyIngressRule{{Ports: []networkingv1.NetworkPolicyPort{
					{Port: &port, Protocol: ptr.To(corev1.ProtocolTCP)},
				}}},
				Egress: []networkingv1.NetworkPolicyEgressRule{{Ports: []networkingv1.NetworkPolicyPort{
					{Port: &port, Protocol: ptr.To(corev1.ProtocolUDP)},
					{Protocol: ptr.To(corev1.ProtocolTCP)},
				}}},
				PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress},
			},
		},
		{
			name: "set policy types are kept",
			in: networkingv1.NetworkPolicySpec{
				PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
			},
			want: networkingv1.NetworkPolicySpec{
				PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := &networkingv1.NetworkPolicy{Spec: *tt.in.DeepCopy()}
			SetObjectDefaultsNetworkPolicy(got)
			if diff := cmp.Diff(&networkingv1.NetworkPolicy{Spec: tt.want}, got); diff != "" {
				t.Errorf("SetObjectDefaultsNetworkPolicy() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetObjectDefaultsIngressClass(t *testing.T) {
	tests := []struct {
		name string
		in   networkingv1.IngressClassSpec
		want networkingv1.IngressClassSpec
	}{
		{
			name: "no parameters",
			in:   networkingv1.IngressClassSpec{Controller: "example.com/ingress"},
			want: networkingv1.IngressClassSpec{Controller: "example.com/ingress"},
		},
		{
			name: "parameters are cluster-scoped",
			in:   networkingv1.IngressClassSpec{Parameters: &networkingv1.IngressClassParametersReference{Kind: "K", Name: "n"}},
			want: networkingv1.IngressClassSpec{Parameters: &networkingv1.IngressClassParametersReference{
				Kind: "K", Name: "n", Scope: ptr.To(networkingv1.IngressClassParametersReferenceScopeCluster),
			}},
		},
		{
			name: "namespace scope is kept",
			in: networkingv1.IngressClassSpec{Parameters: &networkingv1.IngressClassParametersReference{
				Kind: "K", Name: "n", Scope: ptr.To(networkingv1.IngressClassParametersReferenceScopeNamespace), Namespace: ptr.To("ns"),
			}},
			want: networkingv1.IngressClassSpec{Parameters: &networkingv1.IngressClassParametersReference{
				Kind: "K", Name: "n", Scope: ptr.To(networkingv1.IngressClassParametersReferenceScopeNamespace), Namespace: ptr.To("ns"),
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := &networkingv1.IngressClass{Spec: *tt.in.DeepCopy()}
			SetObjectDefaultsIngressClass(got)
			if diff := cmp.Diff(&networkingv1.IngressClass{Spec: tt.want}, got); diff != "" {
				t.Errorf("SetObjectDefaultsIngressClass() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSchemeDefault(t *testing.T) {
	s := runtime.NewScheme()
	if err := networkingv1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := Install(s); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   runtime.Object
		want runtime.Object
	}{
		{
			name: "network policy list",
			in:   &networkingv1.NetworkPolicyList{Items: []networkingv1.NetworkPolicy{{}}},
			want: &networkingv1.NetworkPolicyList{Items: []networkingv1.NetworkPolicy{{
				Spec: networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}},
			}}},
		},
		{
			name: "ingress class",
			in:   &networkingv1.IngressClass{Spec: networkingv1.IngressClassSpec{Parameters: &networkingv1.IngressClassParametersReference{}}},
			want: &networkingv1.IngressClass{Spec: networkingv1.IngressClassSpec{Parameters: &networkingv1.IngressClassParametersReference{
				Scope: ptr.To(networkingv1.IngressClassParametersReferenceScopeCluster),
			}}},
		},
		{
			name: "ingress has no defaults",
			in:   &networkingv1.Ingress{},
			want: &networkingv1.Ingress{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.in.DeepCopyObject()
			s.Default(got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Default() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
