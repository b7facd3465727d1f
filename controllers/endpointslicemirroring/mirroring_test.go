package endpointslicemirroring

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
)

const ns = "ns"

func service(selector map[string]string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: ns, UID: "svc-uid"},
		Spec:       corev1.ServiceSpec{Selector: selector, Ports: []corev1.ServicePort{{Name: "pg", Port: 5432}}},
	}
}

func endpoints(subsets ...corev1.EndpointSubset) *corev1.Endpoints {
	return &corev1.Endpoints{
		ObjectMeta: metav1.ObjectMeta{
			Name: "db", Namespace: ns, UID: "ep-uid",
			Labels: map[string]string{"team": "a"},
			Annotations: map[string]string{
				"note":                                "kept",
				corev1.EndpointsLastChangeTriggerTime: "2026-01-02T03:04:05Z",
				corev1.LastAppliedConfigAnnotation:    "{}",
			},
		},
		Subsets: subsets,
	}
}

func addrs(ips ...string) []corev1.EndpointAddress {
	var out []corev1.EndpointAddress
	for _, ip := range ips {
		out = append(out, corev1.EndpointAddress{IP: ip})
	}
	return out
}

func epPort(name string, n int32) corev1.EndpointPort {
	return corev1.EndpointPort{Name: name, Port: n, Protocol: corev1.ProtocolTCP}
}

func slicePort(name string, n int32) discoveryv1.EndpointPort {
	return discoveryv1.EndpointPort{Name: ptr.To(name), Port: ptr.To(n), Protocol: ptr.To(corev1.ProtocolTCP)}
}

func ep(ip string, ready bool) discoveryv1.Endpoint {
	return discoveryv1.Endpoint{Addresses: []string{ip}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(ready)}}
}

// mirror is a slice mirrored from endpoints().
func mirror(t discoveryv1.AddressType, ports []discoveryv1.EndpointPort, eps ...discoveryv1.Endpoint) *discoveryv1.EndpointSlice {
	return &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: "db-",
			Namespace:    ns,
			Labels:       map[string]string{"team": "a", discoveryv1.LabelServiceName: "db", discoveryv1.LabelManagedBy: ControllerName},
			Annotations:  map[string]string{"note": "kept"},
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: "v1", Kind: "Endpoints", Name: "db", UID: "ep-uid",
				Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true),
			}},
		},
		AddressType: t,
		Ports:       ports,
		Endpoints:   eps,
	}
}

func normalize(in []*discoveryv1.EndpointSlice) []*discoveryv1.EndpointSlice {
	out := make([]*discoveryv1.EndpointSlice, len(in))
	for i, s := range in {
		s = s.DeepCopy()
		s.Name, s.TypeMeta, s.ManagedFields = "", metav1.TypeMeta{}, nil
		out[i] = s
	}
	key := func(s *discoveryv1.EndpointSlice) string {
		k := string(s.AddressType)
		for _, p := range s.Ports {
			k += fmt.Sprintf("/%d", *p.Port)
		}
		return k
	}
	sort.Slice(out, func(a, b int) bool { return key(out[a]) < key(out[b]) })
	return out
}

func TestDesired(t *testing.T) {
	node := "node-1"
	target := &corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: "db-0", UID: "pod-uid"}
	for _, tc := range []struct {
		name        string
		ep          *corev1.Endpoints
		max         int
		want        []*discoveryv1.EndpointSlice
		wantInvalid int
		wantSkipped int
	}{{
		name: "ready and not ready addresses, with node, target and hostname",
		ep: endpoints(corev1.EndpointSubset{
			Addresses:         []corev1.EndpointAddress{{IP: "10.0.0.1", Hostname: "db-0", NodeName: &node, TargetRef: target}},
			NotReadyAddresses: addrs("10.0.0.2"),
			Ports:             []corev1.EndpointPort{epPort("pg", 5432)},
		}),
		want: []*discoveryv1.EndpointSlice{mirror(discoveryv1.AddressTypeIPv4, []discoveryv1.EndpointPort{slicePort("pg", 5432)},
			discoveryv1.Endpoint{Addresses: []string{"10.0.0.1"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}, Hostname: ptr.To("db-0"), NodeName: &node, TargetRef: target},
			ep("10.0.0.2", false),
		)},
	}, {
		name: "a slice per family and per port set",
		ep: endpoints(
			corev1.EndpointSubset{Addresses: addrs("10.0.0.1", "fd00::1"), Ports: []corev1.EndpointPort{epPort("pg", 5432)}},
			corev1.EndpointSubset{Addresses: addrs("10.0.0.9"), Ports: []corev1.EndpointPort{epPort("pg", 6432)}},
		),
		want: []*discoveryv1.EndpointSlice{
			mirror(discoveryv1.AddressTypeIPv4, []discoveryv1.EndpointPort{slicePort("pg", 5432)}, ep("10.0.0.1", true)),
			mirror(discoveryv1.AddressTypeIPv4, []discoveryv1.EndpointPort{slicePort("pg", 6432)}, ep("10.0.0.9", true)),
			mirror(discoveryv1.AddressTypeIPv6, []discoveryv1.EndpointPort{slicePort("pg", 5432)}, ep("fd00::1", true)),
		},
	}, {
		name:        "invalid IPs are skipped and counted",
		ep:          endpoints(corev1.EndpointSubset{Addresses: addrs("10.0.0.1", "not-an-ip"), Ports: []corev1.EndpointPort{epPort("pg", 5432)}}),
		want:        []*discoveryv1.EndpointSlice{mirror(discoveryv1.AddressTypeIPv4, []discoveryv1.EndpointPort{slicePort("pg", 5432)}, ep("10.0.0.1", true))},
		wantInvalid: 1,
	}, {
		name: "beyond the per-subset maximum, ready addresses first",
		ep: endpoints(corev1.EndpointSubset{
			Addresses: addrs("10.0.0.3", "10.0.0.1"), NotReadyAddresses: addrs("10.0.0.2"),
			Ports: []corev1.EndpointPort{epPort("pg", 5432)},
		}),
		max:         2,
		want:        []*discoveryv1.EndpointSlice{mirror(discoveryv1.AddressTypeIPv4, []discoveryv1.EndpointPort{slicePort("pg", 5432)}, ep("10.0.0.1", true), ep("10.0.0.3", true))},
		wantSkipped: 1,
	}, {
		name: "no addresses, no slices",
		ep:   endpoints(corev1.EndpointSubset{Ports: []corev1.EndpointPort{epPort("pg", 5432)}}),
	}} {
		t.Run(tc.name, func(t *testing.T) {
			max := tc.max
			if max == 0 {
				max = MaxEndpointsPerSubset
			}
			d := desiredFor(tc.ep, max)
			p := planFor(tc.ep, nil, d, max)
			if diff := cmp.Diff(normalize(tc.want), normalize(p.create), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("slices to create (-want +got):\n%s", diff)
			}
			if len(p.update)+len(p.remove)+len(p.unchanged) > 0 {
				t.Errorf("with no slices yet: %d updates, %d deletes, %d unchanged", len(p.update), len(p.remove), len(p.unchanged))
			}
			if d.invalid != tc.wantInvalid || d.skipped != tc.wantSkipped {
				t.Errorf("invalid %d, skipped %d; want %d, %d", d.invalid, d.skipped, tc.wantInvalid, tc.wantSkipped)
			}
		})
	}
}

type fixture struct {
	c       *Controller
	client  *fake.Clientset
	slices  cache.Indexer
	nameSeq int
}

func newFixture(t *testing.T, objs ...runtime.Object) *fixture {
	t.Helper()
	client := fake.NewClientset(objs...)
	factory := informers.NewSharedInformerFactory(client, 0)
	eps, svcs, slices := factory.Core().V1().Endpoints(), factory.Core().V1().Services(), factory.Discovery().V1().EndpointSlices()
	f := &fixture{c: New(client, eps, svcs, slices), client: client, slices: slices.Informer().GetIndexer()}
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
		case *corev1.Endpoints:
			err = eps.Informer().GetIndexer().Add(o)
		case *discoveryv1.EndpointSlice:
			err = f.slices.Add(o)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// sync runs one sync and then brings the slice cache up to the client's
// store, as the informer would.
func (f *fixture) sync(t *testing.T) error {
	t.Helper()
	f.client.ClearActions()
	_, err := f.c.sync(context.Background(), ns+"/db")
	for _, o := range f.slices.List() {
		_ = f.slices.Delete(o)
	}
	for _, s := range f.stored(t) {
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

func TestSync(t *testing.T) {
	custom := endpoints(corev1.EndpointSubset{Addresses: addrs("10.0.0.1"), Ports: []corev1.EndpointPort{epPort("pg", 5432)}})
	existing := mirror(discoveryv1.AddressTypeIPv4, []discoveryv1.EndpointPort{slicePort("pg", 5432)}, ep("10.0.0.1", true))
	existing.Name, existing.GenerateName, existing.UID = "db-abcde", "", "uid-abcde"
	outdated := existing.DeepCopy()
	outdated.Endpoints = []discoveryv1.Endpoint{ep("10.0.0.1", false)}
	surplus := existing.DeepCopy()
	surplus.Name, surplus.UID = "db-zzzzz", "uid-zzzzz"
	otherPorts := existing.DeepCopy()
	otherPorts.Ports = []discoveryv1.EndpointPort{slicePort("pg", 6432)}
	skip := custom.DeepCopy()
	skip.Labels = map[string]string{discoveryv1.LabelSkipMirror: "true"}
	notOurs := existing.DeepCopy()
	notOurs.Labels[discoveryv1.LabelManagedBy] = "someone"
	for _, tc := range []struct {
		name string
		objs []runtime.Object
		want []string
	}{
		{name: "custom endpoints of a selector-less service are mirrored", objs: []runtime.Object{service(nil), custom}, want: []string{"create db-"}},
		{name: "an up to date mirror is not written", objs: []runtime.Object{service(nil), custom, existing}},
		{name: "a changed endpoint is updated in place", objs: []runtime.Object{service(nil), custom, outdated}, want: []string{"update db-abcde"}},
		{name: "a surplus slice of the same ports is deleted", objs: []runtime.Object{service(nil), custom, existing, surplus}, want: []string{"delete db-zzzzz"}},
		{name: "changed ports reuse the old slice", objs: []runtime.Object{service(nil), custom, otherPorts}, want: []string{"update db-abcde"}},
		{name: "skip-mirror endpoints lose their mirror", objs: []runtime.Object{service(nil), skip, existing}, want: []string{"delete db-abcde"}},
		{name: "a service with a selector loses the mirror", objs: []runtime.Object{service(map[string]string{"app": "db"}), custom, existing}, want: []string{"delete db-abcde"}},
		{name: "endpoints without a service are not mirrored", objs: []runtime.Object{custom, existing}, want: []string{"delete db-abcde"}},
		{name: "deleted endpoints lose their mirror", objs: []runtime.Object{service(nil), existing}, want: []string{"delete db-abcde"}},
		{name: "slices of other managers are left alone", objs: []runtime.Object{service(map[string]string{"app": "db"}), custom, notOurs}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.objs...)
			if err := f.sync(t); err != nil {
				t.Fatalf("sync: %v", err)
			}
			if diff := cmp.Diff(tc.want, f.writes()); diff != "" {
				t.Errorf("writes (-want +got):\n%s", diff)
			}
			// A second sync on the updated cache has nothing left to do.
			if err := f.sync(t); err != nil {
				t.Fatalf("second sync: %v", err)
			}
			if diff := cmp.Diff([]string(nil), f.writes()); diff != "" {
				t.Errorf("second sync writes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSyncWaitsForOwnWrite(t *testing.T) {
	custom := endpoints(corev1.EndpointSubset{Addresses: addrs("10.0.0.1"), Ports: []corev1.EndpointPort{epPort("pg", 5432)}})
	f := newFixture(t, service(nil), custom)
	if _, err := f.c.sync(context.Background(), ns+"/db"); err != nil {
		t.Fatal(err)
	}
	// The informer has not delivered the created slice.
	f.client.ClearActions()
	if _, err := f.c.sync(context.Background(), ns+"/db"); !errors.Is(err, errStaleCache) {
		t.Errorf("sync on a cache behind the controller's create: err %v, want %v", err, errStaleCache)
	}
	if diff := cmp.Diff([]string(nil), f.writes()); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
}
