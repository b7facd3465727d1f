package endpoint

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
)

const ns = "ns"

type podOpt func(*corev1.Pod)

func ready(p *corev1.Pod) {
	p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionTrue})
}

func terminating(p *corev1.Pod) { p.DeletionTimestamp = &metav1.Time{Time: time.Unix(1000, 0)} }

func namedPort(name string, n int32) podOpt {
	return func(p *corev1.Pod) {
		p.Spec.Containers[0].Ports = append(p.Spec.Containers[0].Ports, corev1.ContainerPort{Name: name, ContainerPort: n, Protocol: corev1.ProtocolTCP})
	}
}

func ips(ips ...string) podOpt {
	return func(p *corev1.Pod) {
		p.Status.PodIP, p.Status.PodIPs = "", nil
		for _, ip := range ips {
			if p.Status.PodIP == "" {
				p.Status.PodIP = ip
			}
			p.Status.PodIPs = append(p.Status.PodIPs, corev1.PodIP{IP: ip})
		}
	}
}

// pod is a running pod of app=web on node-1 with the IP given (none if
// empty).
func pod(name, ip string, opts ...podOpt) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, UID: types.UID("uid-" + name), Labels: map[string]string{"app": "web"}},
		Spec:       corev1.PodSpec{NodeName: "node-1", Containers: []corev1.Container{{Name: "c"}}},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning},
	}
	if ip != "" {
		ips(ip)(p)
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

type svcOpt func(*corev1.Service)

func service(opts ...svcOpt) *corev1.Service {
	s := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns, UID: "svc-uid", Labels: map[string]string{"team": "a"}},
		Spec: corev1.ServiceSpec{
			Selector:   map[string]string{"app": "web"},
			ClusterIP:  "10.96.0.10",
			IPFamilies: []corev1.IPFamily{corev1.IPv4Protocol},
			Ports:      []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080), Protocol: corev1.ProtocolTCP}},
		},
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

func headless(s *corev1.Service) { s.Spec.ClusterIP = corev1.ClusterIPNone }

func publishNotReady(s *corev1.Service) { s.Spec.PublishNotReadyAddresses = true }

func noPorts(s *corev1.Service) { s.Spec.Ports = nil }

func addr(p *corev1.Pod, ip string) corev1.EndpointAddress {
	return corev1.EndpointAddress{
		IP:        ip,
		NodeName:  ptr.To(p.Spec.NodeName),
		TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: p.UID},
	}
}

func port(name string, n int32) corev1.EndpointPort {
	return corev1.EndpointPort{Name: name, Port: n, Protocol: corev1.ProtocolTCP}
}

func TestSubsets(t *testing.T) {
	a := pod("a", "10.0.0.1", ready)
	b := pod("b", "10.0.0.2")
	hostA := pod("a", "10.0.0.1", ready, func(p *corev1.Pod) { p.Spec.Hostname, p.Spec.Subdomain = "web-0", "web" })
	hostB := pod("b", "10.0.0.2", ready, func(p *corev1.Pod) { p.Spec.Hostname, p.Spec.Subdomain = "web-1", "other" })
	named1 := pod("a", "10.0.0.1", ready, namedPort("http", 8080))
	named2 := pod("b", "10.0.0.2", ready, namedPort("http", 9090))
	unnamed := pod("c", "10.0.0.3", ready)
	dual := pod("a", "10.0.0.1", ready, ips("10.0.0.1", "fd00::1"))
	for _, tc := range []struct {
		name string
		svc  *corev1.Service
		pods []*corev1.Pod
		want []corev1.EndpointSubset
	}{{
		name: "ready and not ready",
		svc:  service(),
		pods: []*corev1.Pod{b, a},
		want: []corev1.EndpointSubset{{
			Addresses:         []corev1.EndpointAddress{addr(a, "10.0.0.1")},
			NotReadyAddresses: []corev1.EndpointAddress{addr(b, "10.0.0.2")},
			Ports:             []corev1.EndpointPort{port("http", 8080)},
		}},
	}, {
		name: "pods without IP, terminal and terminating pods are left out",
		svc:  service(),
		pods: []*corev1.Pod{
			a,
			pod("pending", "", ready),
			pod("done", "10.0.0.3", func(p *corev1.Pod) { p.Status.Phase = corev1.PodSucceeded }),
			pod("going", "10.0.0.4", ready, terminating),
		},
		want: []corev1.EndpointSubset{{Addresses: []corev1.EndpointAddress{addr(a, "10.0.0.1")}, Ports: []corev1.EndpointPort{port("http", 8080)}}},
	}, {
		name: "publishNotReadyAddresses lists not ready and terminating pods as ready",
		svc:  service(publishNotReady),
		pods: []*corev1.Pod{a, b, pod("going", "10.0.0.4", terminating)},
		want: []corev1.EndpointSubset{{
			Addresses: []corev1.EndpointAddress{
				addr(a, "10.0.0.1"), addr(b, "10.0.0.2"), addr(pod("going", "10.0.0.4"), "10.0.0.4"),
			},
			Ports: []corev1.EndpointPort{port("http", 8080)},
		}},
	}, {
		name: "named target port resolved per pod, pods without it left out",
		svc: service(func(s *corev1.Service) {
			s.Spec.Ports[0].TargetPort = intstr.FromString("http")
		}),
		pods: []*corev1.Pod{named2, unnamed, named1},
		want: []corev1.EndpointSubset{
			{Addresses: []corev1.EndpointAddress{addr(named1, "10.0.0.1")}, Ports: []corev1.EndpointPort{port("http", 8080)}},
			{Addresses: []corev1.EndpointAddress{addr(named2, "10.0.0.2")}, Ports: []corev1.EndpointPort{port("http", 9090)}},
		},
	}, {
		name: "several ports in one subset, with appProtocol",
		svc: service(func(s *corev1.Service) {
			s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{Name: "grpc", Port: 90, TargetPort: intstr.FromInt32(9090), Protocol: corev1.ProtocolTCP, AppProtocol: ptr.To("kubernetes.io/h2c")})
		}),
		pods: []*corev1.Pod{a},
		want: []corev1.EndpointSubset{{
			Addresses: []corev1.EndpointAddress{addr(a, "10.0.0.1")},
			Ports: []corev1.EndpointPort{
				{Name: "grpc", Port: 9090, Protocol: corev1.ProtocolTCP, AppProtocol: ptr.To("kubernetes.io/h2c")},
				port("http", 8080),
			},
		}},
	}, {
		name: "headless service without ports",
		svc:  service(headless, noPorts),
		pods: []*corev1.Pod{a, b},
		want: []corev1.EndpointSubset{{
			Addresses:         []corev1.EndpointAddress{addr(a, "10.0.0.1")},
			NotReadyAddresses: []corev1.EndpointAddress{addr(b, "10.0.0.2")},
		}},
	}, {
		name: "service with a cluster IP and no ports has no endpoints",
		svc:  service(noPorts),
		pods: []*corev1.Pod{a},
		want: []corev1.EndpointSubset{},
	}, {
		name: "hostname only when the subdomain names the service",
		svc:  service(headless),
		pods: []*corev1.Pod{hostA, hostB},
		want: []corev1.EndpointSubset{{
			Addresses: []corev1.EndpointAddress{
				func() corev1.EndpointAddress { e := addr(hostA, "10.0.0.1"); e.Hostname = "web-0"; return e }(),
				addr(hostB, "10.0.0.2"),
			},
			Ports: []corev1.EndpointPort{port("http", 8080)},
		}},
	}, {
		name: "address of the service's first family",
		svc: service(func(s *corev1.Service) {
			s.Spec.ClusterIP, s.Spec.IPFamilies = "fd00:96::10", []corev1.IPFamily{corev1.IPv6Protocol, corev1.IPv4Protocol}
		}),
		pods: []*corev1.Pod{dual, pod("v4only", "10.0.0.9", ready)},
		want: []corev1.EndpointSubset{{Addresses: []corev1.EndpointAddress{addr(dual, "fd00::1")}, Ports: []corev1.EndpointPort{port("http", 8080)}}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got := subsetsFor(klog.Background(), tc.svc, tc.pods)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("subsets (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRepack(t *testing.T) {
	a := pod("a", "10.0.0.1")
	b := pod("b", "10.0.0.2")
	for _, tc := range []struct {
		name string
		in   []corev1.EndpointSubset
		want []corev1.EndpointSubset
	}{{
		name: "addresses with the same ports merge",
		in: []corev1.EndpointSubset{
			{Addresses: []corev1.EndpointAddress{addr(b, "10.0.0.2")}, Ports: []corev1.EndpointPort{port("p", 1)}},
			{Addresses: []corev1.EndpointAddress{addr(a, "10.0.0.1")}, Ports: []corev1.EndpointPort{port("p", 1)}},
		},
		want: []corev1.EndpointSubset{{Addresses: []corev1.EndpointAddress{addr(a, "10.0.0.1"), addr(b, "10.0.0.2")}, Ports: []corev1.EndpointPort{port("p", 1)}}},
	}, {
		name: "not ready wins over ready for the same port",
		in: []corev1.EndpointSubset{
			{Addresses: []corev1.EndpointAddress{addr(a, "10.0.0.1")}, Ports: []corev1.EndpointPort{port("p", 1)}},
			{NotReadyAddresses: []corev1.EndpointAddress{addr(a, "10.0.0.1")}, Ports: []corev1.EndpointPort{port("p", 1)}},
		},
		want: []corev1.EndpointSubset{{NotReadyAddresses: []corev1.EndpointAddress{addr(a, "10.0.0.1")}, Ports: []corev1.EndpointPort{port("p", 1)}}},
	}, {
		name: "different port sets stay apart",
		in: []corev1.EndpointSubset{
			{Addresses: []corev1.EndpointAddress{addr(a, "10.0.0.1"), addr(b, "10.0.0.2")}, Ports: []corev1.EndpointPort{port("p", 1)}},
			{Addresses: []corev1.EndpointAddress{addr(a, "10.0.0.1")}, Ports: []corev1.EndpointPort{port("q", 2)}},
		},
		want: []corev1.EndpointSubset{
			{Addresses: []corev1.EndpointAddress{addr(a, "10.0.0.1")}, Ports: []corev1.EndpointPort{port("q", 2)}},
			{Addresses: []corev1.EndpointAddress{addr(a, "10.0.0.1"), addr(b, "10.0.0.2")}, Ports: []corev1.EndpointPort{port("p", 1)}},
		},
	}, {
		name: "the same IP of two pods is two addresses",
		in: []corev1.EndpointSubset{
			{Addresses: []corev1.EndpointAddress{addr(a, "10.0.0.1"), addr(b, "10.0.0.1")}, Ports: []corev1.EndpointPort{port("p", 1)}},
		},
		want: []corev1.EndpointSubset{{Addresses: []corev1.EndpointAddress{addr(a, "10.0.0.1"), addr(b, "10.0.0.1")}, Ports: []corev1.EndpointPort{port("p", 1)}}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got := Repack(tc.in)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Repack (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(got, Repack(got)); diff != "" {
				t.Errorf("Repack is not idempotent (-once +twice):\n%s", diff)
			}
		})
	}
}

// many returns n pods named prefix-i with distinct IPs in 10.<third>.x.y.
func many(prefix string, third, n int, opts ...podOpt) []*corev1.Pod {
	out := make([]*corev1.Pod, n)
	for i := range n {
		out[i] = pod(fmt.Sprintf("%s-%d", prefix, i), fmt.Sprintf("10.%d.%d.%d", third, i/250, i%250+1), opts...)
	}
	return out
}

func counts(subsets []corev1.EndpointSubset) (ready, notReady int) {
	for _, s := range subsets {
		ready += len(s.Addresses)
		notReady += len(s.NotReadyAddresses)
	}
	return ready, notReady
}

func TestDesired(t *testing.T) {
	trigger := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	for _, tc := range []struct {
		name                    string
		current                 *corev1.Endpoints
		svc                     *corev1.Service
		pods                    []*corev1.Pod
		trigger                 time.Time
		wantLabels, wantAnnots  map[string]string
		wantReady, wantNotReady int
	}{{
		name:       "new endpoints carry the service's labels and the trigger time",
		svc:        service(),
		pods:       []*corev1.Pod{pod("a", "10.0.0.1", ready)},
		trigger:    trigger,
		wantLabels: map[string]string{"team": "a", LabelManagedBy: ControllerName},
		wantAnnots: map[string]string{corev1.EndpointsLastChangeTriggerTime: "2026-01-02T03:04:05.000000006Z"},
		wantReady:  1,
	}, {
		name:       "headless service: headless label",
		svc:        service(headless),
		wantLabels: map[string]string{"team": "a", corev1.IsHeadlessService: "", LabelManagedBy: ControllerName},
		wantAnnots: map[string]string{},
	}, {
		name: "a service's own headless label is dropped when it has a cluster IP; others' annotations kept, stale ones dropped",
		current: &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns,
			Labels:      map[string]string{"old": "x"},
			Annotations: map[string]string{"keep": "me", corev1.EndpointsLastChangeTriggerTime: "then", corev1.EndpointsOverCapacity: truncated},
		}},
		svc:        service(func(s *corev1.Service) { s.Labels[corev1.IsHeadlessService] = "" }),
		wantLabels: map[string]string{"team": "a", LabelManagedBy: ControllerName},
		wantAnnots: map[string]string{"keep": "me"},
	}, {
		name:       "over capacity with too many ready: 1000 ready, no not ready",
		svc:        service(),
		pods:       append(many("r", 1, 1001, ready), many("n", 2, 5)...),
		wantLabels: map[string]string{"team": "a", LabelManagedBy: ControllerName},
		wantAnnots: map[string]string{corev1.EndpointsOverCapacity: truncated},
		wantReady:  1000,
	}, {
		name:         "over capacity: every ready address, not ready ones fill up",
		svc:          service(),
		pods:         append(many("r", 1, 900, ready), many("n", 2, 200)...),
		wantLabels:   map[string]string{"team": "a", LabelManagedBy: ControllerName},
		wantAnnots:   map[string]string{corev1.EndpointsOverCapacity: truncated},
		wantReady:    900,
		wantNotReady: 100,
	}, {
		name:         "at capacity nothing is cut",
		svc:          service(),
		pods:         append(many("r", 1, 600, ready), many("n", 2, 400)...),
		wantLabels:   map[string]string{"team": "a", LabelManagedBy: ControllerName},
		wantAnnots:   map[string]string{},
		wantReady:    600,
		wantNotReady: 400,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got := desired(tc.current, tc.svc, subsetsFor(klog.Background(), tc.svc, tc.pods), tc.trigger)
			if got.Name != "web" || got.Namespace != ns {
				t.Errorf("name %s/%s, want %s/web", got.Namespace, got.Name, ns)
			}
			if diff := cmp.Diff(tc.wantLabels, got.Labels); diff != "" {
				t.Errorf("labels (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantAnnots, got.Annotations); diff != "" {
				t.Errorf("annotations (-want +got):\n%s", diff)
			}
			r, n := counts(got.Subsets)
			if r != tc.wantReady || n != tc.wantNotReady {
				t.Errorf("%d ready, %d not ready addresses; want %d, %d", r, n, tc.wantReady, tc.wantNotReady)
			}
		})
	}
}

// fixture is a controller on fake informers whose caches the test fills.
type fixture struct {
	c      *Controller
	client *fake.Clientset
}

func newFixture(t *testing.T, objs ...runtime.Object) *fixture {
	t.Helper()
	client := fake.NewClientset(objs...)
	factory := informers.NewSharedInformerFactory(client, 0)
	svcs, pods, eps := factory.Core().V1().Services(), factory.Core().V1().Pods(), factory.Core().V1().Endpoints()
	c := New(client, svcs, pods, eps)
	for _, o := range objs {
		var err error
		switch o := o.(type) {
		case *corev1.Service:
			err = svcs.Informer().GetIndexer().Add(o)
		case *corev1.Pod:
			err = pods.Informer().GetIndexer().Add(o)
		case *corev1.Endpoints:
			err = eps.Informer().GetIndexer().Add(o)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	client.ClearActions()
	return &fixture{c: c, client: client}
}

// writes lists the endpoints writes the client saw, as "verb name".
func (f *fixture) writes() []string {
	var out []string
	for _, a := range f.client.Actions() {
		if a.GetResource().Resource != "endpoints" || a.GetVerb() == "get" || a.GetVerb() == "list" || a.GetVerb() == "watch" {
			continue
		}
		// Switch on the verb: create and update actions have one method set.
		name := ""
		switch a.GetVerb() {
		case "create":
			name = a.(clienttesting.CreateAction).GetObject().(*corev1.Endpoints).Name
		case "update":
			name = a.(clienttesting.UpdateAction).GetObject().(*corev1.Endpoints).Name
		case "delete":
			name = a.(clienttesting.DeleteAction).GetName()
		}
		out = append(out, a.GetVerb()+" "+name)
	}
	return out
}

func TestSync(t *testing.T) {
	a := pod("a", "10.0.0.1", ready)
	svc := service()
	upToDate := desired(nil, svc, subsetsFor(klog.Background(), svc, []*corev1.Pod{a}), time.Time{})
	upToDate.ResourceVersion = "5"
	// Stored by someone else in another packing and with a target's
	// resourceVersion: still up to date.
	repacked := upToDate.DeepCopy()
	repacked.Subsets[0].Addresses[0].TargetRef.ResourceVersion = "77"
	repacked.Subsets = append(repacked.Subsets, corev1.EndpointSubset{Addresses: repacked.Subsets[0].Addresses, Ports: repacked.Subsets[0].Ports})
	// Stored without subsets, as the API server keeps an empty list.
	empty := desired(nil, svc, subsetsFor(klog.Background(), svc, nil), time.Time{})
	empty.ResourceVersion, empty.Subsets = "5", nil
	outdated := upToDate.DeepCopy()
	outdated.Subsets = nil
	relabelled := upToDate.DeepCopy()
	relabelled.Labels = map[string]string{"team": "b", LabelManagedBy: ControllerName}
	selectorless := service(func(s *corev1.Service) { s.Spec.Selector = nil })
	external := service(func(s *corev1.Service) { s.Spec.Type = corev1.ServiceTypeExternalName })
	userWritten := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns, ResourceVersion: "3"},
		Subsets: []corev1.EndpointSubset{{Addresses: []corev1.EndpointAddress{{IP: "192.0.2.1"}}}}}
	for _, tc := range []struct {
		name string
		objs []runtime.Object
		want []string
	}{
		{name: "missing endpoints are created", objs: []runtime.Object{svc, a}, want: []string{"create web"}},
		{name: "a service without pods gets empty endpoints", objs: []runtime.Object{svc}, want: []string{"create web"}},
		{name: "up to date endpoints are not written", objs: []runtime.Object{svc, a, upToDate}},
		{name: "empty endpoints of a service without pods are not written", objs: []runtime.Object{svc, empty}},
		{name: "another packing of the same content is not written", objs: []runtime.Object{svc, a, repacked}},
		{name: "changed addresses are written", objs: []runtime.Object{svc, a, outdated}, want: []string{"update web"}},
		{name: "changed labels are written", objs: []runtime.Object{svc, a, relabelled}, want: []string{"update web"}},
		{name: "endpoints of a deleted service are deleted", objs: []runtime.Object{a, upToDate}, want: []string{"delete web"}},
		{name: "endpoints of a selector-less service are left alone", objs: []runtime.Object{selectorless, a, userWritten}},
		{name: "ExternalName services get no endpoints", objs: []runtime.Object{external, a}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.objs...)
			if _, err := f.c.sync(context.Background(), ns+"/web"); err != nil {
				t.Fatalf("sync: %v", err)
			}
			if diff := cmp.Diff(tc.want, f.writes()); diff != "" {
				t.Errorf("writes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSyncCreatesWhatSubsetsSay(t *testing.T) {
	a := pod("a", "10.0.0.1", ready)
	f := newFixture(t, service(headless), a, pod("b", "10.0.0.2"))
	if _, err := f.c.sync(context.Background(), ns+"/web"); err != nil {
		t.Fatal(err)
	}
	got, err := f.client.CoreV1().Endpoints(ns).Get(context.Background(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []corev1.EndpointSubset{{
		Addresses:         []corev1.EndpointAddress{addr(a, "10.0.0.1")},
		NotReadyAddresses: []corev1.EndpointAddress{addr(pod("b", "10.0.0.2"), "10.0.0.2")},
		Ports:             []corev1.EndpointPort{port("http", 8080)},
	}}
	if diff := cmp.Diff(want, got.Subsets); diff != "" {
		t.Errorf("subsets (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"team": "a", corev1.IsHeadlessService: "", LabelManagedBy: ControllerName}, got.Labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
}

// TestSyncWaitsForOwnWrite: after an update, a cache that still shows the
// replaced version is behind, and the sync fails (to be retried) instead
// of acting on it.
func TestSyncWaitsForOwnWrite(t *testing.T) {
	svc := service()
	a := pod("a", "10.0.0.1", ready)
	old := desired(nil, svc, nil, time.Time{})
	old.ResourceVersion = "5"
	f := newFixture(t, svc, a, old)
	// The fake tracker keeps resource versions as given: bump it as the
	// API server would.
	f.client.PrependReactor("update", "endpoints", func(action clienttesting.Action) (bool, runtime.Object, error) {
		ep := action.(clienttesting.UpdateAction).GetObject().(*corev1.Endpoints).DeepCopy()
		ep.ResourceVersion = "6"
		return true, ep, nil
	})
	if _, err := f.c.sync(context.Background(), ns+"/web"); err != nil {
		t.Fatalf("first sync: %v", err)
	}
	_, err := f.c.sync(context.Background(), ns+"/web")
	if err == nil || !strings.Contains(err.Error(), "resource version 5") {
		t.Errorf("second sync on a stale cache: err %v, want one naming resource version 5", err)
	}
	if diff := cmp.Diff([]string{"update web"}, f.writes()); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
}
