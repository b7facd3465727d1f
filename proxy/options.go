package proxy

import (
	"fmt"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Options are the flags of `kubeshim proxy`; the agent, which runs the
// proxy in-process, shares the tuning ones (AddTuningFlags).
type Options struct {
	Kubeconfig  string
	NodeName    string
	ClusterCIDR string
	// Flags named as kube-proxy's.
	MinSyncPeriod      time.Duration
	SyncPeriod         time.Duration
	MasqueradeBit      int
	LocalhostNodePorts bool
	ServiceLB          bool
	// Cleanup removes the proxy's rules and exits.
	Cleanup bool
}

// NewOptions returns the defaults: kube-proxy's, and the cluster CIDR of
// the network plan.
func NewOptions() *Options {
	return &Options{
		ClusterCIDR:        "10.244.0.0/16",
		MinSyncPeriod:      time.Second,
		SyncPeriod:         30 * time.Second,
		MasqueradeBit:      14,
		LocalhostNodePorts: true,
		ServiceLB:          true,
	}
}

// AddFlags adds every flag of `kubeshim proxy`.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Kubeconfig, "kubeconfig", o.Kubeconfig, "Kubeconfig of the API server.")
	fs.StringVar(&o.NodeName, "node-name", o.NodeName, "Name of this node, whose endpoints are local (default: the hostname).")
	fs.StringVar(&o.ClusterCIDR, "cluster-cidr", o.ClusterCIDR, "The pod network: traffic from outside it to cluster IPs is masqueraded. Empty turns that off.")
	fs.BoolVar(&o.Cleanup, "cleanup", o.Cleanup, "Remove every iptables rule and chain the proxy made, then exit.")
	o.AddTuningFlags(fs)
}

// AddTuningFlags adds the flags the agent shares with `kubeshim proxy`.
func (o *Options) AddTuningFlags(fs *pflag.FlagSet) {
	fs.DurationVar(&o.MinSyncPeriod, "iptables-min-sync-period", o.MinSyncPeriod, "The shortest time between two rule syncs: changes in between are applied together.")
	fs.DurationVar(&o.SyncPeriod, "iptables-sync-period", o.SyncPeriod, "How often the proxy checks that its rules are still installed.")
	fs.IntVar(&o.MasqueradeBit, "iptables-masquerade-bit", o.MasqueradeBit, "The fwmark bit (0-31) of packets to masquerade.")
	fs.BoolVar(&o.LocalhostNodePorts, "iptables-localhost-nodeports", o.LocalhostNodePorts, "Serve node ports on 127.0.0.0/8 too (sets net.ipv4.conf.all.route_localnet=1).")
	fs.BoolVar(&o.ServiceLB, "servicelb", o.ServiceLB, "Run the built-in load balancer: LoadBalancer services get the ready nodes' InternalIPs (one writer at a time, under a Lease).")
}

// Complete fills in the node name.
func (o *Options) Complete() error {
	if o.NodeName == "" {
		h, err := os.Hostname()
		if err != nil {
			return fmt.Errorf("node name: %w", err)
		}
		o.NodeName = strings.ToLower(h)
	}
	return nil
}

// Validate checks the options.
func (o *Options) Validate() error {
	if o.Cleanup {
		return nil
	}
	if o.Kubeconfig == "" {
		return fmt.Errorf("--kubeconfig is required")
	}
	return o.validateTuning()
}

func (o *Options) validateTuning() error {
	if o.MinSyncPeriod <= 0 || o.SyncPeriod < o.MinSyncPeriod {
		return fmt.Errorf("--iptables-min-sync-period must be positive and at most --iptables-sync-period")
	}
	if o.MasqueradeBit < 0 || o.MasqueradeBit > 31 {
		return fmt.Errorf("--iptables-masquerade-bit must be between 0 and 31")
	}
	if o.ClusterCIDR != "" {
		if p, err := netip.ParsePrefix(o.ClusterCIDR); err != nil || !p.Addr().Is4() {
			return fmt.Errorf("--cluster-cidr %q: not an IPv4 CIDR", o.ClusterCIDR)
		}
	}
	return nil
}

// Config builds the standalone proxy's configuration; the node's addresses
// come from its Node object.
func (o *Options) Config() (*Config, error) {
	rc, err := clientcmd.BuildConfigFromFlags("", o.Kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("load kubeconfig: %w", err)
	}
	client, err := kubernetes.NewForConfig(rest.AddUserAgent(rc, "kubeshim-proxy/"+o.NodeName))
	if err != nil {
		return nil, err
	}
	return o.ConfigWithClient(client, nil)
}

// ConfigWithClient builds the configuration of a proxy that shares its
// host process's client (the agent's), with the node's addresses as far
// as the host process knows them.
func (o *Options) ConfigWithClient(client kubernetes.Interface, nodeIPs []string) (*Config, error) {
	if err := o.validateTuning(); err != nil {
		return nil, err
	}
	return &Config{
		Client:             client,
		NodeName:           o.NodeName,
		NodeIPs:            nodeIPs,
		ClusterCIDR:        o.ClusterCIDR,
		MinSyncPeriod:      o.MinSyncPeriod,
		SyncPeriod:         o.SyncPeriod,
		MasqueradeBit:      o.MasqueradeBit,
		LocalhostNodePorts: o.LocalhostNodePorts,
		ServiceLB:          o.ServiceLB,
	}, nil
}
