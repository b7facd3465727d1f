package controllers

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/test/integration/framework"
)

// endpointsNode creates a node for the test's pods to name, with a zone, that
// the scheduler leaves alone (unschedulable): the endpointslice controller
// leaves out pods whose node does not exist.
func endpointsNode(t *testing.T, client kubernetes.Interface, ns string) string {
	t.Helper()
	name := "node-" + ns
	_, err := client.CoreV1().Nodes().Create(context.Background(), &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{corev1.LabelTopologyZone: "zone-a"}},
		Spec: corev1.NodeSpec{
			Unschedulable: true,
			Taints:        []corev1.Taint{{Key: "kubeshim.test/endpoints", Effect: corev1.TaintEffectNoSchedule}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create node: %v", err)
	}
	t.Cleanup(func() { _ = client.CoreV1().Nodes().Delete(context.Background(), name, metav1.DeleteOptions{}) })
	return name
}

type testPod struct {
	name, app, ip string
	ports         map[string]int32
	ready         bool
	hostname      string
	subdomain     string
}

// runPod creates a pod bound to node and plays its node agent: status
// Running with the IP (if any) and Ready condition given. A long grace period keeps
// it terminating once deleted; cleanup deletes it for good.
func runPod(t *testing.T, client kubernetes.Interface, ns, node string, tp testPod) *corev1.Pod {
	t.Helper()
	ctx := context.Background()
	c := corev1.Container{Name: "app", Image: "registry.k8s.io/pause:3.10"}
	for name, n := range tp.ports {
		c.Ports = append(c.Ports, corev1.ContainerPort{Name: name, ContainerPort: n, Protocol: corev1.ProtocolTCP})
	}
	p, err := client.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: tp.name, Labels: map[string]string{"app": tp.app}},
		Spec: corev1.PodSpec{
			NodeName: node, Hostname: tp.hostname, Subdomain: tp.subdomain,
			TerminationGracePeriodSeconds: ptr.To[int64](3600),
			Containers:                    []corev1.Container{c},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create pod %s: %v", tp.name, err)
	}
	t.Cleanup(func() {
		_ = client.CoreV1().Pods(ns).Delete(context.Background(), tp.name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)})
	})
	return setPodStatus(t, client, p, tp.ip, tp.ready)
}

func setPodStatus(t *testing.T, client kubernetes.Interface, p *corev1.Pod, ip string, ready bool) *corev1.Pod {
	t.Helper()
	p = p.DeepCopy()
	p.Status.Phase = corev1.PodRunning
	p.Status.PodIP, p.Status.PodIPs = ip, nil
	if ip != "" {
		p.Status.PodIPs = []corev1.PodIP{{IP: ip}}
	}
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: status, LastTransitionTime: metav1.Now()}}
	updated, err := client.CoreV1().Pods(p.Namespace).UpdateStatus(context.Background(), p, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("set status of pod %s: %v", p.Name, err)
	}
	return updated
}

// endpointsSummary lists an Endpoints' addresses, one line per address and
// port: "ip:port name ready|notready host=… pod=… node=…".
func endpointsSummary(ep *corev1.Endpoints) []string {
	out := []string{}
	line := func(a corev1.EndpointAddress, port string, ready bool) string {
		state := "notready"
		if ready {
			state = "ready"
		}
		pod, node := "", ""
		if a.TargetRef != nil {
			pod = a.TargetRef.Name
		}
		if a.NodeName != nil {
			node = *a.NodeName
		}
		return fmt.Sprintf("%s%s %s host=%s pod=%s node=%t", a.IP, port, state, a.Hostname, pod, node != "")
	}
	for _, s := range ep.Subsets {
		ports := []string{""}
		if len(s.Ports) > 0 {
			ports = nil
			for _, p := range s.Ports {
				ports = append(ports, fmt.Sprintf(":%d %s", p.Port, p.Name))
			}
		}
		for _, port := range ports {
			for _, a := range s.Addresses {
				out = append(out, line(a, port, true))
			}
			for _, a := range s.NotReadyAddresses {
				out = append(out, line(a, port, false))
			}
		}
	}
	sort.Strings(out)
	return out
}

// slicesSummary lists slices' endpoints, one line per endpoint and port:
// "type ip:port name ready serving terminating zone host pod".
func slicesSummary(slices []discoveryv1.EndpointSlice) []string {
	out := []string{}
	str := func(s *string) string { return ptr.Deref(s, "") }
	b := func(v *bool) string {
		if v == nil {
			return "-"
		}
		return fmt.Sprint(*v)
	}
	for _, s := range slices {
		ports := []string{""}
		if len(s.Ports) > 0 {
			ports = nil
			for _, p := range s.Ports {
				ports = append(ports, fmt.Sprintf(":%d %s", ptr.Deref(p.Port, 0), str(p.Name)))
			}
		}
		for _, e := range s.Endpoints {
			pod := ""
			if e.TargetRef != nil {
				pod = e.TargetRef.Name
			}
			for _, port := range ports {
				out = append(out, fmt.Sprintf("%s %s%s ready=%s serving=%s terminating=%s zone=%s host=%s pod=%s",
					s.AddressType, e.Addresses[0], port, b(e.Conditions.Ready), b(e.Conditions.Serving), b(e.Conditions.Terminating),
					str(e.Zone), str(e.Hostname), pod))
			}
		}
	}
	sort.Strings(out)
	return out
}

// waitEndpoints waits for the service's Endpoints to list want.
func waitEndpoints(t *testing.T, client kubernetes.Interface, ns, name string, want []string) *corev1.Endpoints {
	t.Helper()
	var got *corev1.Endpoints
	eventually(t, "endpoints of "+name, func(ctx context.Context) (string, bool) {
		var err error
		got, err = client.CoreV1().Endpoints(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err.Error(), false
		}
		diff := cmp.Diff(want, endpointsSummary(got))
		return "(-want +got):\n" + diff, diff == ""
	})
	return got
}

// waitSlices waits for the slices labelled for the service and managed by
// managedBy to hold want, and returns them.
func waitSlices(t *testing.T, client kubernetes.Interface, ns, service, managedBy string, want []string) []discoveryv1.EndpointSlice {
	t.Helper()
	var got []discoveryv1.EndpointSlice
	eventually(t, "endpointslices of "+service, func(ctx context.Context) (string, bool) {
		list, err := client.DiscoveryV1().EndpointSlices(ns).List(ctx, metav1.ListOptions{LabelSelector: labels.Set{
			discoveryv1.LabelServiceName: service, discoveryv1.LabelManagedBy: managedBy,
		}.String()})
		if err != nil {
			return err.Error(), false
		}
		got = list.Items
		diff := cmp.Diff(want, slicesSummary(got))
		return "(-want +got):\n" + diff, diff == ""
	})
	return got
}

const sliceController = "endpointslice-controller.k8s.io"

// TestEndpoints follows one service through ready, not ready and
// terminating pods with a named target port, a selector change and its
// deletion, in both Endpoints and EndpointSlices.
func TestEndpoints(t *testing.T) {
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ns := framework.Namespace(t, client)
	node := endpointsNode(t, client, ns)
	ctx := context.Background()

	svc, err := client.CoreV1().Services(ns).Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Labels: map[string]string{"team": "a"}},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": "web"},
			Ports: []corev1.ServicePort{{
				Name: "http", Port: 80, TargetPort: intstr.FromString("http"), Protocol: corev1.ProtocolTCP, AppProtocol: ptr.To("http"),
			}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The named target port resolves per pod: web-1 serves on 8080, web-2
	// on 9090; web-3 has no such port: no address in the Endpoints, and an
	// endpoint in a slice without ports, as upstream.
	web1 := runPod(t, client, ns, node, testPod{name: "web-1", app: "web", ip: "10.244.7.11", ports: map[string]int32{"http": 8080}, ready: true})
	web2 := runPod(t, client, ns, node, testPod{name: "web-2", app: "web", ip: "10.244.7.12", ports: map[string]int32{"http": 9090}})
	runPod(t, client, ns, node, testPod{name: "web-3", app: "web", ip: "10.244.7.13", ready: true})
	runPod(t, client, ns, node, testPod{name: "no-ip", app: "web", ports: map[string]int32{"http": 8080}, ready: true})
	runPod(t, client, ns, node, testPod{name: "other", app: "other", ip: "10.244.7.20", ports: map[string]int32{"http": 8080}, ready: true})

	ep := waitEndpoints(t, client, ns, "web", []string{
		"10.244.7.11:8080 http ready host= pod=web-1 node=true",
		"10.244.7.12:9090 http notready host= pod=web-2 node=true",
	})
	if diff := cmp.Diff(map[string]string{"team": "a", "endpoints.kubernetes.io/managed-by": "endpoint-controller"}, ep.Labels); diff != "" {
		t.Errorf("endpoints labels (-want +got):\n%s", diff)
	}
	// The trigger time is best effort, as upstream's: a write after a
	// sync that saw the change but did not write (a stale cache, say)
	// has no new trigger and clears the annotation. When it is there it
	// is a time (controllers/endpoint's unit tests pin its value).
	if ts, ok := ep.Annotations[corev1.EndpointsLastChangeTriggerTime]; ok {
		if _, err := time.Parse(time.RFC3339Nano, ts); err != nil {
			t.Errorf("trigger time annotation %q: %v", ts, err)
		}
	}
	slices := waitSlices(t, client, ns, "web", sliceController, []string{
		"IPv4 10.244.7.11:8080 http ready=true serving=true terminating=false zone=zone-a host= pod=web-1",
		"IPv4 10.244.7.12:9090 http ready=false serving=false terminating=false zone=zone-a host= pod=web-2",
		"IPv4 10.244.7.13 ready=true serving=true terminating=false zone=zone-a host= pod=web-3",
	})
	for _, s := range slices {
		ref := metav1.GetControllerOf(&s)
		if ref == nil || ref.Kind != "Service" || ref.APIVersion != "v1" || ref.UID != svc.UID || !ptr.Deref(ref.BlockOwnerDeletion, false) {
			t.Errorf("slice %s controller %+v, want the service with blockOwnerDeletion", s.Name, ref)
		}
		if !strings.HasPrefix(s.Name, "web-") || s.Labels["team"] != "a" {
			t.Errorf("slice %s (labels %v): want a name web-… and the service's labels", s.Name, s.Labels)
		}
		// web-3's slice has no ports; the others one, with appProtocol.
		if len(s.Ports) > 0 && (len(s.Ports) != 1 || ptr.Deref(s.Ports[0].AppProtocol, "") != "http") {
			t.Errorf("slice %s ports %+v, want one with appProtocol http", s.Name, s.Ports)
		}
	}

	// web-2 becomes ready.
	web2 = setPodStatus(t, client, web2, "10.244.7.12", true)
	waitEndpoints(t, client, ns, "web", []string{
		"10.244.7.11:8080 http ready host= pod=web-1 node=true",
		"10.244.7.12:9090 http ready host= pod=web-2 node=true",
	})
	waitSlices(t, client, ns, "web", sliceController, []string{
		"IPv4 10.244.7.11:8080 http ready=true serving=true terminating=false zone=zone-a host= pod=web-1",
		"IPv4 10.244.7.12:9090 http ready=true serving=true terminating=false zone=zone-a host= pod=web-2",
		"IPv4 10.244.7.13 ready=true serving=true terminating=false zone=zone-a host= pod=web-3",
	})

	// web-1 terminates (its grace period keeps it): gone from Endpoints,
	// serving but not ready in its slice.
	if err := client.CoreV1().Pods(ns).Delete(ctx, web1.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitEndpoints(t, client, ns, "web", []string{
		"10.244.7.12:9090 http ready host= pod=web-2 node=true",
	})
	waitSlices(t, client, ns, "web", sliceController, []string{
		"IPv4 10.244.7.11:8080 http ready=false serving=true terminating=true zone=zone-a host= pod=web-1",
		"IPv4 10.244.7.12:9090 http ready=true serving=true terminating=false zone=zone-a host= pod=web-2",
		"IPv4 10.244.7.13 ready=true serving=true terminating=false zone=zone-a host= pod=web-3",
	})

	// The selector changes to the other pod.
	svc, err = client.CoreV1().Services(ns).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	svc.Spec.Selector = map[string]string{"app": "other"}
	if _, err := client.CoreV1().Services(ns).Update(ctx, svc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitEndpoints(t, client, ns, "web", []string{"10.244.7.20:8080 http ready host= pod=other node=true"})
	waitSlices(t, client, ns, "web", sliceController, []string{
		"IPv4 10.244.7.20:8080 http ready=true serving=true terminating=false zone=zone-a host= pod=other",
	})

	// Deleting the service deletes its Endpoints (the controller) and its
	// slices (the garbage collector, through their owner reference).
	if err := client.CoreV1().Services(ns).Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "endpoints deleted with the service", func(ctx context.Context) (string, bool) {
		_, err := client.CoreV1().Endpoints(ns).Get(ctx, "web", metav1.GetOptions{})
		return fmt.Sprintf("get: %v", err), apierrors.IsNotFound(err)
	})
	eventually(t, "slices deleted with the service", func(ctx context.Context) (string, bool) {
		list, err := client.DiscoveryV1().EndpointSlices(ns).List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=web"})
		if err != nil {
			return err.Error(), false
		}
		return fmt.Sprintf("%d slices", len(list.Items)), len(list.Items) == 0
	})
}

// TestEndpointsHeadless: a headless service without ports that publishes not
// ready addresses, with a pod whose subdomain names it.
func TestEndpointsHeadless(t *testing.T) {
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ns := framework.Namespace(t, client)
	node := endpointsNode(t, client, ns)
	ctx := context.Background()

	if _, err := client.CoreV1().Services(ns).Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "db"},
		Spec: corev1.ServiceSpec{
			ClusterIP:                corev1.ClusterIPNone,
			Selector:                 map[string]string{"app": "db"},
			PublishNotReadyAddresses: true,
		},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	runPod(t, client, ns, node, testPod{name: "db-0", app: "db", ip: "10.244.8.10", hostname: "db-0", subdomain: "db"})
	runPod(t, client, ns, node, testPod{name: "db-x", app: "db", ip: "10.244.8.11", hostname: "db-x", subdomain: "elsewhere", ready: true})

	// Not ready, yet listed as ready: the service publishes it.
	ep := waitEndpoints(t, client, ns, "db", []string{
		"10.244.8.10 ready host=db-0 pod=db-0 node=true",
		"10.244.8.11 ready host= pod=db-x node=true",
	})
	if _, ok := ep.Labels[corev1.IsHeadlessService]; !ok {
		t.Errorf("endpoints labels %v lack %s", ep.Labels, corev1.IsHeadlessService)
	}
	slices := waitSlices(t, client, ns, "db", sliceController, []string{
		"IPv4 10.244.8.10 ready=true serving=false terminating=false zone=zone-a host=db-0 pod=db-0",
		"IPv4 10.244.8.11 ready=true serving=true terminating=false zone=zone-a host= pod=db-x",
	})
	for _, s := range slices {
		if _, ok := s.Labels[corev1.IsHeadlessService]; !ok {
			t.Errorf("slice %s labels %v lack %s", s.Name, s.Labels, corev1.IsHeadlessService)
		}
	}
}

// TestEndpointSliceMirroring: the Endpoints a user writes for a
// selector-less service are mirrored into a slice, which follows them, and
// are otherwise left alone.
func TestEndpointSliceMirroring(t *testing.T) {
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ns := framework.Namespace(t, client)
	ctx := context.Background()
	const mirroring = "endpointslicemirroring-controller.k8s.io"

	if _, err := client.CoreV1().Services(ns).Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "ext"},
		Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "pg", Port: 5432, Protocol: corev1.ProtocolTCP}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	ep, err := client.CoreV1().Endpoints(ns).Create(ctx, &corev1.Endpoints{
		ObjectMeta: metav1.ObjectMeta{Name: "ext", Labels: map[string]string{"team": "b"}},
		Subsets: []corev1.EndpointSubset{{
			Addresses:         []corev1.EndpointAddress{{IP: "10.244.9.1"}},
			NotReadyAddresses: []corev1.EndpointAddress{{IP: "10.244.9.2"}},
			Ports:             []corev1.EndpointPort{{Name: "pg", Port: 5432, Protocol: corev1.ProtocolTCP}},
		}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	slices := waitSlices(t, client, ns, "ext", mirroring, []string{
		"IPv4 10.244.9.1:5432 pg ready=true serving=- terminating=- zone= host= pod=",
		"IPv4 10.244.9.2:5432 pg ready=false serving=- terminating=- zone= host= pod=",
	})
	first := slices[0]
	if ref := metav1.GetControllerOf(&first); ref == nil || ref.Kind != "Endpoints" || ref.UID != ep.UID {
		t.Errorf("mirrored slice controller %+v, want the Endpoints", ref)
	}
	if first.Labels["team"] != "b" {
		t.Errorf("mirrored slice labels %v, want the Endpoints' team=b", first.Labels)
	}

	// A new address is mirrored into the same slice.
	ep.Subsets[0].Addresses = append(ep.Subsets[0].Addresses, corev1.EndpointAddress{IP: "10.244.9.3"})
	if ep, err = client.CoreV1().Endpoints(ns).Update(ctx, ep, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	slices = waitSlices(t, client, ns, "ext", mirroring, []string{
		"IPv4 10.244.9.1:5432 pg ready=true serving=- terminating=- zone= host= pod=",
		"IPv4 10.244.9.2:5432 pg ready=false serving=- terminating=- zone= host= pod=",
		"IPv4 10.244.9.3:5432 pg ready=true serving=- terminating=- zone= host= pod=",
	})
	if slices[0].Name != first.Name {
		t.Errorf("mirrored slice %s replaced by %s, want it updated in place", first.Name, slices[0].Name)
	}
	// The endpoints controller leaves a selector-less service's Endpoints
	// as their user wrote them, and the endpointslice controller makes no
	// slices for it.
	cur, err := client.CoreV1().Endpoints(ns).Get(ctx, "ext", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"team": "b"}, cur.Labels); diff != "" {
		t.Errorf("custom Endpoints labels changed (-want +got):\n%s", diff)
	}
	waitSlices(t, client, ns, "ext", sliceController, []string{})

	// Labelled skip-mirror, the Endpoints lose their mirror.
	cur.Labels[discoveryv1.LabelSkipMirror] = "true"
	if _, err := client.CoreV1().Endpoints(ns).Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "mirror deleted", func(ctx context.Context) (string, bool) {
		list, err := client.DiscoveryV1().EndpointSlices(ns).List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelManagedBy + "=" + mirroring})
		if err != nil {
			return err.Error(), false
		}
		return fmt.Sprintf("%d mirrored slices", len(list.Items)), len(list.Items) == 0
	})
}
