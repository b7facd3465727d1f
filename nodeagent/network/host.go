package network

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/coreos/go-iptables/iptables"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// forwardChain holds the agent's egress guard in the filter table.
const forwardChain = "KUBESHIM-FORWARD"

// EnsureHost prepares the host: the sink device with routes for the
// cluster and service CIDRs, and the forward guard that keeps pod traffic
// on the host. It is idempotent and runs at every agent start.
func (n *Network) EnsureHost() error {
	if err := n.ensureSink(); err != nil {
		return err
	}
	return n.ensureForwardGuard()
}

// ensureSink routes the cluster and service CIDRs to a bridge with no
// ports. More specific routes (the node's own pod subnet on the pods'
// bridge) win; whatever is left is dropped on the host instead of going to
// the default gateway. A bridge, because this kernel has no dummy module.
func (n *Network) ensureSink() error {
	link, err := netlink.LinkByName(n.config.SinkDevice)
	if err != nil {
		var notFound netlink.LinkNotFoundError
		if !errors.As(err, &notFound) {
			return fmt.Errorf("find %s: %w", n.config.SinkDevice, err)
		}
		br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: n.config.SinkDevice}}
		if err := netlink.LinkAdd(br); err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("create sink %s: %w", n.config.SinkDevice, err)
		}
		if link, err = netlink.LinkByName(n.config.SinkDevice); err != nil {
			return err
		}
	}
	if err := netlink.LinkSetUp(link); err != nil {
		return fmt.Errorf("set %s up: %w", n.config.SinkDevice, err)
	}
	for _, cidr := range []string{n.config.ClusterCIDR, n.config.ServiceCIDR} {
		if cidr == "" {
			continue
		}
		_, dst, err := net.ParseCIDR(cidr)
		if err != nil {
			return fmt.Errorf("sink route %q: %w", cidr, err)
		}
		route := &netlink.Route{LinkIndex: link.Attrs().Index, Dst: dst, Scope: netlink.SCOPE_LINK}
		if err := netlink.RouteReplace(route); err != nil {
			return fmt.Errorf("sink route %s: %w", cidr, err)
		}
	}
	for _, a := range n.config.LocalAddresses {
		ip := net.ParseIP(a)
		if ip == nil {
			return fmt.Errorf("local address %q: not an IP address", a)
		}
		bits := 32
		if ip.To4() == nil {
			bits = 128
		}
		addr := &netlink.Addr{IPNet: &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)}}
		if err := netlink.AddrReplace(link, addr); err != nil {
			return fmt.Errorf("local address %s on %s: %w", a, n.config.SinkDevice, err)
		}
	}
	return nil
}

// ensureForwardGuard drops traffic from the pods' bridge that would be
// forwarded to any other interface: the bridge plugin turns on IP
// forwarding, and without this a pod could send packets off the host.
func (n *Network) ensureForwardGuard() error {
	ipt, err := iptables.New()
	if err != nil {
		return fmt.Errorf("iptables: %w", err)
	}
	if exists, err := ipt.ChainExists("filter", forwardChain); err != nil {
		return err
	} else if !exists {
		if err := ipt.NewChain("filter", forwardChain); err != nil {
			return err
		}
	}
	rule := []string{"-i", n.config.Bridge, "!", "-o", n.config.Bridge, "-m", "comment", "--comment", "kubeshim: pod traffic stays on this host", "-j", "DROP"}
	if err := ipt.AppendUnique("filter", forwardChain, rule...); err != nil {
		return err
	}
	jump := []string{"-m", "comment", "--comment", "kubeshim forward guard", "-j", forwardChain}
	if ok, err := ipt.Exists("filter", "FORWARD", jump...); err != nil {
		return err
	} else if !ok {
		return ipt.Insert("filter", "FORWARD", 1, jump...)
	}
	return nil
}

// RemoveHost undoes EnsureHost and removes the pods' bridge and the IP
// allocations: for `kubeshim reset`. Missing pieces are skipped.
func (n *Network) RemoveHost() error {
	var errs []error
	if ipt, err := iptables.New(); err == nil {
		jump := []string{"-m", "comment", "--comment", "kubeshim forward guard", "-j", forwardChain}
		if ok, _ := ipt.Exists("filter", "FORWARD", jump...); ok {
			errs = append(errs, ipt.Delete("filter", "FORWARD", jump...))
		}
		if ok, _ := ipt.ChainExists("filter", forwardChain); ok {
			errs = append(errs, ipt.ClearAndDeleteChain("filter", forwardChain))
		}
	} else {
		errs = append(errs, err)
	}
	errs = append(errs, removePortmapChains())
	for _, name := range []string{n.config.SinkDevice, n.config.Bridge} {
		if link, err := netlink.LinkByName(name); err == nil {
			errs = append(errs, netlink.LinkDel(link))
		}
	}
	errs = append(errs, os.RemoveAll(filepath.Join(n.config.StateDir, "ipam")), os.RemoveAll(filepath.Join(n.config.StateDir, "cache")))
	return errors.Join(errs...)
}

// removePortmapChains removes the nat chains the portmap plugin leaves
// behind (it deletes only each pod's own chain), when no pod of any CNI user
// still has a host port: CNI-HOSTPORT-DNAT is then empty.
func removePortmapChains() error {
	ipt, err := iptables.New()
	if err != nil {
		return err
	}
	if ok, _ := ipt.ChainExists("nat", "CNI-HOSTPORT-DNAT"); !ok {
		return nil
	}
	rules, err := ipt.List("nat", "CNI-HOSTPORT-DNAT")
	if err != nil || len(rules) > 1 {
		return err // in use: leave it
	}
	jumps := []struct {
		chain string
		rule  []string
	}{
		{"PREROUTING", []string{"-m", "addrtype", "--dst-type", "LOCAL", "-j", "CNI-HOSTPORT-DNAT"}},
		{"OUTPUT", []string{"-m", "addrtype", "--dst-type", "LOCAL", "-j", "CNI-HOSTPORT-DNAT"}},
		{"POSTROUTING", []string{"-m", "comment", "--comment", "CNI portfwd requiring masquerade", "-j", "CNI-HOSTPORT-MASQ"}},
	}
	var errs []error
	for _, j := range jumps {
		if ok, _ := ipt.Exists("nat", j.chain, j.rule...); ok {
			errs = append(errs, ipt.Delete("nat", j.chain, j.rule...))
		}
	}
	for _, c := range []string{"CNI-HOSTPORT-DNAT", "CNI-HOSTPORT-MASQ", "CNI-HOSTPORT-SETMARK"} {
		if ok, _ := ipt.ChainExists("nat", c); ok {
			errs = append(errs, ipt.ClearAndDeleteChain("nat", c))
		}
	}
	return errors.Join(errs...)
}
