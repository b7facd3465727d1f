package network

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"

	"github.com/containernetworking/cni/libcni"
	types100 "github.com/containernetworking/cni/pkg/types/100"
	"k8s.io/klog/v2"
)

// Config of the pod network on one node.
type Config struct {
	// PluginDirs are searched for CNI plugin binaries.
	PluginDirs []string
	// StateDir holds the CNI result cache and host-local's IP allocations.
	StateDir string
	// Bridge is the pods' bridge on the host.
	Bridge string
	// ClusterCIDR and ServiceCIDR are routed to the sink.
	ClusterCIDR, ServiceCIDR string
	// SinkDevice is the port-less bridge that swallows packets for cluster
	// addresses no pod or service has.
	SinkDevice string
	// LocalAddresses are service addresses the node itself serves (the
	// cluster DNS): they are put on the sink device, which makes them local
	// to the host, so pods and the host reach them without any rule.
	LocalAddresses []string
}

// DefaultPluginDirs are where Debian's containernetworking-plugins and the
// upstream tarball put the plugins.
var DefaultPluginDirs = []string{"/usr/lib/cni", "/opt/cni/bin"}

// Network sets up and tears down pod networks.
type Network struct {
	config Config
	cni    *libcni.CNIConfig

	mu      sync.Mutex
	podCIDR string
	list    *libcni.NetworkConfigList // with portmap, for pods with host ports
	noPorts *libcni.NetworkConfigList
	lo      *libcni.NetworkConfigList
}

// New returns a Network; SetPodCIDR must be called before Setup.
func New(config Config) (*Network, error) {
	if config.Bridge == "" {
		config.Bridge = "kubeshim0"
	}
	if config.SinkDevice == "" {
		config.SinkDevice = "kubeshim-sink"
	}
	if len(config.PluginDirs) == 0 {
		config.PluginDirs = DefaultPluginDirs
	}
	for _, p := range []string{"bridge", "host-local", "loopback", "portmap"} {
		if !found(config.PluginDirs, p) {
			return nil, fmt.Errorf("CNI plugin %q not found in %v (install containernetworking-plugins)", p, config.PluginDirs)
		}
	}
	lo, err := libcni.ConfListFromBytes([]byte(`{"cniVersion":"1.0.0","name":"kubeshim-lo","plugins":[{"type":"loopback"}]}`))
	if err != nil {
		return nil, err
	}
	return &Network{
		config: config,
		cni:    libcni.NewCNIConfigWithCacheDir(config.PluginDirs, filepath.Join(config.StateDir, "cache"), nil),
		lo:     lo,
	}, nil
}

func found(dirs []string, name string) bool {
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, name)); err == nil {
			return true
		}
	}
	return false
}

// SetPodCIDR sets the node's pod subnet (node.spec.podCIDR).
func (n *Network) SetPodCIDR(cidr string) error {
	if _, _, err := net.ParseCIDR(cidr); err != nil {
		return fmt.Errorf("pod CIDR %q: %w", cidr, err)
	}
	conf := map[string]any{
		"cniVersion": "1.0.0",
		"name":       "kubeshim",
		"plugins": []any{
			map[string]any{
				"type":             "bridge",
				"bridge":           n.config.Bridge,
				"isGateway":        true,
				"isDefaultGateway": true,
				// No masquerade: pods talk to the host and to each other,
				// and nothing of theirs is sent off the host.
				"ipMasq":      false,
				"hairpinMode": true,
				"ipam": map[string]any{
					"type":    "host-local",
					"ranges":  [][]map[string]string{{{"subnet": cidr}}},
					"dataDir": filepath.Join(n.config.StateDir, "ipam"),
				},
			},
			map[string]any{
				"type":         "portmap",
				"capabilities": map[string]bool{"portMappings": true},
			},
		},
	}
	b, err := json.Marshal(conf)
	if err != nil {
		return err
	}
	list, err := libcni.ConfListFromBytes(b)
	if err != nil {
		return fmt.Errorf("CNI config: %w", err)
	}
	// Pods without host ports skip the portmap plugin: one plugin run less
	// per pod start. Teardown uses the cached configuration of each pod.
	conf["plugins"] = conf["plugins"].([]any)[:1]
	b, err = json.Marshal(conf)
	if err != nil {
		return err
	}
	noPorts, err := libcni.ConfListFromBytes(b)
	if err != nil {
		return fmt.Errorf("CNI config: %w", err)
	}
	n.mu.Lock()
	n.podCIDR, n.list, n.noPorts = cidr, list, noPorts
	n.mu.Unlock()
	return nil
}

// PodCIDR is the subnet pods get addresses from ("" until set).
func (n *Network) PodCIDR() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.podCIDR
}

// PortMapping is a hostPort of a pod (the portmap plugin's runtime config).
type PortMapping struct {
	HostPort      int32  `json:"hostPort"`
	ContainerPort int32  `json:"containerPort"`
	Protocol      string `json:"protocol"`
	HostIP        string `json:"hostIP,omitempty"`
}

// Pod identifies a pod's sandbox to the CNI plugins.
type Pod struct {
	Namespace, Name, UID string
	SandboxID            string
	NetNS                string
	Ports                []PortMapping
}

func (p Pod) runtimeConf(ifName string) *libcni.RuntimeConf {
	rt := &libcni.RuntimeConf{
		ContainerID: p.SandboxID,
		NetNS:       p.NetNS,
		IfName:      ifName,
		Args: [][2]string{
			{"IgnoreUnknown", "1"},
			{"K8S_POD_NAMESPACE", p.Namespace},
			{"K8S_POD_NAME", p.Name},
			{"K8S_POD_INFRA_CONTAINER_ID", p.SandboxID},
			{"K8S_POD_UID", p.UID},
		},
	}
	if len(p.Ports) > 0 && ifName != "lo" {
		rt.CapabilityArgs = map[string]any{"portMappings": p.Ports}
	}
	return rt
}

// Setup attaches a sandbox's namespace to the pod network and returns the
// pod's IP.
func (n *Network) Setup(ctx context.Context, p Pod) (net.IP, error) {
	n.mu.Lock()
	list := n.list
	if len(p.Ports) == 0 {
		list = n.noPorts
	}
	n.mu.Unlock()
	if list == nil {
		return nil, errors.New("network not ready: the node has no pod CIDR yet")
	}
	if _, err := n.cni.AddNetworkList(ctx, n.lo, p.runtimeConf("lo")); err != nil {
		return nil, fmt.Errorf("loopback: %w", err)
	}
	res, err := n.cni.AddNetworkList(ctx, list, p.runtimeConf("eth0"))
	if err != nil {
		return nil, fmt.Errorf("plugin type=%q failed (add): %w", "bridge", err)
	}
	r, err := types100.NewResultFromResult(res)
	if err != nil {
		return nil, err
	}
	for _, ip := range r.IPs {
		if ip.Address.IP.To4() != nil {
			return ip.Address.IP, nil
		}
	}
	return nil, fmt.Errorf("CNI result has no IPv4 address: %v", r)
}

// Teardown releases a sandbox's IP and host ports. It succeeds when the
// namespace is already gone or was never set up, so it can be retried.
func (n *Network) Teardown(ctx context.Context, p Pod) error {
	n.mu.Lock()
	list := n.list
	n.mu.Unlock()
	if list == nil {
		return nil
	}
	// The configuration and runtime arguments the pod was set up with,
	// from libcni's cache: the portmap plugin needs the pod's port
	// mappings to remove its rules, and the caller may not know them.
	rt := p.runtimeConf("eth0")
	probe := &libcni.NetworkConfigList{Name: list.Name, CNIVersion: list.CNIVersion}
	if conf, cachedRT, err := n.cni.GetNetworkListCachedConfig(probe, rt); err == nil && conf != nil {
		if cached, err := libcni.ConfListFromBytes(conf); err == nil {
			list = cached
			if cachedRT != nil {
				cachedRT.NetNS = rt.NetNS
				rt = cachedRT
			}
		}
	}
	if p.NetNS != "" {
		if _, err := os.Stat(p.NetNS); err != nil {
			// Plugins still release IPs and ports without the namespace.
			p.NetNS = ""
		}
	}
	if p.NetNS == "" {
		rt.NetNS = ""
	}
	if err := n.cni.DelNetworkList(ctx, list, rt); err != nil {
		return fmt.Errorf("CNI delete for sandbox %s: %w", p.SandboxID, err)
	}
	if p.NetNS != "" {
		if err := n.cni.DelNetworkList(ctx, n.lo, p.runtimeConf("lo")); err != nil {
			klog.FromContext(ctx).V(2).Info("Loopback teardown", "err", err)
		}
	}
	return nil
}

// TeardownCached releases a sandbox's network with the configuration it
// was set up with (libcni's cache), for when the pod CIDR is not known, as
// in `kubeshim reset`.
func (n *Network) TeardownCached(ctx context.Context, p Pod) error {
	probe := &libcni.NetworkConfigList{Name: "kubeshim", CNIVersion: "1.0.0"}
	conf, rt, err := n.cni.GetNetworkListCachedConfig(probe, p.runtimeConf("eth0"))
	if err != nil || conf == nil {
		return nil // never set up, or already released
	}
	list, err := libcni.ConfListFromBytes(conf)
	if err != nil {
		return err
	}
	if p.NetNS != "" {
		if _, err := os.Stat(p.NetNS); err != nil {
			rt.NetNS = ""
		}
	}
	return n.cni.DelNetworkList(ctx, list, rt)
}
