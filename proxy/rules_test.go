package proxy

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// The filter table and fixed nat rules with testParams; {SERVICES},
// {EXTERNAL}, {NAT-CHAINS}, {NAT-RULES} and {NODEPORTS} are filled per case.
const payloadTemplate = `*filter
:KUBESHIM-SERVICES - [0:0]
:KUBESHIM-EXTERNAL-SERVICES - [0:0]
:KUBESHIM-PROXY-FORWARD - [0:0]
:KUBESHIM-PROXY-FIREWALL - [0:0]
:KUBESHIM-LOCALNET - [0:0]
{FILTER}-A KUBESHIM-PROXY-FORWARD -m conntrack --ctstate INVALID -j DROP
-A KUBESHIM-PROXY-FORWARD -m comment --comment "kubeshim forwarding rules" -m mark --mark 0x004000/0x004000 -j ACCEPT
-A KUBESHIM-PROXY-FORWARD -m comment --comment "kubeshim forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A KUBESHIM-LOCALNET -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
COMMIT
*nat
:KUBESHIM-SERVICES - [0:0]
:KUBESHIM-NODEPORTS - [0:0]
:KUBESHIM-POSTROUTING - [0:0]
:KUBESHIM-MARK-MASQ - [0:0]
{NAT-CHAINS}{CAPTURE}-A KUBESHIM-SERVICES -m comment --comment "kubeshim service nodeports; NOTE: this must be the last rule in this chain" -d 192.168.0.2 -j KUBESHIM-NODEPORTS
-A KUBESHIM-SERVICES -m comment --comment "kubeshim service nodeports; NOTE: this must be the last rule in this chain" -d 127.0.0.0/8 -j KUBESHIM-NODEPORTS
{NODEPORTS}-A KUBESHIM-POSTROUTING -m mark ! --mark 0x004000/0x004000 -j RETURN
-A KUBESHIM-POSTROUTING -j MARK --xor-mark 0x004000
-A KUBESHIM-POSTROUTING -m comment --comment "kubeshim service traffic requiring SNAT" -j MASQUERADE --random-fully
-A KUBESHIM-MARK-MASQ -j MARK --or-mark 0x004000
{NAT-RULES}COMMIT
`

func fill(parts map[string]string) string {
	s := payloadTemplate
	for _, k := range []string{"FILTER", "NAT-CHAINS", "CAPTURE", "NODEPORTS", "NAT-RULES"} {
		s = strings.ReplaceAll(s, "{"+k+"}", parts[k])
	}
	return expand(s)
}

func TestBuildPayload(t *testing.T) {
	tcp80 := []string{"http:80/TCP"}
	for _, tc := range []struct {
		name     string
		services []*corev1.Service
		slices   []*discoveryv1.EndpointSlice
		params   func(*Params)
		want     map[string]string
	}{{
		name: "no services",
	}, {
		name: "services the proxy leaves alone",
		services: []*corev1.Service{
			svc("ns", "headless", "None", tcp80),
			svc("ns", "ext", "", tcp80, func(s *corev1.Service) { s.Spec.Type = corev1.ServiceTypeExternalName }),
			svc("ns", "v6", "fd00::1", tcp80),
			svc("kube-system", "kube-dns", "10.96.0.10", []string{"dns:53/UDP"}, annotate(AnnotationNodeLocal, "true")),
		},
		slices: []*discoveryv1.EndpointSlice{
			slice("ns", "headless", "h", tcp80, "10.244.0.2"),
			slice("kube-system", "kube-dns", "d", []string{"dns:53/UDP"}, "10.244.0.3"),
		},
	}, {
		name:     "cluster IP with two endpoints",
		services: []*corev1.Service{svc("ns", "web", "10.96.0.5", tcp80)},
		slices:   []*discoveryv1.EndpointSlice{slice("ns", "web", "web-1", []string{"http:8080/TCP"}, "10.244.0.5@node-a", "10.244.1.5@node-b")},
		want: map[string]string{
			"NAT-CHAINS": `:{SVC:ns/web:http/tcp} - [0:0]
:{SEP:ns/web:http/tcp@10.244.0.5:8080} - [0:0]
:{SEP:ns/web:http/tcp@10.244.1.5:8080} - [0:0]
`,
			"CAPTURE": `-A KUBESHIM-SERVICES -m comment --comment "ns/web:http cluster IP" -m tcp -p tcp -d 10.96.0.5 --dport 80 -j {SVC:ns/web:http/tcp}
`,
			"NAT-RULES": `-A {SVC:ns/web:http/tcp} -m comment --comment "ns/web:http cluster IP" -m tcp -p tcp -d 10.96.0.5 --dport 80 ! -s 10.244.0.0/16 -j KUBESHIM-MARK-MASQ
-A {SVC:ns/web:http/tcp} -m comment --comment "ns/web:http -> 10.244.0.5:8080" -m statistic --mode random --probability 0.5000000000 -j {SEP:ns/web:http/tcp@10.244.0.5:8080}
-A {SVC:ns/web:http/tcp} -m comment --comment "ns/web:http -> 10.244.1.5:8080" -j {SEP:ns/web:http/tcp@10.244.1.5:8080}
-A {SEP:ns/web:http/tcp@10.244.0.5:8080} -m comment --comment ns/web:http -s 10.244.0.5 -j KUBESHIM-MARK-MASQ
-A {SEP:ns/web:http/tcp@10.244.0.5:8080} -m comment --comment ns/web:http -m tcp -p tcp -j DNAT --to-destination 10.244.0.5:8080
-A {SEP:ns/web:http/tcp@10.244.1.5:8080} -m comment --comment ns/web:http -s 10.244.1.5 -j KUBESHIM-MARK-MASQ
-A {SEP:ns/web:http/tcp@10.244.1.5:8080} -m comment --comment ns/web:http -m tcp -p tcp -j DNAT --to-destination 10.244.1.5:8080
`,
		},
	}, {
		name:     "no endpoints: REJECT in the filter table, no nat chains",
		services: []*corev1.Service{svc("ns", "dns", "10.96.0.6", []string{"dns:53/UDP", "dnstcp:53:30053/TCP"}, nodePortType, externalIPs("1.2.3.4"))},
		want: map[string]string{
			"FILTER": `-A KUBESHIM-SERVICES -m comment --comment "ns/dns:dns has no endpoints" -m udp -p udp -d 10.96.0.6 --dport 53 -j REJECT
-A KUBESHIM-SERVICES -m comment --comment "ns/dns:dnstcp has no endpoints" -m tcp -p tcp -d 10.96.0.6 --dport 53 -j REJECT
-A KUBESHIM-EXTERNAL-SERVICES -m comment --comment "ns/dns:dns has no endpoints" -m udp -p udp -d 1.2.3.4 --dport 53 -j REJECT
-A KUBESHIM-EXTERNAL-SERVICES -m comment --comment "ns/dns:dnstcp has no endpoints" -m tcp -p tcp -d 1.2.3.4 --dport 53 -j REJECT
-A KUBESHIM-EXTERNAL-SERVICES -m comment --comment "ns/dns:dnstcp has no endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 30053 -j REJECT
`,
		},
	}, {
		name:     "node port, Local external policy, ClientIP affinity",
		services: []*corev1.Service{svc("ns", "np", "10.96.0.7", []string{"p:8080:30080/TCP"}, nodePortType, externalLocal, affinity(100))},
		slices:   []*discoveryv1.EndpointSlice{slice("ns", "np", "np-1", []string{"p:80/TCP"}, "10.244.0.6@node-a", "10.244.1.6@node-b")},
		want: map[string]string{
			"NAT-CHAINS": `:{EXT:ns/np:p/tcp} - [0:0]
:{SVC:ns/np:p/tcp} - [0:0]
:{SVL:ns/np:p/tcp} - [0:0]
:{SEP:ns/np:p/tcp@10.244.0.6:80} - [0:0]
:{SEP:ns/np:p/tcp@10.244.1.6:80} - [0:0]
`,
			"CAPTURE": `-A KUBESHIM-SERVICES -m comment --comment "ns/np:p cluster IP" -m tcp -p tcp -d 10.96.0.7 --dport 8080 -j {SVC:ns/np:p/tcp}
`,
			"NODEPORTS": `-A KUBESHIM-NODEPORTS -m comment --comment ns/np:p -m tcp -p tcp --dport 30080 -j {EXT:ns/np:p/tcp}
`,
			"NAT-RULES": `-A {SVC:ns/np:p/tcp} -m comment --comment "ns/np:p cluster IP" -m tcp -p tcp -d 10.96.0.7 --dport 8080 ! -s 10.244.0.0/16 -j KUBESHIM-MARK-MASQ
-A {EXT:ns/np:p/tcp} -m comment --comment "pod traffic for ns/np:p external destinations" -s 10.244.0.0/16 -j {SVC:ns/np:p/tcp}
-A {EXT:ns/np:p/tcp} -m comment --comment "masquerade LOCAL traffic for ns/np:p external destinations" -m addrtype --src-type LOCAL -j KUBESHIM-MARK-MASQ
-A {EXT:ns/np:p/tcp} -m comment --comment "route LOCAL traffic for ns/np:p external destinations" -m addrtype --src-type LOCAL -j {SVC:ns/np:p/tcp}
-A {EXT:ns/np:p/tcp} -j {SVL:ns/np:p/tcp}
-A {SVC:ns/np:p/tcp} -m comment --comment "ns/np:p -> 10.244.0.6:80" -m recent --name {SEP:ns/np:p/tcp@10.244.0.6:80} --rcheck --seconds 100 --reap -j {SEP:ns/np:p/tcp@10.244.0.6:80}
-A {SVC:ns/np:p/tcp} -m comment --comment "ns/np:p -> 10.244.1.6:80" -m recent --name {SEP:ns/np:p/tcp@10.244.1.6:80} --rcheck --seconds 100 --reap -j {SEP:ns/np:p/tcp@10.244.1.6:80}
-A {SVC:ns/np:p/tcp} -m comment --comment "ns/np:p -> 10.244.0.6:80" -m statistic --mode random --probability 0.5000000000 -j {SEP:ns/np:p/tcp@10.244.0.6:80}
-A {SVC:ns/np:p/tcp} -m comment --comment "ns/np:p -> 10.244.1.6:80" -j {SEP:ns/np:p/tcp@10.244.1.6:80}
-A {SVL:ns/np:p/tcp} -m comment --comment "ns/np:p -> 10.244.0.6:80" -m recent --name {SEP:ns/np:p/tcp@10.244.0.6:80} --rcheck --seconds 100 --reap -j {SEP:ns/np:p/tcp@10.244.0.6:80}
-A {SVL:ns/np:p/tcp} -m comment --comment "ns/np:p -> 10.244.0.6:80" -j {SEP:ns/np:p/tcp@10.244.0.6:80}
-A {SEP:ns/np:p/tcp@10.244.0.6:80} -m comment --comment ns/np:p -s 10.244.0.6 -j KUBESHIM-MARK-MASQ
-A {SEP:ns/np:p/tcp@10.244.0.6:80} -m comment --comment ns/np:p -m recent --name {SEP:ns/np:p/tcp@10.244.0.6:80} --set -m tcp -p tcp -j DNAT --to-destination 10.244.0.6:80
-A {SEP:ns/np:p/tcp@10.244.1.6:80} -m comment --comment ns/np:p -s 10.244.1.6 -j KUBESHIM-MARK-MASQ
-A {SEP:ns/np:p/tcp@10.244.1.6:80} -m comment --comment ns/np:p -m recent --name {SEP:ns/np:p/tcp@10.244.1.6:80} --set -m tcp -p tcp -j DNAT --to-destination 10.244.1.6:80
`,
		},
	}, {
		name:     "Local internal policy without local endpoints: DROP, no chains",
		services: []*corev1.Service{svc("ns", "itl", "10.96.0.8", tcp80, internalLocal)},
		slices:   []*discoveryv1.EndpointSlice{slice("ns", "itl", "itl-1", tcp80, "10.244.1.8@node-b")},
		want: map[string]string{
			"FILTER": `-A KUBESHIM-SERVICES -m comment --comment "ns/itl:http has no local endpoints" -m tcp -p tcp -d 10.96.0.8 --dport 80 -j DROP
`,
		},
	}, {
		name:     "load balancer with source ranges",
		services: []*corev1.Service{svc("ns", "lb", "10.96.0.9", []string{"http:80:30090/TCP"}, loadBalancer("192.168.0.2"), func(s *corev1.Service) { s.Spec.LoadBalancerSourceRanges = []string{"192.168.0.0/24"} })},
		slices:   []*discoveryv1.EndpointSlice{slice("ns", "lb", "lb-1", tcp80, "10.244.0.9@node-a")},
		want: map[string]string{
			"FILTER": `-A KUBESHIM-PROXY-FIREWALL -m comment --comment "ns/lb:http traffic not accepted by {FW:ns/lb:http/tcp}" -m tcp -p tcp -d 192.168.0.2 --dport 80 -j DROP
`,
			"NAT-CHAINS": `:{EXT:ns/lb:http/tcp} - [0:0]
:{FW:ns/lb:http/tcp} - [0:0]
:{SVC:ns/lb:http/tcp} - [0:0]
:{SEP:ns/lb:http/tcp@10.244.0.9:80} - [0:0]
`,
			"CAPTURE": `-A KUBESHIM-SERVICES -m comment --comment "ns/lb:http cluster IP" -m tcp -p tcp -d 10.96.0.9 --dport 80 -j {SVC:ns/lb:http/tcp}
-A KUBESHIM-SERVICES -m comment --comment "ns/lb:http loadbalancer IP" -m tcp -p tcp -d 192.168.0.2 --dport 80 -j {FW:ns/lb:http/tcp}
`,
			"NODEPORTS": `-A KUBESHIM-NODEPORTS -m comment --comment ns/lb:http -m tcp -p tcp --dport 30090 -j {EXT:ns/lb:http/tcp}
`,
			"NAT-RULES": `-A {SVC:ns/lb:http/tcp} -m comment --comment "ns/lb:http cluster IP" -m tcp -p tcp -d 10.96.0.9 --dport 80 ! -s 10.244.0.0/16 -j KUBESHIM-MARK-MASQ
-A {EXT:ns/lb:http/tcp} -m comment --comment "masquerade traffic for ns/lb:http external destinations" -j KUBESHIM-MARK-MASQ
-A {EXT:ns/lb:http/tcp} -j {SVC:ns/lb:http/tcp}
-A {FW:ns/lb:http/tcp} -m comment --comment "ns/lb:http loadbalancer IP" -s 192.168.0.0/24 -j {EXT:ns/lb:http/tcp}
-A {FW:ns/lb:http/tcp} -m comment --comment "ns/lb:http loadbalancer IP" -s 192.168.0.2 -j {EXT:ns/lb:http/tcp}
-A {FW:ns/lb:http/tcp} -m comment --comment "other traffic to ns/lb:http will be dropped by KUBESHIM-PROXY-FIREWALL"
-A {SVC:ns/lb:http/tcp} -m comment --comment "ns/lb:http -> 10.244.0.9:80" -j {SEP:ns/lb:http/tcp@10.244.0.9:80}
-A {SEP:ns/lb:http/tcp@10.244.0.9:80} -m comment --comment ns/lb:http -s 10.244.0.9 -j KUBESHIM-MARK-MASQ
-A {SEP:ns/lb:http/tcp@10.244.0.9:80} -m comment --comment ns/lb:http -m tcp -p tcp -j DNAT --to-destination 10.244.0.9:80
`,
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			p := testParams()
			if tc.params != nil {
				tc.params(&p)
			}
			got := string(Build(NewSnapshot(tc.services, tc.slices, testNode), p, nil).Payload(nil, nil))
			if diff := cmp.Diff(strings.Split(fill(tc.want), "\n"), strings.Split(got, "\n")); diff != "" {
				t.Errorf("payload (-want +got):\n%s", diff)
			}
		})
	}
}

// TestBuildParams covers the node settings' effect on the fixed rules.
func TestBuildParams(t *testing.T) {
	p := Params{NodeIPs: []string{"192.168.0.2", "198.51.100.7"}, MasqueradeMark: "0x000001"}
	got := string(Build(&Snapshot{}, p, nil).Payload(nil, nil))
	want := `*filter
:KUBESHIM-SERVICES - [0:0]
:KUBESHIM-EXTERNAL-SERVICES - [0:0]
:KUBESHIM-PROXY-FORWARD - [0:0]
:KUBESHIM-PROXY-FIREWALL - [0:0]
-A KUBESHIM-PROXY-FORWARD -m comment --comment "kubeshim forwarding rules" -m mark --mark 0x000001/0x000001 -j ACCEPT
-A KUBESHIM-PROXY-FORWARD -m comment --comment "kubeshim forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
COMMIT
*nat
:KUBESHIM-SERVICES - [0:0]
:KUBESHIM-NODEPORTS - [0:0]
:KUBESHIM-POSTROUTING - [0:0]
:KUBESHIM-MARK-MASQ - [0:0]
-A KUBESHIM-SERVICES -m comment --comment "kubeshim service nodeports; NOTE: this must be the last rule in this chain" -d 192.168.0.2 -j KUBESHIM-NODEPORTS
-A KUBESHIM-SERVICES -m comment --comment "kubeshim service nodeports; NOTE: this must be the last rule in this chain" -d 198.51.100.7 -j KUBESHIM-NODEPORTS
-A KUBESHIM-POSTROUTING -m mark ! --mark 0x000001/0x000001 -j RETURN
-A KUBESHIM-POSTROUTING -j MARK --xor-mark 0x000001
-A KUBESHIM-POSTROUTING -m comment --comment "kubeshim service traffic requiring SNAT" -j MASQUERADE
-A KUBESHIM-MARK-MASQ -j MARK --or-mark 0x000001
COMMIT
`
	if diff := cmp.Diff(strings.Split(want, "\n"), strings.Split(got, "\n")); diff != "" {
		t.Errorf("payload (-want +got):\n%s", diff)
	}
	// Without a cluster CIDR there is no local traffic detector: no
	// masquerade rule for off-cluster sources, no pod short-circuit.
	s := NewSnapshot([]*corev1.Service{svc("ns", "a", "10.96.0.1", []string{"p:80:30001/TCP"}, nodePortType, externalLocal)},
		[]*discoveryv1.EndpointSlice{slice("ns", "a", "a", []string{"p:80/TCP"}, "10.244.0.2@node-a")}, testNode)
	got = string(Build(s, p, nil).Payload(nil, nil))
	for _, bad := range []string{"! -s", "pod traffic"} {
		if strings.Contains(got, bad) {
			t.Errorf("payload without a cluster CIDR has %q:\n%s", bad, got)
		}
	}
}

// TestLargeCluster checks that comments go from endpoint rules above
// 1,000 endpoints, as upstream.
func TestLargeCluster(t *testing.T) {
	small, large := clusterSnapshot(10, 10), clusterSnapshot(101, 10)
	for _, tc := range []struct {
		name     string
		s        *Snapshot
		comments bool
	}{{"100 endpoints", small, true}, {"1010 endpoints", large, false}} {
		t.Run(tc.name, func(t *testing.T) {
			payload := string(Build(tc.s, testParams(), nil).Payload(nil, nil))
			for _, line := range strings.Split(payload, "\n") {
				if strings.HasPrefix(line, "-A "+prefixSEP) && strings.Contains(line, "DNAT") {
					if got := strings.Contains(line, "--comment"); got != tc.comments {
						t.Fatalf("comment in %q: %v, want %v", line, got, tc.comments)
					}
				}
			}
		})
	}
}

// TestPartialPayload checks that a payload after a change writes the
// changed chains only (a service port's own, the fixed ones whose rules
// changed, the filter table if it changed) and deletes the chains that
// are gone; and that it leaves the tables as a full payload would.
func TestPartialPayload(t *testing.T) {
	services := []*corev1.Service{svc("ns", "a", "10.96.0.1", []string{"p:80/TCP"}), svc("ns", "b", "10.96.0.2", []string{"p:80/TCP"}), svc("ns", "c", "10.96.0.3", []string{"p:80/TCP"})}
	before := []*discoveryv1.EndpointSlice{
		slice("ns", "a", "a", []string{"p:80/TCP"}, "10.244.0.2"),
		slice("ns", "b", "b", []string{"p:80/TCP"}, "10.244.0.3", "10.244.0.4"),
		slice("ns", "c", "c", []string{"p:80/TCP"}, "10.244.0.5"),
	}
	after := []*discoveryv1.EndpointSlice{before[0], slice("ns", "b", "b", []string{"p:80/TCP"}, "10.244.0.3"), before[2]}
	p := testParams()
	prev := Build(NewSnapshot(services, before, testNode), p, nil)
	cur := Build(NewSnapshot(services, after, testNode), p, nil)
	// Service c goes too.
	gone := Build(NewSnapshot(services[:2], after, testNode), p, nil)
	// Service a loses its endpoint.
	empty := Build(NewSnapshot(services[:2], after[1:], testNode), p, nil)

	// written lists the tables and chains a payload writes, and the
	// chains it deletes.
	written := func(payload []byte) []string {
		var out []string
		for _, l := range strings.Split(string(payload), "\n") {
			if strings.HasPrefix(l, "*") || strings.HasPrefix(l, ":") || strings.HasPrefix(l, "-X ") {
				out = append(out, strings.TrimSuffix(l, " - [0:0]"))
			}
		}
		return out
	}
	for _, tc := range []struct {
		name      string
		prev, cur *Ruleset
		want      []string
	}{{
		name: "one endpoint fewer: the service's chains only",
		prev: prev, cur: cur,
		want: []string{
			"*nat",
			":{SVC:ns/b:p/tcp}",
			":{SEP:ns/b:p/tcp@10.244.0.3:80}",
			":{SEP:ns/b:p/tcp@10.244.0.4:80}",
			"-X {SEP:ns/b:p/tcp@10.244.0.4:80}",
		},
	}, {
		name: "a service gone: its capture rule goes from KUBESHIM-SERVICES",
		prev: cur, cur: gone,
		want: []string{
			"*nat",
			":KUBESHIM-SERVICES",
			":{SEP:ns/c:p/tcp@10.244.0.5:80}",
			":{SVC:ns/c:p/tcp}",
			"-X {SEP:ns/c:p/tcp@10.244.0.5:80}",
			"-X {SVC:ns/c:p/tcp}",
		},
	}, {
		name: "no endpoints left: a REJECT in the filter table",
		prev: gone, cur: empty,
		want: []string{
			"*filter",
			":KUBESHIM-SERVICES",
			":KUBESHIM-EXTERNAL-SERVICES",
			":KUBESHIM-PROXY-FORWARD",
			":KUBESHIM-PROXY-FIREWALL",
			":KUBESHIM-LOCALNET",
			"*nat",
			":KUBESHIM-SERVICES",
			":{SEP:ns/a:p/tcp@10.244.0.2:80}",
			":{SVC:ns/a:p/tcp}",
			"-X {SEP:ns/a:p/tcp@10.244.0.2:80}",
			"-X {SVC:ns/a:p/tcp}",
		},
	}, {
		name: "nothing changed",
		prev: cur, cur: cur,
		want: []string{"*nat"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			payload := tc.cur.Payload(tc.prev, tc.cur.StaleSince(tc.prev))
			var want []string
			for _, w := range tc.want {
				want = append(want, expand(w))
			}
			if diff := cmp.Diff(want, written(payload)); diff != "" {
				t.Errorf("chains the payload writes (-want +got):\n%s\n%s", diff, payload)
			}
			// Applied over prev's tables, the partial payload gives the
			// full one's rules.
			if diff := cmp.Diff(applied(t, tc.prev.Payload(nil, nil), payload), applied(t, tc.cur.Payload(nil, nil))); diff != "" {
				t.Errorf("partial payload over the previous tables differs from the full one (-got +want):\n%s", diff)
			}
		})
	}
	if !cur.Equal(Build(NewSnapshot(services, after, testNode), p, nil)) || cur.Equal(prev) {
		t.Errorf("Equal is wrong")
	}
}

// applied is the rule text of the tables after applying payloads one
// after the other, as iptables-restore --noflush would.
func applied(t *testing.T, payloads ...[]byte) map[string]map[string][]string {
	t.Helper()
	var all strings.Builder
	for _, p := range payloads {
		all.Write(p)
	}
	out := map[string]map[string][]string{}
	for table, chains := range parsePayload(t, all.String()) {
		out[table] = map[string][]string{}
		for chain, rules := range chains {
			out[table][chain] = []string{}
			for _, r := range rules {
				out[table][chain] = append(out[table][chain], r.raw)
			}
		}
	}
	return out
}

func TestStaleChains(t *testing.T) {
	r := Build(NewSnapshot([]*corev1.Service{svc("ns", "a", "10.96.0.1", []string{"p:80/TCP"})},
		[]*discoveryv1.EndpointSlice{slice("ns", "a", "a", []string{"p:80/TCP"}, "10.244.0.2")}, testNode), testParams(), nil)
	existing := append([]string{"PREROUTING", "KUBESHIM-FORWARD", "KUBESHIM-SERVICES", "KUBE-SVC-ABCDEFGHIJKLMNOP", "CNI-HOSTPORT-DNAT",
		"KUBESHIM-SVC-AAAAAAAAAAAAAAA", "KUBESHIM-SEP-BBBBBBBBBBBBBBB", "KUBESHIM-FW-CCCCCCCCCCCCCCC"}, r.Chains()...)
	want := []string{"KUBESHIM-FW-CCCCCCCCCCCCCCC", "KUBESHIM-SEP-BBBBBBBBBBBBBBB", "KUBESHIM-SVC-AAAAAAAAAAAAAAA"}
	if diff := cmp.Diff(want, r.StaleChains(existing)); diff != "" {
		t.Errorf("stale chains (-want +got):\n%s", diff)
	}
}

// TestChainNames checks every chain name fits iptables' 28 characters.
func TestChainNames(t *testing.T) {
	s := NewSnapshot([]*corev1.Service{svc("a-very-long-namespace-name-of-sixty-three-characters-abcdefghij", "and-an-equally-long-service-name-of-sixty-three-characters-abcd", "10.96.0.1",
		[]string{"port-name-15chr:80:30001/SCTP"}, loadBalancer("1.2.3.4"), externalLocal, func(s *corev1.Service) { s.Spec.LoadBalancerSourceRanges = []string{"1.0.0.0/8"} })},
		[]*discoveryv1.EndpointSlice{slice("a-very-long-namespace-name-of-sixty-three-characters-abcdefghij", "and-an-equally-long-service-name-of-sixty-three-characters-abcd", "x",
			[]string{"port-name-15chr:80/SCTP"}, "10.244.0.2@node-a")}, testNode)
	r := Build(s, testParams(), nil)
	if len(r.Chains()) != 5 {
		t.Fatalf("want SVC, SVL, EXT, FW and SEP chains, got %v", r.Chains())
	}
	for _, c := range append(r.Chains(), chainExternalServices, chainProxyFirewall) {
		if len(c) > 28 {
			t.Errorf("chain %s is %d characters long", c, len(c))
		}
	}
}

// TestBuildReuse checks that reusing an earlier rule set only saves work:
// every step gives the payload a fresh Build gives.
func TestBuildReuse(t *testing.T) {
	services, slices := packetFlowCluster()
	sn := newSnapshotter(testNode)
	p := testParams()
	prev := Build(sn.snapshot(services, slices), p, nil)

	withSlice := func(i int, s *discoveryv1.EndpointSlice) []*discoveryv1.EndpointSlice {
		out := append([]*discoveryv1.EndpointSlice{}, slices...)
		out[i] = s
		return out
	}
	withService := func(i int, s *corev1.Service) []*corev1.Service {
		out := append([]*corev1.Service{}, services...)
		out[i] = s
		return out
	}
	bigServices, bigSlices := clusterObjects(101, 10)
	otherNode := testParams()
	otherNode.NodeIPs = []string{"192.168.0.3"}
	for _, step := range []struct {
		name     string
		services []*corev1.Service
		slices   []*discoveryv1.EndpointSlice
		params   Params
	}{
		{"same objects", services, slices, p},
		{"equal copies", withService(0, services[0].DeepCopy()), withSlice(0, slices[0].DeepCopy()), p},
		{"an endpoint more", services, withSlice(0, slice("ns1", "web", "web-x", []string{"http:8080/TCP"}, "10.244.0.5@node-a", "10.244.1.5@node-b", "10.244.1.6@node-b")), p},
		{"an endpoint not ready", services, withSlice(0, slice("ns1", "web", "web-x", []string{"http:8080/TCP"}, "10.244.0.5@node-a", "10.244.1.5@node-b,notready")), p},
		{"a service port changed", withService(0, svc("ns1", "web", "10.96.0.10", []string{"http:81/TCP"})), slices, p},
		{"a service gone", services[1:], slices, p},
		{"other node IPs", services, slices, otherNode},
		{"large cluster", append(bigServices, services...), append(bigSlices, slices...), p},
		{"small again", services, slices, p},
	} {
		t.Run(step.name, func(t *testing.T) {
			s := sn.snapshot(step.services, step.slices)
			got := Build(s, step.params, prev)
			want := Build(NewSnapshot(step.services, step.slices, testNode), step.params, nil)
			if diff := cmp.Diff(strings.Split(string(want.Payload(nil, nil)), "\n"), strings.Split(string(got.Payload(nil, nil)), "\n")); diff != "" {
				t.Errorf("payload with reuse (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(want.Chains(), got.Chains()); diff != "" {
				t.Errorf("chains (-want +got):\n%s", diff)
			}
			prev = got
		})
	}
}
