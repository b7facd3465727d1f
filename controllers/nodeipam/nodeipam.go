package nodeipam

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"
	netutils "k8s.io/utils/net"

	"github.com/kubeshim/kubeshim/controllers/queue"
)

// Name is upstream's controller name.
const Name = "node-ipam-controller"

// Options are the allocator's knobs; zero values take upstream's defaults.
type Options struct {
	// ClusterCIDRs are the ranges node subnets are cut from, at most one
	// per IP family (--cluster-cidr, comma-separated there).
	ClusterCIDRs []string
	// NodeMaskSizeIPv4 and NodeMaskSizeIPv6 are the node subnets' prefix
	// lengths (--node-cidr-mask-size-ipv4, --node-cidr-mask-size-ipv6).
	NodeMaskSizeIPv4 int
	NodeMaskSizeIPv6 int
}

// Defaults: kubeshim's cluster CIDR (upstream has none) and upstream's
// mask sizes.
const (
	DefaultClusterCIDR      = "10.244.0.0/16"
	DefaultNodeMaskSizeIPv4 = 24
	DefaultNodeMaskSizeIPv6 = 64
)

// Controller allocates node pod subnets.
type Controller struct {
	client      kubernetes.Interface
	nodes       corelisters.NodeLister
	synced      cache.InformerSynced
	recorder    record.EventRecorder
	broadcaster record.EventBroadcaster // nil when the recorder is a test's
	queue       *queue.Queue

	// mu guards the bitmaps, which syncs and node deletions change.
	mu   sync.Mutex
	sets []*cidrSet
	// ready is set once the bitmaps hold every existing node's subnets;
	// until then no subnet is handed out.
	ready bool
}

// New returns the allocator on the shared node informer, or an error for
// invalid options.
func New(client kubernetes.Interface, nodes coreinformers.NodeInformer, opts Options) (*Controller, error) {
	b := record.NewBroadcaster()
	c, err := newController(client, nodes, opts, b.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "cidrAllocator"}))
	if err != nil {
		return nil, err
	}
	c.broadcaster = b
	return c, nil
}

func newController(client kubernetes.Interface, nodes coreinformers.NodeInformer, opts Options, recorder record.EventRecorder) (*Controller, error) {
	sets, err := cidrSets(opts)
	if err != nil {
		return nil, err
	}
	c := &Controller{
		client:   client,
		nodes:    nodes.Lister(),
		synced:   nodes.Informer().HasSynced,
		recorder: recorder,
		sets:     sets,
	}
	c.queue = queue.New("node-ipam", c.sync)
	_, _ = nodes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { c.queue.Add(obj.(*corev1.Node).Name) },
		UpdateFunc: func(_, obj any) { c.queue.Add(obj.(*corev1.Node).Name) },
		DeleteFunc: c.nodeDeleted,
	})
	return c, nil
}

func cidrSets(opts Options) ([]*cidrSet, error) {
	cidrs := opts.ClusterCIDRs
	if len(cidrs) == 0 {
		cidrs = []string{DefaultClusterCIDR}
	}
	if opts.NodeMaskSizeIPv4 == 0 {
		opts.NodeMaskSizeIPv4 = DefaultNodeMaskSizeIPv4
	}
	if opts.NodeMaskSizeIPv6 == 0 {
		opts.NodeMaskSizeIPv6 = DefaultNodeMaskSizeIPv6
	}
	if len(cidrs) > 2 {
		return nil, fmt.Errorf("cluster CIDRs %v: at most one IPv4 and one IPv6 range", cidrs)
	}
	var sets []*cidrSet
	families := map[bool]bool{}
	for _, s := range cidrs {
		_, cidr, err := netutils.ParseCIDRSloppy(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("cluster CIDR %q: %w", s, err)
		}
		v6 := netutils.IsIPv6CIDR(cidr)
		if families[v6] {
			return nil, fmt.Errorf("cluster CIDRs %v: at most one IPv4 and one IPv6 range", cidrs)
		}
		families[v6] = true
		mask := opts.NodeMaskSizeIPv4
		if v6 {
			mask = opts.NodeMaskSizeIPv6
		}
		set, err := newCIDRSet(cidr, mask)
		if err != nil {
			return nil, err
		}
		sets = append(sets, set)
	}
	return sets, nil
}

// Run allocates until ctx is done.
func (c *Controller) Run(ctx context.Context, workers int) {
	klog.FromContext(ctx).Info("Starting controller", "controller", Name)
	if c.broadcaster != nil {
		c.broadcaster.StartStructuredLogging(3)
		c.broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: c.client.CoreV1().Events("")})
		defer c.broadcaster.Shutdown()
	}
	if !cache.WaitForNamedCacheSync(Name, ctx.Done(), c.synced) {
		return
	}
	c.occupyExisting(ctx)
	c.queue.Run(ctx, workers, c.synced)
}

// occupyExisting marks every existing node's subnets as used, before any
// node is given one: handing out a subnet first could hand out one that a
// node further down the list already has.
func (c *Controller) occupyExisting(ctx context.Context) {
	nodes, err := c.nodes.List(labels.Everything())
	if err != nil {
		// A lister does not fail; if it did, allocating blind would risk
		// duplicates.
		panic(fmt.Sprintf("list nodes: %v", err))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range nodes {
		c.occupy(ctx, n)
	}
	c.ready = true
}

// occupy marks node's subnets as used. A subnet outside the cluster CIDRs
// (an agent's --pod-cidr from elsewhere) is not this allocator's and is
// left alone. Call with mu held.
func (c *Controller) occupy(ctx context.Context, node *corev1.Node) {
	for i, s := range podCIDRs(node) {
		if i >= len(c.sets) {
			break
		}
		_, subnet, err := netutils.ParseCIDRSloppy(s)
		if err == nil {
			err = c.sets[i].occupy(subnet)
		}
		if err != nil {
			klog.FromContext(ctx).V(2).Info("Node's pod CIDR is not the allocator's", "node", klog.KObj(node), "podCIDR", s, "err", err)
		}
	}
}

func podCIDRs(node *corev1.Node) []string {
	if len(node.Spec.PodCIDRs) > 0 {
		return node.Spec.PodCIDRs
	}
	if node.Spec.PodCIDR != "" {
		return []string{node.Spec.PodCIDR}
	}
	return nil
}

// nodeDeleted releases the deleted node's subnets, unless another node
// claims the same (two agents given the same --pod-cidr).
func (c *Controller) nodeDeleted(obj any) {
	obj = queue.Unwrap(obj)
	node, ok := obj.(*corev1.Node)
	if !ok {
		return
	}
	claimed := map[string]bool{}
	if nodes, err := c.nodes.List(labels.Everything()); err == nil {
		for _, n := range nodes {
			if n.Name == node.Name {
				continue
			}
			for _, s := range podCIDRs(n) {
				claimed[s] = true
			}
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, s := range podCIDRs(node) {
		if i >= len(c.sets) || claimed[s] {
			continue
		}
		if _, subnet, err := netutils.ParseCIDRSloppy(s); err == nil {
			_ = c.sets[i].release(subnet)
		}
	}
}

// sync gives a node without pod CIDRs a subnet of each range, or counts
// the ones it has as used.
func (c *Controller) sync(ctx context.Context, name string) (time.Duration, error) {
	node, err := c.nodes.Get(name)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if node.DeletionTimestamp != nil {
		return 0, nil
	}
	c.mu.Lock()
	if len(podCIDRs(node)) > 0 {
		c.occupy(ctx, node)
		c.mu.Unlock()
		return 0, nil
	}
	if !c.ready {
		c.mu.Unlock()
		return time.Second, nil
	}
	subnets := make([]*net.IPNet, 0, len(c.sets))
	for _, s := range c.sets {
		subnet, err := s.allocateNext()
		if err != nil {
			c.releaseLocked(subnets)
			c.mu.Unlock()
			c.recorder.Eventf(nodeRef(node), corev1.EventTypeNormal, "CIDRNotAvailable", "Node %s status is now: %s", node.Name, "CIDRNotAvailable")
			return 0, fmt.Errorf("allocate a pod CIDR for node %s from %s: %w", node.Name, s.cluster, err)
		}
		subnets = append(subnets, subnet)
	}
	c.mu.Unlock()

	if err := c.assign(ctx, node, subnets); err != nil {
		// The node may have got pod CIDRs meanwhile (its agent's); the
		// retry will count those instead.
		c.mu.Lock()
		c.releaseLocked(subnets)
		c.mu.Unlock()
		switch {
		case apierrors.IsNotFound(err):
			return 0, nil
		case apierrors.IsInvalid(err):
			// The node was read from a cache that had not yet seen
			// the pod CIDRs this controller (or the node's agent)
			// wrote: a sync on the node's next update event does,
			// so this is no failure. Look again shortly, in case
			// that event came and went before this sync.
			klog.FromContext(ctx).V(4).Info("Node got pod CIDRs since it was read", "node", klog.KObj(node), "err", err)
			return 100 * time.Millisecond, nil
		}
		c.recorder.Eventf(nodeRef(node), corev1.EventTypeNormal, "CIDRAssignmentFailed", "Node %s status is now: %s", node.Name, "CIDRAssignmentFailed")
		return 0, err
	}
	return 0, nil
}

func (c *Controller) releaseLocked(subnets []*net.IPNet) {
	for i, s := range subnets {
		_ = c.sets[i].release(s)
	}
}

// assign writes the subnets to the node's spec.podCIDR and podCIDRs. The
// API lets them be set once, from empty, so a node that got pod CIDRs
// since it was read is refused as invalid.
func (c *Controller) assign(ctx context.Context, node *corev1.Node, subnets []*net.IPNet) error {
	cidrs := make([]string, len(subnets))
	for i, s := range subnets {
		cidrs[i] = s.String()
	}
	patch, err := json.Marshal(map[string]any{
		"metadata": map[string]any{"uid": node.UID},
		"spec":     map[string]any{"podCIDR": cidrs[0], "podCIDRs": cidrs},
	})
	if err != nil {
		return err
	}
	_, err = c.client.CoreV1().Nodes().Patch(ctx, node.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
	if err != nil {
		return fmt.Errorf("set pod CIDRs %v of node %s: %w", cidrs, node.Name, err)
	}
	klog.FromContext(ctx).Info("Set node PodCIDR", "node", klog.KObj(node), "podCIDRs", cidrs)
	return nil
}

func nodeRef(node *corev1.Node) *corev1.ObjectReference {
	return &corev1.ObjectReference{APIVersion: "v1", Kind: "Node", Name: node.Name, UID: node.UID}
}
