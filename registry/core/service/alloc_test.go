package service

import (
	"context"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	netutils "k8s.io/utils/net"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/registry/core/service/ipallocator"
	"github.com/kubeshim/kubeshim/registry/core/service/portallocator"
)

// Taken before every test: a cluster IP and a node port of another service.
const (
	takenIP   = "10.96.0.50"
	takenPort = 30080
)

func newTestAllocators(t *testing.T) *allocators {
	t.Helper()
	_, cidr, _ := netutils.ParseCIDRSloppy("10.96.0.0/12")
	ips, err := ipallocator.New(cidr, netutils.ParseIPSloppy("10.96.0.1"), netutils.ParseIPSloppy("10.96.0.10"))
	if err != nil {
		t.Fatal(err)
	}
	ports, err := portallocator.New(utilnet.PortRange{Base: 30000, Size: 2768})
	if err != nil {
		t.Fatal(err)
	}
	if err := ips.Allocate(netutils.ParseIPSloppy(takenIP)); err != nil {
		t.Fatal(err)
	}
	if err := ports.Allocate(takenPort); err != nil {
		t.Fatal(err)
	}
	return newAllocators(ips, ports)
}

// held is what the allocators hold, beyond what every test starts with.
func (a *allocators) held() (ips []string, ports []int) {
	for _, s := range []string{"10.96.0.1", "10.96.0.10", "10.96.0.60", "10.96.0.70"} {
		if a.ips.Has(netutils.ParseIPSloppy(s)) {
			ips = append(ips, s)
		}
	}
	for p := 30000; p <= 32767; p++ {
		if p != takenPort && a.ports.Has(p) {
			ports = append(ports, p)
		}
	}
	return ips, ports
}

type svcOption func(*corev1.Service)

// makeService is a defaulted ClusterIP service with one TCP port.
func makeService(opts ...svcOption) *corev1.Service {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "svc", Namespace: "ns"},
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeClusterIP,
			Selector: map[string]string{"app": "x"},
			Ports:    []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP}},
		},
	}
	for _, o := range opts {
		o(svc)
	}
	return svc
}

func clusterIP(ip string) svcOption {
	return func(s *corev1.Service) { s.Spec.ClusterIP = ip; s.Spec.ClusterIPs = []string{ip} }
}

func withType(t corev1.ServiceType) svcOption {
	return func(s *corev1.Service) {
		s.Spec.Type = t
		if t == corev1.ServiceTypeNodePort || t == corev1.ServiceTypeLoadBalancer {
			s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyCluster
		}
		if t == corev1.ServiceTypeLoadBalancer {
			s.Spec.AllocateLoadBalancerNodePorts = ptr.To(true)
		}
		if t == corev1.ServiceTypeExternalName {
			s.Spec.ExternalName = "example.com"
			s.Spec.Selector = nil
		}
	}
}

func nodePort(i int, port int32) svcOption {
	return func(s *corev1.Service) { s.Spec.Ports[i].NodePort = port }
}

func ports(ps ...corev1.ServicePort) svcOption {
	return func(s *corev1.Service) { s.Spec.Ports = ps }
}

func families(policy corev1.IPFamilyPolicy, fs ...corev1.IPFamily) svcOption {
	return func(s *corev1.Service) { s.Spec.IPFamilyPolicy = &policy; s.Spec.IPFamilies = fs }
}

func singleStack(s *corev1.Service) {
	families(corev1.IPFamilyPolicySingleStack, corev1.IPv4Protocol)(s)
}

// allocated replaces the values the allocators chose (those none of known
// holds) by placeholders a test can compare: "<ip>" and -1. A chosen cluster
// IP must be above the lower band of 10.96.0.0/12, a chosen node port above
// that of 30000-32767.
func allocated(t *testing.T, svc *corev1.Service, known ...*corev1.Service) *corev1.Service {
	t.Helper()
	svc = svc.DeepCopy()
	var knownIPs []string
	var knownPorts []int32
	for _, k := range known {
		knownIPs = append(knownIPs, k.Spec.ClusterIP)
		knownIPs = append(knownIPs, k.Spec.ClusterIPs...)
		knownPorts = append(knownPorts, k.Spec.HealthCheckNodePort)
		for _, p := range k.Spec.Ports {
			knownPorts = append(knownPorts, p.NodePort)
		}
	}
	_, cidr, _ := netutils.ParseCIDRSloppy("10.96.0.0/12")
	lowest := netutils.BigForIP(netutils.ParseIPSloppy("10.96.1.1"))
	if ip := svc.Spec.ClusterIP; ip != "" && !slices.Contains(knownIPs, ip) {
		parsed := netutils.ParseIPSloppy(ip)
		if parsed == nil || !cidr.Contains(parsed) || netutils.BigForIP(parsed).Cmp(lowest) < 0 {
			t.Errorf("allocated clusterIP %s, want one of 10.96.0.0/12 above its lower band", ip)
		}
		svc.Spec.ClusterIP = "<ip>"
		svc.Spec.ClusterIPs = []string{"<ip>"}
	}
	chosen := func(p *int32) {
		if *p == 0 || slices.Contains(knownPorts, *p) {
			return
		}
		if *p < 30086 || *p > 32767 {
			t.Errorf("allocated node port %d, want one of 30086-32767", *p)
		}
		*p = -1
	}
	for i := range svc.Spec.Ports {
		chosen(&svc.Spec.Ports[i].NodePort)
	}
	chosen(&svc.Spec.HealthCheckNodePort)
	return svc
}

func TestBeginCreate(t *testing.T) {
	tcp := corev1.ServicePort{Name: "tcp", Port: 53, Protocol: corev1.ProtocolTCP}
	udp := corev1.ServicePort{Name: "udp", Port: 53, Protocol: corev1.ProtocolUDP}
	tests := []struct {
		name      string
		svc       *corev1.Service
		dryRun    bool
		want      *corev1.Service
		wantErr   string
		wantIPs   []string
		wantPorts int // node ports held after the create
	}{{
		name: "cluster IP allocated",
		svc:  makeService(),
		want: makeService(clusterIP("<ip>"), singleStack),
	}, {
		name:    "requested cluster IP",
		svc:     makeService(clusterIP("10.96.0.60")),
		want:    makeService(clusterIP("10.96.0.60"), singleStack),
		wantIPs: []string{"10.96.0.60"},
	}, {
		name:    "requested cluster IP as clusterIP alone",
		svc:     makeService(func(s *corev1.Service) { s.Spec.ClusterIP = "10.96.0.60" }),
		want:    makeService(clusterIP("10.96.0.60"), singleStack),
		wantIPs: []string{"10.96.0.60"},
	}, {
		name:    "reserved address for the kubernetes service",
		svc:     makeService(clusterIP("10.96.0.1")),
		want:    makeService(clusterIP("10.96.0.1"), singleStack),
		wantIPs: []string{"10.96.0.1"},
	}, {
		name:    "requested cluster IP taken",
		svc:     makeService(clusterIP(takenIP)),
		wantErr: `Service "svc" is invalid: spec.clusterIPs: Invalid value: ["10.96.0.50"]: failed to allocate IP 10.96.0.50: provided IP is already allocated`,
	}, {
		name:    "requested cluster IP outside the range",
		svc:     makeService(clusterIP("10.0.0.5")),
		wantErr: `Service "svc" is invalid: spec.clusterIPs: Invalid value: ["10.0.0.5"]: failed to allocate IP 10.0.0.5: the provided network does not match the current range`,
	}, {
		name:    "requested broadcast address",
		svc:     makeService(clusterIP("10.111.255.255")),
		wantErr: `Service "svc" is invalid: spec.clusterIPs: Invalid value: ["10.111.255.255"]: failed to allocate IP 10.111.255.255: the provided IP (10.111.255.255) is not in the valid range. The range of valid IPs is 10.96.0.0/12`,
	}, {
		name:    "requested IPv6 address",
		svc:     makeService(clusterIP("fd00::1")),
		wantErr: `Service "svc" is invalid: spec.clusterIPs[0]: Invalid value: ["fd00::1"]: IPv6 is not configured on this cluster`,
	}, {
		name:    "dual-stack required",
		svc:     makeService(families(corev1.IPFamilyPolicyRequireDualStack)),
		wantErr: `Service "svc" is invalid: spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services`,
	}, {
		name:    "IPv6 family",
		svc:     makeService(families(corev1.IPFamilyPolicySingleStack, corev1.IPv6Protocol)),
		wantErr: `Service "svc" is invalid: spec.ipFamilies[0]: Invalid value: "IPv6": not configured on this cluster`,
	}, {
		name: "dual-stack preferred gets one family",
		svc:  makeService(families(corev1.IPFamilyPolicyPreferDualStack)),
		want: makeService(clusterIP("<ip>"), families(corev1.IPFamilyPolicyPreferDualStack, corev1.IPv4Protocol)),
	}, {
		name: "malformed cluster IP is left to validation",
		svc:  makeService(clusterIP("not-an-ip")),
		want: makeService(clusterIP("not-an-ip"), families(corev1.IPFamilyPolicySingleStack)),
	}, {
		name: "headless",
		svc:  makeService(clusterIP(corev1.ClusterIPNone)),
		want: makeService(clusterIP(corev1.ClusterIPNone), singleStack),
	}, {
		name: "headless without selector may be of both families",
		svc:  makeService(clusterIP(corev1.ClusterIPNone), func(s *corev1.Service) { s.Spec.Selector = nil }),
		want: makeService(clusterIP(corev1.ClusterIPNone), func(s *corev1.Service) { s.Spec.Selector = nil },
			families(corev1.IPFamilyPolicyRequireDualStack, corev1.IPv4Protocol, corev1.IPv6Protocol)),
	}, {
		name: "external name",
		svc:  makeService(withType(corev1.ServiceTypeExternalName)),
		want: makeService(withType(corev1.ServiceTypeExternalName)),
	}, {
		name:      "node port allocated",
		svc:       makeService(withType(corev1.ServiceTypeNodePort)),
		want:      makeService(withType(corev1.ServiceTypeNodePort), clusterIP("<ip>"), singleStack, nodePort(0, -1)),
		wantPorts: 1,
	}, {
		name:      "requested node port",
		svc:       makeService(withType(corev1.ServiceTypeNodePort), nodePort(0, 30500)),
		want:      makeService(withType(corev1.ServiceTypeNodePort), clusterIP("<ip>"), singleStack, nodePort(0, 30500)),
		wantPorts: 1,
	}, {
		name:    "requested node port taken",
		svc:     makeService(withType(corev1.ServiceTypeNodePort), nodePort(0, takenPort)),
		wantErr: `Service "svc" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated`,
	}, {
		name:    "requested node port out of range",
		svc:     makeService(withType(corev1.ServiceTypeNodePort), nodePort(0, 80)),
		wantErr: `Service "svc" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767`,
	}, {
		name:      "TCP and UDP ports share a node port",
		svc:       makeService(withType(corev1.ServiceTypeNodePort), ports(tcp, udp)),
		want:      makeService(withType(corev1.ServiceTypeNodePort), ports(tcp, udp), clusterIP("<ip>"), singleStack, nodePort(0, -1), nodePort(1, -1)),
		wantPorts: 1,
	}, {
		name: "load balancer with a health check",
		svc: makeService(withType(corev1.ServiceTypeLoadBalancer), func(s *corev1.Service) {
			s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
		}),
		want: makeService(withType(corev1.ServiceTypeLoadBalancer), clusterIP("<ip>"), singleStack, nodePort(0, -1), func(s *corev1.Service) {
			s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
			s.Spec.HealthCheckNodePort = -1
		}),
		wantPorts: 2,
	}, {
		name: "load balancer without node ports",
		svc: makeService(withType(corev1.ServiceTypeLoadBalancer), func(s *corev1.Service) {
			s.Spec.AllocateLoadBalancerNodePorts = ptr.To(false)
		}),
		want: makeService(withType(corev1.ServiceTypeLoadBalancer), clusterIP("<ip>"), singleStack, func(s *corev1.Service) {
			s.Spec.AllocateLoadBalancerNodePorts = ptr.To(false)
		}),
	}, {
		name:   "dry run fills in values and takes none",
		svc:    makeService(withType(corev1.ServiceTypeNodePort)),
		dryRun: true,
		want:   makeService(withType(corev1.ServiceTypeNodePort), clusterIP("<ip>"), singleStack, nodePort(0, -1)),
	}, {
		name:   "dry run honours a requested address",
		svc:    makeService(clusterIP("10.96.0.60")),
		dryRun: true,
		want:   makeService(clusterIP("10.96.0.60"), singleStack),
	}, {
		name:    "dry run checks a requested address",
		svc:     makeService(clusterIP(takenIP)),
		dryRun:  true,
		wantErr: `Service "svc" is invalid: spec.clusterIPs: Invalid value: ["10.96.0.50"]: failed to allocate IP 10.96.0.50: provided IP is already allocated`,
	}, {
		name:    "dry run checks a requested node port",
		svc:     makeService(withType(corev1.ServiceTypeNodePort), nodePort(0, takenPort)),
		dryRun:  true,
		wantErr: `Service "svc" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated`,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := newTestAllocators(t)
			usedIPs := a.ips.Used()
			opts := &metav1.CreateOptions{}
			if tc.dryRun {
				opts.DryRun = []string{metav1.DryRunAll}
			}
			svc := tc.svc.DeepCopy()
			finish, err := a.beginCreate(context.Background(), svc, opts)
			if diff := cmp.Diff(tc.wantErr, errString(err)); diff != "" {
				t.Fatalf("error (-want +got):\n%s", diff)
			}
			if err == nil {
				finish(context.Background(), true)
				if diff := cmp.Diff(tc.want, allocated(t, svc, tc.svc)); diff != "" {
					t.Errorf("service (-want +got):\n%s", diff)
				}
			}
			ips, ports := a.held()
			if diff := cmp.Diff(tc.wantIPs, ips); diff != "" {
				t.Errorf("requested IPs held (-want +got):\n%s", diff)
			}
			if len(ports) != tc.wantPorts {
				t.Errorf("node ports held = %v, want %d of them", ports, tc.wantPorts)
			}
			wantUsed := usedIPs
			if err == nil && !tc.dryRun && svc.Spec.ClusterIP != "" && svc.Spec.ClusterIP != corev1.ClusterIPNone && netutils.ParseIPSloppy(svc.Spec.ClusterIP) != nil {
				wantUsed++
			}
			if a.ips.Used() != wantUsed {
				t.Errorf("IPs used = %d, want %d", a.ips.Used(), wantUsed)
			}
		})
	}
}

// TestCreateRollback: a create that fails after its allocation (validation,
// the write) gives everything back.
func TestCreateRollback(t *testing.T) {
	a := newTestAllocators(t)
	svc := makeService(withType(corev1.ServiceTypeNodePort), clusterIP("10.96.0.60"), nodePort(0, 30500))
	finish, err := a.beginCreate(context.Background(), svc, &metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	finish(context.Background(), false)
	if ips, ports := a.held(); len(ips) != 0 || len(ports) != 0 {
		t.Errorf("after a failed create the allocators hold %v %v", ips, ports)
	}
}

func TestBeginUpdate(t *testing.T) {
	nodePortSvc := makeService(withType(corev1.ServiceTypeNodePort), clusterIP("10.96.0.60"), singleStack, nodePort(0, 30500))
	lbLocal := makeService(withType(corev1.ServiceTypeLoadBalancer), clusterIP("10.96.0.60"), singleStack, nodePort(0, 30500), func(s *corev1.Service) {
		s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
		s.Spec.HealthCheckNodePort = 30600
	})
	tests := []struct {
		name    string
		old     *corev1.Service
		svc     *corev1.Service
		dryRun  bool
		want    *corev1.Service
		wantErr string
		// held after the update is written, or after it fails.
		wantIPs, wantIPsFailed     []string
		wantPorts, wantPortsFailed []int
	}{{
		name:      "unchanged manifest keeps what was allocated",
		old:       nodePortSvc,
		svc:       makeService(withType(corev1.ServiceTypeNodePort)),
		want:      nodePortSvc,
		wantIPs:   []string{"10.96.0.60"},
		wantPorts: []int{30500}, wantIPsFailed: []string{"10.96.0.60"}, wantPortsFailed: []int{30500},
	}, {
		name:      "node port to cluster IP releases node ports",
		old:       nodePortSvc,
		svc:       makeService(clusterIP("10.96.0.60"), singleStack),
		want:      makeService(clusterIP("10.96.0.60"), singleStack),
		wantIPs:   []string{"10.96.0.60"},
		wantPorts: nil, wantIPsFailed: []string{"10.96.0.60"}, wantPortsFailed: []int{30500},
	}, {
		name:            "cluster IP to node port allocates node ports",
		old:             makeService(clusterIP("10.96.0.60"), singleStack),
		svc:             makeService(withType(corev1.ServiceTypeNodePort), nodePort(0, 30501)),
		want:            makeService(withType(corev1.ServiceTypeNodePort), clusterIP("10.96.0.60"), singleStack, nodePort(0, 30501)),
		wantIPs:         []string{"10.96.0.60"},
		wantPorts:       []int{30501},
		wantIPsFailed:   []string{"10.96.0.60"},
		wantPortsFailed: nil,
	}, {
		name:      "changed node port",
		old:       nodePortSvc,
		svc:       makeService(withType(corev1.ServiceTypeNodePort), clusterIP("10.96.0.60"), nodePort(0, 30501)),
		want:      makeService(withType(corev1.ServiceTypeNodePort), clusterIP("10.96.0.60"), singleStack, nodePort(0, 30501)),
		wantIPs:   []string{"10.96.0.60"},
		wantPorts: []int{30501}, wantIPsFailed: []string{"10.96.0.60"}, wantPortsFailed: []int{30500},
	}, {
		name:      "node port taken",
		old:       nodePortSvc,
		svc:       makeService(withType(corev1.ServiceTypeNodePort), clusterIP("10.96.0.60"), nodePort(0, takenPort)),
		wantErr:   `Service "svc" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated`,
		wantIPs:   []string{"10.96.0.60"},
		wantPorts: []int{30500}, wantIPsFailed: []string{"10.96.0.60"}, wantPortsFailed: []int{30500},
	}, {
		name: "to external name releases the cluster IP",
		old:  makeService(clusterIP("10.96.0.60"), singleStack),
		svc: makeService(withType(corev1.ServiceTypeExternalName), clusterIP("10.96.0.60"), singleStack, func(s *corev1.Service) {
			s.Spec.Ports = nil
		}),
		want: makeService(withType(corev1.ServiceTypeExternalName), clusterIP("10.96.0.60"), singleStack, func(s *corev1.Service) {
			s.Spec.Ports = nil
		}),
		wantIPs: nil, wantIPsFailed: []string{"10.96.0.60"},
	}, {
		name:          "from external name allocates a cluster IP",
		old:           makeService(withType(corev1.ServiceTypeExternalName)),
		svc:           makeService(clusterIP("10.96.0.70")),
		want:          makeService(clusterIP("10.96.0.70"), singleStack),
		wantIPs:       []string{"10.96.0.70"},
		wantIPsFailed: nil,
	}, {
		name:      "changed cluster IP takes nothing",
		old:       makeService(clusterIP("10.96.0.60"), singleStack),
		svc:       makeService(clusterIP("10.96.0.70"), singleStack),
		want:      makeService(clusterIP("10.96.0.70"), singleStack),
		wantIPs:   []string{"10.96.0.60"},
		wantPorts: nil, wantIPsFailed: []string{"10.96.0.60"},
	}, {
		name: "health check no longer needed",
		old:  lbLocal,
		svc: makeService(withType(corev1.ServiceTypeLoadBalancer), clusterIP("10.96.0.60"), singleStack, nodePort(0, 30500), func(s *corev1.Service) {
			s.Spec.HealthCheckNodePort = 30600 // PrepareForUpdate drops it later
		}),
		want: makeService(withType(corev1.ServiceTypeLoadBalancer), clusterIP("10.96.0.60"), singleStack, nodePort(0, 30500), func(s *corev1.Service) {
			s.Spec.HealthCheckNodePort = 30600
		}),
		wantIPs:   []string{"10.96.0.60"},
		wantPorts: []int{30500}, wantIPsFailed: []string{"10.96.0.60"}, wantPortsFailed: []int{30500, 30600},
	}, {
		name:      "dry run takes and releases nothing",
		old:       nodePortSvc,
		svc:       makeService(withType(corev1.ServiceTypeNodePort), clusterIP("10.96.0.60"), nodePort(0, 30501)),
		dryRun:    true,
		want:      makeService(withType(corev1.ServiceTypeNodePort), clusterIP("10.96.0.60"), singleStack, nodePort(0, 30501)),
		wantIPs:   []string{"10.96.0.60"},
		wantPorts: []int{30500}, wantIPsFailed: []string{"10.96.0.60"}, wantPortsFailed: []int{30500},
	}}
	for _, tc := range tests {
		for _, written := range []bool{true, false} {
			name := tc.name + "/written"
			if !written {
				name = tc.name + "/failed"
			}
			t.Run(name, func(t *testing.T) {
				a := newTestAllocators(t)
				a.restore(testLogger(t), tc.old)
				opts := &metav1.UpdateOptions{}
				if tc.dryRun {
					opts.DryRun = []string{metav1.DryRunAll}
				}
				svc := tc.svc.DeepCopy()
				// As REST.Update: the store finishes before it writes.
				ctx, p := withPending(context.Background())
				finish, err := a.beginUpdate(ctx, svc, tc.old.DeepCopy(), opts)
				if diff := cmp.Diff(tc.wantErr, errString(err)); diff != "" {
					t.Fatalf("error (-want +got):\n%s", diff)
				}
				if err == nil {
					finish(ctx, true)
					if diff := cmp.Diff(tc.want, allocated(t, svc, tc.svc, tc.old)); diff != "" {
						t.Errorf("service (-want +got):\n%s", diff)
					}
				}
				p.settle(written && err == nil)
				wantIPs, wantPorts := tc.wantIPs, tc.wantPorts
				if !written || err != nil {
					wantIPs, wantPorts = tc.wantIPsFailed, tc.wantPortsFailed
				}
				ips, ports := a.held()
				if diff := cmp.Diff(wantIPs, ips); diff != "" {
					t.Errorf("IPs held (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(wantPorts, ports); diff != "" {
					t.Errorf("node ports held (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// TestUpdateRetry: when the store tries an update again after a conflict,
// the earlier attempt's allocations go back.
func TestUpdateRetry(t *testing.T) {
	a := newTestAllocators(t)
	old := makeService(clusterIP("10.96.0.60"), singleStack)
	a.restore(testLogger(t), old)
	ctx, p := withPending(context.Background())
	for range 3 {
		svc := makeService(withType(corev1.ServiceTypeNodePort), clusterIP("10.96.0.60"))
		finish, err := a.beginUpdate(ctx, svc, old.DeepCopy(), &metav1.UpdateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		finish(ctx, true)
	}
	p.settle(true)
	if _, ports := a.held(); len(ports) != 1 {
		t.Errorf("node ports held after three attempts = %v, want the last attempt's one", ports)
	}
}

func TestAfterDelete(t *testing.T) {
	a := newTestAllocators(t)
	svc := makeService(withType(corev1.ServiceTypeLoadBalancer), clusterIP("10.96.0.60"), singleStack, nodePort(0, 30500), func(s *corev1.Service) {
		s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
		s.Spec.HealthCheckNodePort = 30600
	})
	a.restore(testLogger(t), svc)
	a.afterDelete(svc, &metav1.DeleteOptions{DryRun: []string{metav1.DryRunAll}})
	if ips, ports := a.held(); len(ips) != 1 || len(ports) != 2 {
		t.Errorf("after a dry-run delete the allocators hold %v %v, want everything still", ips, ports)
	}
	a.afterDelete(svc, &metav1.DeleteOptions{})
	if ips, ports := a.held(); len(ips) != 0 || len(ports) != 0 {
		t.Errorf("after a delete the allocators hold %v %v", ips, ports)
	}
}

func TestDropTypeDependentFields(t *testing.T) {
	nodePortSvc := makeService(withType(corev1.ServiceTypeNodePort), clusterIP("10.96.0.60"), singleStack, nodePort(0, 30500))
	tests := []struct {
		name     string
		old, svc *corev1.Service
		want     *corev1.Service
	}{{
		name: "node ports go with the type",
		old:  nodePortSvc,
		svc:  makeService(clusterIP("10.96.0.60"), singleStack, nodePort(0, 30500), func(s *corev1.Service) { s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyCluster }),
		want: makeService(clusterIP("10.96.0.60"), singleStack),
	}, {
		name: "a node port the client added stays, for validation",
		old:  nodePortSvc,
		svc:  makeService(clusterIP("10.96.0.60"), singleStack, nodePort(0, 30501)),
		want: makeService(clusterIP("10.96.0.60"), singleStack, nodePort(0, 30501)),
	}, {
		name: "cluster IPs go with external name",
		old:  makeService(clusterIP("10.96.0.60"), singleStack),
		svc:  makeService(withType(corev1.ServiceTypeExternalName), clusterIP("10.96.0.60"), singleStack),
		want: makeService(withType(corev1.ServiceTypeExternalName)),
	}, {
		name: "a load balancer's status goes with the type",
		old: makeService(withType(corev1.ServiceTypeLoadBalancer), func(s *corev1.Service) {
			s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "192.0.2.1"}}
		}),
		svc: makeService(withType(corev1.ServiceTypeLoadBalancer), withType(corev1.ServiceTypeNodePort), func(s *corev1.Service) {
			s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "192.0.2.1"}}
		}),
		want: makeService(withType(corev1.ServiceTypeNodePort)),
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			svc := tc.svc.DeepCopy()
			dropTypeDependentFields(svc, tc.old)
			if diff := cmp.Diff(tc.want, svc); diff != "" {
				t.Errorf("service (-want +got):\n%s", diff)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
