package proxy

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// A full sync used to rewrite every chain. With 1,000 services of 10
// endpoints that is 11,000 chains, and iptables-nft takes over a second to
// flush and refill them even when they hold exactly the rules written.
// Instead a full sync reads the table (iptables-save, which it needs anyway
// to find stray chains) and rewrites only the per-service chains whose
// rules differ from what it would write; the fixed chains, which hold the
// jumps into the others, are always written. Nothing is taken on trust: a
// chain is skipped only when the kernel lists exactly its rules.
//
// The kernel lists a rule in its own canonical form, not as the proxy
// wrote it: addresses with a /32, -p before the matches, options of a
// match reordered and with their defaults, probabilities as the kernel
// rounded them. canonicalRule brings both texts to one form, and only
// for the options and matches the proxy writes, whose arguments it knows;
// any other rule compares as its raw text, so that it can equal only the
// very same text. An unknown form costs a rewrite, never a skipped change.

// tableRules are the chains of an iptables-save listing of one table, each
// with its rules in canonical form ("-A CHAIN" left out); a chain that
// exists without rules has an empty slice.
type tableRules map[string][]string

// parseSave reads an iptables-save listing of one table.
func parseSave(save []byte) (tableRules, error) {
	t := tableRules{}
	sc := bufio.NewScanner(bytes.NewReader(save))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, ":"):
			if name, _, ok := strings.Cut(line[1:], " "); ok {
				if _, seen := t[name]; !seen {
					t[name] = []string{}
				}
			}
		case strings.HasPrefix(line, "-A "):
			chain, rule, _ := strings.Cut(line[3:], " ")
			t[chain] = append(t[chain], canonicalRule(rule))
		}
	}
	if err := sc.Err(); err != nil {
		// A listing read in part could make a chain look right.
		return nil, fmt.Errorf("read iptables-save listing: %w", err)
	}
	return t, nil
}

// chains are the table's chain names.
func (t tableRules) chains() []string {
	out := make([]string, 0, len(t))
	for c := range t {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// matches reports whether the table holds exactly the fragment's chains
// with its rules.
func (t tableRules) matches(f *fragment) bool {
	want := make(map[string][]string, len(f.chains))
	for _, c := range f.chains {
		if _, ok := t[c]; !ok {
			return false
		}
		want[c] = nil
	}
	for line := range strings.Lines(f.rules) {
		line = strings.TrimSuffix(line, "\n")
		rest, ok := strings.CutPrefix(line, "-A ")
		if !ok {
			return false // not a rule a listing could show
		}
		chain, rule, _ := strings.Cut(rest, " ")
		if _, ok := want[chain]; !ok {
			return false
		}
		want[chain] = append(want[chain], canonicalRule(rule))
	}
	for c, rules := range want {
		if !slices.Equal(rules, t[c]) {
			return false
		}
	}
	return true
}

// matchOptions are, per match the proxy writes, the number of arguments
// each of its options takes. Options of a match are independent of each
// other's order in these matches, so canonicalRule sorts them.
var matchOptions = map[string]map[string]int{
	"comment":   {"--comment": 1},
	"tcp":       {"--dport": 1, "--sport": 1},
	"udp":       {"--dport": 1, "--sport": 1},
	"sctp":      {"--dport": 1, "--sport": 1},
	"statistic": {"--mode": 1, "--probability": 1, "--every": 1, "--packet": 1},
	"recent": {"--name": 1, "--set": 0, "--rcheck": 0, "--update": 0, "--remove": 0, "--seconds": 1,
		"--reap": 0, "--hitcount": 1, "--rttl": 0, "--mask": 1, "--rsource": 0, "--rdest": 0},
	"addrtype":  {"--src-type": 1, "--dst-type": 1, "--limit-iface-in": 0, "--limit-iface-out": 0},
	"conntrack": {"--ctstate": 1},
	"mark":      {"--mark": 1},
}

// targetOptions are the arguments the proxy's targets take in the nat
// table's per-service chains; a jump to a chain takes none.
var targetOptions = map[string]map[string]int{
	"DNAT":       {"--to-destination": 1},
	"MASQUERADE": {"--random-fully": 0},
	"RETURN":     {},
	"ACCEPT":     {},
	"DROP":       {},
}

// rawRule is the form of a rule canonicalRule does not know: tagged, so
// that it equals no canonical form, only the same raw text.
func rawRule(rule string) string { return "\x01" + rule }

// canonicalRule is a rule's arguments (after "-A CHAIN") in the form in
// which the proxy's text and iptables-save's listing of the same rule are
// equal: the address, interface and protocol options first in a fixed
// order (addresses with a prefix length), then each match with its
// options sorted, defaults of the recent match dropped and a statistic
// probability as the kernel stores it, then the target and its options.
// The arguments are joined with NUL, which no argument holds, so that
// arguments that differ cannot join into the same text.
func canonicalRule(rule string) string {
	toks, ok := splitArgs(rule)
	if !ok {
		return rawRule(rule)
	}
	var base [5][]string // -s -d -i -o -p
	type match struct {
		name   string
		opts   map[string]int
		groups []string
	}
	var matches []*match
	var target []string
	neg := false
	for i := 0; i < len(toks); i++ {
		tok := toks[i]
		switch {
		case tok == "!":
			if neg {
				return rawRule(rule)
			}
			neg = true
			continue
		case tok == "-s" || tok == "-d" || tok == "-i" || tok == "-o" || tok == "-p":
			k := strings.Index("sdiop", tok[1:])
			if i+1 >= len(toks) || base[k] != nil || target != nil {
				return rawRule(rule)
			}
			i++
			v := toks[i]
			if (tok == "-s" || tok == "-d") && !strings.Contains(v, "/") {
				v += "/32"
			}
			base[k] = []string{tok, v}
			if neg {
				base[k] = []string{"!", tok, v}
			}
		case tok == "-m":
			if neg || i+1 >= len(toks) || target != nil {
				return rawRule(rule)
			}
			i++
			opts, known := matchOptions[toks[i]]
			if !known {
				return rawRule(rule)
			}
			matches = append(matches, &match{name: toks[i], opts: opts})
		case tok == "-j":
			if neg || i+1 >= len(toks) || target != nil {
				return rawRule(rule)
			}
			i++
			name := toks[i]
			opts, known := targetOptions[name]
			if !known {
				if !strings.HasPrefix(name, "KUBESHIM-") {
					return rawRule(rule)
				}
				opts = map[string]int{} // a jump to one of the proxy's chains
			}
			target = []string{"-j", name}
			for i+1 < len(toks) {
				n, ok := opts[toks[i+1]]
				if !ok || i+1+n >= len(toks) {
					return rawRule(rule)
				}
				target = append(target, toks[i+1:i+2+n]...)
				i += 1 + n
			}
		default:
			// An option of the last match, or of a match -p loaded:
			// the proxy always names its matches, so anything else is
			// a form this does not know.
			if target != nil || len(matches) == 0 {
				return rawRule(rule)
			}
			m := matches[len(matches)-1]
			n, known := m.opts[tok]
			if !known || i+n >= len(toks) {
				return rawRule(rule)
			}
			g := append([]string{tok}, toks[i+1:i+1+n]...)
			i += n
			if m.name == "statistic" && tok == "--probability" {
				g[1] = kernelProbability(g[1])
			}
			if m.name == "recent" && !neg && (tok == "--rsource" || (tok == "--mask" && g[1] == "255.255.255.255")) {
				continue // the defaults iptables-save adds
			}
			if neg {
				g = append([]string{"!"}, g...)
			}
			m.groups = append(m.groups, strings.Join(g, "\x00"))
		}
		neg = false
	}
	if neg {
		return rawRule(rule)
	}
	var out []string
	for _, b := range base {
		out = append(out, b...)
	}
	for _, m := range matches {
		groups := slices.Clone(m.groups)
		slices.Sort(groups)
		out = append(out, "-m", m.name)
		out = append(out, groups...)
	}
	out = append(out, target...)
	return strings.Join(out, "\x00")
}

// kernelProbability is a statistic match's probability as iptables-save
// prints it: the kernel keeps it as a fraction of 2^31.
func kernelProbability(s string) string {
	p, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return s
	}
	return strconv.FormatFloat(math.Round(p*0x80000000)/0x80000000, 'f', 11, 64)
}

// splitArgs splits a rule into arguments as iptables-save writes them:
// separated by single spaces, an argument either bare or wholly in double
// quotes (with \" and \\ escaped). Arguments without quotes are slices
// of s (a full sync splits some 70,000 rules). It reports false for text
// outside that form (a tab, a quote inside an argument, runs of spaces),
// which canonicalRule then compares raw.
func splitArgs(s string) ([]string, bool) {
	out := make([]string, 0, 16)
	for i := 0; i < len(s); {
		if s[i] == '"' {
			var cur strings.Builder
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				cur.WriteByte(s[j])
			}
			if j >= len(s) || (j+1 < len(s) && s[j+1] != ' ') {
				return nil, false // unterminated, or text after the quote
			}
			out = append(out, cur.String())
			i = j + 1
		} else {
			j := i
			for j < len(s) && s[j] != ' ' {
				if s[j] == '"' || s[j] == '\t' {
					return nil, false
				}
				j++
			}
			if j == i {
				return nil, false // two spaces in a row
			}
			out = append(out, s[i:j])
			i = j
		}
		if i < len(s) {
			i++ // the space
			if i == len(s) {
				return nil, false // a trailing space
			}
		}
	}
	return out, true
}
