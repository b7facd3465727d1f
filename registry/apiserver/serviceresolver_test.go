package apiserver

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
)

// TestServiceResolver: webhooks and aggregated APIs are reached at their
// service's cluster IP (never through a DNS name the host would be asked
// for), and the kubernetes service is this server over loopback.
func TestServiceResolver(t *testing.T) {
	indexer := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	for _, s := range []*corev1.Service{
		{
			ObjectMeta: metav1.ObjectMeta{Name: "webhook", Namespace: "ns"},
			Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, ClusterIP: "10.96.7.8",
				Ports: []corev1.ServicePort{{Port: 443}}},
		},
		{
			ObjectMeta: metav1.ObjectMeta{Name: "kubernetes", Namespace: "default"},
			Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, ClusterIP: "10.96.0.1",
				Ports: []corev1.ServicePort{{Port: 443}}},
		},
	} {
		if err := indexer.Add(s); err != nil {
			t.Fatal(err)
		}
	}
	resolver, err := serviceResolver(corelisters.NewServiceLister(indexer), &rest.Config{Host: "https://127.0.0.1:6443"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		namespace, name string
		port            int32
		want            string
		wantErr         bool
	}{
		{namespace: "ns", name: "webhook", port: 443, want: "https://10.96.7.8:443"},
		{namespace: "default", name: "kubernetes", port: 443, want: "https://127.0.0.1:6443"},
		{namespace: "ns", name: "missing", port: 443, wantErr: true},
		{namespace: "ns", name: "webhook", port: 8443, wantErr: true},
	}
	for _, tt := range tests {
		u, err := resolver.ResolveEndpoint(tt.namespace, tt.name, tt.port)
		if tt.wantErr {
			if err == nil {
				t.Errorf("%s/%s:%d: got %v, want an error", tt.namespace, tt.name, tt.port, u)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s/%s:%d: %v", tt.namespace, tt.name, tt.port, err)
			continue
		}
		if got := u.String(); got != tt.want {
			t.Errorf("%s/%s:%d: got %s, want %s", tt.namespace, tt.name, tt.port, got, tt.want)
		}
	}
}
