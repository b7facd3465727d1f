package apiserver

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeshim/kubeshim/test/integration/framework"
)

func TestServiceCIDRDefault(t *testing.T) {
	ctx := context.Background()
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	// The server is ready only after its bootstrap: no waiting.
	sc, err := client.NetworkingV1().ServiceCIDRs().Get(ctx, "kubernetes", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("default ServiceCIDR: %v", err)
	}
	svc, err := client.CoreV1().Services(metav1.NamespaceDefault).Get(ctx, "kubernetes", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("kubernetes service: %v", err)
	}
	if len(sc.Spec.CIDRs) != 1 {
		t.Fatalf("default ServiceCIDR CIDRs = %v, want the service range", sc.Spec.CIDRs)
	}
	if !apimeta.IsStatusConditionTrue(sc.Status.Conditions, networkingv1.ServiceCIDRConditionReady) {
		t.Errorf("default ServiceCIDR conditions = %+v, want Ready=True", sc.Status.Conditions)
	}
	// The kubernetes service's address has its IPAddress too.
	waitIPAddress(t, client, svc.Spec.ClusterIP, func(ip *networkingv1.IPAddress, err error) bool {
		return err == nil && ip.Spec.ParentRef != nil && ip.Spec.ParentRef.Name == "kubernetes"
	})
}

func TestServiceIPAddress(t *testing.T) {
	ctx := context.Background()
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ns := framework.Namespace(t, client)
	services := client.CoreV1().Services(ns)
	svc, err := services.Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create service: %v", err)
	}
	var got *networkingv1.IPAddress
	waitIPAddress(t, client, svc.Spec.ClusterIP, func(ip *networkingv1.IPAddress, err error) bool {
		got = ip
		return err == nil
	})
	wantLabels := map[string]string{
		"ipaddress.kubernetes.io/ip-family":  "IPv4",
		"ipaddress.kubernetes.io/managed-by": "ipallocator.k8s.io",
	}
	if diff := cmp.Diff(wantLabels, got.Labels); diff != "" {
		t.Errorf("IPAddress labels (-want +got):\n%s", diff)
	}
	wantRef := &networkingv1.ParentReference{Resource: "services", Namespace: ns, Name: "web"}
	if diff := cmp.Diff(wantRef, got.Spec.ParentRef); diff != "" {
		t.Errorf("IPAddress parentRef (-want +got):\n%s", diff)
	}

	if err := services.Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete service: %v", err)
	}
	waitIPAddress(t, client, svc.Spec.ClusterIP, func(_ *networkingv1.IPAddress, err error) bool {
		return apierrors.IsNotFound(err)
	})
}

func TestServiceCIDRCRUD(t *testing.T) {
	ctx := context.Background()
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	api := client.NetworkingV1().ServiceCIDRs()
	sc, err := api.Create(ctx, &networkingv1.ServiceCIDR{
		ObjectMeta: metav1.ObjectMeta{Name: "test-svc-cidr"},
		Spec:       networkingv1.ServiceCIDRSpec{CIDRs: []string{"203.0.113.0/24"}},
		// A create request's status is dropped.
		Status: networkingv1.ServiceCIDRStatus{Conditions: []metav1.Condition{{
			Type: "Ready", Status: metav1.ConditionTrue, Reason: "Mine", LastTransitionTime: metav1.Now(),
		}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create ServiceCIDR: %v", err)
	}
	t.Cleanup(func() { _ = api.Delete(ctx, "test-svc-cidr", metav1.DeleteOptions{}) })
	if len(sc.Status.Conditions) != 0 {
		t.Errorf("created ServiceCIDR status = %+v, want none", sc.Status)
	}

	sc.Spec.CIDRs = []string{"198.51.100.0/24"}
	if _, err := api.Update(ctx, sc, metav1.UpdateOptions{}); !apierrors.IsInvalid(err) {
		t.Errorf("change a CIDR: err = %v, want Invalid (immutable)", err)
	}
	sc.Spec.CIDRs = []string{"203.0.113.0/24", "2001:db8:cb00::/64"}
	sc, err = api.Update(ctx, sc, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("add an IPv6 CIDR: %v", err)
	}

	gotList, err := api.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	names := map[string]bool{}
	for _, item := range gotList.Items {
		names[item.Name] = true
	}
	if !names["kubernetes"] || !names["test-svc-cidr"] {
		t.Errorf("listed ServiceCIDRs %v, want kubernetes and test-svc-cidr", names)
	}

	if _, err := api.Create(ctx, &networkingv1.ServiceCIDR{
		ObjectMeta: metav1.ObjectMeta{Name: "bad"},
		Spec:       networkingv1.ServiceCIDRSpec{CIDRs: []string{"10.0.0.0/24", "10.1.0.0/24"}},
	}, metav1.CreateOptions{}); !apierrors.IsInvalid(err) {
		t.Errorf("two IPv4 CIDRs: err = %v, want Invalid", err)
	}

	if err := api.Delete(ctx, sc.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := api.Get(ctx, sc.Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("get after delete: err = %v, want NotFound", err)
	}
}

func waitIPAddress(t *testing.T, client kubernetes.Interface, name string, done func(*networkingv1.IPAddress, error) bool) {
	t.Helper()
	var last error
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		ip, err := client.NetworkingV1().IPAddresses().Get(ctx, name, metav1.GetOptions{})
		last = err
		return done(ip, err), nil
	})
	if err != nil {
		t.Fatalf("IPAddress %s: not as wanted (last error %v): %v", name, last, err)
	}
}
