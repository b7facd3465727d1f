package endpointslice

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
)

const ns = "ns"

var created = metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))

type podOpt func(*corev1.Pod)

func ready(p *corev1.Pod) {
	p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionTrue})
}

func terminating(p *corev1.Pod) { p.DeletionTimestamp = &created }

func onNode(n string) podOpt { return func(p *corev1.Pod) { p.Spec.NodeName = n } }

func namedPort(name string, n int32) podOpt {
	return func(p *corev1.Pod) {
		p.Spec.Containers[0].Ports = append(p.Spec.Containers[0].Ports, corev1.ContainerPort{Name: name, ContainerPort: n, Protocol: corev1.ProtocolTCP})
	}
}

// pod is a running pod of app=web on node-a with the given IPs.
func pod(name string, ips []string, opts ...podOpt) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, UID: types.UID("uid-" + name), Labels: map[string]string{"app": "web"}},
		Spec:       corev1.PodSpec{NodeName: "node-a", Containers: []corev1.Container{{Name: "c"}}},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning},
	}
	for i, ip := range ips {
		if i == 0 {
			p.Status.PodIP = ip
		}
		p.Status.PodIPs = append(p.Status.PodIPs, corev1.PodIP{IP: ip})
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

type svcOpt func(*corev1.Service)

func service(opts ...svcOpt) *corev1.Service {
	s := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns, UID: "svc-uid", CreationTimestamp: created, Labels: map[string]string{"team": "a"}},
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

func node(name, zone string) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if zone != "" {
		n.Labels = map[string]string{corev1.LabelTopologyZone: zone}
	}
	return n
}

func endpoint(p *corev1.Pod, ip string, ready, serving, terminating bool) discoveryv1.Endpoint {
	e := discoveryv1.Endpoint{
		Addresses:  []string{ip},
		Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(ready), Serving: ptr.To(serving), Terminating: ptr.To(terminating)},
		NodeName:   ptr.To(p.Spec.NodeName),
		TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: p.Name, UID: p.UID},
	}
	if p.Spec.NodeName == "node-a" {
		e.Zone = ptr.To("zone-1")
	}
	return e
}

func port(name string, n int32) discoveryv1.EndpointPort {
	return discoveryv1.EndpointPort{Name: ptr.To(name), Port: ptr.To(n), Protocol: ptr.To(corev1.ProtocolTCP)}
}

// slice is what the controller makes for service(): the labels, owner,
// name prefix and trigger time all slices of it share.
func slice(addrType discoveryv1.AddressType, ports []discoveryv1.EndpointPort, eps ...discoveryv1.Endpoint) *discoveryv1.EndpointSlice {
	return &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: "web-",
			Namespace:    ns,
			Labels: map[string]string{
				"team":                       "a",
				discoveryv1.LabelServiceName: "web",
				discoveryv1.LabelManagedBy:   ControllerName,
			},
			Annotations: map[string]string{corev1.EndpointsLastChangeTriggerTime: "2026-01-02T03:04:05Z"},
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: "v1", Kind: "Service", Name: "web", UID: "svc-uid",
				Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true),
			}},
		},
		AddressType: addrType,
		Ports:       ports,
		Endpoints:   eps,
	}
}

// fixture is a controller on fake informers whose caches the test fills;
// the fake client names created slices from their generateName and gives
// them UIDs, as the API server would.
type fixture struct {
	c       *Controller
	client  *fake.Clientset
	slices  cache.Indexer
	pods    cache.Indexer
	nameSeq int
}

func newFixture(t *testing.T, objs ...runtime.Object) *fixture {
	t.Helper()
	client := fake.NewClientset(objs...)
	factory := informers.NewSharedInformerFactory(client, 0)
	svcs, pods, nodes, slices := factory.Core().V1().Services(), factory.Core().V1().Pods(), factory.Core().V1().Nodes(), factory.Discovery().V1().EndpointSlices()
	f := &fixture{c: New(client, svcs, pods, nodes, slices), client: client, slices: slices.Informer().GetIndexer(), pods: pods.Informer().GetIndexer()}
	client.PrependReactor("create", "endpointslices", func(action clienttesting.Action) (bool, runtime.Object, error) {
		s := action.(clienttesting.CreateAction).GetObject().(*discoveryv1.EndpointSlice)
		if s.Name == "" {
			f.nameSeq++
			s.Name = fmt.Sprintf("%s%05d", s.GenerateName, f.nameSeq)
			// The tracker tells slices apart by UID.
			s.UID = types.UID(s.Name)
		}
		return false, nil, nil
	})
	for _, o := range objs {
		var err error
		switch o := o.(type) {
		case *corev1.Service:
			err = svcs.Informer().GetIndexer().Add(o)
		case *corev1.Pod:
			err = pods.Informer().GetIndexer().Add(o)
		case *corev1.Node:
			err = nodes.Informer().GetIndexer().Add(o)
		case *discoveryv1.EndpointSlice:
			err = f.slices.Add(o)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// sync runs one sync and brings the slice cache up to what the client
// stores, as the informer would.
func (f *fixture) sync(t *testing.T) error {
	t.Helper()
	f.client.ClearActions()
	_, err := f.c.sync(context.Background(), ns+"/web")
	stored := f.stored(t)
	for _, o := range f.slices.List() {
		_ = f.slices.Delete(o)
	}
	for _, s := range stored {
		if err := f.slices.Add(s); err != nil {
			t.Fatal(err)
		}
	}
	return err
}

func (f *fixture) stored(t *testing.T) []*discoveryv1.EndpointSlice {
	t.Helper()
	list, err := f.client.DiscoveryV1().EndpointSlices(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]*discoveryv1.EndpointSlice, len(list.Items))
	for i := range list.Items {
		out[i] = &list.Items[i]
	}
	return out
}

// writes lists the slice writes of the last sync, as "verb name" (a create
// names the generateName).
func (f *fixture) writes() []string {
	var out []string
	for _, a := range f.client.Actions() {
		if a.GetResource().Resource != "endpointslices" {
			continue
		}
		// Switch on the verb: create and update actions have one method set.
		switch a.GetVerb() {
		case "create":
			// Recorded before the server names it.
			out = append(out, "create "+a.(clienttesting.CreateAction).GetObject().(*discoveryv1.EndpointSlice).GenerateName)
		case "update":
			out = append(out, "update "+a.(clienttesting.UpdateAction).GetObject().(*discoveryv1.EndpointSlice).Name)
		case "delete":
			out = append(out, "delete "+a.(clienttesting.DeleteAction).GetName())
		}
	}
	sort.Strings(out)
	return out
}

// normalize orders slices and their endpoints (the reconciler fills slices
// from a set) and drops generated names and UIDs and what the fake client
// adds.
func normalize(slices []*discoveryv1.EndpointSlice) []*discoveryv1.EndpointSlice {
	out := make([]*discoveryv1.EndpointSlice, len(slices))
	for i, s := range slices {
		s = s.DeepCopy()
		s.Name, s.UID, s.TypeMeta, s.ManagedFields = "", "", metav1.TypeMeta{}, nil
		sort.Slice(s.Endpoints, func(a, b int) bool { return s.Endpoints[a].Addresses[0] < s.Endpoints[b].Addresses[0] })
		out[i] = s
	}
	// The ports' fields are pointers: the key prints their values, not
	// their addresses, or the order would change from run to run.
	portsKey := func(ports []discoveryv1.EndpointPort) string {
		var k string
		for _, p := range ports {
			k += fmt.Sprint(ptr.Deref(p.Name, ""), "/", ptr.Deref(p.Port, 0), "/", ptr.Deref(p.Protocol, ""), ";")
		}
		return k
	}
	sort.Slice(out, func(a, b int) bool {
		ka := fmt.Sprint(out[a].AddressType, len(out[a].Endpoints), portsKey(out[a].Ports))
		kb := fmt.Sprint(out[b].AddressType, len(out[b].Endpoints), portsKey(out[b].Ports))
		if len(out[a].Endpoints) > 0 && len(out[b].Endpoints) > 0 {
			ka += out[a].Endpoints[0].Addresses[0]
			kb += out[b].Endpoints[0].Addresses[0]
		}
		return ka < kb
	})
	return out
}

func TestDesiredSlices(t *testing.T) {
	readyPod := pod("a", []string{"10.0.0.1"}, ready)
	notReady := pod("b", []string{"10.0.0.2"})
	goingReady := pod("c", []string{"10.0.0.3"}, ready, terminating)
	goingNotReady := pod("d", []string{"10.0.0.4"}, terminating)
	elsewhere := pod("e", []string{"10.0.0.5"}, ready, onNode("node-b"))
	named1 := pod("n1", []string{"10.0.0.1"}, ready, namedPort("http", 8080))
	named2 := pod("n2", []string{"10.0.0.2"}, ready, namedPort("http", 9090))
	dual := pod("dual", []string{"10.0.0.1", "fd00::1"}, ready)
	hosted := pod("h", []string{"10.0.0.1"}, ready, func(p *corev1.Pod) { p.Spec.Hostname, p.Spec.Subdomain = "web-0", "web" })
	headlessSlice := func(ports []discoveryv1.EndpointPort, eps ...discoveryv1.Endpoint) *discoveryv1.EndpointSlice {
		s := slice(discoveryv1.AddressTypeIPv4, ports, eps...)
		s.Labels[corev1.IsHeadlessService] = ""
		return s
	}
	var hundreds []runtime.Object
	for i := range 250 {
		hundreds = append(hundreds, pod(fmt.Sprintf("p%03d", i), []string{fmt.Sprintf("10.1.%d.%d", i/200, i%200+1)}, ready))
	}

	for _, tc := range []struct {
		name    string
		svc     *corev1.Service
		objs    []runtime.Object
		want    []*discoveryv1.EndpointSlice
		wantErr bool
		// counts, when set, is checked instead of want: the endpoints per
		// slice.
		counts []int
	}{{
		name: "ready, not ready and terminating pods",
		svc:  service(),
		objs: []runtime.Object{readyPod, notReady, goingReady, goingNotReady, elsewhere, pod("pending", nil, ready), pod("done", []string{"10.0.0.9"}, ready, func(p *corev1.Pod) { p.Status.Phase = corev1.PodFailed })},
		want: []*discoveryv1.EndpointSlice{slice(discoveryv1.AddressTypeIPv4, []discoveryv1.EndpointPort{port("http", 8080)},
			endpoint(readyPod, "10.0.0.1", true, true, false),
			endpoint(notReady, "10.0.0.2", false, false, false),
			endpoint(goingReady, "10.0.0.3", false, true, true),
			endpoint(goingNotReady, "10.0.0.4", false, false, true),
			endpoint(elsewhere, "10.0.0.5", true, true, false),
		)},
	}, {
		name: "publishNotReadyAddresses makes every endpoint ready",
		svc:  service(func(s *corev1.Service) { s.Spec.PublishNotReadyAddresses = true }),
		objs: []runtime.Object{notReady, goingReady},
		want: []*discoveryv1.EndpointSlice{slice(discoveryv1.AddressTypeIPv4, []discoveryv1.EndpointPort{port("http", 8080)},
			endpoint(notReady, "10.0.0.2", true, false, false),
			endpoint(goingReady, "10.0.0.3", true, true, true),
		)},
	}, {
		name: "named target port: one slice per resolved port",
		svc: service(func(s *corev1.Service) {
			s.Spec.Ports[0].TargetPort = intstr.FromString("http")
			s.Spec.Ports[0].AppProtocol = ptr.To("http")
		}),
		objs: []runtime.Object{named1, named2},
		want: []*discoveryv1.EndpointSlice{
			slice(discoveryv1.AddressTypeIPv4, []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](8080), Protocol: ptr.To(corev1.ProtocolTCP), AppProtocol: ptr.To("http")}},
				endpoint(named1, "10.0.0.1", true, true, false)),
			slice(discoveryv1.AddressTypeIPv4, []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](9090), Protocol: ptr.To(corev1.ProtocolTCP), AppProtocol: ptr.To("http")}},
				endpoint(named2, "10.0.0.2", true, true, false)),
		},
	}, {
		name: "dual-stack service: a slice per family",
		svc: service(func(s *corev1.Service) {
			s.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol}
		}),
		objs: []runtime.Object{dual},
		want: []*discoveryv1.EndpointSlice{
			slice(discoveryv1.AddressTypeIPv4, []discoveryv1.EndpointPort{port("http", 8080)}, endpoint(dual, "10.0.0.1", true, true, false)),
			slice(discoveryv1.AddressTypeIPv6, []discoveryv1.EndpointPort{port("http", 8080)}, endpoint(dual, "fd00::1", true, true, false)),
		},
	}, {
		name: "headless service: headless label and hostname",
		svc:  service(func(s *corev1.Service) { s.Spec.ClusterIP = corev1.ClusterIPNone; s.Spec.Ports = nil }),
		objs: []runtime.Object{hosted},
		want: []*discoveryv1.EndpointSlice{headlessSlice([]discoveryv1.EndpointPort{},
			func() discoveryv1.Endpoint {
				e := endpoint(hosted, "10.0.0.1", true, true, false)
				e.Hostname = ptr.To("web-0")
				return e
			}())},
	}, {
		name: "no pods: one empty placeholder slice",
		svc:  service(),
		want: []*discoveryv1.EndpointSlice{slice(discoveryv1.AddressTypeIPv4, []discoveryv1.EndpointPort{})},
	}, {
		name:    "a pod on a missing node is left out and the sync retried",
		svc:     service(),
		objs:    []runtime.Object{readyPod, pod("lost", []string{"10.0.0.7"}, ready, onNode("gone"))},
		want:    []*discoveryv1.EndpointSlice{slice(discoveryv1.AddressTypeIPv4, []discoveryv1.EndpointPort{port("http", 8080)}, endpoint(readyPod, "10.0.0.1", true, true, false))},
		wantErr: true,
	}, {
		name:   "at most 100 endpoints a slice",
		svc:    service(),
		objs:   hundreds,
		counts: []int{100, 100, 50},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			objs := append([]runtime.Object{tc.svc, node("node-a", "zone-1"), node("node-b", "")}, tc.objs...)
			f := newFixture(t, objs...)
			err := f.sync(t)
			if (err != nil) != tc.wantErr {
				t.Fatalf("sync: err %v, want error %t", err, tc.wantErr)
			}
			got := f.stored(t)
			if tc.counts != nil {
				var n []int
				for _, s := range got {
					n = append(n, len(s.Endpoints))
				}
				sort.Sort(sort.Reverse(sort.IntSlice(n)))
				if diff := cmp.Diff(tc.counts, n); diff != "" {
					t.Errorf("endpoints per slice (-want +got):\n%s", diff)
				}
				return
			}
			if diff := cmp.Diff(normalize(tc.want), normalize(got), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("slices (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSyncChurn: once slices exist, a sync changes only what it must, in
// place.
func TestSyncChurn(t *testing.T) {
	var objs []runtime.Object
	for i := range 150 {
		objs = append(objs, pod(fmt.Sprintf("p%03d", i), []string{fmt.Sprintf("10.1.0.%d", i+1)}, ready))
	}
	f := newFixture(t, append(objs, service(), node("node-a", "zone-1"))...)
	if err := f.sync(t); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"create web-", "create web-"}, f.writes()); diff != "" {
		t.Fatalf("first sync (-want +got):\n%s", diff)
	}

	if err := f.sync(t); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string(nil), f.writes()); diff != "" {
		t.Errorf("nothing changed, but (-want +got):\n%s", diff)
	}

	// One pod turns not ready: only its slice is rewritten.
	changed := pod("p007", []string{"10.1.0.8"})
	if err := f.pods.Update(changed); err != nil {
		t.Fatal(err)
	}
	var home string
	for _, s := range f.stored(t) {
		for _, e := range s.Endpoints {
			if e.TargetRef.Name == "p007" {
				home = s.Name
			}
		}
	}
	if err := f.sync(t); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"update " + home}, f.writes()); diff != "" {
		t.Errorf("one pod not ready (-want +got):\n%s", diff)
	}

	// All pods go: one slice is deleted, the other kept as the empty
	// placeholder.
	for _, o := range objs {
		if err := f.pods.Delete(o); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.sync(t); err != nil {
		t.Fatal(err)
	}
	got := f.stored(t)
	if len(got) != 1 || len(got[0].Endpoints) != 0 {
		t.Errorf("after all pods went: %d slices, want 1 empty placeholder; writes %v", len(got), f.writes())
	}
}

func TestSyncIgnores(t *testing.T) {
	foreign := slice(discoveryv1.AddressTypeIPv4, nil)
	foreign.Name = "web-custom"
	foreign.Labels = map[string]string{discoveryv1.LabelServiceName: "web", discoveryv1.LabelManagedBy: "someone-else"}
	for _, tc := range []struct {
		name string
		svc  *corev1.Service
	}{
		{name: "selector-less service", svc: service(func(s *corev1.Service) { s.Spec.Selector = nil })},
		{name: "ExternalName service", svc: service(func(s *corev1.Service) { s.Spec.Type = corev1.ServiceTypeExternalName })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.svc, foreign, pod("a", []string{"10.0.0.1"}, ready), node("node-a", "zone-1"))
			if err := f.sync(t); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string(nil), f.writes()); diff != "" {
				t.Errorf("writes (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSyncWaitsForOwnWrite: a slice cache that does not show yet what this
// controller wrote is behind, and the sync fails, to be retried, instead of
// writing again.
func TestSyncWaitsForOwnWrite(t *testing.T) {
	f := newFixture(t, service(), pod("a", []string{"10.0.0.1"}, ready), node("node-a", "zone-1"))
	if _, err := f.c.sync(context.Background(), ns+"/web"); err != nil {
		t.Fatal(err)
	}
	// The informer has not delivered the created slice.
	f.client.ClearActions()
	_, err := f.c.sync(context.Background(), ns+"/web")
	if !errors.Is(err, errStaleCache) {
		t.Errorf("sync on a cache behind the controller's create: err %v, want %v", err, errStaleCache)
	}
	if diff := cmp.Diff([]string(nil), f.writes()); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
}
