package pods

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

const hostResolv = `# written by the host
nameserver 192.0.2.53
nameserver 192.0.2.54
search corp.example example.com
options timeout:1 ndots:2
`

func TestResolvConf(t *testing.T) {
	dir := t.TempDir()
	host := filepath.Join(dir, "resolv.conf")
	if err := os.WriteFile(host, []byte(hostResolv), 0o644); err != nil {
		t.Fatal(err)
	}
	cluster := Config{ResolvConf: host, ClusterDNS: []string{"10.96.0.10"}, ClusterDomain: "cluster.local"}
	clusterFile := "search ns1.svc.cluster.local svc.cluster.local cluster.local corp.example example.com\n" +
		"nameserver 10.96.0.10\n" +
		"options ndots:5\n"
	hostFile := "search corp.example example.com\n" +
		"nameserver 192.0.2.53\nnameserver 192.0.2.54\n" +
		"options timeout:1 ndots:2\n"
	for _, tc := range []struct {
		name        string
		config      Config
		policy      corev1.DNSPolicy
		hostNetwork bool
		dnsConfig   *corev1.PodDNSConfig
		want        string
		skip        string
	}{
		{name: "unset is ClusterFirst", config: cluster, want: clusterFile},
		{name: "ClusterFirst", config: cluster, policy: corev1.DNSClusterFirst, want: clusterFile},
		{name: "ClusterFirst on host network is Default", config: cluster, policy: corev1.DNSClusterFirst, hostNetwork: true, want: hostFile},
		{name: "ClusterFirstWithHostNet on host network", config: cluster, policy: corev1.DNSClusterFirstWithHostNet, hostNetwork: true, want: clusterFile},
		{name: "ClusterFirstWithHostNet off host network", config: cluster, policy: corev1.DNSClusterFirstWithHostNet, want: clusterFile},
		{name: "ClusterFirst without cluster DNS falls back to the host's", config: Config{ResolvConf: host, ClusterDomain: "cluster.local"},
			policy: corev1.DNSClusterFirst, want: hostFile},
		{name: "Default", config: cluster, policy: corev1.DNSDefault, want: hostFile},
		{name: "Default without a host file is empty", config: Config{ResolvConf: filepath.Join(dir, "missing")},
			policy: corev1.DNSDefault, want: ""},
		{name: "None is only dnsConfig", config: cluster, policy: corev1.DNSNone,
			dnsConfig: &corev1.PodDNSConfig{
				Nameservers: []string{"1.2.3.4"},
				Searches:    []string{"ns.svc.cluster-domain.example", "my.dns.search.suffix"},
				Options:     []corev1.PodDNSConfigOption{{Name: "ndots", Value: ptr.To("2")}, {Name: "edns0"}},
			},
			want: "search ns.svc.cluster-domain.example my.dns.search.suffix\nnameserver 1.2.3.4\noptions ndots:2 edns0\n"},
		{name: "None without dnsConfig is empty", config: cluster, policy: corev1.DNSNone, want: ""},
		{name: "dnsConfig is appended and its options win", config: cluster, policy: corev1.DNSClusterFirst,
			dnsConfig: &corev1.PodDNSConfig{
				Nameservers: []string{"192.0.2.99"},
				Searches:    []string{"extra.example"},
				Options:     []corev1.PodDNSConfigOption{{Name: "ndots", Value: ptr.To("1")}, {Name: "single-request"}},
			},
			want: "search ns1.svc.cluster.local svc.cluster.local cluster.local corp.example example.com extra.example\n" +
				"nameserver 10.96.0.10\nnameserver 192.0.2.99\n" +
				"options ndots:1 single-request\n"},
		{name: "at most 3 nameservers", config: cluster, policy: corev1.DNSDefault,
			dnsConfig: &corev1.PodDNSConfig{Nameservers: []string{"192.0.2.1", "192.0.2.2"}},
			want: "search corp.example example.com\n" +
				"nameserver 192.0.2.53\nnameserver 192.0.2.54\nnameserver 192.0.2.1\n" +
				"options timeout:1 ndots:2\n"},
		{name: "duplicates are dropped", config: cluster, policy: corev1.DNSClusterFirst,
			dnsConfig: &corev1.PodDNSConfig{Nameservers: []string{"10.96.0.10"}, Searches: []string{"cluster.local"}},
			want:      clusterFile},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.skip != "" {
				t.Skip(tc.skip)
			}
			m := &Manager{config: tc.config}
			pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns1", Name: "p"},
				Spec: corev1.PodSpec{DNSPolicy: tc.policy, HostNetwork: tc.hostNetwork, DNSConfig: tc.dnsConfig}}
			if diff := cmp.Diff(tc.want, string(m.resolvConf(pod))); diff != "" {
				t.Errorf("resolv.conf (-want +got):\n%s", diff)
			}
		})
	}
}

// TestResolvConfSearchLimit checks that at most 32 search domains are
// written, the cluster's first.
func TestResolvConfSearchLimit(t *testing.T) {
	var searches []string
	for i := 0; i < 40; i++ {
		searches = append(searches, "s"+strings.Repeat("x", i%3)+string(rune('a'+i%26))+".example")
	}
	m := &Manager{config: Config{ResolvConf: filepath.Join(t.TempDir(), "none"), ClusterDNS: []string{"10.96.0.10"}, ClusterDomain: "cluster.local"}}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns1"}, Spec: corev1.PodSpec{DNSConfig: &corev1.PodDNSConfig{Searches: searches}}}
	out := string(m.resolvConf(pod))
	line, _, _ := strings.Cut(out, "\n")
	fields := strings.Fields(strings.TrimPrefix(line, "search "))
	if len(fields) != 32 || fields[0] != "ns1.svc.cluster.local" || fields[31] != searches[28] {
		t.Errorf("search line has %d domains (%v), want 32 from ns1.svc.cluster.local to %s", len(fields), fields, searches[28])
	}
}

func TestHostsFile(t *testing.T) {
	const header = "# Kubernetes-managed hosts file.\n" +
		"127.0.0.1\tlocalhost\n" +
		"::1\tlocalhost ip6-localhost ip6-loopback\n" +
		"fe00::0\tip6-localnet\n" +
		"fe00::0\tip6-mcastprefix\n" +
		"fe00::1\tip6-allnodes\n" +
		"fe00::2\tip6-allrouters\n"
	for _, tc := range []struct {
		name string
		spec corev1.PodSpec
		ip   net.IP
		want string
	}{
		{name: "no IP yet", want: header},
		{name: "plain", ip: net.ParseIP("10.244.0.9"), want: header + "10.244.0.9\tweb-0\n"},
		{name: "subdomain", spec: corev1.PodSpec{Subdomain: "web"}, ip: net.ParseIP("10.244.0.9"),
			want: header + "10.244.0.9\tweb-0.web.ns1.svc.cluster.local\tweb-0\n"},
		{name: "hostAliases", ip: net.ParseIP("10.244.0.9"), spec: corev1.PodSpec{HostAliases: []corev1.HostAlias{
			{IP: "127.0.0.1", Hostnames: []string{"foo.local", "bar.local"}},
			{IP: "10.1.2.3", Hostnames: []string{"foo.remote"}},
		}}, want: header + "10.244.0.9\tweb-0\n" +
			"\n# Entries added by HostAliases.\n" +
			"127.0.0.1\tfoo.local\tbar.local\n" +
			"10.1.2.3\tfoo.remote\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns1", Name: "web-0"}, Spec: tc.spec}
			if diff := cmp.Diff(tc.want, string(hostsFile(pod, "web-0", tc.ip, "cluster.local"))); diff != "" {
				t.Errorf("hosts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHostNetworkHostsFile(t *testing.T) {
	node := filepath.Join(t.TempDir(), "hosts")
	if err := os.WriteFile(node, []byte("127.0.0.1\tlocalhost\n192.0.2.2\tvm\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		aliases []corev1.HostAlias
		want    string
	}{
		{name: "the node's file", want: "# Kubernetes-managed hosts file (host network).\n127.0.0.1\tlocalhost\n192.0.2.2\tvm\n"},
		{name: "with aliases", aliases: []corev1.HostAlias{{IP: "10.1.2.3", Hostnames: []string{"a", "b"}}},
			want: "# Kubernetes-managed hosts file (host network).\n127.0.0.1\tlocalhost\n192.0.2.2\tvm\n" +
				"\n# Entries added by HostAliases.\n10.1.2.3\ta\tb\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := hostNetworkHostsFile(node, tc.aliases)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, string(got)); diff != "" {
				t.Errorf("hosts (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := hostNetworkHostsFile(filepath.Join(t.TempDir(), "missing"), nil); err == nil {
		t.Error("a missing node hosts file gave no error")
	}
}

func TestTruncateHostname(t *testing.T) {
	long := strings.Repeat("a", 62)
	for _, tc := range []struct{ in, want string }{
		{"short", "short"},
		{strings.Repeat("b", 63), strings.Repeat("b", 63)},
		{strings.Repeat("c", 64), strings.Repeat("c", 63)},
		// Cutting may leave a trailing '-' or '.', which a hostname cannot end with.
		{long + "-x", long},
		{long + ".-y", long},
		{strings.Repeat("a", 60) + "--.-zzz", strings.Repeat("a", 60)},
	} {
		if got := truncateHostname(tc.in); got != tc.want {
			t.Errorf("truncateHostname(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestWritePodFiles checks the files a pod's containers mount, and that
// hostNetwork pods get the node's hostname.
func TestWritePodFiles(t *testing.T) {
	root := t.TempDir()
	host := filepath.Join(root, "host-resolv.conf")
	if err := os.WriteFile(host, []byte(hostResolv), 0o644); err != nil {
		t.Fatal(err)
	}
	nodeHosts := filepath.Join(root, "node-hosts")
	if err := os.WriteFile(nodeHosts, []byte("192.0.2.2\tthe-node\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	m := &Manager{config: Config{RootDir: root, ResolvConf: host, HostsFile: nodeHosts, ClusterDNS: []string{"10.96.0.10"}, ClusterDomain: "cluster.local"}}
	st := newState()
	nodeName, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name         string
		pod          *corev1.Pod
		wantHostname string
	}{
		{name: "name", pod: &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns1", Name: "p1", UID: "u1"}}, wantHostname: "p1"},
		{name: "spec.hostname", pod: &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns1", Name: "p2", UID: "u2"},
			Spec: corev1.PodSpec{Hostname: "custom"}}, wantHostname: "custom"},
		{name: "host network", pod: &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns1", Name: "p3", UID: "u3"},
			Spec: corev1.PodSpec{HostNetwork: true, Hostname: "ignored"}}, wantHostname: nodeName},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := m.writePodFiles(tc.pod, st); err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(root, string(tc.pod.UID))
			read := func(name string) string {
				b, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil {
					t.Fatal(err)
				}
				return string(b)
			}
			if got := read("hostname"); got != tc.wantHostname+"\n" {
				t.Errorf("hostname = %q, want %q", got, tc.wantHostname+"\n")
			}
			// A host-network pod sees the node's hosts file; the
			// others a managed one naming the pod.
			wantHosts := "10.244.0.7\t" + tc.wantHostname + "\n"
			if tc.pod.Spec.HostNetwork {
				wantHosts = "# Kubernetes-managed hosts file (host network).\n192.0.2.2\tthe-node\n"
			}
			if got := read("etc-hosts"); !strings.Contains(got, wantHosts) {
				t.Errorf("etc-hosts lacks %q:\n%s", wantHosts, got)
			}
			if got, want := read("resolv.conf"), string(m.resolvConf(tc.pod)); got != want {
				t.Errorf("resolv.conf = %q, want %q", got, want)
			}
		})
	}
}
