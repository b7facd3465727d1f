package service

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/utils/ptr"
)

type getter struct {
	resource schema.GroupResource
	objects  map[string]runtime.Object
}

func (g getter) Get(_ context.Context, name string, _ *metav1.GetOptions) (runtime.Object, error) {
	if o, ok := g.objects[name]; ok {
		return o, nil
	}
	return nil, apierrors.NewNotFound(g.resource, name)
}

type sliceGetter map[string][]*discoveryv1.EndpointSlice

func (s sliceGetter) GetEndpointSlices(namespace, service string) ([]*discoveryv1.EndpointSlice, error) {
	return s[namespace+"/"+service], nil
}

func endpoint(ip, pod string, ready bool) discoveryv1.Endpoint {
	ep := discoveryv1.Endpoint{Addresses: []string{ip}, Conditions: discoveryv1.EndpointConditions{Ready: &ready}}
	if pod != "" {
		ep.TargetRef = &corev1.ObjectReference{Kind: "Pod", Namespace: "ns", Name: pod}
	}
	return ep
}

func TestProxyResourceLocation(t *testing.T) {
	services := getter{corev1.Resource("services"), map[string]runtime.Object{
		"web": &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns"}, Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{
			{Name: "http", Port: 80}, {Name: "metrics", Port: 9090},
		}}},
	}}
	pod := func(name, ip string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"}, Status: corev1.PodStatus{PodIPs: []corev1.PodIP{{IP: ip}}}}
	}
	pods := getter{corev1.Resource("pods"), map[string]runtime.Object{"web-1": pod("web-1", "10.244.0.5"), "web-2": pod("web-2", "10.244.0.6")}}
	slice := func(port string, number int32, eps ...discoveryv1.Endpoint) *discoveryv1.EndpointSlice {
		return &discoveryv1.EndpointSlice{AddressType: discoveryv1.AddressTypeIPv4, Endpoints: eps,
			Ports: []discoveryv1.EndpointPort{{Name: ptr.To(port), Port: ptr.To(number)}}}
	}
	slices := sliceGetter{
		"ns/web": {
			slice("http", 8080, endpoint("10.244.0.5", "web-1", true), endpoint("10.244.0.6", "web-2", false)),
			slice("metrics", 9100, endpoint("10.244.0.9", "web-1", true), endpoint("10.244.0.6", "web-2", true)),
		},
		"ns/stray": {slice("", 80, endpoint("10.244.0.7", "", true), endpoint("10.244.0.5", "ghost", true))},
	}
	r := NewProxyREST(services, pods, slices, corev1.IPv4Protocol, nil)
	type result struct{ URL, Err string }
	tests := []struct {
		name, id string
		want     result
	}{
		{name: "ready endpoint of the named port", id: "web:http", want: result{URL: "//10.244.0.5:8080"}},
		{name: "a port number is the service port's", id: "https:web:80", want: result{URL: "https://10.244.0.5:8080"}},
		{name: "an endpoint whose IP is not its pod's is skipped", id: "web:metrics", want: result{URL: "//10.244.0.6:9100"}},
		{name: "unnamed port", id: "web", want: result{Err: `no endpoints available for service "web"`}},
		{name: "unknown port number", id: "web:81", want: result{Err: `no service port 81 found for service "web"`}},
		{name: "endpoints that are not pods", id: "stray", want: result{Err: `no endpoints available for service "stray"`}},
		{name: "no slices", id: "none", want: result{Err: `no endpoints available for service "none"`}},
		{name: "missing service with a port number", id: "none:80", want: result{Err: `services "none" not found`}},
		{name: "invalid id", id: "a:b:c:d", want: result{Err: `invalid service request "a:b:c:d"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := genericapirequest.WithNamespace(context.Background(), "ns")
			loc, err := r.ResourceLocation(ctx, tt.id)
			var got result
			if err != nil {
				got.Err = err.Error()
			} else {
				got.URL = loc.String()
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("location (-want +got):\n%s", diff)
			}
		})
	}
}
