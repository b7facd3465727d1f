package service

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeshim/kubeshim/registry/apiserver"
	"github.com/kubeshim/kubeshim/test/integration/framework"
)

// TestRestartRestoresAllocations: a server that starts on stored services
// knows what they hold.
func TestRestartRestoresAllocations(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	start := func() (*framework.Server, kubernetes.Interface) {
		t.Helper()
		s, err := framework.Start(func(o *apiserver.Options) { o.DataDir = dir })
		if err != nil {
			t.Fatalf("start API server: %v", err)
		}
		return s, kubernetes.NewForConfigOrDie(s.Config)
	}

	server, client := start()
	services := client.CoreV1().Services(metav1.NamespaceDefault)
	requested := create(t, services, service("requested", clusterIP("10.96.0.200"), nodePort(30060)))
	dynamic := create(t, services, service("dynamic", nodePortType))
	lb, err := services.Create(ctx, service("lb", func(s *corev1.Service) {
		s.Spec.Type = corev1.ServiceTypeLoadBalancer
		s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
	}), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create lb: %v", err)
	}
	if err := server.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}

	server, client = start()
	defer server.Stop()
	services = client.CoreV1().Services(metav1.NamespaceDefault)
	for _, ip := range []string{requested.Spec.ClusterIP, dynamic.Spec.ClusterIP, lb.Spec.ClusterIP} {
		_, err := services.Create(ctx, service("ip-taker", clusterIP(ip)), metav1.CreateOptions{})
		wantInvalid(t, err, "provided IP is already allocated")
	}
	for _, port := range []int32{requested.Spec.Ports[0].NodePort, dynamic.Spec.Ports[0].NodePort, lb.Spec.Ports[0].NodePort, lb.Spec.HealthCheckNodePort} {
		_, err := services.Create(ctx, service("port-taker", nodePort(port)), metav1.CreateOptions{})
		wantInvalid(t, err, "provided port is already allocated")
	}
	// What the restarted server releases is free again.
	if err := services.Delete(ctx, "requested", metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	create(t, services, service("taker", clusterIP("10.96.0.200"), nodePort(30060)))
}
