package proxy

import (
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
		ours:  `-m recent --name X --set -j RETURN`,
		saved: `-m recent --set --name X --mask 255.255.255.0 --rsource -j RETURN`,
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
		saved: `-m comment --comment "a  b" -j RETURN`,
	}, {
		name:  "an option outside any match compares as written",
		ours:  `--dport 80 -j RETURN`,
		saved: `--dport 80 -j RETURN`,
		equal: true,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := canonicalRule(tc.ours), canonicalRule(tc.saved)
			if got := a == b; got != tc.equal {
				t.Errorf("equal = %v, want %v:\n ours  %s\n saved %s", got, tc.equal, a, b)
			}
		})
	}
}

func TestSplitArgs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{`-m comment --comment "a b" -j X`, []string{"-m", "comment", "--comment", "a b", "-j", "X"}},
		{`--comment "say \"hi\""  -j  X`, []string{"--comment", `say "hi"`, "-j", "X"}},
		{`--comment ""`, []string{"--comment", ""}},
		{``, []string{}},
	} {
		if diff := cmp.Diff(tc.want, splitArgs(tc.in)); diff != "" {
			t.Errorf("splitArgs(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
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
	whole := r.Payload(nil, nil)
	kernel := parseSave(append([]byte(":KUBESHIM-SEP-STRAYSTRAYSTRAY - [0:0]\n"), whole...))
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
