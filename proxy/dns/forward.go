package dns

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"

	"github.com/miekg/dns"
	"k8s.io/klog/v2"
)

// forward sends req to the upstreams in order and returns the first answer, with the
// client's ID. A client that asked over UDP is forwarded over UDP, and over TCP when the
// upstream truncates; a TCP client over TCP. Only failing to get an answer at all moves
// on to the next upstream; an upstream's SERVFAIL or NXDOMAIN is the answer. Without an
// answer the client gets SERVFAIL.
func (s *Server) forward(ctx context.Context, logger klog.Logger, req *dns.Msg, tcp bool) *dns.Msg {
	// A fresh ID for the upstream, so that its answers cannot be matched by someone who
	// saw the client's query.
	out := req.Copy()
	out.Id = dns.Id()
	for _, upstream := range s.upstreams {
		resp, err := s.exchange(ctx, out, upstream, tcp)
		if err != nil {
			logger.V(2).Info("Upstream DNS server failed", "upstream", upstream, "name", req.Question[0].Name, "err", err)
			if ctx.Err() != nil {
				break
			}
			continue
		}
		resp.Id = req.Id
		return resp
	}
	return rcodeReply(req, dns.RcodeServerFailure)
}

func (s *Server) exchange(ctx context.Context, req *dns.Msg, upstream string, tcp bool) (*dns.Msg, error) {
	ctx, cancel := context.WithTimeout(ctx, forwardTimeout)
	defer cancel()
	if !tcp {
		resp, _, err := s.udp.ExchangeContext(ctx, req, upstream)
		if err != nil {
			return nil, fmt.Errorf("udp: %w", err)
		}
		if !resp.Truncated {
			return resp, nil
		}
	}
	resp, _, err := s.tcp.ExchangeContext(ctx, req, upstream)
	if err != nil {
		return nil, fmt.Errorf("tcp: %w", err)
	}
	return resp, nil
}

// Upstreams returns the nameservers of a resolv.conf file as ip:53 addresses, in the
// file's order, for Config.Upstreams. Lines that are not `nameserver <IP>` are skipped,
// as the C library skips them.
//
// Loopback nameservers are kept. The cluster DNS runs in the node agent, in the host's
// network namespace, where a local stub resolver such as systemd-resolved's 127.0.0.53
// is reachable and is often the only way to the host's real resolvers (CoreDNS in a pod
// cannot reach it, which is why kubelet offers --resolv-conf). What would loop is an
// upstream that is the cluster DNS itself; Run drops those, knowing the addresses it
// listens on, which this function does not.
func Upstreams(resolvConfPath string) ([]string, error) {
	f, err := os.Open(resolvConfPath)
	if err != nil {
		return nil, fmt.Errorf("read nameservers: %w", err)
	}
	defer f.Close()
	var upstreams []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 || fields[0] != "nameserver" {
			continue
		}
		addr, err := netip.ParseAddr(fields[1])
		if err != nil {
			continue
		}
		upstreams = append(upstreams, net.JoinHostPort(addr.Unmap().String(), "53"))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read nameservers from %s: %w", resolvConfPath, err)
	}
	if len(upstreams) == 0 {
		return nil, fmt.Errorf("read nameservers from %s: %w", resolvConfPath, ErrNoNameservers)
	}
	return upstreams, nil
}

// ErrNoNameservers is returned by Upstreams for a resolv.conf without nameservers.
var ErrNoNameservers = errors.New("no nameserver lines")
