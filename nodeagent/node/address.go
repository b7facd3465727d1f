package node

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// DefaultAddresses returns the node's addresses as upstream kubelet reports
// them without --node-ip: one InternalIP and the Hostname.
//
// The InternalIP is the first IPv4 address of the interface that holds the
// IPv4 default route (the one with the lowest metric), read from
// /proc/net/route; without a default route, it is the first global unicast
// address of any interface, IPv4 before IPv6. Upstream resolves the
// hostname instead; a host's own name often resolves to 127.0.1.1, which
// other nodes cannot reach. Nothing is sent on the network.
func DefaultAddresses(hostname string) ([]corev1.NodeAddress, error) {
	ip, err := primaryIP("/proc/net/route", interfaceAddrs)
	if err != nil {
		return nil, err
	}
	return []corev1.NodeAddress{
		{Type: corev1.NodeInternalIP, Address: ip.String()},
		{Type: corev1.NodeHostName, Address: hostname},
	}, nil
}

// interfaceAddrs returns the addresses of the named interface, or of all
// interfaces when name is "".
func interfaceAddrs(name string) ([]net.Addr, error) {
	if name == "" {
		return net.InterfaceAddrs()
	}
	iface, err := net.InterfaceByName(name)
	if err != nil {
		return nil, err
	}
	return iface.Addrs()
}

func primaryIP(routeFile string, addrs func(iface string) ([]net.Addr, error)) (net.IP, error) {
	if iface, err := defaultRouteInterface(routeFile); err == nil && iface != "" {
		if as, err := addrs(iface); err == nil {
			if ip := pickIP(as, true); ip != nil {
				return ip, nil
			}
		}
	}
	as, err := addrs("")
	if err != nil {
		return nil, fmt.Errorf("list interface addresses: %w", err)
	}
	if ip := pickIP(as, true); ip != nil {
		return ip, nil
	}
	if ip := pickIP(as, false); ip != nil {
		return ip, nil
	}
	return nil, fmt.Errorf("no global unicast address on any interface")
}

// pickIP returns the first global unicast address of the family asked for.
func pickIP(addrs []net.Addr, v4 bool) net.IP {
	for _, a := range addrs {
		var ip net.IP
		switch a := a.(type) {
		case *net.IPNet:
			ip = a.IP
		case *net.IPAddr:
			ip = a.IP
		}
		if ip == nil || !ip.IsGlobalUnicast() || (ip.To4() != nil) != v4 {
			continue
		}
		return ip
	}
	return nil
}

// defaultRouteInterface reads the kernel's IPv4 routing table in the
// /proc/net/route format and returns the interface of the default route with
// the lowest metric, or "" when there is none.
func defaultRouteInterface(routeFile string) (string, error) {
	f, err := os.Open(routeFile)
	if err != nil {
		return "", err
	}
	defer f.Close()
	return parseDefaultRoute(f)
}

const rtfUp = 0x1

func parseDefaultRoute(r io.Reader) (string, error) {
	sc := bufio.NewScanner(r)
	best, bestMetric := "", int64(-1)
	header := true
	for sc.Scan() {
		if header {
			header = false
			continue
		}
		// Iface Destination Gateway Flags RefCnt Use Metric Mask MTU Window IRTT
		f := strings.Fields(sc.Text())
		if len(f) < 8 || f[1] != "00000000" || f[7] != "00000000" {
			continue
		}
		flags, err := strconv.ParseInt(f[3], 16, 64)
		if err != nil || flags&rtfUp == 0 {
			continue
		}
		metric, err := strconv.ParseInt(f[6], 10, 64)
		if err != nil {
			continue
		}
		if bestMetric < 0 || metric < bestMetric {
			best, bestMetric = f[0], metric
		}
	}
	return best, sc.Err()
}
