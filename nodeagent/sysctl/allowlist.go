package sysctl

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	utilsysctl "k8s.io/component-helpers/node/util/sysctl"
)

// ForbiddenReason is the reason of a pod rejected for its sysctls.
const ForbiddenReason = "SysctlForbidden"

// safe are upstream's safe sysctls. Upstream leaves out those the running
// kernel does not namespace yet (before 4.15 for the newest); kubeshim's
// hosts have newer kernels.
var safe = []string{
	"kernel.shm_rmid_forced",
	"net.ipv4.ip_local_port_range",
	"net.ipv4.tcp_syncookies",
	"net.ipv4.ping_group_range",
	"net.ipv4.ip_unprivileged_port_start",
	"net.ipv4.ip_local_reserved_ports",
	"net.ipv4.tcp_keepalive_time",
	"net.ipv4.tcp_fin_timeout",
	"net.ipv4.tcp_keepalive_intvl",
	"net.ipv4.tcp_keepalive_probes",
	"net.ipv4.tcp_rmem",
	"net.ipv4.tcp_wmem",
	"net.ipv4.tcp_slow_start_after_idle",
	"net.ipv4.tcp_notsent_lowat",
}

// Allowlist is the sysctls pods may set on this node: names, and prefixes
// from patterns ending in "*".
type Allowlist struct {
	names    map[string]utilsysctl.Namespace
	prefixes map[string]utilsysctl.Namespace
}

// NewAllowlist returns the safe sysctls plus the unsafe patterns (a name, or
// a prefix followed by "*"), each of which must be namespaced: a sysctl of
// the node's own would change it for everything on the node.
func NewAllowlist(unsafe []string) (*Allowlist, error) {
	a := &Allowlist{names: map[string]utilsysctl.Namespace{}, prefixes: map[string]utilsysctl.Namespace{}}
	for _, p := range append(append([]string{}, safe...), unsafe...) {
		ns, sysctlOrPrefix, prefixed, err := parse(p)
		if err != nil {
			return nil, err
		}
		if prefixed {
			a.prefixes[sysctlOrPrefix] = ns
		} else {
			a.names[sysctlOrPrefix] = ns
		}
	}
	return a, nil
}

// Safe returns the safe sysctls alone: the allowlist of a node without
// unsafe patterns. It panics only if the fixed safe list held a sysctl not
// known to be namespaced, which TestSafe rules out.
func Safe() *Allowlist {
	a, err := NewAllowlist(nil)
	if err != nil {
		panic(fmt.Sprintf("sysctl: the safe sysctls: %v", err))
	}
	return a
}

// CheckUnsafe returns the error NewAllowlist would return for these unsafe
// patterns, without building the allowlist: it validates the flag, and the
// agent builds the allowlist once, later.
func CheckUnsafe(unsafe []string) error {
	for _, p := range unsafe {
		if _, _, _, err := parse(p); err != nil {
			return err
		}
	}
	return nil
}

// parse returns the namespace of a pattern, the sysctl name or prefix it
// stands for, and whether it is a prefix.
func parse(pattern string) (ns utilsysctl.Namespace, sysctlOrPrefix string, prefixed bool, err error) {
	ns, sysctlOrPrefix, prefixed = utilsysctl.GetNamespace(utilsysctl.NormalizeName(pattern))
	if ns == utilsysctl.UnknownNamespace {
		return ns, "", false, fmt.Errorf("the sysctls %q are not known to be namespaced", sysctlOrPrefix)
	}
	return ns, sysctlOrPrefix, prefixed, nil
}

// Admit returns why the pod may not run here, "" when it may. The message is
// upstream's.
func (a *Allowlist) Admit(pod *corev1.Pod) string {
	sc := pod.Spec.SecurityContext
	if sc == nil {
		return ""
	}
	hostUsers := pod.Spec.HostUsers == nil || *pod.Spec.HostUsers
	for _, s := range sc.Sysctls {
		if err := a.validate(s.Name, pod.Spec.HostNetwork, pod.Spec.HostIPC, hostUsers); err != nil {
			return fmt.Sprintf("forbidden sysctl: %v", err)
		}
	}
	return ""
}

func (a *Allowlist) validate(sysctl string, hostNet, hostIPC, hostUsers bool) error {
	sysctl = utilsysctl.NormalizeName(sysctl)
	ns, ok := a.names[sysctl]
	if !ok {
		for p, pns := range a.prefixes {
			if strings.HasPrefix(sysctl, p) {
				ns, ok = pns, true
				break
			}
		}
	}
	if !ok {
		return fmt.Errorf("%q not allowlisted", sysctl)
	}
	if (ns == utilsysctl.IPCNamespace && hostIPC) || (ns == utilsysctl.NetNamespace && hostNet) || (ns == utilsysctl.UserNamespace && hostUsers) {
		return fmt.Errorf("%q not allowed with host %s enabled", sysctl, ns)
	}
	return nil
}

// Values returns the pod's sysctls by their dotted names, for the sandbox.
func Values(pod *corev1.Pod) map[string]string {
	sc := pod.Spec.SecurityContext
	if sc == nil || len(sc.Sysctls) == 0 {
		return nil
	}
	out := make(map[string]string, len(sc.Sysctls))
	for _, s := range sc.Sysctls {
		out[utilsysctl.NormalizeName(s.Name)] = s.Value
	}
	return out
}
