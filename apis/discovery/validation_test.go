package discovery

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/apis/internal/fielderrors"
)

func validSlice() *discoveryv1.EndpointSlice {
	return &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "web-abc", Namespace: "default", ResourceVersion: "1"},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{"10.0.0.5"}, NodeName: ptr.To("node-1")}},
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Protocol: ptr.To(corev1.ProtocolTCP), Port: ptr.To[int32](8080)}},
	}
}

func TestValidateEndpointSlice(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*discoveryv1.EndpointSlice)
		want   []string
	}{
		{name: "valid", mutate: func(*discoveryv1.EndpointSlice) {}},
		{
			name:   "unknown address type",
			mutate: func(es *discoveryv1.EndpointSlice) { es.AddressType = "IPv5" },
			want:   []string{`addressType: Unsupported value: "IPv5": supported values: "FQDN", "IPv4", "IPv6"`},
		},
		{
			name: "IPv6 address in an IPv4 slice, no addresses",
			mutate: func(es *discoveryv1.EndpointSlice) {
				es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{})
				es.Endpoints[0].Addresses = []string{"fd00::1"}
			},
			want: []string{
				`endpoints[0].addresses: Invalid value: "fd00::1": must be an IPv4 address`,
				`endpoints[1].addresses: Required value: must contain at least 1 address`,
			},
		},
		{
			name: "duplicate port names, missing protocol",
			mutate: func(es *discoveryv1.EndpointSlice) {
				es.Ports = append(es.Ports, discoveryv1.EndpointPort{Name: ptr.To("http")})
			},
			want: []string{
				`ports[1].name: Duplicate value: "http"`,
				`ports[1].protocol: Required value`,
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			es := validSlice()
			tc.mutate(es)
			fielderrors.Want(t, tc.want, ValidateEndpointSlice(es))
		})
	}

	t.Run("address type is immutable", func(t *testing.T) {
		old, es := validSlice(), validSlice()
		es.AddressType = discoveryv1.AddressTypeFQDN
		es.Endpoints[0].Addresses = []string{"web.example.com"}
		fielderrors.Want(t, []string{`addressType: Invalid value: "FQDN": field is immutable`}, ValidateEndpointSliceUpdate(es, old))
	})
}
