package discovery

import (
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
)

// addDefaultingFuncs registers upstream's defaults for the v1 kinds, as
// k8s.io/kubernetes v1.37 pkg/apis/discovery/v1 applies them.
func addDefaultingFuncs(s *runtime.Scheme) error {
	s.AddTypeDefaultingFunc(&discoveryv1.EndpointSlice{}, func(obj any) { SetObjectDefaultsEndpointSlice(obj.(*discoveryv1.EndpointSlice)) })
	s.AddTypeDefaultingFunc(&discoveryv1.EndpointSliceList{}, func(obj any) {
		defaultEach(obj.(*discoveryv1.EndpointSliceList).Items, SetObjectDefaultsEndpointSlice)
	})
	return nil
}

// SetObjectDefaultsEndpointSlice gives each port an empty name and the TCP
// protocol when unset. Each port gets pointers of its own: upstream shares
// package variables, which a later in-place edit would corrupt.
func SetObjectDefaultsEndpointSlice(es *discoveryv1.EndpointSlice) {
	for i := range es.Ports {
		p := &es.Ports[i]
		if p.Name == nil {
			p.Name = ptr.To("")
		}
		if p.Protocol == nil {
			p.Protocol = ptr.To(corev1.ProtocolTCP)
		}
	}
}

// defaultEach defaults each item of a list in place.
func defaultEach[T any](items []T, setDefaults func(*T)) {
	for i := range items {
		setDefaults(&items[i])
	}
}
