package proxy

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// tables is a parsed iptables-restore payload: table → chain → rules.
type tables map[string]map[string][]rule

// rule is one parsed "-A" line.
type rule struct {
	raw string
	// Matches; a leading "!" in a value means negated.
	src, dst, proto, dport string
	srcType, dstType       string
	probability            float64 // 0: none
	recentCheck            string  // --rcheck on this list
	target                 string
	toDestination          string
}

// parsePayload parses iptables-restore input. Only what the proxy writes
// is understood; anything else fails the test, so the tracer cannot
// silently ignore a match it does not know.
func parsePayload(t *testing.T, payload string) tables {
	t.Helper()
	ts := tables{}
	var table string
	for n, line := range strings.Split(payload, "\n") {
		switch {
		case line == "" || line == "COMMIT" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "*"):
			table = line[1:]
			if ts[table] == nil {
				ts[table] = map[string][]rule{}
			}
		case strings.HasPrefix(line, ":"):
			name, _, _ := strings.Cut(line[1:], " ")
			ts[table][name] = nil // a chain line flushes
		case strings.HasPrefix(line, "-X "):
			delete(ts[table], line[3:])
		case strings.HasPrefix(line, "-A "):
			chain, r := parseRule(t, n+1, line)
			if _, ok := ts[table][chain]; !ok {
				t.Fatalf("line %d: rule in undeclared chain %s", n+1, chain)
			}
			ts[table][chain] = append(ts[table][chain], r)
		default:
			t.Fatalf("line %d: cannot parse %q", n+1, line)
		}
	}
	return ts
}

// words splits a rule line, keeping "quoted strings" whole.
func words(line string) []string {
	var out []string
	for line = strings.TrimSpace(line); line != ""; line = strings.TrimSpace(line) {
		if line[0] == '"' {
			end := strings.Index(line[1:], `"`) + 1
			out = append(out, line[1:end])
			line = line[end+1:]
			continue
		}
		w, rest, _ := strings.Cut(line, " ")
		out = append(out, w)
		line = rest
	}
	return out
}

func parseRule(t *testing.T, n int, line string) (string, rule) {
	t.Helper()
	w := words(line)
	r := rule{raw: line}
	chain := w[1]
	neg := ""
	for i := 2; i < len(w); i++ {
		arg := func() string {
			i++
			if i >= len(w) {
				t.Fatalf("line %d: %s needs a value", n, w[i-1])
			}
			return w[i]
		}
		switch w[i] {
		case "!":
			neg = "!"
			continue
		case "-m":
			if m := arg(); !slices.Contains([]string{"comment", "tcp", "udp", "sctp", "statistic", "recent", "addrtype", "mark", "conntrack"}, m) {
				t.Fatalf("line %d: unknown match %s", n, m)
			}
		case "--comment", "--seconds", "--mode", "--name", "--mark", "--ctstate", "--xor-mark", "--or-mark", "--reject-with":
			v := arg()
			if w[i-1] == "--name" && slices.Contains(w, "--rcheck") {
				r.recentCheck = v
			}
		case "--rcheck", "--reap", "--set", "--random-fully":
		case "-s":
			r.src = neg + arg()
		case "-d":
			r.dst = neg + arg()
		case "-p":
			r.proto = neg + arg()
		case "--dport":
			r.dport = neg + arg()
		case "--src-type":
			r.srcType = neg + arg()
		case "--dst-type":
			r.dstType = neg + arg()
		case "--probability":
			p, err := strconv.ParseFloat(arg(), 64)
			if err != nil {
				t.Fatalf("line %d: %v", n, err)
			}
			r.probability = p
		case "-j":
			r.target = arg()
		case "--to-destination":
			r.toDestination = arg()
		default:
			t.Fatalf("line %d: unknown argument %q", n, w[i])
		}
		neg = ""
	}
	return chain, r
}

// packet is what the tracer follows.
type packet struct {
	src, dst, proto string
	dport           int
	// recent are the affinity lists the source is on.
	recent []string
}

func (p packet) String() string {
	return fmt.Sprintf("%s -> %s:%d/%s", p.src, p.dst, p.dport, p.proto)
}

// verdict is where a packet may end up: DNATed to one of Endpoints, or
// REJECTed or DROPped by the filter table, or left alone (ACCEPT). Masq
// reports whether it is marked for masquerading on every path (MasqSome
// on some).
type verdict struct {
	Endpoints      []string
	Filter         string
	Masq, MasqSome bool
}

func (v verdict) String() string {
	s := v.Filter
	if len(v.Endpoints) > 0 {
		s = "DNAT " + strings.Join(v.Endpoints, ",")
	}
	switch {
	case v.Masq:
		s += " masq"
	case v.MasqSome:
		s += " masq-some"
	}
	return s
}

// tracer walks packets through a parsed payload. Only our chains are in
// it, so the walk starts where the jump rules lead: nat KUBESHIM-SERVICES
// (from PREROUTING or OUTPUT), then, for a packet not DNATed, the filter
// chains the jumps for new connections lead to.
type tracer struct {
	t        *testing.T
	tables   tables
	localIPs []string
}

func newTracer(t *testing.T, payload []byte, localIPs ...string) *tracer {
	return &tracer{t: t, tables: parsePayload(t, string(payload)), localIPs: localIPs}
}

func (tr *tracer) local(ip string) bool {
	a := netip.MustParseAddr(ip)
	return slices.Contains(tr.localIPs, ip) || a.IsLoopback()
}

func (tr *tracer) matches(r rule, p packet) bool {
	addr := func(spec, ip string) bool {
		neg := strings.HasPrefix(spec, "!")
		spec = strings.TrimPrefix(spec, "!")
		if !strings.Contains(spec, "/") {
			spec += "/32"
		}
		return netip.MustParsePrefix(spec).Contains(netip.MustParseAddr(ip)) != neg
	}
	typ := func(spec, ip string) bool {
		neg := strings.HasPrefix(spec, "!")
		if strings.TrimPrefix(spec, "!") != "LOCAL" {
			tr.t.Fatalf("addrtype %s not understood", spec)
		}
		return tr.local(ip) != neg
	}
	switch {
	case r.src != "" && !addr(r.src, p.src),
		r.dst != "" && !addr(r.dst, p.dst),
		r.proto != "" && r.proto != p.proto,
		r.dport != "" && r.dport != strconv.Itoa(p.dport),
		r.srcType != "" && !typ(r.srcType, p.src),
		r.dstType != "" && !typ(r.dstType, p.dst),
		r.recentCheck != "" && !slices.Contains(p.recent, r.recentCheck):
		return false
	}
	return true
}

// path is one way through the nat rules.
type path struct {
	dnat string
	masq bool
}

// walk follows chain from rule start on, branching at probabilistic
// rules: each path ends in a DNAT, a filter verdict, or "" (fell through).
func (tr *tracer) walk(table, chain string, start int, p packet, masq bool, depth int) []path {
	if depth > 10 {
		tr.t.Fatalf("jump loop at %s", chain)
	}
	rules, ok := tr.tables[table][chain]
	if !ok {
		tr.t.Fatalf("%s: jump to missing chain %s", table, chain)
	}
	for i := start; i < len(rules); i++ {
		r := rules[i]
		if !tr.matches(r, p) {
			continue
		}
		var taken []path
		switch r.target {
		case "":
			continue
		case chainMarkMasq:
			masq = true
			continue
		case "DNAT":
			taken = []path{{dnat: r.toDestination, masq: masq}}
		case "RETURN":
			return []path{{masq: masq}}
		case "ACCEPT", "DROP", "REJECT":
			if table == "nat" {
				tr.t.Fatalf("%s in nat", r.target)
			}
			taken = []path{{dnat: r.target, masq: masq}}
		default:
			for _, sub := range tr.walk(table, r.target, 0, p, masq, depth+1) {
				if sub.dnat == "" { // returned: carry on after the jump
					taken = append(taken, tr.walk(table, chain, i+1, p, sub.masq, depth)...)
				} else {
					taken = append(taken, sub)
				}
			}
		}
		if r.probability > 0 && r.probability < 1 {
			return append(taken, tr.walk(table, chain, i+1, p, masq, depth)...)
		}
		return taken
	}
	return []path{{masq: masq}}
}

// trace reports where a new connection's first packet goes.
func (tr *tracer) trace(p packet) verdict {
	var v verdict
	paths := tr.walk("nat", chainServices, 0, p, false, 0)
	v.Masq = true
	for _, pa := range paths {
		if pa.dnat != "" {
			v.Endpoints = append(v.Endpoints, pa.dnat)
		}
		v.Masq = v.Masq && pa.masq
		v.MasqSome = v.MasqSome || pa.masq
	}
	if len(v.Endpoints) > 0 && len(v.Endpoints) != len(paths) {
		tr.t.Fatalf("%v: some paths DNAT, some do not: %v", p, paths)
	}
	sort.Strings(v.Endpoints)
	v.Endpoints = slices.Compact(v.Endpoints)
	if len(v.Endpoints) > 0 {
		return v
	}
	// Not DNATed: the filter table's chains for new connections.
	v.Filter = "ACCEPT"
	for _, chain := range []string{chainServices, chainExternalServices, chainProxyFirewall} {
		for _, pa := range tr.walk("filter", chain, 0, p, false, 0) {
			if pa.dnat == "REJECT" || pa.dnat == "DROP" {
				v.Filter = pa.dnat
				return v
			}
		}
	}
	return v
}
