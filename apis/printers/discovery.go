package printers

import (
	"strconv"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var endpointSlices = printer[*discoveryv1.EndpointSlice]{
	header: []metav1.TableColumnDefinition{
		nameColumn,
		text("AddressType", discoveryv1.EndpointSlice{}.SwaggerDoc()["addressType"]),
		text("Ports", discoveryv1.EndpointSlice{}.SwaggerDoc()["ports"]),
		text("Endpoints", discoveryv1.EndpointSlice{}.SwaggerDoc()["endpoints"]),
		ageColumn,
	},
	cells: func(c clock, es *discoveryv1.EndpointSlice) []any {
		// A port without a number (every port of the endpoints) is "*".
		ports := make([]string, len(es.Ports))
		for i, p := range es.Ports {
			switch {
			case p.Port != nil:
				ports[i] = strconv.Itoa(int(*p.Port))
			case p.Name != nil:
				ports[i] = *p.Name
			default:
				ports[i] = "*"
			}
		}
		var addresses []string
		for _, e := range es.Endpoints {
			addresses = append(addresses, e.Addresses...)
		}
		return []any{es.Name, string(es.AddressType), firstOf(ports, 3), firstOf(addresses, 3), c.since(es.CreationTimestamp)}
	},
}
