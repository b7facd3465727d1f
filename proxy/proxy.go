package proxy

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/kubeshim/kubeshim/proxy/servicelb"
)

// fullSyncPeriod bounds how long the proxy trusts its record of what the
// tables hold: then it rewrites every chain and deletes strays, as
// upstream's hourly full sync (in clusters up to 1,000 endpoints).
const fullSyncPeriod = time.Hour

// Config is a complete proxy configuration.
type Config struct {
	Client kubernetes.Interface
	// NodeName is the node whose endpoints count as local.
	NodeName string
	// NodeIPs are the node's addresses node ports answer on until the
	// Node object names its own (status.addresses, InternalIP and
	// ExternalIP).
	NodeIPs []string
	// ClusterCIDR is the pod network (see Params.ClusterCIDR).
	ClusterCIDR string
	// MinSyncPeriod coalesces bursts of changes; SyncPeriod is how often
	// the proxy checks that its jump rules are still installed.
	MinSyncPeriod, SyncPeriod time.Duration
	// MasqueradeBit is the fwmark bit of packets to masquerade.
	MasqueradeBit int
	// LocalhostNodePorts serves node ports on 127.0.0.0/8 (it sets
	// route_localnet=1 and installs the martian guard).
	LocalhostNodePorts bool
	// ServiceLB runs the built-in load balancer controller (under a Lease,
	// so one node's proxy writes at a time).
	ServiceLB bool
}

// Proxy programs this node's iptables for the cluster's services.
type Proxy struct {
	config *Config
	ipt    packetFilter
	ct     conntracker
	sys    sysctls
	clock  clock.Clock
	runner *runner
	lb     *servicelb.Controller

	factory     informers.SharedInformerFactory
	nodeFactory informers.SharedInformerFactory
	services    corelisters.ServiceLister
	slices      discoverylisters.EndpointSliceLister
	nodes       corelisters.NodeLister

	// Owned by the sync loop.
	snapshotter *snapshotter
	built       *Ruleset // the last rule set built, for Build to reuse
	applied     *Ruleset // what the tables hold; nil when unknown
	lastFull    time.Time
	udp         udpFrontends
	localhost   bool
	dropInvalid bool
	randomFully bool
	jumps       []jump
}

// New prepares a proxy; Run starts it.
func New(c *Config) (*Proxy, error) {
	ipt, err := newHostIPTables()
	if err != nil {
		return nil, err
	}
	return newProxy(c, ipt, netlinkConntrack{}, sysctls{root: procSys, stateDir: defaultStateDir}, clock.RealClock{})
}

func newProxy(c *Config, ipt packetFilter, ct conntracker, sys sysctls, clk clock.Clock) (*Proxy, error) {
	if c.Client == nil {
		return nil, fmt.Errorf("proxy: no client")
	}
	if c.MasqueradeBit < 0 || c.MasqueradeBit > 31 {
		return nil, fmt.Errorf("proxy: masquerade bit %d is not in 0..31", c.MasqueradeBit)
	}
	if c.ClusterCIDR != "" {
		if _, err := netip.ParsePrefix(c.ClusterCIDR); err != nil {
			return nil, fmt.Errorf("proxy: cluster CIDR: %w", err)
		}
	}
	p := &Proxy{
		config: c,
		ipt:    ipt,
		ct:     ct,
		sys:    sys,
		clock:  clk,
		runner: newRunner(clk, c.MinSyncPeriod, c.SyncPeriod),

		snapshotter: newSnapshotter(c.NodeName),
	}
	// Services handed to another proxy are not watched, nor the slices of
	// headless services, as kube-proxy.
	noProxyName, err := labels.NewRequirement(labelServiceProxyName, selection.DoesNotExist, nil)
	if err != nil {
		return nil, err
	}
	noHeadless, err := labels.NewRequirement(corev1.IsHeadlessService, selection.DoesNotExist, nil)
	if err != nil {
		return nil, err
	}
	selector := labels.NewSelector().Add(*noProxyName, *noHeadless).String()
	p.factory = informers.NewSharedInformerFactoryWithOptions(c.Client, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = selector }))
	p.nodeFactory = informers.NewSharedInformerFactoryWithOptions(c.Client, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("metadata.name", c.NodeName).String()
		}))
	kick := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { p.runner.Kick() },
		UpdateFunc: func(any, any) { p.runner.Kick() },
		DeleteFunc: func(any) { p.runner.Kick() },
	}
	svcInformer := p.factory.Core().V1().Services()
	sliceInformer := p.factory.Discovery().V1().EndpointSlices()
	nodeInformer := p.nodeFactory.Core().V1().Nodes()
	for _, inf := range []cache.SharedIndexInformer{svcInformer.Informer(), sliceInformer.Informer()} {
		if _, err := inf.AddEventHandler(kick); err != nil {
			return nil, err
		}
	}
	// Node status changes every few seconds; only its addresses matter.
	if _, err := nodeInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(any) { p.runner.Kick() },
		UpdateFunc: func(old, cur any) {
			if !slices.Equal(nodeIPs(old.(*corev1.Node)), nodeIPs(cur.(*corev1.Node))) {
				p.runner.Kick()
			}
		},
		DeleteFunc: func(any) { p.runner.Kick() },
	}); err != nil {
		return nil, err
	}
	p.services, p.slices, p.nodes = svcInformer.Lister(), sliceInformer.Lister(), nodeInformer.Lister()
	if c.ServiceLB {
		p.lb = servicelb.New(servicelb.Config{Client: c.Client, Identity: c.NodeName, LeaderElection: true})
	}
	return p, nil
}

// Run programs the rules until ctx ends. The rules stay when it returns,
// so that services keep working while the proxy restarts; `kubeshim proxy
// --cleanup` and `kubeshim reset` remove them.
func (p *Proxy) Run(ctx context.Context) error {
	logger := klog.FromContext(ctx).WithName("proxy")
	ctx = klog.NewContext(ctx, logger)
	p.setUpHost(ctx)
	p.factory.Start(ctx.Done())
	p.nodeFactory.Start(ctx.Done())
	defer p.factory.Shutdown()
	defer p.nodeFactory.Shutdown()
	for _, f := range []informers.SharedInformerFactory{p.factory, p.nodeFactory} {
		for typ, ok := range f.WaitForCacheSync(ctx.Done()) {
			if !ok {
				if ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("proxy: %v informer did not sync", typ)
			}
		}
	}
	logger.Info("Starting service proxy", "node", p.config.NodeName, "clusterCIDR", p.config.ClusterCIDR, "localhostNodePorts", p.localhost)

	var wg sync.WaitGroup
	if p.lb != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.lb.Run(ctx); err != nil && ctx.Err() == nil {
				logger.Error(err, "Service load balancer stopped")
			}
		}()
	}
	// The first run is at once, with every informer synced: never a
	// payload from half the services.
	p.runner.Kick()
	p.runner.Loop(ctx, func(ctx context.Context, periodic bool) error {
		err := p.sync(ctx, periodic)
		if err != nil {
			logger.Error(err, "Syncing proxy rules failed; retrying")
		}
		return err
	})
	wg.Wait()
	logger.Info("Service proxy stopped")
	return nil
}

// setUpHost reads and sets what the rules depend on in the host.
func (p *Proxy) setUpHost(ctx context.Context) {
	p.localhost = p.config.LocalhostNodePorts
	if p.localhost {
		if err := p.sys.enableRouteLocalnet(); err != nil {
			klog.FromContext(ctx).Error(err, "Node ports on localhost disabled")
			p.localhost = false
		}
	}
	p.dropInvalid = !p.sys.tcpBeLiberal()
	p.randomFully = p.ipt.RandomFully()
	p.jumps = jumps(p.localhost)
}

// params are the node-wide rule settings now.
func (p *Proxy) params() Params {
	ips := p.config.NodeIPs
	if n, err := p.nodes.Get(p.config.NodeName); err == nil {
		if fromNode := nodeIPs(n); len(fromNode) > 0 {
			ips = fromNode
		}
	}
	return Params{
		NodeIPs:            ips,
		LocalhostNodePorts: p.localhost,
		ClusterCIDR:        p.config.ClusterCIDR,
		MasqueradeMark:     fmt.Sprintf("%#08x", 1<<p.config.MasqueradeBit),
		RandomFully:        p.randomFully,
		DropInvalid:        p.dropInvalid,
	}
}

// nodeIPs are a node's IPv4 InternalIP and ExternalIP addresses, sorted.
func nodeIPs(n *corev1.Node) []string {
	var ips []string
	for _, a := range n.Status.Addresses {
		if a.Type != corev1.NodeInternalIP && a.Type != corev1.NodeExternalIP {
			continue
		}
		if ip, err := netip.ParseAddr(a.Address); err == nil && ip.Is4() {
			ips = append(ips, ip.String())
		}
	}
	slices.Sort(ips)
	return slices.Compact(ips)
}

// sync brings the tables to the informers' state: one iptables-restore
// payload with the fixed chains and the chains of the service ports that
// changed since the last sync (all of them in a full sync, which also
// installs the jump rules and deletes stray chains it finds in the table).
func (p *Proxy) sync(ctx context.Context, periodic bool) error {
	logger := klog.FromContext(ctx)
	start := p.clock.Now()
	// Hourly full syncs are skipped above 1,000 endpoints, as upstream:
	// iptables-nft takes over a second to rewrite ten thousand chains.
	full := p.applied == nil || (!p.applied.large && p.clock.Since(p.lastFull) > fullSyncPeriod)
	if periodic && !full {
		// Something (a firewall reload, iptables -F) may have removed our
		// rules; then the record of what the tables hold is wrong.
		if ok, err := p.ipt.JumpsPresent(p.jumps); err != nil || !ok {
			logger.Info("Proxy rules missing; rewriting them all", "err", err)
			full = true
		}
	}

	svcs, err := p.services.List(labels.Everything())
	if err != nil {
		return err
	}
	eps, err := p.slices.List(labels.Everything())
	if err != nil {
		return err
	}
	snap := p.snapshotter.snapshot(svcs, eps)
	params := p.params()
	rs := Build(snap, params, p.built)
	p.built = rs

	if !full && rs.Equal(p.applied) {
		logger.V(4).Info("Proxy rules unchanged")
	} else {
		var payload []byte
		if full {
			if err := p.ipt.EnsureJumps(p.jumps); err != nil {
				return err
			}
			// What the table holds: the chains that already have
			// their rules are not written again (canon.go).
			save, err := p.ipt.Save("nat")
			if err != nil {
				return err
			}
			kernel, err := parseSave(save)
			if err != nil {
				return err
			}
			payload = rs.FullPayload(kernel)
		} else {
			payload = rs.Payload(p.applied, rs.StaleSince(p.applied))
		}
		if err := p.ipt.Restore(payload); err != nil {
			// The tables may hold anything now: the next sync is full.
			p.applied = nil
			return err
		}
		p.applied = rs
		if full {
			p.lastFull = start
		}
		logger.V(2).Info("Synced proxy rules", "full", full, "servicePorts", len(snap.Services),
			"bytes", len(payload), "elapsed", p.clock.Since(start))
		logger.V(9).Info("Proxy payload", "payload", string(payload))
	}

	// After the rules: a flow cleared before them could be recreated
	// with the old DNAT.
	if udp := newUDPFrontends(snap); !udp.equal(p.udp) {
		n, err := p.ct.DeleteStaleUDP(newStaleUDPFilter(udp, params.NodeIPs, params.LocalhostNodePorts))
		if err != nil {
			logger.Error(err, "Stale UDP flows stay until the next change")
		} else {
			p.udp = udp
			logger.V(2).Info("Deleted stale UDP conntrack entries", "entries", n)
		}
	}
	return nil
}
