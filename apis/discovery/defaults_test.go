package discovery

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
)

func TestSetObjectDefaultsEndpointSlice(t *testing.T) {
	tests := []struct {
		name string
		in   []discoveryv1.EndpointPort
		want []discoveryv1.EndpointPort
	}{
		{
			name: "ports get an empty name and TCP",
			in:   []discoveryv1.EndpointPort{{Port: ptr.To[int32](80)}},
			want: []discoveryv1.EndpointPort{{Name: ptr.To(""), Protocol: ptr.To(corev1.ProtocolTCP), Port: ptr.To[int32](80)}},
		},
		{
			name: "set fields are kept",
			in:   []discoveryv1.EndpointPort{{Name: ptr.To("dns"), Protocol: ptr.To(corev1.ProtocolUDP), Port: ptr.To[int32](53)}},
			want: []discoveryv1.EndpointPort{{Name: ptr.To("dns"), Protocol: ptr.To(corev1.ProtocolUDP), Port: ptr.To[int32](53)}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := &discoveryv1.EndpointSlice{AddressType: discoveryv1.AddressTypeIPv4, Ports: tt.in}
			SetObjectDefaultsEndpointSlice(got)
			want := &discoveryv1.EndpointSlice{AddressType: discoveryv1.AddressTypeIPv4, Ports: tt.want}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("SetObjectDefaultsEndpointSlice() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPortDefaultsAreNotShared guards against sharing one default pointer
// between ports, as upstream does: editing one port must not edit another.
func TestPortDefaultsAreNotShared(t *testing.T) {
	es := &discoveryv1.EndpointSlice{Ports: []discoveryv1.EndpointPort{{}, {}}}
	SetObjectDefaultsEndpointSlice(es)
	*es.Ports[0].Name = "changed"
	if diff := cmp.Diff(ptr.To(""), es.Ports[1].Name); diff != "" {
		t.Errorf("second port's name changed with the first (-want +got):\n%s", diff)
	}
}

func TestSchemeDefault(t *testing.T) {
	s := runtime.NewScheme()
	if err := discoveryv1.AddToScheme(s); err != nil {
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
			name: "endpoint slice list",
			in:   &discoveryv1.EndpointSliceList{Items: []discoveryv1.EndpointSlice{{Ports: []discoveryv1.EndpointPort{{}}}}},
			want: &discoveryv1.EndpointSliceList{Items: []discoveryv1.EndpointSlice{{
				Ports: []discoveryv1.EndpointPort{{Name: ptr.To(""), Protocol: ptr.To(corev1.ProtocolTCP)}},
			}}},
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
