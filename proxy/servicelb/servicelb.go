package servicelb

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/controllers/queue"
)

const (
	// LeaseName is the Lease in kube-system the writer holds.
	LeaseName = "kubeshim-servicelb"
	// labelExclude keeps a node out of every load balancer, as upstream's
	// service controller reads it.
	labelExclude = "node.kubernetes.io/exclude-from-external-load-balancers"
)

// Config of the controller.
type Config struct {
	Client kubernetes.Interface
	// Identity names this candidate in the Lease (the node name).
	Identity string
	// LeaderElection runs the controller only while it holds the Lease;
	// false runs it at once (tests, or a single writer by construction).
	LeaderElection bool
	// LeaseDuration, RenewDeadline and RetryPeriod default to 15s, 10s, 2s.
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
}

// Controller keeps the ingress of LoadBalancer services.
type Controller struct {
	config Config
}

// New returns a controller; Run starts it.
func New(c Config) *Controller {
	if c.LeaseDuration == 0 {
		c.LeaseDuration, c.RenewDeadline, c.RetryPeriod = 15*time.Second, 10*time.Second, 2*time.Second
	}
	return &Controller{config: c}
}

// Run runs the controller until ctx ends: under leader election, one
// term after the other.
func (c *Controller) Run(ctx context.Context) error {
	logger := klog.FromContext(ctx).WithName("servicelb")
	ctx = klog.NewContext(ctx, logger)
	if !c.config.LeaderElection {
		c.runTerm(ctx)
		return nil
	}
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: metav1.NamespaceSystem, Name: LeaseName},
		Client:     c.config.Client.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: c.config.Identity},
	}
	for ctx.Err() == nil {
		var term sync.WaitGroup
		elector, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
			Lock:          lock,
			LeaseDuration: c.config.LeaseDuration,
			RenewDeadline: c.config.RenewDeadline,
			RetryPeriod:   c.config.RetryPeriod,
			// A stopping agent hands over at once, not after LeaseDuration.
			ReleaseOnCancel: true,
			Name:            LeaseName,
			Callbacks: leaderelection.LeaderCallbacks{
				OnStartedLeading: func(ctx context.Context) {
					term.Add(1)
					defer term.Done()
					logger.Info("Leading: writing load balancer ingress", "identity", c.config.Identity)
					c.runTerm(ctx)
				},
				OnStoppedLeading: func() {
					logger.V(2).Info("Not leading", "identity", c.config.Identity)
				},
			},
		})
		if err != nil {
			return fmt.Errorf("servicelb leader election: %w", err)
		}
		elector.Run(ctx)
		term.Wait()
	}
	return nil
}

// runTerm watches services and nodes and syncs until ctx ends. The
// informers live only as long as the term: a candidate that does not lead
// watches nothing.
func (c *Controller) runTerm(ctx context.Context) {
	factory := informers.NewSharedInformerFactory(c.config.Client, 0)
	svcInformer := factory.Core().V1().Services()
	nodeInformer := factory.Core().V1().Nodes()
	s := &syncer{client: c.config.Client, services: svcInformer.Lister(), nodes: nodeInformer.Lister()}
	q := queue.New("servicelb", s.sync)
	enqueue := func(obj any) {
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
			q.Add(key)
		}
	}
	// All LoadBalancer services, when the node set they point at changes.
	enqueueAll := func() {
		svcs, _ := s.services.List(labels.Everything())
		for _, svc := range svcs {
			if svc.Spec.Type == corev1.ServiceTypeLoadBalancer {
				enqueue(svc)
			}
		}
	}
	_, _ = svcInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, cur any) { enqueue(cur) },
	})
	_, _ = nodeInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(any) { enqueueAll() },
		UpdateFunc: func(old, cur any) {
			if !slices.Equal(nodeIngressIPs(old.(*corev1.Node)), nodeIngressIPs(cur.(*corev1.Node))) {
				enqueueAll()
			}
		},
		DeleteFunc: func(any) { enqueueAll() },
	})
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	q.Run(ctx, 1, svcInformer.Informer().HasSynced, nodeInformer.Informer().HasSynced)
}

type syncer struct {
	client   kubernetes.Interface
	services corelisters.ServiceLister
	nodes    corelisters.NodeLister
}

// sync gives a LoadBalancer service the nodes' ingress, and takes it from
// a service that is no longer one.
func (s *syncer) sync(ctx context.Context, key string) (time.Duration, error) {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, nil
	}
	svc, err := s.services.Services(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if svc.Spec.LoadBalancerClass != nil {
		return 0, nil // another implementation's
	}
	var want []corev1.LoadBalancerIngress
	if svc.Spec.Type == corev1.ServiceTypeLoadBalancer {
		nodes, err := s.nodes.List(labels.Everything())
		if err != nil {
			return 0, err
		}
		want = Ingress(nodes)
	}
	if equalIngress(svc.Status.LoadBalancer.Ingress, want) {
		return 0, nil
	}
	svc = svc.DeepCopy()
	svc.Status.LoadBalancer.Ingress = want
	if _, err := s.client.CoreV1().Services(ns).UpdateStatus(ctx, svc, metav1.UpdateOptions{}); err != nil {
		if apierrors.IsNotFound(err) {
			return 0, nil
		}
		return 0, fmt.Errorf("update load balancer status of %s: %w", key, err)
	}
	klog.FromContext(ctx).V(2).Info("Set load balancer ingress", "service", klog.KObj(svc), "ingress", len(want))
	return 0, nil
}

// Ingress is the ingress of every load balancer: the InternalIPs of the
// ready nodes not excluded from load balancers, sorted, in VIP mode (the
// proxies DNAT them). Nil when no node qualifies: the service stays
// pending.
func Ingress(nodes []*corev1.Node) []corev1.LoadBalancerIngress {
	var ips []netip.Addr
	for _, n := range nodes {
		for _, s := range nodeIngressIPs(n) {
			ips = append(ips, netip.MustParseAddr(s))
		}
	}
	slices.SortFunc(ips, func(a, b netip.Addr) int { return a.Compare(b) })
	ips = slices.Compact(ips)
	var out []corev1.LoadBalancerIngress
	for _, ip := range ips {
		out = append(out, corev1.LoadBalancerIngress{IP: ip.String(), IPMode: ptr(corev1.LoadBalancerIPModeVIP)})
	}
	return out
}

// nodeIngressIPs are the addresses a node contributes to load balancers.
func nodeIngressIPs(n *corev1.Node) []string {
	if _, ok := n.Labels[labelExclude]; ok || !n.DeletionTimestamp.IsZero() || !ready(n) {
		return nil
	}
	var ips []string
	for _, a := range n.Status.Addresses {
		if a.Type != corev1.NodeInternalIP {
			continue
		}
		// A loopback or link-local address is no use to clients elsewhere,
		// and as an ingress IP every proxy would capture it on its own host.
		if ip, err := netip.ParseAddr(a.Address); err == nil && ip.IsGlobalUnicast() {
			ips = append(ips, ip.String())
		}
	}
	return ips
}

func ready(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func equalIngress(a, b []corev1.LoadBalancerIngress) bool {
	return slices.EqualFunc(a, b, func(x, y corev1.LoadBalancerIngress) bool {
		return x.IP == y.IP && x.Hostname == y.Hostname && ptrEqual(x.IPMode, y.IPMode) && len(x.Ports) == 0 && len(y.Ports) == 0
	})
}

func ptrEqual[T comparable](a, b *T) bool {
	return a == b || (a != nil && b != nil && *a == *b)
}

func ptr[T any](v T) *T { return &v }
