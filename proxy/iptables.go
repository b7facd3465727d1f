package proxy

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os/exec"
	"strings"

	"github.com/coreos/go-iptables/iptables"
)

// jump is a rule in a built-in chain that sends packets to one of ours.
// Jumps are the only rules outside our chains; they are installed one by
// one, not through iptables-restore, which would have to own the whole
// built-in chain.
type jump struct {
	table, from, to string
	// insert puts the jump first in the chain, ahead of the host's own
	// rules (a trailing REJECT, say); otherwise it is appended.
	insert bool
	args   []string
}

func (j jump) rule() []string { return append(append([]string{}, j.args...), "-j", j.to) }

func ctNew() []string { return []string{"-m", "conntrack", "--ctstate", "NEW"} }

func comment(s string) []string { return []string{"-m", "comment", "--comment", s} }

// jumps are the proxy's jump rules; localnet adds the martian guard's.
func jumps(localnet bool) []jump {
	js := []jump{
		{"filter", "INPUT", chainExternalServices, true, append(ctNew(), comment("kubeshim externally-visible service portals")...)},
		{"filter", "FORWARD", chainExternalServices, true, append(ctNew(), comment("kubeshim externally-visible service portals")...)},
		{"filter", "FORWARD", chainServices, true, append(ctNew(), comment("kubeshim service portals")...)},
		{"filter", "OUTPUT", chainServices, true, append(ctNew(), comment("kubeshim service portals")...)},
		{"filter", "INPUT", chainProxyFirewall, true, append(ctNew(), comment("kubeshim load balancer firewall")...)},
		{"filter", "OUTPUT", chainProxyFirewall, true, append(ctNew(), comment("kubeshim load balancer firewall")...)},
		{"filter", "FORWARD", chainProxyFirewall, true, append(ctNew(), comment("kubeshim load balancer firewall")...)},
		// Appended, not inserted: the ACCEPTs in this chain must come
		// after the agent's forward guard (KUBESHIM-FORWARD, inserted
		// first), or a pod's packets DNATed off the host would pass it.
		{"filter", "FORWARD", chainForward, false, comment("kubeshim forwarding rules")},
		{"nat", "OUTPUT", chainServices, true, comment("kubeshim service portals")},
		{"nat", "PREROUTING", chainServices, true, comment("kubeshim service portals")},
		{"nat", "POSTROUTING", chainPostrouting, true, comment("kubeshim postrouting rules")},
	}
	if localnet {
		js = append(js,
			jump{"filter", "INPUT", chainLocalnet, true, comment("kubeshim localnet guard")},
			jump{"filter", "OUTPUT", chainLocalnet, true, comment("kubeshim localnet guard")},
		)
	}
	return js
}

// fixedChains are the proxy's chains with fixed names, per table.
var fixedChains = map[string][]string{
	"filter": append(append([]string{}, filterTopChains...), chainLocalnet),
	"nat":    natTopChains,
}

// packetFilter is what the proxy needs of the host's iptables; the real one
// runs the iptables binaries, tests use fakes or a private netns.
type packetFilter interface {
	// EnsureJumps creates the target chains and installs the jump rules
	// that are missing. It is idempotent.
	EnsureJumps(js []jump) error
	// JumpsPresent reports whether every jump rule is installed.
	JumpsPresent(js []jump) (bool, error)
	// Restore applies an iptables-restore --noflush payload atomically.
	Restore(payload []byte) error
	// Save is the iptables-save listing of a table.
	Save(table string) ([]byte, error)
	// DeleteJumps removes the jump rules that are there.
	DeleteJumps(js []jump) error
	// RandomFully reports whether MASQUERADE supports --random-fully.
	RandomFully() bool
}

// hostIPTables runs iptables, iptables-restore and iptables-save from
// PATH, which name the same backend (nft or legacy) on a sane host.
type hostIPTables struct {
	ipt *iptables.IPTables
}

func newHostIPTables() (*hostIPTables, error) {
	// Wait up to 5 s for the xtables lock other programs (CNI's portmap,
	// the agent) may hold.
	ipt, err := iptables.New(iptables.Timeout(5))
	if err != nil {
		return nil, fmt.Errorf("iptables: %w", err)
	}
	return &hostIPTables{ipt: ipt}, nil
}

func (h *hostIPTables) RandomFully() bool { return h.ipt.HasRandomFully() }

func (h *hostIPTables) EnsureJumps(js []jump) error {
	for _, j := range js {
		ok, err := h.ipt.ChainExists(j.table, j.to)
		if err != nil {
			return fmt.Errorf("find chain %s/%s: %w", j.table, j.to, err)
		}
		if !ok {
			if err := h.ipt.NewChain(j.table, j.to); err != nil {
				return fmt.Errorf("create chain %s/%s: %w", j.table, j.to, err)
			}
		}
		if ok, err := h.ipt.Exists(j.table, j.from, j.rule()...); err != nil {
			return fmt.Errorf("check jump %s/%s -> %s: %w", j.table, j.from, j.to, err)
		} else if ok {
			continue
		}
		if j.insert {
			err = h.ipt.Insert(j.table, j.from, 1, j.rule()...)
		} else {
			err = h.ipt.Append(j.table, j.from, j.rule()...)
		}
		if err != nil {
			return fmt.Errorf("install jump %s/%s -> %s: %w", j.table, j.from, j.to, err)
		}
	}
	return nil
}

func (h *hostIPTables) JumpsPresent(js []jump) (bool, error) {
	for _, j := range js {
		ok, err := h.ipt.Exists(j.table, j.from, j.rule()...)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

func (h *hostIPTables) DeleteJumps(js []jump) error {
	for _, j := range js {
		if ok, _ := h.ipt.ChainExists(j.table, j.to); !ok {
			continue // a jump to a missing chain cannot exist
		}
		if err := h.ipt.DeleteIfExists(j.table, j.from, j.rule()...); err != nil {
			return fmt.Errorf("delete jump %s/%s -> %s: %w", j.table, j.from, j.to, err)
		}
	}
	return nil
}

func (h *hostIPTables) Restore(payload []byte) error {
	// -w: wait for the xtables lock; --noflush: leave everything not
	// named in the payload alone.
	cmd := exec.Command("iptables-restore", "-w", "5", "--noflush")
	payload = listFirst(payload)
	cmd.Stdin = bytes.NewReader(payload)
	// stdout is the listing listFirst asks for; errors go to stderr.
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("iptables-restore: %w: %s%s", err, strings.TrimSpace(stderr.String()), failedLine(payload, stderr.String()))
	}
	return nil
}

// listFirstChains is the number of chain lines from which listFirst pays:
// below it iptables-nft's chain list costs less than listing the table.
const listFirstChains = 1000

// listFirst works around the cost of large --noflush restores in
// iptables-nft (1.8.x): for every rule it files the rule's chain and jump
// target in a sorted linked list of the chains to fetch from the kernel
// (nft_cache_level_set), which makes a restore quadratic in the chains it
// names: 7 s of CPU for 1,000 services with 10 endpoints (11,000 chains,
// 34,000 rules), against 0.4 s for iptables-legacy. A command that names
// no chain makes iptables-nft fetch every chain of the table instead and
// skip that list, and -S (list the table's rules) is the only such command
// that changes nothing. So a payload that declares many chains gets a -S at
// the top of each table; its output, the table as it was, is discarded.
// iptables-legacy-restore accepts and prints it the same way.
func listFirst(payload []byte) []byte {
	if bytes.Count(payload, []byte("\n:")) < listFirstChains {
		return payload
	}
	var b bytes.Buffer
	b.Grow(len(payload) + 8)
	for line := range bytes.Lines(payload) {
		b.Write(line)
		if len(line) > 1 && line[0] == '*' {
			b.WriteString("-S\n")
		}
	}
	return b.Bytes()
}

func (h *hostIPTables) Save(table string) ([]byte, error) {
	out, err := exec.Command("iptables-save", "-t", table).Output()
	if err != nil {
		return nil, fmt.Errorf("iptables-save -t %s: %w", table, err)
	}
	return out, nil
}

// chainsOf reads the chain names of an iptables-save listing.
func chainsOf(save []byte) []string {
	var chains []string
	sc := bufio.NewScanner(bytes.NewReader(save))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, ":") {
			if name, _, ok := strings.Cut(line[1:], " "); ok {
				chains = append(chains, name)
			}
		}
	}
	return chains
}

// failedLine quotes the payload line iptables-restore names in an error
// ("line 12 failed"), for the log.
func failedLine(payload []byte, msg string) string {
	i := strings.Index(msg, "line ")
	if i < 0 {
		return ""
	}
	var n int
	if _, err := fmt.Sscanf(msg[i:], "line %d", &n); err != nil || n < 1 {
		return ""
	}
	ls := strings.Split(string(payload), "\n")
	if n > len(ls) {
		return ""
	}
	return fmt.Sprintf(" (line %d: %q)", n, ls[n-1])
}
