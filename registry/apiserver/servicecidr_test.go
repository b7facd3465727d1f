package apiserver

import (
	"context"
	"net/netip"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	corelisters "k8s.io/client-go/listers/core/v1"
	networkinglisters "k8s.io/client-go/listers/networking/v1"
	"k8s.io/client-go/tools/cache"
)

func svc(ns, name string, ips ...string) *corev1.Service {
	return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: corev1.ServiceSpec{ClusterIPs: ips}}
}

func managed(ip, ns, name string) *networkingv1.IPAddress {
	return ipAddressFor(svc(ns, name), mustAddr(ip))
}

func TestIPAddressMirrorSync(t *testing.T) {
	foreign := &networkingv1.IPAddress{ObjectMeta: metav1.ObjectMeta{Name: "10.96.0.50"},
		Spec: networkingv1.IPAddressSpec{ParentRef: &networkingv1.ParentReference{Group: "example.com", Resource: "gateways", Name: "gw"}}}
	tests := []struct {
		name      string
		services  []*corev1.Service
		addresses []*networkingv1.IPAddress
		want      map[string]string // IPAddress name → parent namespace/name
	}{
		{
			name:     "missing addresses are created; headless and ExternalName hold none",
			services: []*corev1.Service{svc("default", "kubernetes", "10.96.0.1"), svc("ns", "web", "fd00::0:a"), svc("ns", "headless", "None"), svc("ns", "ext")},
			want:     map[string]string{"10.96.0.1": "default/kubernetes", "fd00::a": "ns/web"},
		},
		{
			name:      "orphans the allocator manages are deleted, others kept",
			services:  []*corev1.Service{svc("ns", "web", "10.96.0.50")},
			addresses: []*networkingv1.IPAddress{managed("10.96.0.7", "ns", "gone"), foreign},
			want:      map[string]string{"10.96.0.50": "/gw"},
		},
		{
			name:      "an address that moved to another service is deleted, to be created again for its new service on the next pass",
			services:  []*corev1.Service{svc("ns", "new", "10.96.0.7")},
			addresses: []*networkingv1.IPAddress{managed("10.96.0.7", "ns", "old")},
			want:      map[string]string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var objs []runtime.Object
			svcs := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
			for _, s := range tt.services {
				_ = svcs.Add(s)
			}
			addrs := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
			for _, a := range tt.addresses {
				_ = addrs.Add(a)
				objs = append(objs, a)
			}
			client := fake.NewClientset(objs...)
			m := &ipAddressMirror{client: client, services: corelisters.NewServiceLister(svcs), addresses: networkinglisters.NewIPAddressLister(addrs)}
			if err := m.sync(context.Background()); err != nil {
				t.Fatalf("sync: %v", err)
			}
			list, err := client.NetworkingV1().IPAddresses().List(context.Background(), metav1.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, ip := range list.Items {
				got[ip.Name] = ip.Spec.ParentRef.Namespace + "/" + ip.Spec.ParentRef.Name
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("IPAddresses (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDefaultServiceCIDRSync(t *testing.T) {
	client := fake.NewClientset()
	d := &defaultServiceCIDR{client: client, cidrs: []string{"10.96.0.0/12"}}
	for range 2 { // the second pass changes nothing
		if err := d.sync(context.Background()); err != nil {
			t.Fatalf("sync: %v", err)
		}
	}
	sc, err := client.NetworkingV1().ServiceCIDRs().Get(context.Background(), "kubernetes", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	type cond struct{ Type, Status, Reason, Message string }
	var got []cond
	for _, c := range sc.Status.Conditions {
		got = append(got, cond{c.Type, string(c.Status), c.Reason, c.Message})
	}
	sort.Slice(got, func(i, j int) bool { return got[i].Type < got[j].Type })
	want := []cond{{Type: "Ready", Status: "True", Message: "Kubernetes default Service CIDR is ready"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("conditions (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"10.96.0.0/12"}, sc.Spec.CIDRs); diff != "" {
		t.Errorf("CIDRs (-want +got):\n%s", diff)
	}
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }
