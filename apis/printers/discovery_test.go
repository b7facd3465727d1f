package printers

import (
	"testing"

	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
)

func TestEndpointSlices(t *testing.T) {
	testRows(t, schema.GroupResource{Group: "discovery.k8s.io", Resource: "endpointslices"},
		[]string{"Name", "AddressType", "Ports", "Endpoints", "Age"},
		[]rowCase{
			{
				name: "empty",
				obj:  &discoveryv1.EndpointSlice{ObjectMeta: objectMeta("web-x"), AddressType: discoveryv1.AddressTypeIPv4},
				row:  []any{"web-x", "IPv4", "<unset>", "<unset>", "3h"},
			},
			{
				name: "more than three",
				obj: &discoveryv1.EndpointSlice{ObjectMeta: objectMeta("web-x"), AddressType: discoveryv1.AddressTypeIPv4,
					Ports: []discoveryv1.EndpointPort{{Port: ptr.To[int32](80)}, {Name: ptr.To("metrics")}, {}, {Port: ptr.To[int32](443)}},
					Endpoints: []discoveryv1.Endpoint{
						{Addresses: []string{"10.244.0.1"}}, {Addresses: []string{"10.244.0.2", "10.244.0.3"}}, {Addresses: []string{"10.244.0.4"}}}},
				row: []any{"web-x", "IPv4", "80,metrics,* + 1 more...", "10.244.0.1,10.244.0.2,10.244.0.3 + 1 more...", "3h"},
			},
		})
}
