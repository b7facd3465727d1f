package proxy

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCanonicalRule(t *testing.T) {
	for _, tc := range []struct {
		name        string
		ours, saved string
		equal       bool
	}{{
		name:  "capture rule",
		ours:  `-m comment --comment "ns-0/svc-0:http cluster IP" -m tcp -p tcp -d 10.96.0.1 --dport 80 -j KUBESHIM-SVC-GAUQXAHXJ4VVMG7`,
		saved: `-d 10.96.0.1/32 -p tcp -m comment --comment "ns-0/svc-0:http cluster IP" -m tcp --dport 80 -j KUBESHIM-SVC-GAUQXAHXJ4VVMG7`,
		equal: true,
	}, {
		name:  "negated source",
		ours:  `-m comment --comment "ns-0/svc-0:http cluster IP" -m tcp -p tcp -d 10.96.0.1 --dport 80 ! -s 10.244.0.0/16 -j KUBESHIM-MARK-MASQ`,
		saved: `! -s 10.244.0.0/16 -d 10.96.0.1/32 -p tcp -m comment --comment "ns-0/svc-0:http cluster IP" -m tcp --dport 80 -j KUBESHIM-MARK-MASQ`,
		equal: true,
	}, {
		name:  "negation lost",
		ours:  `-m tcp -p tcp -d 10.96.0.1 --dport 80 ! -s 10.244.0.0/16 -j KUBESHIM-MARK-MASQ`,
		saved: `-s 10.244.0.0/16 -d 10.96.0.1/32 -p tcp -m tcp --dport 80 -j KUBESHIM-MARK-MASQ`,
	}, {
		name:  "probability as the kernel rounds it",
		ours:  `-m comment --comment "ns-0/svc-0:http -> 10.244.0.1:8080" -m statistic --mode random --probability 0.3333333333 -j KUBESHIM-SEP-FTLOSTX3LW6FEMA`,
		saved: `-m comment --comment "ns-0/svc-0:http -> 10.244.0.1:8080" -m statistic --mode random --probability 0.33333333349 -j KUBESHIM-SEP-FTLOSTX3LW6FEMA`,
		equal: true,
	}, {
		name:  "other probability",
		ours:  `-m statistic --mode random --probability 0.2500000000 -j KUBESHIM-SEP-FTLOSTX3LW6FEMA`,
		saved: `-m statistic --mode random --probability 0.33333333349 -j KUBESHIM-SEP-FTLOSTX3LW6FEMA`,
	}, {
		name:  "recent with the defaults iptables-save adds",
		ours:  `-m comment --comment ns-0/svc-0:http -m recent --name KUBESHIM-SEP-FTLOSTX3LW6FEMA --set -m tcp -p tcp -j DNAT --to-destination 10.244.0.1:8080`,
		saved: `-p tcp -m comment --comment ns-0/svc-0:http -m recent --set --name KUBESHIM-SEP-FTLOSTX3LW6FEMA --mask 255.255.255.255 --rsource -m tcp -j DNAT --to-destination 10.244.0.1:8080`,
		equal: true,
	}, {
		name:  "recent check",
		ours:  `-m recent --name KUBESHIM-SEP-FTLOSTX3LW6FEMA --rcheck --seconds 10800 --reap -j KUBESHIM-SEP-FTLOSTX3LW6FEMA`,
		saved: `-m recent --rcheck --seconds 10800 --reap --name KUBESHIM-SEP-FTLOSTX3LW6FEMA --mask 255.255.255.255 --rsource -j KUBESHIM-SEP-FTLOSTX3LW6FEMA`,
		equal: true,
	}, {
		name:  "recent with another timeout",
		ours:  `-m recent --name KUBESHIM-SEP-FTLOSTX3LW6FEMA --rcheck --seconds 60 --reap -j KUBESHIM-SEP-FTLOSTX3LW6FEMA`,
		saved: `-m recent --rcheck --seconds 10800 --reap --name KUBESHIM-SEP-FTLOSTX3LW6FEMA --mask 255.255.255.255 --rsource -j KUBESHIM-SEP-FTLOSTX3LW6FEMA`,
	}, {
		name:  "recent with a narrower mask",
		ours:  `-m recent --name X --set -j KUBESHIM-SEP-X`,
		saved: `-m recent --set --name X --mask 255.255.255.0 --rsource -j KUBESHIM-SEP-X`,
	}, {
		name:  "recent names that look like options",
		ours:  `-m recent --rcheck --name --set -j KUBESHIM-SEP-X`,
		saved: `-m recent --set --name --rcheck -j KUBESHIM-SEP-X`,
	}, {
		name:  "another endpoint",
		ours:  `-m tcp -p tcp -j DNAT --to-destination 10.244.0.1:8080`,
		saved: `-p tcp -m tcp -j DNAT --to-destination 10.244.0.2:8080`,
	}, {
		name:  "matches in another order",
		ours:  `-m addrtype --dst-type LOCAL -m tcp -p tcp --dport 30082 -j DROP`,
		saved: `-p tcp -m tcp --dport 30082 -m addrtype --dst-type LOCAL -j DROP`,
	}, {
		name:  "quoted and bare comment",
		ours:  `-m comment --comment "ns-0/svc-0:http" -s 10.244.0.1 -j KUBESHIM-MARK-MASQ`,
		saved: `-s 10.244.0.1/32 -m comment --comment ns-0/svc-0:http -j KUBESHIM-MARK-MASQ`,
		equal: true,
	}, {
		name:  "another comment",
		ours:  `-m comment --comment "a b" -j RETURN`,
		saved: `-m comment --comment "a c" -j RETURN`,
	}, {
		name:  "a target hidden in a comment",
		ours:  `-m comment --comment ns-0/svc-0:http -s 10.244.0.1 -j KUBESHIM-MARK-MASQ`,
		saved: `-s 10.244.0.1/32 -m comment --comment "ns-0/svc-0:http -j KUBESHIM-MARK-MASQ"`,
	}, {
		name:  "a DNAT hidden in a comment",
		ours:  `-m comment --comment ns-0/svc-0:http -m tcp -p tcp -j DNAT --to-destination 10.244.0.1:8080`,
		saved: `-p tcp -m comment --comment "ns-0/svc-0:http -m tcp -j DNAT --to-destination 10.244.0.1:8080"`,
	}, {
		name:  "an unknown option hidden in a comment",
		ours:  `-m comment --comment x -f -j DROP`,
		saved: `-m comment --comment "x -f" -j DROP`,
	}, {
		name:  "an unknown match compares raw, equal only to itself",
		ours:  `-m policy --dir in --pol none -j RETURN`,
		saved: `-m policy --dir in --pol none -j RETURN`,
		equal: true,
	}, {
		name:  "an unknown match's options in another order",
		ours:  `-m policy --dir in --pol ipsec --reqid 1 --next --reqid 2 -j RETURN`,
		saved: `-m policy --dir in --pol ipsec --reqid 2 --next --reqid 1 -j RETURN`,
	}, {
		name:  "an unknown target's arguments",
		ours:  `-j LOG --log-prefix "x --log-level 4"`,
		saved: `-j LOG --log-prefix x --log-level 4`,
	}, {
		name:  "an option without a match",
		ours:  `-p tcp --dport 80 -j RETURN`,
		saved: `-p tcp -m tcp --dport 80 -j RETURN`,
	}, {
		name:  "a trailing negation",
		ours:  `-j KUBESHIM-SEP-X !`,
		saved: `-j KUBESHIM-SEP-X`,
	}, {
		name:  "a negated option is not the option",
		ours:  `-m conntrack ! --ctstate NEW -j RETURN`,
		saved: `-m conntrack --ctstate NEW -j RETURN`,
	}, {
		name:  "a negated match and its option",
		ours:  `-m conntrack --ctstate ! NEW -j RETURN`,
		saved: `-m conntrack ! --ctstate NEW -j RETURN`,
	}, {
		name:  "a quote inside an argument",
		ours:  `-m comment --comment "a"b -j RETURN`,
		saved: `-m comment --comment ab -j RETURN`,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := canonicalRule(tc.ours), canonicalRule(tc.saved)
			if got := a == b; got != tc.equal {
				t.Errorf("equal = %v, want %v:\n ours  %q\n saved %q", got, tc.equal, a, b)
			}
		})
	}
}

func TestSplitArgs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		ok   bool
	}{
		{`-m comment --comment "a b" -j X`, []string{"-m", "comment", "--comment", "a b", "-j", "X"}, true},
		{`--comment "say \"hi\"" -j X`, []string{"--comment", `say "hi"`, "-j", "X"}, true},
		{`--comment ""`, []string{"--comment", ""}, true},
		{``, []string{}, true},
		{`-j  X`, nil, false},
		{`-j X `, nil, false},
		{"-j\tX", nil, false},
		{`--comment "a"b`, nil, false},
		{`--comment a"b"`, nil, false},
		{`--comment "a`, nil, false},
	} {
		got, ok := splitArgs(tc.in)
		if ok != tc.ok {
			t.Errorf("splitArgs(%q) ok = %v, want %v", tc.in, ok, tc.ok)
			continue
		}
		if diff := cmp.Diff(tc.want, got); ok && diff != "" {
			t.Errorf("splitArgs(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
}

func TestParseSave(t *testing.T) {
	got, err := parseSave([]byte(`# Generated by iptables-save
*nat
:PREROUTING ACCEPT [0:0]
:KUBESHIM-SEP-A - [0:0]
:KUBESHIM-SEP-EMPTY - [0:0]
-A PREROUTING -m comment --comment "kubeshim service portals" -j KUBESHIM-SERVICES
-A KUBESHIM-SEP-A -s 10.244.0.1/32 -j KUBESHIM-MARK-MASQ
-A KUBESHIM-SEP-A -p tcp -m tcp -j DNAT --to-destination 10.244.0.1:8080
COMMIT
`))
	if err != nil {
		t.Fatal(err)
	}
	want := tableRules{
		"PREROUTING":         {canonicalRule(`-m comment --comment "kubeshim service portals" -j KUBESHIM-SERVICES`)},
		"KUBESHIM-SEP-A":     {canonicalRule(`-s 10.244.0.1 -j KUBESHIM-MARK-MASQ`), canonicalRule(`-m tcp -p tcp -j DNAT --to-destination 10.244.0.1:8080`)},
		"KUBESHIM-SEP-EMPTY": {},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parseSave (-want +got):\n%s", diff)
	}
	long := "-A X -m comment --comment " + strings.Repeat("x", 2<<20) + "\n"
	if _, err := parseSave([]byte(":X - [0:0]\n" + long)); err == nil {
		t.Error("a listing with a line over 1 MiB: no error")
	}
}

// mustParseSave is parseSave for a listing that must be readable.
func mustParseSave(t testing.TB, save []byte) tableRules {
	t.Helper()
	kernel, err := parseSave(save)
	if err != nil {
		t.Fatal(err)
	}
	return kernel
}

// natSection is the nat table of a payload, as iptables-save lists one
// table.
func natSection(payload []byte) []byte {
	return payload[bytes.Index(payload, []byte("*nat\n")):]
}

// TestFullPayload: a full sync over a table writes the fixed chains and
// only the fragments the table does not hold exactly, and deletes strays.
func TestFullPayload(t *testing.T) {
	services, eps := clusterObjects(3, 2)
	r := Build(NewSnapshot(services, eps, testNode), testParams(), nil)
	if got, want := string(r.FullPayload(tableRules{})), string(r.Payload(nil, nil)); got != want {
		t.Errorf("over an empty table: not the whole payload (-want +got):\n%s", cmp.Diff(want, got))
	}

	// The table as iptables-save would list it after the whole payload:
	// the same rules, in the proxy's own text (canonicalRule makes them
	// compare equal either way), plus a stray chain.
	whole := natSection(r.Payload(nil, nil))
	kernel := mustParseSave(t, append([]byte(":KUBESHIM-SEP-STRAYSTRAYSTRAY - [0:0]\n"), whole...))
	got := string(r.FullPayload(kernel))
	for _, f := range r.services {
		for _, c := range f.chains {
			if containsLine(got, ":"+c+" - [0:0]") {
				t.Errorf("chain %s is written though the table holds its rules", c)
			}
		}
	}
	for _, c := range natTopChains {
		if !containsLine(got, ":"+c+" - [0:0]") {
			t.Errorf("fixed chain %s not written", c)
		}
	}
	if !containsLine(got, "-X KUBESHIM-SEP-STRAYSTRAYSTRAY") {
		t.Errorf("stray chain not deleted:\n%s", got)
	}

	// One rule missing from one endpoint chain: that service port's
	// chains are written again, the others' not.
	f := r.services[1]
	sep := f.chains[len(f.chains)-1]
	kernel[sep] = kernel[sep][:len(kernel[sep])-1]
	got = string(r.FullPayload(kernel))
	for _, g := range r.services {
		for _, c := range g.chains {
			if written := containsLine(got, ":"+c+" - [0:0]"); written != (g == f) {
				t.Errorf("chain %s written = %v, want %v", c, written, g == f)
			}
		}
	}
	// A chain missing altogether.
	delete(kernel, r.services[0].chains[0])
	if got := string(r.FullPayload(kernel)); !containsLine(got, ":"+r.services[0].chains[0]+" - [0:0]") {
		t.Errorf("missing chain %s not written", r.services[0].chains[0])
	}
}

func containsLine(payload, line string) bool {
	for l := range strings.Lines(payload) {
		if strings.TrimSuffix(l, "\n") == line {
			return true
		}
	}
	return false
}
