package nodeagent

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubeshim/kubeshim/nodeagent/simulated"
	"github.com/kubeshim/kubeshim/nodeagent/sysctl"
	"github.com/kubeshim/kubeshim/proxy"
)

// Options are the agent's flags.
type Options struct {
	Kubeconfig string
	// BootstrapKubeconfig, when --kubeconfig does not exist, is used to
	// request the node's client certificate and write --kubeconfig.
	BootstrapKubeconfig string
	NodeName            string
	DataDir             string
	ContainerdAddress   string
	ContainerdNamespace string
	PodCIDR             string
	ClusterCIDR         string
	ServiceCIDR         string
	ClusterDNS          []string
	ClusterDomain       string
	KubeletPort         int
	CNIBinDirs          []string
	PauseBinary         string
	ResolvConf          string
	// DNSUpstreams are where the cluster DNS forwards names outside the
	// cluster domain; empty means the nameservers of ResolvConf, "none"
	// means no forwarding (such names get SERVFAIL).
	DNSUpstreams []string
	// DisableImagePulls makes a missing image an ErrImagePull without any
	// network access: images must be imported (kubeshim image import).
	DisableImagePulls bool
	// AllowedUnsafeSysctls are the sysctls (names, or prefixes ending in
	// "*") pods may set beyond the safe ones (nodeagent/sysctl).
	AllowedUnsafeSysctls []string
	// Proxy tunes the service proxy the agent runs in-process; its node
	// name and cluster CIDR are the agent's.
	Proxy proxy.Options
	// Simulate, when positive, makes the agent register that many
	// simulated nodes (nodeagent/simulated) instead of running this host's
	// pods; it then touches nothing of the host.
	Simulate int
	// Simulated holds the simulated nodes' flags.
	Simulated SimulatedOptions
}

// SimulatedOptions are the flags of `kubeshim agent --simulate N`.
type SimulatedOptions struct {
	// Prefix names the nodes <prefix>-<i>; empty means --node-name, or "sim".
	Prefix           string
	CPU              string
	Memory           string
	EphemeralStorage string
	Pods             int
	// QPS and Burst rate-limit the agent's client: N nodes renew N/10
	// leases a second.
	QPS   float32
	Burst int
}

// NewOptions returns the defaults.
func NewOptions() *Options {
	return &Options{
		DataDir:             "/var/lib/kubeshim",
		ContainerdAddress:   "/run/containerd/containerd.sock",
		ContainerdNamespace: "kubeshim",
		PodCIDR:             "10.244.0.0/24",
		ClusterCIDR:         "10.244.0.0/16",
		ServiceCIDR:         "10.96.0.0/12",
		ClusterDNS:          []string{"10.96.0.10"},
		ClusterDomain:       "cluster.local",
		KubeletPort:         10250,
		ResolvConf:          "/etc/resolv.conf",
		Proxy:               *proxy.NewOptions(),
		Simulated: SimulatedOptions{
			CPU:              "4",
			Memory:           "16Gi",
			EphemeralStorage: "100Gi",
			Pods:             simulated.DefaultMaxPods,
			QPS:              1000,
			Burst:            2000,
		},
	}
}

// AddFlags adds the agent's flags.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Kubeconfig, "kubeconfig", o.Kubeconfig, "Kubeconfig of the API server the agent registers with; with --bootstrap-kubeconfig, where the agent writes the one it bootstraps when the file does not exist.")
	fs.StringVar(&o.BootstrapKubeconfig, "bootstrap-kubeconfig", o.BootstrapKubeconfig, "Kubeconfig with a bootstrap token, used to get the node's client certificate (TLS bootstrapping) when --kubeconfig does not exist yet.")
	fs.StringVar(&o.NodeName, "node-name", o.NodeName, "Name of the node (default: the hostname).")
	fs.StringVar(&o.DataDir, "data-dir", o.DataDir, "Directory of the agent's state (under <data-dir>/agent).")
	fs.StringVar(&o.ContainerdAddress, "containerd-address", o.ContainerdAddress, "containerd's socket.")
	fs.StringVar(&o.ContainerdNamespace, "containerd-namespace", o.ContainerdNamespace, "containerd namespace holding the agent's containers and images.")
	fs.StringVar(&o.PodCIDR, "pod-cidr", o.PodCIDR, "The node's pod subnet when the Node has no spec.podCIDR.")
	fs.StringVar(&o.ClusterCIDR, "cluster-cidr", o.ClusterCIDR, "The cluster's pod network, routed to the sink outside the node's subnet.")
	fs.StringVar(&o.ServiceCIDR, "service-cluster-ip-range", o.ServiceCIDR, "The service network, routed to the sink.")
	fs.StringSliceVar(&o.ClusterDNS, "cluster-dns", o.ClusterDNS, "Cluster DNS server addresses for ClusterFirst pods.")
	fs.StringVar(&o.ClusterDomain, "cluster-domain", o.ClusterDomain, "The cluster's DNS domain.")
	fs.IntVar(&o.KubeletPort, "kubelet-port", o.KubeletPort, "Port of the kubelet API.")
	fs.StringSliceVar(&o.CNIBinDirs, "cni-bin-dir", o.CNIBinDirs, "Directories of the CNI plugins (default /usr/lib/cni,/opt/cni/bin).")
	fs.StringVar(&o.PauseBinary, "pause-binary", o.PauseBinary, "The pause program the sandbox image is built from (default: kubeshim-pause beside this binary).")
	fs.StringVar(&o.ResolvConf, "resolv-conf", o.ResolvConf, "The host resolver file Default-policy pods get.")
	AddDNSFlags(fs, o)
	o.Proxy.AddTuningFlags(fs)
	fs.IntVar(&o.Simulate, "simulate", o.Simulate, "Register this many simulated nodes, which run no containers, instead of this host (for scale tests; see docs/simulated-nodes.md).")
	fs.StringVar(&o.Simulated.Prefix, "simulate-prefix", o.Simulated.Prefix, "Simulated nodes are named <prefix>-<i> (default: --node-name, else \"sim\").")
	fs.StringVar(&o.Simulated.CPU, "simulate-cpu", o.Simulated.CPU, "CPU capacity of each simulated node.")
	fs.StringVar(&o.Simulated.Memory, "simulate-memory", o.Simulated.Memory, "Memory capacity of each simulated node.")
	fs.StringVar(&o.Simulated.EphemeralStorage, "simulate-ephemeral-storage", o.Simulated.EphemeralStorage, "Ephemeral-storage capacity of each simulated node.")
	fs.IntVar(&o.Simulated.Pods, "simulate-pods", o.Simulated.Pods, "Pods capacity of each simulated node.")
	fs.Float32Var(&o.Simulated.QPS, "simulate-kube-api-qps", o.Simulated.QPS, "Queries per second of the simulated nodes' client (N nodes renew N/10 leases a second).")
	fs.IntVar(&o.Simulated.Burst, "simulate-kube-api-burst", o.Simulated.Burst, "Burst of the simulated nodes' client.")
}

// AddDNSFlags adds the cluster DNS's flags; `kubeshim up` shares them.
func AddDNSFlags(fs *pflag.FlagSet, o *Options) {
	fs.BoolVar(&o.DisableImagePulls, "disable-image-pulls", o.DisableImagePulls, "Never pull images from a registry (not even resolving its name): a pod whose image was not imported into containerd fails with ErrImagePull.")
	fs.StringSliceVar(&o.AllowedUnsafeSysctls, "allowed-unsafe-sysctls", o.AllowedUnsafeSysctls, "Unsafe sysctls or sysctl patterns (ending in *) pods may set, beyond the safe ones. Use at your own risk.")
	fs.StringSliceVar(&o.DNSUpstreams, "dns-upstreams", o.DNSUpstreams, "ip[:port] servers the cluster DNS forwards other names to (default: the nameservers of --resolv-conf; \"none\": no forwarding).")
}

// Complete fills in defaults that depend on the host.
func (o *Options) Complete() error {
	if o.Simulate > 0 {
		// Nothing of the host is used.
		if o.Simulated.Prefix == "" {
			o.Simulated.Prefix = o.NodeName
		}
		if o.Simulated.Prefix == "" {
			o.Simulated.Prefix = "sim"
		}
		return nil
	}
	if o.NodeName == "" {
		h, err := os.Hostname()
		if err != nil {
			return err
		}
		o.NodeName = h
	}
	if o.PauseBinary == "" {
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		o.PauseBinary = filepath.Join(filepath.Dir(exe), "kubeshim-pause")
	}
	return nil
}

// Validate checks the options.
func (o *Options) Validate() error {
	if o.Kubeconfig == "" {
		return fmt.Errorf("--kubeconfig is required")
	}
	if o.Simulate < 0 {
		return fmt.Errorf("--simulate must not be negative")
	}
	if o.Simulate > 0 {
		_, err := o.simulatedConfig(nil)
		return err
	}
	// New builds the allowlist; this only checks the patterns.
	if err := sysctl.CheckUnsafe(o.AllowedUnsafeSysctls); err != nil {
		return fmt.Errorf("--allowed-unsafe-sysctls: %w", err)
	}
	if _, err := os.Stat(o.PauseBinary); err != nil {
		return fmt.Errorf("pause binary: %w (build it with `make build`)", err)
	}
	return nil
}

// Config builds the agent's configuration.
func (o *Options) Config() (*Config, error) {
	if o.BootstrapKubeconfig != "" {
		if _, err := os.Stat(o.Kubeconfig); os.IsNotExist(err) {
			if err := Bootstrap(context.Background(), o.BootstrapKubeconfig, o.Kubeconfig, o.NodeName); err != nil {
				return nil, err
			}
		}
	}
	rc, err := clientcmd.BuildConfigFromFlags("", o.Kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("load kubeconfig: %w", err)
	}
	return &Config{Options: *o, REST: rest.CopyConfig(rc)}, nil
}
