package proxy

import (
	"bytes"
	"net/netip"
	"slices"
	"sort"
	"strconv"
)

// The proxy's fixed chains. The agent's forward guard is KUBESHIM-FORWARD,
// so upstream's KUBE-FORWARD is KUBESHIM-PROXY-FORWARD here.
const (
	chainServices         = "KUBESHIM-SERVICES"          // nat: capture; filter: reject cluster IPs without endpoints
	chainExternalServices = "KUBESHIM-EXTERNAL-SERVICES" // filter: reject external destinations without endpoints
	chainNodePorts        = "KUBESHIM-NODEPORTS"         // nat
	chainPostrouting      = "KUBESHIM-POSTROUTING"       // nat: masquerade marked packets
	chainMarkMasq         = "KUBESHIM-MARK-MASQ"         // nat: mark for masquerade
	chainForward          = "KUBESHIM-PROXY-FORWARD"     // filter: let marked and established service traffic through
	chainProxyFirewall    = "KUBESHIM-PROXY-FIREWALL"    // filter: load balancer source ranges
	chainLocalnet         = "KUBESHIM-LOCALNET"          // filter: the martian guard route_localnet needs
)

// natTopChains and filterTopChains are the fixed chains, each written
// whole when its rules change.
var (
	natTopChains    = []string{chainServices, chainNodePorts, chainPostrouting, chainMarkMasq}
	filterTopChains = []string{chainServices, chainExternalServices, chainForward, chainProxyFirewall}
)

// largeClusterEndpoints is upstream's threshold above which rule comments
// on endpoint rules are left out: they make up much of a big payload.
const largeClusterEndpoints = 1000

// Params are the node-wide settings the rules depend on.
type Params struct {
	// NodeIPs are the addresses node ports answer on.
	NodeIPs []string
	// LocalhostNodePorts: node ports answer on 127.0.0.0/8 too
	// (route_localnet is 1), and the martian guard is installed.
	LocalhostNodePorts bool
	// ClusterCIDR tells pods from the rest: traffic from outside it to a
	// cluster IP is masqueraded, and pod traffic to an external
	// destination of a Local-policy service is short-circuited. Empty
	// disables both, as upstream without a local traffic detector.
	ClusterCIDR string
	// MasqueradeMark is the fwmark bit of packets to masquerade, "0x004000".
	MasqueradeMark string
	// RandomFully adds --random-fully to the masquerade rule.
	RandomFully bool
	// DropInvalid drops conntrack-INVALID forwarded packets (unless
	// nf_conntrack_tcp_be_liberal is set).
	DropInvalid bool
}

// Ruleset is the whole rule set for one snapshot: the fixed chains, written
// whole every time, and one fragment per service port with its own chains,
// which a partial sync writes only when it changed.
type Ruleset struct {
	// filter is the whole filter table section: its chains are all fixed.
	filter []byte
	// nat are the fixed nat chains' rules, in natTopChains' order.
	nat [][]byte
	// services are the per-service-port fragments in order; byName finds them.
	services []*fragment
	byName   map[string]*fragment
	// What the rule set was built with.
	params Params
	large  bool
}

type fragment struct {
	name   string
	chains []string
	rules  string

	// What the fragment was built from, and the service port's lines in
	// the fixed chains, for Build to reuse when they have not changed.
	sp                                                                 *ServicePort
	eps                                                                []*Endpoint
	capture, nodePorts, filterServices, filterExternal, filterFirewall string
}

// Chains returns the per-service nat chains the rule set uses, sorted.
func (r *Ruleset) Chains() []string {
	var out []string
	for _, f := range r.services {
		out = append(out, f.chains...)
	}
	sort.Strings(out)
	return out
}

// uses reports whether the fragment has chain. A per-service chain can
// only be in its own service port's fragment.
func (f *fragment) uses(chain string) bool {
	return f != nil && slices.Contains(f.chains, chain)
}

// Equal reports whether two rule sets program the same rules, so that a
// sync can skip iptables-restore.
func (r *Ruleset) Equal(o *Ruleset) bool {
	if r == nil || o == nil || !bytes.Equal(r.filter, o.filter) || len(r.services) != len(o.services) {
		return false
	}
	for i := range r.nat {
		if !bytes.Equal(r.nat[i], o.nat[i]) {
			return false
		}
	}
	for i, f := range r.services {
		if g := o.services[i]; f.name != g.name || !f.sameRules(g) {
			return false
		}
	}
	return true
}

// Payload is the iptables-restore --noflush input that moves the tables
// from prev (the rule set last applied; nil when unknown) to r. A chain is
// written (flushed and filled) only when its rules differ from prev's: a
// fixed chain, a table's worth of fixed chains (filter), or a service
// port's chains. stale names the per-service chains to delete (those prev
// or the kernel has and r does not: StaleSince, StaleChains).
//
// Skipping what did not change relies on prev being what the tables hold;
// the proxy syncs in full whenever it does not know that.
func (r *Ruleset) Payload(prev *Ruleset, stale []string) []byte {
	changed := r.services
	if prev != nil {
		changed = nil
		for _, f := range r.services {
			if p := prev.byName[f.name]; p == nil || !p.sameRules(f) {
				changed = append(changed, f)
			}
		}
	}
	var nat []int // the fixed nat chains to write
	for i := range r.nat {
		if prev == nil || !bytes.Equal(prev.nat[i], r.nat[i]) {
			nat = append(nat, i)
		}
	}
	writeFilter := prev == nil || !bytes.Equal(prev.filter, r.filter)
	return r.payload(changed, nat, writeFilter, stale)
}

// FullPayload is the payload of a full sync over a nat table that holds
// kernel (its iptables-save listing, parseSave): every fixed chain and the
// filter table are written, a service port's chains only when kernel does
// not hold exactly their rules (see canon.go), and the per-service chains
// kernel has and r does not are deleted. With kernel empty it is
// Payload(nil, nil).
func (r *Ruleset) FullPayload(kernel tableRules) []byte {
	var changed []*fragment
	for _, f := range r.services {
		if !kernel.matches(f) {
			changed = append(changed, f)
		}
	}
	nat := make([]int, len(r.nat))
	for i := range nat {
		nat[i] = i
	}
	return r.payload(changed, nat, true, r.StaleChains(kernel.chains()))
}

func (r *Ruleset) payload(changed []*fragment, nat []int, writeFilter bool, stale []string) []byte {
	size := 64 * (2*len(stale) + len(nat) + 4)
	if writeFilter {
		size += len(r.filter)
	}
	for _, i := range nat {
		size += len(r.nat[i])
	}
	for _, f := range changed {
		size += len(f.rules) + 48*len(f.chains)
	}
	var b bytes.Buffer
	b.Grow(size)
	if writeFilter {
		b.WriteString("*filter\n")
		b.Write(r.filter)
		b.WriteString("COMMIT\n")
	}
	b.WriteString("*nat\n")
	for _, i := range nat {
		writeChainLine(&b, natTopChains[i])
	}
	for _, f := range changed {
		for _, c := range f.chains {
			writeChainLine(&b, c)
		}
	}
	// A chain line flushes the chain, which must be empty to be deleted
	// and must not be referenced: its referrers changed, so they are
	// rewritten above.
	for _, c := range stale {
		writeChainLine(&b, c)
	}
	for _, i := range nat {
		b.Write(r.nat[i])
	}
	for _, f := range changed {
		b.WriteString(f.rules)
	}
	for _, c := range stale {
		b.WriteString("-X ")
		b.WriteString(c)
		b.WriteByte('\n')
	}
	b.WriteString("COMMIT\n")
	return b.Bytes()
}

// sameRules: the fragments program the same chains.
func (f *fragment) sameRules(g *fragment) bool {
	return f == g || (f.rules == g.rules && slices.Equal(f.chains, g.chains))
}

// StaleChains are the per-service chains in existing that r does not use.
func (r *Ruleset) StaleChains(existing []string) []string {
	used := map[string]bool{}
	for _, f := range r.services {
		for _, c := range f.chains {
			used[c] = true
		}
	}
	var out []string
	for _, c := range existing {
		if isServiceChain(c) && !used[c] {
			out = append(out, c)
		}
	}
	sort.Strings(out)
	return out
}

// StaleSince are the per-service chains prev used and r does not. Only
// the fragments that changed are looked at.
func (r *Ruleset) StaleSince(prev *Ruleset) []string {
	var out []string
	for _, f := range prev.services {
		g := r.byName[f.name]
		if g == f {
			continue
		}
		for _, c := range f.chains {
			if !g.uses(c) {
				out = append(out, c)
			}
		}
	}
	sort.Strings(out)
	return out
}

func writeChainLine(b *bytes.Buffer, chain string) {
	b.WriteByte(':')
	b.WriteString(chain)
	b.WriteString(" - [0:0]\n")
}

// lines builds rule text; a rule is its arguments joined by spaces.
type lines struct{ bytes.Buffer }

func (l *lines) rule(args ...string) {
	for i, a := range args {
		if i > 0 {
			l.WriteByte(' ')
		}
		l.WriteString(a)
	}
	l.WriteByte('\n')
}

// quote makes one iptables-restore argument of a comment.
func quote(s string) string { return `"` + s + `"` }

// Build computes the rule set for a snapshot, following kube-proxy's
// iptables mode: it is a pure function of s and p. prev, when not nil, is
// an earlier rule set whose text Build reuses for the service ports whose
// service and endpoints are unchanged; that only saves work.
func Build(s *Snapshot, p Params, prev *Ruleset) *Ruleset {
	b := builder{params: p, probabilities: []string{""}}
	return b.build(s, prev)
}

type builder struct {
	params        Params
	probabilities []string
	large         bool
	prev          *Ruleset
	scratch       lines

	natServices lines
	// filter rules, kept apart to be written in chain order.
	filterServices, filterExternal, filterFirewall lines
	nodePorts                                      lines
}

func (b *builder) build(s *Snapshot, prev *Ruleset) *Ruleset {
	p := b.params
	total := 0
	for _, sp := range s.Services {
		total += len(s.Endpoints[sp.Name])
	}
	b.large = total > largeClusterEndpoints
	if prev != nil && prev.large == b.large && paramsEqual(prev.params, p) {
		b.prev = prev
	}
	// About 200 bytes of capture rules per service port.
	b.natServices.Grow(200*len(s.Services) + 2048)
	b.nodePorts.Grow(100 * len(s.Services))

	r := &Ruleset{
		byName:   make(map[string]*fragment, len(s.Services)),
		services: make([]*fragment, 0, len(s.Services)),
		params:   p,
		large:    b.large,
	}
	for _, sp := range s.Services {
		f := b.service(sp, s.Endpoints[sp.Name])
		r.services = append(r.services, f)
		r.byName[f.name] = f
	}

	// The masquerade chains: a chain of their own each, so that the mark
	// can change in one place.
	mark := p.MasqueradeMark + "/" + p.MasqueradeMark
	var postrouting, markMasq lines
	postrouting.rule("-A", chainPostrouting, "-m", "mark", "!", "--mark", mark, "-j", "RETURN")
	// Clear the mark, so a packet that goes through the stack again is
	// not masqueraded twice.
	postrouting.rule("-A", chainPostrouting, "-j", "MARK", "--xor-mark", p.MasqueradeMark)
	masq := []string{"-A", chainPostrouting, "-m", "comment", "--comment", quote("kubeshim service traffic requiring SNAT"), "-j", "MASQUERADE"}
	if p.RandomFully {
		masq = append(masq, "--random-fully")
	}
	postrouting.rule(masq...)
	markMasq.rule("-A", chainMarkMasq, "-j", "MARK", "--or-mark", p.MasqueradeMark)

	// Node ports last in KUBESHIM-SERVICES: a cluster IP or external IP
	// rule for the same port must win.
	nodePortComment := quote("kubeshim service nodeports; NOTE: this must be the last rule in this chain")
	for _, ip := range p.NodeIPs {
		b.natServices.rule("-A", chainServices, "-m", "comment", "--comment", nodePortComment, "-d", ip, "-j", chainNodePorts)
	}
	if p.LocalhostNodePorts {
		b.natServices.rule("-A", chainServices, "-m", "comment", "--comment", nodePortComment, "-d", "127.0.0.0/8", "-j", chainNodePorts)
	}
	// In natTopChains' order.
	r.nat = [][]byte{b.natServices.Bytes(), b.nodePorts.Bytes(), postrouting.Bytes(), markMasq.Bytes()}

	var f lines
	chains := filterTopChains
	if p.LocalhostNodePorts {
		chains = append(chains[:len(chains):len(chains)], chainLocalnet)
	}
	for _, c := range chains {
		f.WriteString(":" + c + " - [0:0]\n")
	}
	f.Write(b.filterServices.Bytes())
	f.Write(b.filterExternal.Bytes())
	f.Write(b.filterFirewall.Bytes())
	if p.DropInvalid {
		// Out-of-window packets of a DNATed connection would reach the
		// endpoint un-NATed and be answered with a RST.
		f.rule("-A", chainForward, "-m", "conntrack", "--ctstate", "INVALID", "-j", "DROP")
	}
	// Marked traffic (node ports, external IPs) is forwarded even where
	// the FORWARD policy drops; the agent's guard comes before this chain.
	f.rule("-A", chainForward, "-m", "comment", "--comment", quote("kubeshim forwarding rules"), "-m", "mark", "--mark", mark, "-j", "ACCEPT")
	f.rule("-A", chainForward, "-m", "comment", "--comment", quote("kubeshim forwarding conntrack rule"), "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT")
	if p.LocalhostNodePorts {
		// route_localnet lets packets to 127.0.0.0/8 be routed; only
		// those DNATed to a node port may arrive from elsewhere.
		f.rule("-A", chainLocalnet, "-m", "comment", "--comment", quote("block incoming localnet connections"),
			"-d", "127.0.0.0/8", "!", "-s", "127.0.0.0/8", "-m", "conntrack", "!", "--ctstate", "RELATED,ESTABLISHED,DNAT", "-j", "DROP")
	}
	r.filter = f.Bytes()
	return r
}

// probability is the --probability of the i-th of n endpoint rules,
// 1/(n-i), formatted once per value.
func (b *builder) probability(n int) string {
	for len(b.probabilities) <= n {
		b.probabilities = append(b.probabilities, strconv.FormatFloat(1/float64(len(b.probabilities)), 'f', 10, 64))
	}
	return b.probabilities[n]
}

// categorize picks the endpoints traffic may go to, as upstream without
// topology hints: ready endpoints, or when there are none the serving
// terminating ones, for the Cluster policy; this node's, likewise, for the
// Local policy. hasAny reports whether the service has usable endpoints
// anywhere.
func categorize(sp *ServicePort, eps []*Endpoint) (cluster, local, reachable []*Endpoint, hasAny bool) {
	if len(eps) == 0 {
		return
	}
	if sp.usesClusterEndpoints() {
		for _, e := range eps {
			if e.Ready {
				cluster = append(cluster, e)
			}
		}
		if len(cluster) == 0 {
			for _, e := range eps {
				if e.Serving && e.Terminating {
					cluster = append(cluster, e)
				}
			}
		}
		hasAny = len(cluster) > 0
	}
	if !sp.usesLocalEndpoints() {
		return cluster, nil, cluster, hasAny
	}
	localReady, localTerminating := false, false
	for _, e := range eps {
		switch {
		case e.Ready:
			hasAny = true
			localReady = localReady || e.Local
		case e.Serving && e.Terminating:
			hasAny = true
			localTerminating = localTerminating || e.Local
		}
	}
	useTerminating := false
	switch {
	case localReady:
		for _, e := range eps {
			if e.Local && e.Ready {
				local = append(local, e)
			}
		}
	case localTerminating:
		useTerminating = true
		for _, e := range eps {
			if e.Local && e.Serving && e.Terminating {
				local = append(local, e)
			}
		}
	}
	if !sp.usesClusterEndpoints() {
		return nil, local, local, hasAny
	}
	if !useTerminating {
		// Ready local endpoints are among the ready cluster endpoints.
		return cluster, local, cluster, hasAny
	}
	seen := make(map[string]bool, len(cluster)+len(local))
	for _, e := range append(append([]*Endpoint{}, cluster...), local...) {
		if !seen[e.addr] {
			seen[e.addr] = true
			reachable = append(reachable, e)
		}
	}
	sort.Slice(reachable, func(i, j int) bool { return reachable[i].addr < reachable[j].addr })
	return cluster, local, reachable, hasAny
}

// service writes one service port's rules: its capture rules in the fixed
// chains, and returns them with its own chains as a fragment.
func (b *builder) service(sp *ServicePort, eps []*Endpoint) *fragment {
	if b.prev != nil {
		if f := b.prev.byName[sp.key]; f != nil && f.sp.equal(sp) && endpointsEqual(f.eps, eps) {
			b.natServices.WriteString(f.capture)
			b.nodePorts.WriteString(f.nodePorts)
			b.filterServices.WriteString(f.filterServices)
			b.filterExternal.WriteString(f.filterExternal)
			b.filterFirewall.WriteString(f.filterFirewall)
			return f
		}
	}
	marks := [5]int{b.natServices.Len(), b.nodePorts.Len(), b.filterServices.Len(), b.filterExternal.Len(), b.filterFirewall.Len()}
	frag := b.generate(sp, eps)
	frag.sp, frag.eps = sp, eps
	frag.capture = string(b.natServices.Bytes()[marks[0]:])
	frag.nodePorts = string(b.nodePorts.Bytes()[marks[1]:])
	frag.filterServices = string(b.filterServices.Bytes()[marks[2]:])
	frag.filterExternal = string(b.filterExternal.Bytes()[marks[3]:])
	frag.filterFirewall = string(b.filterFirewall.Bytes()[marks[4]:])
	return frag
}

func endpointsEqual(a, b []*Endpoint) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && *a[i] != *b[i] {
			return false
		}
	}
	return true
}

func paramsEqual(a, b Params) bool {
	return slices.Equal(a.NodeIPs, b.NodeIPs) && a.LocalhostNodePorts == b.LocalhostNodePorts && a.ClusterCIDR == b.ClusterCIDR &&
		a.MasqueradeMark == b.MasqueradeMark && a.RandomFully == b.RandomFully && a.DropInvalid == b.DropInvalid
}

// generate writes a service port's rules.
func (b *builder) generate(sp *ServicePort, eps []*Endpoint) *fragment {
	p := b.params
	cluster, local, reachable, hasEndpoints := categorize(sp, eps)
	usesClusterChain := len(cluster) > 0 && sp.usesClusterEndpoints()
	usesLocalChain := len(local) > 0 && sp.usesLocalEndpoints()

	internalChain, hasInternal := sp.svcChain, hasEndpoints
	if sp.InternalLocal {
		internalChain, hasInternal = sp.svlChain, len(local) > 0
	}
	externalPolicyChain, hasExternal := sp.svcChain, hasEndpoints
	if sp.ExternalLocal {
		externalPolicyChain, hasExternal = sp.svlChain, len(local) > 0
	}
	usesExtChain := hasEndpoints && sp.externallyAccessible()
	usesFWChain := hasEndpoints && len(sp.LoadBalancerIPs) > 0 && len(sp.LoadBalancerSourceRanges) > 0
	lbChain := sp.extChain
	if usesFWChain {
		lbChain = sp.fwChain
	}

	// Without endpoints at all, packets are rejected with
	// icmp-port-unreachable (REJECT's default: the client learns at once);
	// without endpoints for a Local policy they are dropped, as upstream.
	var internalTarget, externalTarget, internalComment, externalComment string
	if !hasEndpoints {
		internalTarget, externalTarget = "REJECT", "REJECT"
		internalComment = quote(sp.nameString + " has no endpoints")
		externalComment = internalComment
	} else {
		if !hasInternal {
			internalTarget, internalComment = "DROP", quote(sp.nameString+" has no local endpoints")
		}
		if !hasExternal {
			externalTarget, externalComment = "DROP", quote(sp.nameString+" has no local endpoints")
		}
	}

	port := strconv.Itoa(int(sp.Port))
	proto := sp.proto

	if hasInternal {
		b.natServices.rule("-A", chainServices, "-m", "comment", "--comment", quote(sp.nameString+" cluster IP"),
			"-m", proto, "-p", proto, "-d", sp.ClusterIP, "--dport", port, "-j", internalChain)
	} else {
		b.filterServices.rule("-A", chainServices, "-m", "comment", "--comment", internalComment,
			"-m", proto, "-p", proto, "-d", sp.ClusterIP, "--dport", port, "-j", internalTarget)
	}
	for _, ip := range sp.ExternalIPs {
		if hasEndpoints {
			b.natServices.rule("-A", chainServices, "-m", "comment", "--comment", quote(sp.nameString+" external IP"),
				"-m", proto, "-p", proto, "-d", ip, "--dport", port, "-j", sp.extChain)
		}
		if !hasExternal {
			b.filterExternal.rule("-A", chainExternalServices, "-m", "comment", "--comment", externalComment,
				"-m", proto, "-p", proto, "-d", ip, "--dport", port, "-j", externalTarget)
		}
	}
	for _, ip := range sp.LoadBalancerIPs {
		if hasEndpoints {
			b.natServices.rule("-A", chainServices, "-m", "comment", "--comment", quote(sp.nameString+" loadbalancer IP"),
				"-m", proto, "-p", proto, "-d", ip, "--dport", port, "-j", lbChain)
		}
		if usesFWChain {
			b.filterFirewall.rule("-A", chainProxyFirewall, "-m", "comment", "--comment", quote(sp.nameString+" traffic not accepted by "+sp.fwChain),
				"-m", proto, "-p", proto, "-d", ip, "--dport", port, "-j", "DROP")
		}
		if !hasExternal {
			b.filterExternal.rule("-A", chainExternalServices, "-m", "comment", "--comment", externalComment,
				"-m", proto, "-p", proto, "-d", ip, "--dport", port, "-j", externalTarget)
		}
	}
	if sp.NodePort != 0 {
		nodePort := strconv.Itoa(int(sp.NodePort))
		if hasEndpoints {
			b.nodePorts.rule("-A", chainNodePorts, "-m", "comment", "--comment", sp.nameString,
				"-m", proto, "-p", proto, "--dport", nodePort, "-j", sp.extChain)
		}
		if !hasExternal {
			b.filterExternal.rule("-A", chainExternalServices, "-m", "comment", "--comment", externalComment,
				"-m", "addrtype", "--dst-type", "LOCAL", "-m", proto, "-p", proto, "--dport", nodePort, "-j", externalTarget)
		}
	}

	// The service's own chains.
	f := &b.scratch
	f.Reset()
	frag := &fragment{name: sp.key}
	if hasInternal && p.ClusterCIDR != "" {
		// Traffic from outside the pod network to a cluster IP (the host,
		// or a host routing its service CIDR here) is masqueraded, so the
		// reply comes back through this node.
		f.rule("-A", internalChain, "-m", "comment", "--comment", quote(sp.nameString+" cluster IP"),
			"-m", proto, "-p", proto, "-d", sp.ClusterIP, "--dport", port, "!", "-s", p.ClusterCIDR, "-j", chainMarkMasq)
	}
	if usesExtChain {
		frag.chains = append(frag.chains, sp.extChain)
		if !sp.ExternalLocal {
			// The endpoint may be on another node: masquerade so the reply
			// returns through this one.
			f.rule("-A", sp.extChain, "-m", "comment", "--comment", quote("masquerade traffic for "+sp.nameString+" external destinations"), "-j", chainMarkMasq)
		} else {
			if p.ClusterCIDR != "" {
				// Pods reaching an external destination are served as if
				// they had gone out to a load balancer and back: by any
				// endpoint, with no traffic policy.
				f.rule("-A", sp.extChain, "-m", "comment", "--comment", quote("pod traffic for "+sp.nameString+" external destinations"),
					"-s", p.ClusterCIDR, "-j", sp.svcChain)
			}
			// The node itself has the external IP as its source, which
			// only masquerading makes answerable.
			f.rule("-A", sp.extChain, "-m", "comment", "--comment", quote("masquerade LOCAL traffic for "+sp.nameString+" external destinations"),
				"-m", "addrtype", "--src-type", "LOCAL", "-j", chainMarkMasq)
			f.rule("-A", sp.extChain, "-m", "comment", "--comment", quote("route LOCAL traffic for "+sp.nameString+" external destinations"),
				"-m", "addrtype", "--src-type", "LOCAL", "-j", sp.svcChain)
		}
		if hasExternal {
			f.rule("-A", sp.extChain, "-j", externalPolicyChain)
		}
	}
	if usesFWChain {
		frag.chains = append(frag.chains, sp.fwChain)
		comment := quote(sp.nameString + " loadbalancer IP")
		allowNode := false
		for _, cidr := range sp.LoadBalancerSourceRanges {
			f.rule("-A", sp.fwChain, "-m", "comment", "--comment", comment, "-s", cidr, "-j", sp.extChain)
			allowNode = allowNode || anyIn(cidr, p.NodeIPs)
		}
		if allowNode {
			// A node reaching its own load balancer IP sends from that IP.
			for _, ip := range sp.LoadBalancerIPs {
				f.rule("-A", sp.fwChain, "-m", "comment", "--comment", comment, "-s", ip, "-j", sp.extChain)
			}
		}
		// Whatever falls off the end is not DNATed, and KUBESHIM-PROXY-FIREWALL drops it.
		f.rule("-A", sp.fwChain, "-m", "comment", "--comment", quote("other traffic to "+sp.nameString+" will be dropped by "+chainProxyFirewall))
	}
	if usesClusterChain {
		frag.chains = append(frag.chains, sp.svcChain)
		b.endpointRules(f, sp, sp.svcChain, cluster)
	}
	if usesLocalChain {
		frag.chains = append(frag.chains, sp.svlChain)
		b.endpointRules(f, sp, sp.svlChain, local)
	}
	for _, e := range reachable {
		frag.chains = append(frag.chains, e.chain)
		args := []string{"-A", e.chain}
		if !b.large {
			args = append(args, "-m", "comment", "--comment", sp.nameString)
		}
		// Hairpin: an endpoint reaching itself through the service must
		// see the node as the source, or it would answer itself directly.
		f.rule(append(args, "-s", e.IP, "-j", chainMarkMasq)...)
		if sp.AffinitySeconds > 0 {
			args = append(args, "-m", "recent", "--name", e.chain, "--set")
		}
		f.rule(append(args, "-m", proto, "-p", proto, "-j", "DNAT", "--to-destination", e.addr)...)
	}
	frag.rules = f.String()
	return frag
}

// endpointRules spreads a service chain over endpoints: first the affinity
// checks, then one rule per endpoint matching with probability 1/(n-i), the
// last always.
func (b *builder) endpointRules(f *lines, sp *ServicePort, chain string, eps []*Endpoint) {
	comment := func(e *Endpoint) []string {
		if b.large {
			return nil
		}
		return []string{"-m", "comment", "--comment", quote(sp.nameString + " -> " + e.addr)}
	}
	if sp.AffinitySeconds > 0 {
		seconds := strconv.Itoa(int(sp.AffinitySeconds))
		for _, e := range eps {
			args := append([]string{"-A", chain}, comment(e)...)
			f.rule(append(args, "-m", "recent", "--name", e.chain, "--rcheck", "--seconds", seconds, "--reap", "-j", e.chain)...)
		}
	}
	n := len(eps)
	for i, e := range eps {
		args := append([]string{"-A", chain}, comment(e)...)
		if i < n-1 {
			args = append(args, "-m", "statistic", "--mode", "random", "--probability", b.probability(n-i))
		}
		f.rule(append(args, "-j", e.chain)...)
	}
}

// anyIn reports whether any of ips is in cidr.
func anyIn(cidr string, ips []string) bool {
	prefix, err := netip.ParsePrefix(cidr)
	if err != nil {
		return false
	}
	for _, s := range ips {
		if ip, err := netip.ParseAddr(s); err == nil && prefix.Contains(ip) {
			return true
		}
	}
	return false
}
