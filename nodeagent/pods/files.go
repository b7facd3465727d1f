package pods

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubeshim/kubeshim/nodeagent/envvars"
	"github.com/kubeshim/kubeshim/nodeagent/volumes"
)

// writePodFiles writes the pod's /etc/hosts, /etc/hostname and
// /etc/resolv.conf, shared by its containers.
func (m *Manager) writePodFiles(pod *corev1.Pod, st *podState) error {
	dir := m.podDir(pod.UID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	hostname := pod.Name
	if pod.Spec.Hostname != "" {
		hostname = pod.Spec.Hostname
	}
	hostname = truncateHostname(hostname)
	if pod.Spec.HostNetwork {
		if h, err := os.Hostname(); err == nil {
			hostname = h
		}
	}
	hosts := hostsFile(pod, hostname, st.podIP, m.config.ClusterDomain)
	if pod.Spec.HostNetwork {
		var err error
		if hosts, err = hostNetworkHostsFile(m.config.HostsFile, pod.Spec.HostAliases); err != nil {
			return err
		}
	}
	files := map[string][]byte{
		"etc-hosts":   hosts,
		"hostname":    []byte(hostname + "\n"),
		"resolv.conf": m.resolvConf(pod),
	}
	for name, content := range files {
		path := filepath.Join(dir, name)
		if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, content) {
			continue
		}
		if err := os.WriteFile(path, content, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// hostNetworkHostsFile is the /etc/hosts of a host-network pod: the node's
// own, under a header of its own (tests tell it from the managed file by
// it), plus the pod's host aliases, as the kubelet writes it.
func hostNetworkHostsFile(nodeHosts string, aliases []corev1.HostAlias) ([]byte, error) {
	if nodeHosts == "" {
		nodeHosts = "/etc/hosts"
	}
	content, err := os.ReadFile(nodeHosts)
	if err != nil {
		return nil, fmt.Errorf("node hosts file: %w", err)
	}
	var b bytes.Buffer
	b.WriteString("# Kubernetes-managed hosts file (host network).\n")
	b.Write(content)
	writeHostAliases(&b, aliases)
	return b.Bytes(), nil
}

func writeHostAliases(b *bytes.Buffer, aliases []corev1.HostAlias) {
	if len(aliases) == 0 {
		return
	}
	b.WriteString("\n# Entries added by HostAliases.\n")
	for _, a := range aliases {
		fmt.Fprintf(b, "%s\t%s\n", a.IP, strings.Join(a.Hostnames, "\t"))
	}
}

// hostsFile is the kubelet's managed /etc/hosts.
func hostsFile(pod *corev1.Pod, hostname string, ip net.IP, domain string) []byte {
	var b bytes.Buffer
	b.WriteString("# Kubernetes-managed hosts file.\n")
	b.WriteString("127.0.0.1\tlocalhost\n")
	b.WriteString("::1\tlocalhost ip6-localhost ip6-loopback\n")
	b.WriteString("fe00::0\tip6-localnet\n")
	b.WriteString("fe00::0\tip6-mcastprefix\n")
	b.WriteString("fe00::1\tip6-allnodes\n")
	b.WriteString("fe00::2\tip6-allrouters\n")
	if ip != nil {
		if pod.Spec.Subdomain != "" {
			fmt.Fprintf(&b, "%s\t%s.%s.%s.svc.%s\t%s\n", ip, hostname, pod.Spec.Subdomain, pod.Namespace, domain, hostname)
		} else {
			fmt.Fprintf(&b, "%s\t%s\n", ip, hostname)
		}
	}
	writeHostAliases(&b, pod.Spec.HostAliases)
	return b.Bytes()
}

// resolvConf follows the pod's dnsPolicy as the kubelet does.
func (m *Manager) resolvConf(pod *corev1.Pod) []byte {
	hostServers, hostSearch, hostOptions := parseResolvConf(m.config.ResolvConf)
	policy := pod.Spec.DNSPolicy
	if policy == "" {
		policy = corev1.DNSClusterFirst
	}
	if policy == corev1.DNSClusterFirstWithHostNet && !pod.Spec.HostNetwork {
		policy = corev1.DNSClusterFirst
	}
	if policy == corev1.DNSClusterFirst && pod.Spec.HostNetwork {
		policy = corev1.DNSDefault
	}
	if policy == corev1.DNSClusterFirstWithHostNet {
		policy = corev1.DNSClusterFirst
	}
	var servers, search, options []string
	switch policy {
	case corev1.DNSClusterFirst:
		if len(m.config.ClusterDNS) == 0 {
			servers, search, options = hostServers, hostSearch, hostOptions
			break
		}
		servers = m.config.ClusterDNS
		d := m.config.ClusterDomain
		search = append([]string{pod.Namespace + ".svc." + d, "svc." + d, d}, hostSearch...)
		options = []string{"ndots:5"}
	case corev1.DNSDefault:
		servers, search, options = hostServers, hostSearch, hostOptions
	case corev1.DNSNone:
	}
	if cfg := pod.Spec.DNSConfig; cfg != nil {
		servers = append(servers, cfg.Nameservers...)
		search = append(search, cfg.Searches...)
		for _, o := range cfg.Options {
			opt := o.Name
			if o.Value != nil {
				opt += ":" + *o.Value
			}
			options = mergeOption(options, opt)
		}
	}
	servers, search = dedupe(servers), dedupe(search)
	if len(search) > 32 {
		search = search[:32]
	}
	var b bytes.Buffer
	if len(search) > 0 {
		fmt.Fprintf(&b, "search %s\n", strings.Join(search, " "))
	}
	for i, s := range servers {
		if i == 3 {
			break
		}
		fmt.Fprintf(&b, "nameserver %s\n", s)
	}
	if len(options) > 0 {
		fmt.Fprintf(&b, "options %s\n", strings.Join(options, " "))
	}
	return b.Bytes()
}

func mergeOption(options []string, opt string) []string {
	name, _, _ := strings.Cut(opt, ":")
	for i, o := range options {
		if n, _, _ := strings.Cut(o, ":"); n == name {
			options[i] = opt
			return options
		}
	}
	return append(options, opt)
}

func parseResolvConf(path string) (servers, search, options []string) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, nil
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) < 2 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		switch fields[0] {
		case "nameserver":
			servers = append(servers, fields[1])
		case "search":
			search = fields[1:]
		case "options":
			options = fields[1:]
		}
	}
	return servers, search, options
}

func parseIP(s string) net.IP { return net.ParseIP(s) }

func (m *Manager) hostIP() string {
	if len(m.config.HostIPs) > 0 {
		return m.config.HostIPs[0]
	}
	return ""
}

func (m *Manager) allocatable() corev1.ResourceList {
	if m.config.Allocatable == nil {
		return nil
	}
	return m.config.Allocatable()
}

func (m *Manager) envInfo(pod *corev1.Pod, st *podState) envvars.PodInfo {
	info := envvars.PodInfo{HostIPs: m.config.HostIPs, NodeAllocatable: m.allocatable()}
	if st.podIP != nil {
		info.PodIPs = []string{st.podIP.String()}
	}
	return info
}

func (m *Manager) volumeInfo(pod *corev1.Pod, st *podState) volumes.PodInfo {
	return m.envInfo(pod, st)
}

// dedupe drops repeated entries, keeping the first, as the kubelet does.
func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range in {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
