package etcd

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"k8s.io/klog/v2"
)

// Config is how to run the embedded member.
type Config struct {
	// Dir holds the member's data; it is created if missing.
	Dir string
	// StartTimeout bounds the wait for the member to become ready.
	StartTimeout time.Duration
}

// Etcd is a running embedded member.
type Etcd struct {
	etcd      *embed.Etcd
	clientURL string
}

// Start starts a single-member etcd in cfg.Dir and waits until it serves.
func Start(ctx context.Context, cfg Config) (*Etcd, error) {
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = time.Minute
	}
	clientPort, peerPort, err := ports(cfg.Dir)
	if err != nil {
		return nil, err
	}
	clientURL := url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", clientPort)}
	peerURL := url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", peerPort)}

	ec := embed.NewConfig()
	ec.Name = "kubeshim"
	ec.Dir = cfg.Dir
	ec.ListenClientUrls = []url.URL{clientURL}
	ec.AdvertiseClientUrls = []url.URL{clientURL}
	ec.ListenPeerUrls = []url.URL{peerURL}
	ec.AdvertisePeerUrls = []url.URL{peerURL}
	ec.InitialCluster = ec.InitialClusterFromName(ec.Name)
	// The API server compacts on its own schedule, as it does with an
	// external etcd.
	ec.AutoCompactionRetention = "0"
	// A single member has no peers to heartbeat or to lose an election
	// to, but it still waits for raft's randomized election timeout (one
	// to two election timeouts, less the ticks etcd advances at start)
	// before it leads and serves: with etcd's 100 ms tick and 1 s
	// election that was 0.3 to 0.8 s of every start of `kubeshim server`;
	// with these, about 0.1 s. The cost is the ticking: an idle member
	// used 15 ms of CPU a second instead of 9 (10 ms ticks: 22 ms). The
	// ratio is etcd's default, 10 ticks per election.
	ec.TickMs = 25
	ec.ElectionMs = 250
	ec.LogLevel = "warn"
	ec.Logger = "zap"

	e, err := embed.StartEtcd(ec)
	if err != nil {
		return nil, fmt.Errorf("start embedded etcd in %s: %w", cfg.Dir, err)
	}
	timer := time.NewTimer(cfg.StartTimeout)
	defer timer.Stop()
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		e.Close()
		return nil, fmt.Errorf("embedded etcd in %s: %w", cfg.Dir, err)
	case <-timer.C:
		e.Close()
		return nil, fmt.Errorf("embedded etcd in %s not ready after %s", cfg.Dir, cfg.StartTimeout)
	case <-ctx.Done():
		e.Close()
		return nil, ctx.Err()
	}
	klog.FromContext(ctx).Info("Embedded etcd ready", "dir", cfg.Dir, "client", clientURL.String())
	return &Etcd{etcd: e, clientURL: clientURL.String()}, nil
}

// ClientURL is the URL clients reach the member at.
func (e *Etcd) ClientURL() string { return e.clientURL }

// Err reports a fatal error of the running member.
func (e *Etcd) Err() <-chan error { return e.etcd.Err() }

// Close stops the member. Call it only after the API server has stopped:
// etcd.Close waits for in-flight requests and syncs the backend to disk, so
// nothing acknowledged to a client is lost, but requests arriving after it
// would fail.
func (e *Etcd) Close() {
	e.etcd.Close()
}

// ports returns the member's client and peer ports: those of its last run,
// kept in <dir>/ports so that a restarted member keeps the peer URL its
// membership records, or new free ones.
func ports(dir string) (client, peer string, err error) {
	file := filepath.Join(dir, "ports")
	if b, err := os.ReadFile(file); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 && isFree(f[0]) && isFree(f[1]) {
			return f[0], f[1], nil
		}
	}
	if client, err = freePort(); err != nil {
		return "", "", err
	}
	if peer, err = freePort(); err != nil {
		return "", "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", fmt.Errorf("create %s: %w", dir, err)
	}
	if err := os.WriteFile(file, []byte(client+" "+peer+"\n"), 0o600); err != nil {
		return "", "", fmt.Errorf("record etcd ports: %w", err)
	}
	return client, peer, nil
}

func isFree(port string) bool {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// freePort asks the kernel for a free port on 127.0.0.1. The port is free
// when returned; etcd binds it moments later.
func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	_, port, err := net.SplitHostPort(l.Addr().String())
	return port, err
}
