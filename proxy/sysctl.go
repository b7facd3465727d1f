package proxy

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

const (
	sysctlRouteLocalnet  = "net/ipv4/conf/all/route_localnet"
	sysctlTCPBeLiberal   = "net/netfilter/nf_conntrack_tcp_be_liberal"
	routeLocalnetMarker  = "route_localnet"
	defaultStateDir      = "/run/kubeshim/proxy"
	procSys              = "/proc/sys"
	markerComment        = "kubeshim proxy set net.ipv4.conf.all.route_localnet=1; cleanup sets it back to 0\n"
	sysctlWriteFilePerms = 0o644
)

// sysctls reads and writes /proc/sys. The files under /proc/sys/net belong
// to the network namespace of the thread that opens them.
type sysctls struct {
	root string // /proc/sys
	// stateDir records what the proxy changed, so that cleanup undoes
	// exactly that. It is on tmpfs (/run): sysctls and the record both
	// reset at boot.
	stateDir string
}

func (s sysctls) get(name string) (string, error) {
	b, err := os.ReadFile(filepath.Join(s.root, name))
	if err != nil {
		return "", fmt.Errorf("read sysctl %s: %w", name, err)
	}
	return strings.TrimSpace(string(b)), nil
}

func (s sysctls) set(name, value string) error {
	if err := os.WriteFile(filepath.Join(s.root, name), []byte(value), sysctlWriteFilePerms); err != nil {
		return fmt.Errorf("write sysctl %s: %w", name, err)
	}
	return nil
}

// enableRouteLocalnet sets route_localnet=1, which node ports on
// 127.0.0.0/8 need (the packet is routed after DNAT), and records that it
// did when the value was 0.
func (s sysctls) enableRouteLocalnet() error {
	v, err := s.get(sysctlRouteLocalnet)
	if err != nil {
		return err
	}
	if v == "1" {
		return nil
	}
	if err := os.MkdirAll(s.stateDir, 0o755); err != nil {
		return fmt.Errorf("state dir: %w", err)
	}
	// The record first: a crash in between leaves a record of a change
	// not made, and cleanup writes the 0 that is there anyway.
	if err := os.WriteFile(filepath.Join(s.stateDir, routeLocalnetMarker), []byte(markerComment), 0o644); err != nil {
		return fmt.Errorf("record route_localnet: %w", err)
	}
	return s.set(sysctlRouteLocalnet, "1")
}

// restoreRouteLocalnet sets route_localnet back to 0 if the proxy set it:
// without the proxy's martian guard, 1 would let 127.0.0.0/8 be reached
// from the network.
func (s sysctls) restoreRouteLocalnet() error {
	marker := filepath.Join(s.stateDir, routeLocalnetMarker)
	if _, err := os.Stat(marker); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err := s.set(sysctlRouteLocalnet, "0"); err != nil {
		return err
	}
	return os.Remove(marker)
}

// tcpBeLiberal reports nf_conntrack_tcp_be_liberal=1, under which
// conntrack marks no out-of-window TCP packet INVALID and the INVALID drop
// rule is not needed.
func (s sysctls) tcpBeLiberal() bool {
	v, err := s.get(sysctlTCPBeLiberal)
	return err == nil && v != "0"
}
