package service

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	corev1apply "k8s.io/client-go/applyconfigurations/core/v1"
	"k8s.io/client-go/kubernetes"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/test/integration/framework"
)

// The shared server's service range is the default, 10.96.0.0/12, and its
// node ports 30000-32767. Dynamic allocation leaves the lower bands
// (10.96.0.1-10.96.1.0, 30000-30085) alone, so tests that ask for values
// take them there, each test its own.

func newClient(t *testing.T) (typedcorev1.ServiceInterface, string) {
	t.Helper()
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ns := framework.Namespace(t, client)
	return client.CoreV1().Services(ns), ns
}

func service(name string, mutate ...func(*corev1.Service)) *corev1.Service {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": name},
			Ports:    []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}},
		},
	}
	for _, m := range mutate {
		m(svc)
	}
	return svc
}

func clusterIP(ip string) func(*corev1.Service) {
	return func(s *corev1.Service) { s.Spec.ClusterIP = ip }
}

func nodePortType(s *corev1.Service) { s.Spec.Type = corev1.ServiceTypeNodePort }

func nodePort(port int32) func(*corev1.Service) {
	return func(s *corev1.Service) { s.Spec.Type = corev1.ServiceTypeNodePort; s.Spec.Ports[0].NodePort = port }
}

// wantInvalid fails unless err is a 422 whose message has want.
func wantInvalid(t *testing.T, err error, want string) {
	t.Helper()
	if !apierrors.IsInvalid(err) {
		t.Fatalf("error = %v, want 422 Invalid with %q", err, want)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error = %q, want it to contain %q", err.Error(), want)
	}
}

func create(t *testing.T, services typedcorev1.ServiceInterface, svc *corev1.Service) *corev1.Service {
	t.Helper()
	out, err := services.Create(context.Background(), svc, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create %s: %v", svc.Name, err)
	}
	return out
}

var (
	_, serviceCIDR, _ = net.ParseCIDR("10.96.0.0/12")
	_, lowerBand, _   = net.ParseCIDR("10.96.0.0/24") // and 10.96.1.0
)

func TestClusterIPAllocated(t *testing.T) {
	services, _ := newClient(t)
	seen := map[string]bool{}
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		svc := create(t, services, service(name))
		ip := net.ParseIP(svc.Spec.ClusterIP)
		if ip == nil || !serviceCIDR.Contains(ip) || lowerBand.Contains(ip) || ip.Equal(net.ParseIP("10.96.1.0")) {
			t.Errorf("%s: clusterIP %q, want an address of 10.96.0.0/12 above 10.96.1.0", name, svc.Spec.ClusterIP)
		}
		if seen[svc.Spec.ClusterIP] {
			t.Errorf("%s: clusterIP %s handed out twice", name, svc.Spec.ClusterIP)
		}
		seen[svc.Spec.ClusterIP] = true
		type fields struct {
			ClusterIPs     []string
			IPFamilies     []corev1.IPFamily
			IPFamilyPolicy *corev1.IPFamilyPolicy
			NodePort       int32
		}
		want := fields{[]string{svc.Spec.ClusterIP}, []corev1.IPFamily{corev1.IPv4Protocol}, ptr.To(corev1.IPFamilyPolicySingleStack), 0}
		got := fields{svc.Spec.ClusterIPs, svc.Spec.IPFamilies, svc.Spec.IPFamilyPolicy, svc.Spec.Ports[0].NodePort}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
}

func TestRequestedClusterIP(t *testing.T) {
	services, _ := newClient(t)
	svc := create(t, services, service("first", clusterIP("10.96.0.100")))
	if diff := cmp.Diff([]string{"10.96.0.100"}, svc.Spec.ClusterIPs); diff != "" {
		t.Errorf("clusterIPs (-want +got):\n%s", diff)
	}
	_, err := services.Create(context.Background(), service("second", clusterIP("10.96.0.100")), metav1.CreateOptions{})
	wantInvalid(t, err, `spec.clusterIPs: Invalid value: ["10.96.0.100"]: failed to allocate IP 10.96.0.100: provided IP is already allocated`)

	_, err = services.Create(context.Background(), service("outside", clusterIP("10.0.0.5")), metav1.CreateOptions{})
	wantInvalid(t, err, `spec.clusterIPs: Invalid value: ["10.0.0.5"]: failed to allocate IP 10.0.0.5: the provided network does not match the current range`)
	_, err = services.Create(context.Background(), service("broadcast", clusterIP("10.111.255.255")), metav1.CreateOptions{})
	wantInvalid(t, err, `failed to allocate IP 10.111.255.255: the provided IP (10.111.255.255) is not in the valid range. The range of valid IPs is 10.96.0.0/12`)
	_, err = services.Create(context.Background(), service("ipv6", clusterIP("fd00::1")), metav1.CreateOptions{})
	wantInvalid(t, err, `spec.clusterIPs[0]: Invalid value: ["fd00::1"]: IPv6 is not configured on this cluster`)
}

// TestRequestedClusterIPRace: of creates racing for one address, one wins.
func TestRequestedClusterIPRace(t *testing.T) {
	services, _ := newClient(t)
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = services.Create(context.Background(), service("racer-"+string(rune('a'+i)), clusterIP("10.96.0.120")), metav1.CreateOptions{})
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "provided IP is already allocated"):
			t.Errorf("create: %v, want success or 422 already allocated", err)
		}
	}
	if won != 1 {
		t.Errorf("%d creates got 10.96.0.120, want 1", won)
	}
}

func TestHeadlessAndExternalName(t *testing.T) {
	services, _ := newClient(t)
	headless := create(t, services, service("headless", clusterIP(corev1.ClusterIPNone)))
	external := create(t, services, service("external", func(s *corev1.Service) {
		s.Spec.Type = corev1.ServiceTypeExternalName
		s.Spec.ExternalName = "example.com"
		s.Spec.Selector, s.Spec.Ports = nil, nil
	}))
	type fields struct {
		ClusterIP      string
		ClusterIPs     []string
		IPFamilies     []corev1.IPFamily
		IPFamilyPolicy *corev1.IPFamilyPolicy
	}
	got := []fields{
		{headless.Spec.ClusterIP, headless.Spec.ClusterIPs, headless.Spec.IPFamilies, headless.Spec.IPFamilyPolicy},
		{external.Spec.ClusterIP, external.Spec.ClusterIPs, external.Spec.IPFamilies, external.Spec.IPFamilyPolicy},
	}
	want := []fields{
		{"None", []string{"None"}, []corev1.IPFamily{corev1.IPv4Protocol}, ptr.To(corev1.IPFamilyPolicySingleStack)},
		{},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("headless, external name (-want +got):\n%s", diff)
	}
}

func TestNodePorts(t *testing.T) {
	services, _ := newClient(t)
	svc := create(t, services, service("auto", nodePortType))
	if p := svc.Spec.Ports[0].NodePort; p < 30086 || p > 32767 {
		t.Errorf("nodePort %d, want one of 30086-32767", p)
	}
	if svc.Spec.ClusterIP == "" {
		t.Error("a NodePort service has no cluster IP")
	}
	svc = create(t, services, service("requested", nodePort(30010)))
	if p := svc.Spec.Ports[0].NodePort; p != 30010 {
		t.Errorf("nodePort %d, want the requested 30010", p)
	}
	_, err := services.Create(context.Background(), service("conflict", nodePort(30010)), metav1.CreateOptions{})
	wantInvalid(t, err, `spec.ports[0].nodePort: Invalid value: 30010: provided port is already allocated`)
	_, err = services.Create(context.Background(), service("outside", nodePort(29999)), metav1.CreateOptions{})
	wantInvalid(t, err, `spec.ports[0].nodePort: Invalid value: 29999: provided port is not in the valid range. The range of valid ports is 30000-32767`)

	lb := create(t, services, service("lb", func(s *corev1.Service) {
		s.Spec.Type = corev1.ServiceTypeLoadBalancer
		s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
	}))
	if lb.Spec.Ports[0].NodePort == 0 || lb.Spec.HealthCheckNodePort == 0 || lb.Spec.HealthCheckNodePort == lb.Spec.Ports[0].NodePort {
		t.Errorf("load balancer nodePort %d, healthCheckNodePort %d; want two node ports", lb.Spec.Ports[0].NodePort, lb.Spec.HealthCheckNodePort)
	}
}

// TestTypeChangeReleases: a service that stops needing node ports or a
// cluster IP gives them back, and another service can take them.
func TestTypeChangeReleases(t *testing.T) {
	ctx := context.Background()
	services, _ := newClient(t)
	svc := create(t, services, service("np", nodePort(30020), clusterIP("10.96.0.130")))
	svc.Spec.Type = corev1.ServiceTypeClusterIP
	svc, err := services.Update(ctx, svc, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("update to ClusterIP: %v", err)
	}
	if svc.Spec.Ports[0].NodePort != 0 || svc.Spec.ClusterIP != "10.96.0.130" {
		t.Errorf("after NodePort→ClusterIP: nodePort %d, clusterIP %s; want 0, 10.96.0.130", svc.Spec.Ports[0].NodePort, svc.Spec.ClusterIP)
	}
	create(t, services, service("np-taker", nodePort(30020)))

	svc.Spec.Type = corev1.ServiceTypeExternalName
	svc.Spec.ExternalName = "example.com"
	svc, err = services.Update(ctx, svc, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("update to ExternalName: %v", err)
	}
	if svc.Spec.ClusterIP != "" || svc.Spec.ClusterIPs != nil || svc.Spec.IPFamilies != nil {
		t.Errorf("after ClusterIP→ExternalName: clusterIP %q, clusterIPs %v, ipFamilies %v; want none", svc.Spec.ClusterIP, svc.Spec.ClusterIPs, svc.Spec.IPFamilies)
	}
	create(t, services, service("ip-taker", clusterIP("10.96.0.130")))

	// Back from ExternalName, a cluster IP again.
	svc.Spec.Type = corev1.ServiceTypeClusterIP
	svc.Spec.ExternalName = ""
	svc, err = services.Update(ctx, svc, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("update to ClusterIP: %v", err)
	}
	if ip := net.ParseIP(svc.Spec.ClusterIP); ip == nil || !serviceCIDR.Contains(ip) {
		t.Errorf("after ExternalName→ClusterIP: clusterIP %q, want one of 10.96.0.0/12", svc.Spec.ClusterIP)
	}
}

func TestClusterIPImmutable(t *testing.T) {
	services, _ := newClient(t)
	svc := create(t, services, service("fixed", clusterIP("10.96.0.140")))
	svc.Spec.ClusterIP = "10.96.0.141"
	_, err := services.Update(context.Background(), svc, metav1.UpdateOptions{})
	wantInvalid(t, err, `spec.clusterIPs[0]: Invalid value: ["10.96.0.141"]: may not change once set`)
	// Nothing was taken for the rejected address.
	create(t, services, service("taker", clusterIP("10.96.0.141")))
}

func TestDeleteReleases(t *testing.T) {
	ctx := context.Background()
	services, _ := newClient(t)
	create(t, services, service("gone", clusterIP("10.96.0.150"), nodePort(30030)))
	if err := services.Delete(ctx, "gone", metav1.DeleteOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
		t.Fatalf("dry-run delete: %v", err)
	}
	_, err := services.Create(ctx, service("too-early", clusterIP("10.96.0.150")), metav1.CreateOptions{})
	wantInvalid(t, err, "provided IP is already allocated")
	if err := services.Delete(ctx, "gone", metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	create(t, services, service("taker", clusterIP("10.96.0.150"), nodePort(30030)))
}

func TestDryRun(t *testing.T) {
	ctx := context.Background()
	services, _ := newClient(t)
	dryRun := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}

	svc, err := services.Create(ctx, service("dry", nodePortType), dryRun)
	if err != nil {
		t.Fatalf("dry-run create: %v", err)
	}
	if svc.Spec.ClusterIP == "" || svc.Spec.Ports[0].NodePort == 0 || len(svc.Spec.IPFamilies) != 1 || svc.Spec.IPFamilyPolicy == nil {
		t.Errorf("dry-run create answered clusterIP %q, nodePort %d, ipFamilies %v, ipFamilyPolicy %v; want them filled in",
			svc.Spec.ClusterIP, svc.Spec.Ports[0].NodePort, svc.Spec.IPFamilies, svc.Spec.IPFamilyPolicy)
	}
	// The answer's values were not taken.
	create(t, services, service("real", clusterIP(svc.Spec.ClusterIP), nodePort(svc.Spec.Ports[0].NodePort)))

	svc, err = services.Create(ctx, service("dry-requested", clusterIP("10.96.0.160"), nodePort(30040)), dryRun)
	if err != nil {
		t.Fatalf("dry-run create: %v", err)
	}
	if svc.Spec.ClusterIP != "10.96.0.160" || svc.Spec.Ports[0].NodePort != 30040 {
		t.Errorf("dry-run create answered %s:%d, want the requested 10.96.0.160:30040", svc.Spec.ClusterIP, svc.Spec.Ports[0].NodePort)
	}
	held := create(t, services, service("requested", clusterIP("10.96.0.160"), nodePort(30040)))
	_, err = services.Create(ctx, service("dry-conflict", clusterIP("10.96.0.160")), dryRun)
	wantInvalid(t, err, "provided IP is already allocated")
	_, err = services.Create(ctx, service("dry-conflict", nodePort(30040)), dryRun)
	wantInvalid(t, err, "provided port is already allocated")

	// A dry-run update that would release node ports keeps them.
	held.Spec.Type = corev1.ServiceTypeClusterIP
	if _, err := services.Update(ctx, held, metav1.UpdateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
		t.Fatalf("dry-run update: %v", err)
	}
	_, err = services.Create(ctx, service("too-early", nodePort(30040)), metav1.CreateOptions{})
	wantInvalid(t, err, "provided port is already allocated")
}

// TestRollback: a write that fails after the allocation gives back what it
// took.
func TestRollback(t *testing.T) {
	ctx := context.Background()
	services, _ := newClient(t)

	// The store refuses the create: the name is taken.
	create(t, services, service("dup"))
	_, err := services.Create(ctx, service("dup", clusterIP("10.96.0.170"), nodePort(30050)), metav1.CreateOptions{})
	if !apierrors.IsAlreadyExists(err) {
		t.Fatalf("second create of dup: %v, want AlreadyExists", err)
	}
	create(t, services, service("after-dup", clusterIP("10.96.0.170"), nodePort(30050)))

	// Validation refuses the create after the allocation.
	bad := func(s *corev1.Service) { s.Spec.Selector = map[string]string{"app": "not a label value!"} }
	_, err = services.Create(ctx, service("invalid", clusterIP("10.96.0.171"), nodePort(30051), bad), metav1.CreateOptions{})
	wantInvalid(t, err, "spec.selector")
	create(t, services, service("after-invalid", clusterIP("10.96.0.171"), nodePort(30051)))

	// Validation refuses an update that would have taken a node port.
	svc := create(t, services, service("update"))
	svc.Spec.Type = corev1.ServiceTypeNodePort
	svc.Spec.Ports[0].NodePort = 30052
	bad(svc)
	_, err = services.Update(ctx, svc, metav1.UpdateOptions{})
	wantInvalid(t, err, "spec.selector")
	create(t, services, service("after-update", nodePort(30052)))
}

// TestApply: server-side apply creates a service through an update, and
// applying the same manifest again keeps what was allocated.
func TestApply(t *testing.T) {
	ctx := context.Background()
	services, ns := newClient(t)
	manifest := corev1apply.Service("applied", ns).WithSpec(corev1apply.ServiceSpec().
		WithType(corev1.ServiceTypeNodePort).
		WithSelector(map[string]string{"app": "applied"}).
		WithPorts(corev1apply.ServicePort().WithName("http").WithPort(80)))
	opts := metav1.ApplyOptions{FieldManager: "test", Force: true}
	first, err := services.Apply(ctx, manifest, opts)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if first.Spec.ClusterIP == "" || first.Spec.Ports[0].NodePort == 0 {
		t.Fatalf("applied service has clusterIP %q, nodePort %d", first.Spec.ClusterIP, first.Spec.Ports[0].NodePort)
	}
	again, err := services.Apply(ctx, manifest, opts)
	if err != nil {
		t.Fatalf("apply again: %v", err)
	}
	if again.Spec.ClusterIP != first.Spec.ClusterIP || again.Spec.Ports[0].NodePort != first.Spec.Ports[0].NodePort {
		t.Errorf("applying again moved the service from %s:%d to %s:%d", first.Spec.ClusterIP, first.Spec.Ports[0].NodePort,
			again.Spec.ClusterIP, again.Spec.Ports[0].NodePort)
	}
	_, err = services.Create(ctx, service("taker", clusterIP(first.Spec.ClusterIP)), metav1.CreateOptions{})
	wantInvalid(t, err, "provided IP is already allocated")
}
