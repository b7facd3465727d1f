package dns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
)

const (
	// DefaultClusterDomain is the cluster domain of the network plan.
	DefaultClusterDomain = "cluster.local"
	// DefaultTTL is the TTL of cluster records: kubeadm's Corefile sets `ttl 30`.
	DefaultTTL = 30 * time.Second
	// maxTTL is the largest TTL CoreDNS's kubernetes plugin accepts.
	maxTTL = time.Hour

	// versionTTL is the TTL CoreDNS gives dns-version.<domain>.
	versionTTL = 28800
	// schemaVersion is the version of the DNS specification the records follow.
	schemaVersion = "1.1.0"

	// forwardTimeout bounds one exchange with one upstream, as CoreDNS's forward
	// plugin bounds its reads.
	forwardTimeout = 2 * time.Second
	// udpBufferSize is the largest UDP query read, and the payload size advertised in
	// EDNS0 answers.
	udpBufferSize = dns.DefaultMsgSize
	// shutdownGrace is how long Run waits for in-flight queries once ctx is done.
	shutdownGrace = 5 * time.Second
)

// DefaultService is the Service clients reach the cluster DNS by, as kubeadm names it.
var DefaultService = types.NamespacedName{Namespace: "kube-system", Name: "kube-dns"}

// DefaultReverseCIDRs are the network plan's service and cluster CIDRs.
var DefaultReverseCIDRs = []netip.Prefix{netip.MustParsePrefix("10.96.0.0/12"), netip.MustParsePrefix("10.244.0.0/16")}

// Config configures a Server.
type Config struct {
	// Client watches Services and EndpointSlices (discovery/v1). Required unless
	// Informers is set.
	Client kubernetes.Interface
	// Informers, when set, supplies the Service and EndpointSlice informers instead of a
	// factory of our own over Client, so that the DNS shares the service proxy's watches.
	// Run starts the factory (Start is idempotent) but never shuts it down: its owner does.
	Informers informers.SharedInformerFactory

	// ClusterDomain is the zone answered from the API; empty means DefaultClusterDomain.
	ClusterDomain string
	// Listen are host:port addresses; each is served over UDP and TCP. Hosts are IP
	// literals or empty (all addresses). Port 0 picks a free port, the same for UDP and
	// TCP; Addrs reports it. Required.
	Listen []string
	// Upstreams are ip:port nameservers for every name outside the cluster domain and
	// for reverse names without a cluster record outside ReverseCIDRs. They are tried in
	// order. Empty means such names get SERVFAIL, as CoreDNS's forward plugin answers
	// with no healthy upstream: the cluster DNS never falls back to the host's resolvers
	// on its own. Upstreams that are this server's own listening addresses are dropped
	// (see Run); one that reaches it another way, such as the DNS Service's cluster IP,
	// is not detected and must not be configured.
	Upstreams []string
	// TTL of cluster records, in whole seconds up to an hour; zero means DefaultTTL.
	TTL time.Duration
	// ReverseCIDRs are the cluster's address ranges: PTR queries for addresses in them
	// are answered here (NXDOMAIN when no service or endpoint has the address) and never
	// forwarded, so that cluster addresses do not leak to the upstreams. nil means
	// DefaultReverseCIDRs.
	ReverseCIDRs []netip.Prefix
	// Service is the Service clients reach this DNS by; its cluster IPs are the addresses
	// of ns.dns.<domain>, the zone's nameserver. Zero means DefaultService. Without such a
	// Service the specific Listen hosts are used.
	Service types.NamespacedName
	// Clock dates the SOA serial: the last time a watched object changed. nil means the
	// real clock.
	Clock clock.PassiveClock
}

// Server is the cluster DNS: authoritative for the cluster domain and the cluster's
// reverse zones, answering from informer caches, and forwarding everything else.
type Server struct {
	zone         string // ClusterDomain, lower case and fully qualified
	ttl          uint32
	listen       []string
	upstreamsCfg []string
	reverseCIDRs []netip.Prefix
	nsService    types.NamespacedName
	clock        clock.PassiveClock

	factory    informers.SharedInformerFactory
	ownFactory bool
	services   cache.SharedIndexInformer
	slices     cache.SharedIndexInformer

	// modified is the SOA serial: the Unix time of the last change to a watched object.
	modified atomic.Int64
	// synced is set once both caches have synced; until then a name the caches do not
	// know gets SERVFAIL instead of NXDOMAIN, as CoreDNS answers.
	synced atomic.Bool

	udp, tcp *dns.Client

	running atomic.Bool
	ready   chan struct{}

	mu        sync.Mutex
	addrs     []string // guarded by mu
	upstreams []string // written by Run before the first query is served, read-only after
	nsAddrs   []netip.Addr
}

// New checks cfg and builds the server and its informers. It neither listens nor
// watches: Run does.
func New(cfg Config) (*Server, error) {
	if cfg.Client == nil && cfg.Informers == nil {
		return nil, errors.New("cluster DNS: a client or an informer factory is required")
	}
	if len(cfg.Listen) == 0 {
		return nil, errors.New("cluster DNS: at least one listen address is required")
	}
	for _, addr := range cfg.Listen {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, fmt.Errorf("cluster DNS: listen address %q: %w", addr, err)
		}
		// IP literals only: resolving a host name here would send a query before the
		// DNS is up, possibly to the resolvers this server replaces.
		if host != "" {
			if _, err := netip.ParseAddr(host); err != nil {
				return nil, fmt.Errorf("cluster DNS: listen address %q: host must be an IP address: %w", addr, err)
			}
		}
		if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return nil, fmt.Errorf("cluster DNS: listen address %q: bad port: %w", addr, err)
		}
	}
	for _, u := range cfg.Upstreams {
		if _, err := netip.ParseAddrPort(u); err != nil {
			return nil, fmt.Errorf("cluster DNS: upstream %q must be ip:port: %w", u, err)
		}
	}
	domain := strings.ToLower(strings.TrimSuffix(cfg.ClusterDomain, "."))
	if domain == "" {
		domain = DefaultClusterDomain
	}
	if _, ok := dns.IsDomainName(domain); !ok {
		return nil, fmt.Errorf("cluster DNS: cluster domain %q is not a domain name", cfg.ClusterDomain)
	}
	ttl := cfg.TTL
	if ttl == 0 {
		ttl = DefaultTTL
	}
	if ttl < time.Second || ttl > maxTTL || ttl%time.Second != 0 {
		return nil, fmt.Errorf("cluster DNS: TTL %v must be whole seconds between 1s and %v", cfg.TTL, maxTTL)
	}
	reverse := cfg.ReverseCIDRs
	if reverse == nil {
		reverse = DefaultReverseCIDRs
	}
	masked := make([]netip.Prefix, 0, len(reverse))
	for _, p := range reverse {
		if !p.IsValid() {
			return nil, fmt.Errorf("cluster DNS: reverse CIDR %v is not valid", p)
		}
		masked = append(masked, p.Masked())
	}
	s := &Server{
		zone:         dns.Fqdn(domain),
		ttl:          uint32(ttl / time.Second),
		listen:       cfg.Listen,
		upstreamsCfg: cfg.Upstreams,
		reverseCIDRs: masked,
		nsService:    cfg.Service,
		clock:        cfg.Clock,
		factory:      cfg.Informers,
		ready:        make(chan struct{}),
		udp:          &dns.Client{Net: "udp", UDPSize: udpBufferSize},
		tcp:          &dns.Client{Net: "tcp"},
	}
	if s.nsService == (types.NamespacedName{}) {
		s.nsService = DefaultService
	}
	if s.clock == nil {
		s.clock = clock.RealClock{}
	}
	if s.factory == nil {
		s.factory = informers.NewSharedInformerFactoryWithOptions(cfg.Client, 0, informers.WithTransform(dropManagedFields))
		s.ownFactory = true
	}
	if err := s.setUpInformers(); err != nil {
		return nil, fmt.Errorf("cluster DNS: %w", err)
	}
	s.modified.Store(s.clock.Now().Unix())
	return s, nil
}

// Ready is closed once the server listens on every address and its caches have synced.
// It is never closed when Run fails first.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Addrs returns the addresses the server listens on, with the ports chosen for port 0;
// nil before Run has bound them. UDP and TCP share each address.
func (s *Server) Addrs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.addrs...)
}

// Run listens on every address over UDP and TCP, starts the informers and serves until
// ctx is done. It serves at once: forwarded names are answered while the caches sync,
// cluster names the caches do not know yet get SERVFAIL. On ctx done it closes the
// listeners, waits up to shutdownGrace for in-flight queries (a forwarded query's
// exchange is cancelled with ctx), stops its own informers and returns nil. Run may be
// called once.
func (s *Server) Run(ctx context.Context) error {
	if !s.running.CompareAndSwap(false, true) {
		return errors.New("cluster DNS: Run called twice")
	}
	logger := klog.FromContext(ctx)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var servers []*dns.Server
	var bound []netip.AddrPort
	var addrs []string
	for _, addr := range s.listen {
		l, pc, err := listen(ctx, addr)
		if err != nil {
			for _, srv := range servers {
				closeUnstarted(srv)
			}
			return fmt.Errorf("cluster DNS: %w", err)
		}
		ap := l.Addr().(*net.TCPAddr).AddrPort()
		bound = append(bound, netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()))
		addrs = append(addrs, l.Addr().String())
		h := &handler{s: s, ctx: ctx, logger: logger}
		servers = append(servers,
			&dns.Server{Listener: l, Handler: h, MaxTCPQueries: -1},
			&dns.Server{PacketConn: pc, Handler: h, UDPSize: udpBufferSize})
	}
	s.upstreams = s.withoutSelf(logger, bound)
	s.nsAddrs = listenIPs(bound)
	s.mu.Lock()
	s.addrs = addrs
	s.mu.Unlock()

	var wg sync.WaitGroup
	errc := make(chan error, len(servers))
	for _, srv := range servers {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srv.ActivateAndServe(); err != nil {
				errc <- err
			}
		}()
		// Wait for the start so that ShutdownContext below cannot come first and leave
		// the server running.
		select {
		case <-started:
		case err := <-errc:
			cancel()
			s.shutdown(servers)
			wg.Wait()
			return fmt.Errorf("cluster DNS: serve: %w", err)
		}
	}
	logger.Info("Cluster DNS listening", "addresses", addrs, "domain", strings.TrimSuffix(s.zone, "."), "upstreams", s.upstreams)

	s.factory.Start(ctx.Done())
	wg.Add(1)
	go func() {
		defer wg.Done()
		if cache.WaitForCacheSync(ctx.Done(), s.services.HasSynced, s.slices.HasSynced) {
			s.synced.Store(true)
			close(s.ready)
			logger.Info("Cluster DNS ready")
		}
	}()

	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
		err = fmt.Errorf("cluster DNS: serve: %w", err)
	}
	cancel()
	s.shutdown(servers)
	wg.Wait()
	if s.ownFactory {
		s.factory.Shutdown()
	}
	logger.Info("Cluster DNS stopped")
	return err
}

// shutdown closes the servers' listeners and waits for their in-flight queries.
func (s *Server) shutdown(servers []*dns.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	var wg sync.WaitGroup
	for _, srv := range servers {
		wg.Go(func() {
			// A server that never started has nothing to wait for, only sockets to close.
			if err := srv.ShutdownContext(ctx); err != nil {
				closeUnstarted(srv)
			}
		})
	}
	wg.Wait()
}

func closeUnstarted(srv *dns.Server) {
	if srv.Listener != nil {
		srv.Listener.Close()
	}
	if srv.PacketConn != nil {
		srv.PacketConn.Close()
	}
}

// listen binds addr over TCP and then UDP. For port 0 the UDP socket takes the port the
// TCP one got, and a port taken for UDP meanwhile is retried with another.
func listen(ctx context.Context, addr string) (net.Listener, net.PacketConn, error) {
	host, port, _ := net.SplitHostPort(addr) // checked by New
	var lc net.ListenConfig
	for attempt := 0; ; attempt++ {
		l, err := lc.Listen(ctx, "tcp", addr)
		if err != nil {
			return nil, nil, fmt.Errorf("listen on tcp %s: %w", addr, err)
		}
		udpAddr := net.JoinHostPort(host, strconv.Itoa(l.Addr().(*net.TCPAddr).Port))
		pc, err := lc.ListenPacket(ctx, "udp", udpAddr)
		if err == nil {
			return l, pc, nil
		}
		l.Close()
		if port != "0" || attempt == 10 {
			return nil, nil, fmt.Errorf("listen on udp %s: %w", udpAddr, err)
		}
	}
}

// listenIPs returns the specific IPs among bound: the nameserver addresses when there is
// no DNS Service.
func listenIPs(bound []netip.AddrPort) []netip.Addr {
	var ips []netip.Addr
	for _, ap := range bound {
		if !ap.Addr().IsUnspecified() {
			ips = append(ips, ap.Addr())
		}
	}
	return ips
}

// withoutSelf returns the configured upstreams minus those that are this server: an
// upstream equal to a bound address, or, for a server bound to all addresses, a
// loopback or interface address with the bound port. Forwarding to them would loop.
func (s *Server) withoutSelf(logger klog.Logger, bound []netip.AddrPort) []string {
	var local []netip.Addr
	for _, b := range bound {
		if b.Addr().IsUnspecified() {
			local = interfaceAddrs()
			break
		}
	}
	var kept []string
	for _, u := range s.upstreamsCfg {
		up := netip.MustParseAddrPort(u) // checked by New
		up = netip.AddrPortFrom(up.Addr().Unmap(), up.Port())
		if isSelf(up, bound, local) {
			logger.Info("Dropped upstream that is the cluster DNS itself", "upstream", u)
			continue
		}
		kept = append(kept, up.String())
	}
	return kept
}

func isSelf(up netip.AddrPort, bound []netip.AddrPort, local []netip.Addr) bool {
	for _, b := range bound {
		if b.Port() != up.Port() {
			continue
		}
		if b.Addr() == up.Addr() {
			return true
		}
		if b.Addr().IsUnspecified() {
			if up.Addr().IsLoopback() {
				return true
			}
			for _, a := range local {
				if a == up.Addr() {
					return true
				}
			}
		}
	}
	return false
}

// interfaceAddrs returns this host's addresses; reading them sends nothing.
func interfaceAddrs() []netip.Addr {
	ifaddrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var addrs []netip.Addr
	for _, a := range ifaddrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			addrs = append(addrs, p.Addr().Unmap())
		}
	}
	return addrs
}

// handler serves the queries of one Run.
type handler struct {
	s      *Server
	ctx    context.Context // Run's: cancels forwarded exchanges on shutdown
	logger klog.Logger
}

// ServeDNS answers req, fits the answer to the client's transport and writes it.
func (h *handler) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	_, tcp := w.RemoteAddr().(*net.TCPAddr)
	m := h.s.reply(h.ctx, h.logger, req, tcp)
	shuffleAddresses(m.Answer)
	fit(m, req, tcp)
	if err := w.WriteMsg(m); err != nil {
		h.logger.V(4).Info("Failed to write DNS response", "client", w.RemoteAddr(), "err", err)
	}
}

// reply builds the answer to req: from the caches for the cluster domain and the
// cluster's reverse names, from the upstreams for the rest.
func (s *Server) reply(ctx context.Context, logger klog.Logger, req *dns.Msg, tcp bool) *dns.Msg {
	if req.Opcode != dns.OpcodeQuery {
		return rcodeReply(req, dns.RcodeNotImplemented)
	}
	if len(req.Question) != 1 {
		return rcodeReply(req, dns.RcodeFormatError)
	}
	if o := req.IsEdns0(); o != nil && o.Version() != 0 {
		return rcodeReply(req, dns.RcodeBadVers)
	}
	q := req.Question[0]
	name := strings.ToLower(q.Name)
	if dns.IsSubDomain(s.zone, name) {
		if q.Qtype == dns.TypeAXFR || q.Qtype == dns.TypeIXFR {
			return rcodeReply(req, dns.RcodeRefused)
		}
		rcode, answer, extra := s.cluster(q, name, 0)
		return s.authoritative(req, s.zone, rcode, answer, extra)
	}
	if zone := reverseZone(name); zone != "" {
		if rcode, answer, ok := s.reverse(q, name); ok {
			return s.authoritative(req, zone, rcode, answer, nil)
		}
	}
	return s.forward(ctx, logger, req, tcp)
}

// authoritative builds an answer for one of our zones. NXDOMAIN and NODATA carry the
// zone's SOA in the authority section, so that resolvers can cache the denial.
func (s *Server) authoritative(req *dns.Msg, zone string, rcode int, answer, extra []dns.RR) *dns.Msg {
	if rcode == dns.RcodeNameError && !s.synced.Load() {
		// The name may exist in the part of the cluster not listed yet.
		return rcodeReply(req, dns.RcodeServerFailure)
	}
	m := new(dns.Msg)
	m.SetRcode(req, rcode)
	m.Authoritative = true
	m.Answer = answer
	m.Extra = extra
	if rcode == dns.RcodeNameError || len(answer) == 0 {
		m.Ns = []dns.RR{s.soa(zone)}
	}
	return m
}

func rcodeReply(req *dns.Msg, rcode int) *dns.Msg {
	m := new(dns.Msg)
	m.SetRcode(req, rcode)
	return m
}

// soa is the SOA record of zone, as CoreDNS's kubernetes plugin makes it.
func (s *Server) soa(zone string) dns.RR {
	return &dns.SOA{
		Hdr:     dns.RR_Header{Name: zone, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: min(s.ttl, 300)},
		Ns:      "ns.dns." + zone,
		Mbox:    "hostmaster." + zone,
		Serial:  uint32(s.modified.Load()),
		Refresh: 7200,
		Retry:   1800,
		Expire:  86400,
		Minttl:  s.ttl,
	}
}

// fit sizes m for the client: 512 bytes over UDP, the client's EDNS0 payload size when
// it sent one (and then m carries an OPT record too), 64 KiB over TCP. Records that do
// not fit are dropped and the TC bit tells the client to retry over TCP.
func fit(m, req *dns.Msg, tcp bool) {
	size := dns.MinMsgSize
	if o := req.IsEdns0(); o != nil {
		if m.IsEdns0() == nil {
			m.SetEdns0(udpBufferSize, o.Do())
		}
		size = max(size, int(o.UDPSize()))
	}
	if tcp {
		size = dns.MaxMsgSize
	}
	m.Truncate(size)
}
