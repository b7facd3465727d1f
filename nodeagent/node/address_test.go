package node

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const routeHeader = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"

func TestParseDefaultRoute(t *testing.T) {
	tests := []struct {
		name, table, want string
	}{
		{"one default", "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n" +
			"eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n", "eth0"},
		{"lowest metric wins", "wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n" +
			"eth1\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n", "eth1"},
		{"route down is skipped", "eth0\t00000000\t010200C0\t0002\t0\t0\t0\t00000000\t0\t0\t0\n", ""},
		{"no default", "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n", ""},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseDefaultRoute(strings.NewReader(routeHeader + tt.table))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("interface = %q, want %q", got, tt.want)
			}
		})
	}
}

func cidr(s string) net.Addr {
	ip, n, err := net.ParseCIDR(s)
	if err != nil {
		panic(err)
	}
	n.IP = ip
	return n
}

func TestPrimaryIP(t *testing.T) {
	withDefault := routeHeader + "eth1\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
	ifaces := map[string][]net.Addr{
		"lo":   {cidr("127.0.0.1/8"), cidr("::1/128")},
		"eth0": {cidr("fe80::1/64"), cidr("198.51.100.7/24")},
		"eth1": {cidr("fe80::2/64"), cidr("2001:db8::5/64"), cidr("203.0.113.9/24")},
	}
	tests := []struct {
		name   string
		routes string
		addrs  map[string][]net.Addr
		want   string
		err    bool
	}{
		{name: "default route's interface", routes: withDefault, addrs: ifaces, want: "203.0.113.9"},
		{name: "no default route: first global IPv4", routes: routeHeader, addrs: ifaces, want: "198.51.100.7"},
		{name: "default interface has no IPv4", routes: withDefault, addrs: map[string][]net.Addr{
			"eth1": {cidr("2001:db8::5/64")}, "eth0": {cidr("198.51.100.7/24")},
		}, want: "198.51.100.7"},
		{name: "only IPv6", routes: routeHeader, addrs: map[string][]net.Addr{"eth0": {cidr("fe80::1/64"), cidr("2001:db8::5/64")}}, want: "2001:db8::5"},
		{name: "only loopback", routes: routeHeader, addrs: map[string][]net.Addr{"lo": {cidr("127.0.0.1/8")}}, err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			routeFile := filepath.Join(t.TempDir(), "route")
			if err := os.WriteFile(routeFile, []byte(tt.routes), 0o644); err != nil {
				t.Fatal(err)
			}
			// The fake lists interfaces in a fixed order: lo, eth0, eth1.
			lookup := func(name string) ([]net.Addr, error) {
				if name != "" {
					as, ok := tt.addrs[name]
					if !ok {
						return nil, errors.New("no such interface")
					}
					return as, nil
				}
				var all []net.Addr
				for _, n := range []string{"lo", "eth0", "eth1"} {
					all = append(all, tt.addrs[n]...)
				}
				return all, nil
			}
			ip, err := primaryIP(routeFile, lookup)
			if tt.err {
				if err == nil {
					t.Errorf("primaryIP = %v, want an error", ip)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, ip.String()); diff != "" {
				t.Errorf("IP (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDefaultAddressesThisHost checks the real host: its InternalIP must be
// one of its own global addresses.
func TestDefaultAddressesThisHost(t *testing.T) {
	all, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	if pickIP(all, true) == nil && pickIP(all, false) == nil {
		t.Skip("this host has no global unicast address")
	}
	addrs, err := DefaultAddresses("host-1")
	if err != nil {
		t.Fatalf("DefaultAddresses: %v", err)
	}
	if len(addrs) != 2 || addrs[0].Type != "InternalIP" || addrs[1].Type != "Hostname" || addrs[1].Address != "host-1" {
		t.Fatalf("addresses = %+v", addrs)
	}
	found := false
	for _, a := range all {
		if n, ok := a.(*net.IPNet); ok && n.IP.String() == addrs[0].Address {
			found = true
		}
	}
	if !found {
		t.Errorf("InternalIP %s is not an address of this host", addrs[0].Address)
	}
}
