package endpointslicemirroring

import (
	"maps"
	"slices"
	"sort"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	endpointsliceutil "k8s.io/endpointslice/util"
	utilnet "k8s.io/utils/net"

	"github.com/kubeshim/kubeshim/controllers/endpoint"
)

// group is what one slice should hold: the endpoints of one address type
// offering one set of ports.
type group struct {
	addressType discoveryv1.AddressType
	ports       []discoveryv1.EndpointPort
	endpoints   endpointsliceutil.EndpointSet
}

// desired is what an Endpoints asks for, by groupKey.
type desired struct {
	groups map[string]*group
	// invalid counts addresses that are no IP; skipped those beyond the
	// per-subset cap.
	invalid, skipped int
}

func groupKey(t discoveryv1.AddressType, ports []discoveryv1.EndpointPort) string {
	// NewPortMapKey sorts what it is given; a slice's ports may be the
	// informer's.
	return string(t) + "-" + string(endpointsliceutil.NewPortMapKey(slices.Clone(ports)))
}

// desiredFor groups ep's addresses by family and ports, at most max
// addresses of each (repacked) subset, ready ones first.
func desiredFor(ep *corev1.Endpoints, max int) desired {
	d := desired{groups: map[string]*group{}}
	for _, s := range endpoint.Repack(ep.Subsets) {
		ports := make([]discoveryv1.EndpointPort, 0, len(s.Ports))
		for _, p := range s.Ports {
			p := p.DeepCopy()
			ports = append(ports, discoveryv1.EndpointPort{Name: &p.Name, Port: &p.Port, Protocol: &p.Protocol, AppProtocol: p.AppProtocol})
		}
		added := 0
		add := func(a corev1.EndpointAddress, ready bool) {
			if added >= max {
				d.skipped++
				return
			}
			e, t, ok := toEndpoint(a, ready)
			if !ok {
				d.invalid++
				return
			}
			k := groupKey(t, ports)
			g := d.groups[k]
			if g == nil {
				g = &group{addressType: t, ports: ports, endpoints: endpointsliceutil.EndpointSet{}}
				d.groups[k] = g
			}
			g.endpoints.Insert(e)
			added++
		}
		for _, a := range s.Addresses {
			add(a, true)
		}
		for _, a := range s.NotReadyAddresses {
			add(a, false)
		}
	}
	return d
}

// toEndpoint is an Endpoints address as a slice endpoint, and its family;
// false if the address is no IP.
func toEndpoint(a corev1.EndpointAddress, ready bool) (*discoveryv1.Endpoint, discoveryv1.AddressType, bool) {
	ip := utilnet.ParseIPSloppy(a.IP)
	if ip == nil {
		return nil, "", false
	}
	t := discoveryv1.AddressTypeIPv4
	if ip.To4() == nil {
		t = discoveryv1.AddressTypeIPv6
	}
	a = *a.DeepCopy()
	e := &discoveryv1.Endpoint{
		// Re-formatted: Endpoints validation accepts irregular forms.
		Addresses:  []string{ip.String()},
		Conditions: discoveryv1.EndpointConditions{Ready: &ready},
		TargetRef:  a.TargetRef,
		NodeName:   a.NodeName,
	}
	if a.Hostname != "" {
		e.Hostname = &a.Hostname
	}
	return e, t, true
}

// plan is the writes that bring an Endpoints' mirrored slices to what it
// asks for.
type plan struct {
	create, update, remove []*discoveryv1.EndpointSlice
	// unchanged slices are kept as they are.
	unchanged []*discoveryv1.EndpointSlice
}

// planFor compares the slices mirrored from ep with what it asks for. Each
// group keeps one slice (the first by name), updated in place when it
// differs; surplus slices are deleted, and a slice to create reuses one to
// delete of its address type, so that a change of ports is an update.
func planFor(ep *corev1.Endpoints, existing []*discoveryv1.EndpointSlice, d desired, max int) plan {
	existing = slices.Clone(existing)
	sort.Slice(existing, func(i, j int) bool { return existing[i].Name < existing[j].Name })
	byKey := map[string][]*discoveryv1.EndpointSlice{}
	for _, s := range existing {
		k := groupKey(s.AddressType, s.Ports)
		byKey[k] = append(byKey[k], s)
	}
	var p plan
	keys := slices.Sorted(maps.Keys(d.groups))
	for _, k := range keys {
		g := d.groups[k]
		have := byKey[k]
		delete(byKey, k)
		name := ""
		if len(have) > 0 {
			p.remove = append(p.remove, have[1:]...)
			if upToDate(ep, have[0], g.endpoints) {
				p.unchanged = append(p.unchanged, have[0])
				continue
			}
			name = have[0].Name
		}
		s := newSlice(ep, g, name, max)
		if name == "" {
			p.create = append(p.create, s)
		} else {
			p.update = append(p.update, s)
		}
	}
	// Slices of groups no longer asked for.
	for _, k := range slices.Sorted(maps.Keys(byKey)) {
		p.remove = append(p.remove, byKey[k]...)
	}
	p.recycle()
	return p
}

// recycle turns pairs of a create and a delete of the same address type
// into updates.
func (p *plan) recycle() {
	var create []*discoveryv1.EndpointSlice
	for _, s := range p.create {
		i := slices.IndexFunc(p.remove, func(r *discoveryv1.EndpointSlice) bool { return r.AddressType == s.AddressType })
		if i < 0 {
			create = append(create, s)
			continue
		}
		s.GenerateName, s.Name = "", p.remove[i].Name
		p.remove = slices.Delete(p.remove, i, i+1)
		p.update = append(p.update, s)
	}
	p.create = create
}

// upToDate reports whether s already mirrors ep's group: the same
// endpoints, labels and annotations, and ep (not an earlier Endpoints of
// the name) as owner.
func upToDate(ep *corev1.Endpoints, s *discoveryv1.EndpointSlice, want endpointsliceutil.EndpointSet) bool {
	matched := 0
	for i := range s.Endpoints {
		got := want.Get(&s.Endpoints[i])
		if got == nil || !endpointsliceutil.EndpointsEqualBeyondHash(got, &s.Endpoints[i]) {
			return false
		}
		matched++
	}
	if matched != want.Len() {
		return false
	}
	for _, o := range s.OwnerReferences {
		if o.Kind == "Endpoints" && o.Name == ep.Name && o.UID != ep.UID {
			return false
		}
	}
	return maps.Equal(sliceLabels(ep), s.Labels) && maps.Equal(sliceAnnotations(ep), s.Annotations)
}

// sliceLabels are ep's labels plus the mirroring controller's.
func sliceLabels(ep *corev1.Endpoints) map[string]string {
	l := maps.Clone(ep.Labels)
	if l == nil {
		l = map[string]string{}
	}
	l[discoveryv1.LabelServiceName] = ep.Name
	l[discoveryv1.LabelManagedBy] = ControllerName
	return l
}

// sliceAnnotations are ep's annotations but those that describe the
// Endpoints object itself.
func sliceAnnotations(ep *corev1.Endpoints) map[string]string {
	a := maps.Clone(ep.Annotations)
	if a == nil {
		a = map[string]string{}
	}
	delete(a, corev1.EndpointsLastChangeTriggerTime)
	delete(a, corev1.LastAppliedConfigAnnotation)
	return a
}

// newSlice is g as a slice mirrored from ep, named name (or generated from
// ep's name), with at most max endpoints in address order.
func newSlice(ep *corev1.Endpoints, g *group, name string, max int) *discoveryv1.EndpointSlice {
	s := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Name:            name,
			Namespace:       ep.Namespace,
			Labels:          sliceLabels(ep),
			Annotations:     sliceAnnotations(ep),
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(ep, corev1.SchemeGroupVersion.WithKind("Endpoints"))},
		},
		AddressType: g.addressType,
		Ports:       g.ports,
		Endpoints:   []discoveryv1.Endpoint{},
	}
	if name == "" {
		s.GenerateName = namePrefix(ep.Name)
	}
	for _, e := range g.endpoints.UnsortedList() {
		s.Endpoints = append(s.Endpoints, *e)
	}
	sort.Slice(s.Endpoints, func(i, j int) bool {
		a, b := &s.Endpoints[i], &s.Endpoints[j]
		if a.Addresses[0] != b.Addresses[0] {
			return a.Addresses[0] < b.Addresses[0]
		}
		return targetName(a) < targetName(b)
	})
	if len(s.Endpoints) > max {
		s.Endpoints = s.Endpoints[:max]
	}
	return s
}

func targetName(e *discoveryv1.Endpoint) string {
	if e.TargetRef == nil {
		return ""
	}
	return e.TargetRef.Namespace + "/" + e.TargetRef.Name
}

// namePrefix is "<name>-", or the bare name when the dash would make an
// invalid prefix.
func namePrefix(name string) string {
	if p := name + "-"; len(apivalidation.NameIsDNSSubdomain(p, true)) == 0 {
		return p
	}
	return name
}
