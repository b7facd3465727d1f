package proxy

import (
	"bufio"
	"bytes"
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
// rounded them. canonicalRule brings both texts to one form. A form it
// does not know only costs a rewrite, never a skipped change.

// tableRules are the chains of an iptables-save listing of one table, each
// with its rules in canonical form ("-A CHAIN" left out); a chain that
// exists without rules has an empty slice.
type tableRules map[string][]string

// parseSave reads an iptables-save listing of one table.
func parseSave(save []byte) tableRules {
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
	return t
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

// canonicalRule is a rule's arguments (after "-A CHAIN") in the form in
// which the proxy's text and iptables-save's listing of the same rule are
// equal: the address, interface and protocol options first in a fixed
// order (addresses with a prefix length), then each match with its
// options sorted, defaults of the recent match dropped and a statistic
// probability as the kernel stores it, then the target and its options.
func canonicalRule(rule string) string {
	toks := splitArgs(rule)
	var base [5]string // -s -d -i -o -p
	type match struct {
		name   string
		groups []string
	}
	var matches []*match
	var target []string
	neg := false
	for i := 0; i < len(toks); i++ {
		tok := toks[i]
		if target != nil {
			target = append(target, tok)
			continue
		}
		switch tok {
		case "!":
			neg = true
			continue
		case "-s", "-d", "-i", "-o", "-p":
			if i+1 >= len(toks) {
				return rule
			}
			i++
			v := toks[i]
			if tok == "-s" || tok == "-d" {
				if !strings.Contains(v, "/") {
					v += "/32"
				}
			}
			if neg {
				v = "! " + tok + " " + v
			} else {
				v = tok + " " + v
			}
			base[strings.Index("sdiop", tok[1:])] = v
		case "-m":
			if i+1 >= len(toks) {
				return rule
			}
			i++
			matches = append(matches, &match{name: toks[i]})
		case "-j":
			target = []string{"-j"}
		default:
			if !strings.HasPrefix(tok, "--") || len(matches) == 0 {
				return rule // not a form this knows: compares as itself
			}
			m := matches[len(matches)-1]
			g := []string{tok}
			for i+1 < len(toks) && !strings.HasPrefix(toks[i+1], "-") && toks[i+1] != "!" {
				i++
				g = append(g, toks[i])
			}
			if m.name == "statistic" && tok == "--probability" && len(g) == 2 {
				g[1] = kernelProbability(g[1])
			}
			if m.name == "recent" && (tok == "--rsource" || (tok == "--mask" && len(g) == 2 && g[1] == "255.255.255.255")) {
				neg = false
				continue // the defaults iptables-save adds
			}
			s := strings.Join(g, " ")
			if neg {
				s = "! " + s
			}
			m.groups = append(m.groups, s)
		}
		neg = false
	}
	var out []string
	for _, b := range base {
		if b != "" {
			out = append(out, b)
		}
	}
	for _, m := range matches {
		groups := slices.Clone(m.groups)
		slices.Sort(groups)
		out = append(out, "-m", m.name)
		out = append(out, groups...)
	}
	out = append(out, target...)
	return strings.Join(out, " ")
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

// splitArgs splits a rule into arguments as iptables-restore does:
// double quotes group words and are removed. Arguments without quotes are
// slices of s (a full sync splits some 70,000 rules).
func splitArgs(s string) []string {
	out := make([]string, 0, 16)
	for i := 0; i < len(s); {
		if s[i] == ' ' {
			i++
			continue
		}
		j := i
		for j < len(s) && s[j] != ' ' && s[j] != '"' {
			j++
		}
		if j == len(s) || s[j] == ' ' {
			out = append(out, s[i:j])
			i = j
			continue
		}
		// A quote: build the argument up to the next unquoted space.
		var cur strings.Builder
		cur.WriteString(s[i:j])
		quoted := false
		for ; j < len(s) && (quoted || s[j] != ' '); j++ {
			switch c := s[j]; {
			case c == '\\' && quoted && j+1 < len(s):
				j++
				cur.WriteByte(s[j])
			case c == '"':
				quoted = !quoted
			default:
				cur.WriteByte(c)
			}
		}
		out = append(out, cur.String())
		i = j
	}
	return out
}
