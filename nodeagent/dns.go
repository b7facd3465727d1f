package nodeagent

import (
	"fmt"
	"net"
	"net/netip"
	"strings"

	"k8s.io/client-go/kubernetes"

	"github.com/kubeshim/kubeshim/proxy/dns"
)

// newDNS returns the node's cluster DNS, answering at the cluster DNS
// addresses, which the network puts on the sink device so that they are
// local to this host: a pod's query never leaves the node it is made on.
func newDNS(c *Config, client kubernetes.Interface) (*dns.Server, error) {
	upstreams, err := c.dnsUpstreams()
	if err != nil {
		return nil, err
	}
	var reverse []netip.Prefix
	for _, cidr := range []string{c.ServiceCIDR, c.ClusterCIDR} {
		p, err := netip.ParsePrefix(cidr)
		if err != nil {
			return nil, fmt.Errorf("cluster DNS reverse zone %q: %w", cidr, err)
		}
		reverse = append(reverse, p)
	}
	var listen []string
	for _, ip := range c.ClusterDNS {
		listen = append(listen, net.JoinHostPort(ip, "53"))
	}
	return dns.New(dns.Config{
		Client:        client,
		ClusterDomain: c.ClusterDomain,
		Listen:        listen,
		Upstreams:     upstreams,
		ReverseCIDRs:  reverse,
	})
}

// dnsUpstreams resolves --dns-upstreams: the host's resolvers by default,
// nothing for "none", otherwise the given addresses (port 53 if none).
func (c *Config) dnsUpstreams() ([]string, error) {
	if len(c.DNSUpstreams) == 0 {
		ups, err := dns.Upstreams(c.ResolvConf)
		if err != nil {
			return nil, fmt.Errorf("cluster DNS upstreams from %s: %w (set --dns-upstreams)", c.ResolvConf, err)
		}
		return ups, nil
	}
	var out []string
	for _, u := range c.DNSUpstreams {
		if strings.EqualFold(u, "none") {
			if len(c.DNSUpstreams) > 1 {
				return nil, fmt.Errorf("--dns-upstreams: none excludes other servers")
			}
			return nil, nil
		}
		if _, err := netip.ParseAddr(u); err == nil {
			u = net.JoinHostPort(u, "53")
		}
		if _, err := netip.ParseAddrPort(u); err != nil {
			return nil, fmt.Errorf("--dns-upstreams: %q is not an ip or ip:port", u)
		}
		out = append(out, u)
	}
	return out, nil
}
