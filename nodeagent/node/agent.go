package node

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/retry"
	"k8s.io/klog/v2"
)

const (
	// statusUpdateRetry is upstream's nodeStatusUpdateRetry.
	statusUpdateRetry = 5
	// maxRegisterBackoff is upstream's cap on the registration retry step.
	maxRegisterBackoff = 7 * time.Second
	// readyPollInterval is how often a node not yet reported Ready checks
	// Ready between status updates, so that it turns Ready within about a
	// second of the runtime and network being up (upstream's
	// fastStatusUpdateOnce polls every 100ms for the same reason).
	readyPollInterval = time.Second
	// controllerManagedAttachAnnotation is set on registration as upstream
	// kubelet does by default (--enable-controller-attach-detach).
	controllerManagedAttachAnnotation = "volumes.kubernetes.io/controller-managed-attach-detach"
	// betaOSLabel and betaArchLabel are k8s.io/kubelet/pkg/apis' LabelOS
	// and LabelArch, which upstream still sets.
	betaOSLabel   = "beta.kubernetes.io/os"
	betaArchLabel = "beta.kubernetes.io/arch"
)

// defaultLabelKeys are the labels registration reconciles on a node that
// already exists (upstream's updateDefaultLabels): other labels are the
// cluster's.
var defaultLabelKeys = []string{
	corev1.LabelHostname,
	corev1.LabelTopologyZone,
	corev1.LabelTopologyRegion,
	corev1.LabelFailureDomainBetaZone,
	corev1.LabelFailureDomainBetaRegion,
	corev1.LabelInstanceTypeStable,
	corev1.LabelInstanceType,
	corev1.LabelOSStable,
	corev1.LabelArchStable,
	corev1.LabelWindowsBuild,
	betaOSLabel,
	betaArchLabel,
}

// Agent keeps this host's Node object and Lease. Create it with New and run
// it with Run; PodCIDR and WaitForPodCIDR may be called from any goroutine.
type Agent struct {
	cfg         Config
	recorder    record.EventRecorder
	broadcaster record.EventBroadcaster // nil when the recorder is the caller's
	pressure    *pressureTracker

	// Owned by the status loop.
	lastReport     time.Time
	reportedReady  bool
	rebootRecorded bool
	// pendingEvents are the initial node's status events, recorded once
	// the node is created.
	pendingEvents []event

	// Owned by the lease loop.
	latestLease *coordinationv1.Lease

	mu        sync.Mutex
	uid       string // the Node's UID once registered
	podCIDR   string
	cidrKnown chan struct{} // closed when podCIDR is first non-empty
}

// New checks the config, fills in its defaults and returns an Agent.
func New(cfg Config) (*Agent, error) {
	if err := cfg.complete(); err != nil {
		return nil, err
	}
	a := &Agent{
		cfg:       cfg,
		recorder:  cfg.Recorder,
		pressure:  newPressureTracker(cfg.PressureTransitionPeriod),
		cidrKnown: make(chan struct{}),
	}
	if a.recorder == nil {
		a.broadcaster = record.NewBroadcaster()
		a.recorder = a.broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "kubelet", Host: cfg.NodeName})
	}
	return a, nil
}

// Run registers the node, then keeps its status and lease until ctx ends.
// Registration is retried with backoff (100ms doubling to 7s) for as long
// as it fails. Run returns nil when ctx ends; it leaves the Node and Lease
// in place, as upstream kubelet does, so that the node lifecycle controller
// marks the node unreachable when the lease expires.
func (a *Agent) Run(ctx context.Context) error {
	logger := klog.FromContext(ctx).WithValues("node", a.cfg.NodeName)
	ctx = klog.NewContext(ctx, logger)
	if a.broadcaster != nil {
		a.broadcaster.StartStructuredLogging(3)
		a.broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: a.cfg.Client.CoreV1().Events("")})
		defer a.broadcaster.Shutdown()
	}
	if !a.register(ctx) {
		return nil
	}
	a.recorder.Eventf(a.nodeRef(), corev1.EventTypeNormal, EventStarting, "Starting kubelet.")

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		a.runLease(ctx)
	}()
	a.runStatus(ctx)
	wg.Wait()
	return nil
}

// PodCIDR returns the node's spec.podCIDR as last read from the API, or ""
// until the node has one (the agent's PodCIDR or one the node IPAM
// controller assigned). It does not block.
func (a *Agent) PodCIDR() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.podCIDR
}

// WaitForPodCIDR blocks until the node has a spec.podCIDR and returns it,
// or returns ctx's error.
func (a *Agent) WaitForPodCIDR(ctx context.Context) (string, error) {
	if cidr := a.PodCIDR(); cidr != "" {
		return cidr, nil
	}
	select {
	case <-a.cidrKnown:
		return a.PodCIDR(), nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// observeNode records what the agent learns from a Node read from the API.
func (a *Agent) observeNode(node *corev1.Node) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.uid = string(node.UID)
	cidr := node.Spec.PodCIDR
	if cidr == "" && len(node.Spec.PodCIDRs) > 0 {
		cidr = node.Spec.PodCIDRs[0]
	}
	if cidr == "" {
		return
	}
	if a.podCIDR == "" {
		close(a.cidrKnown)
	}
	a.podCIDR = cidr
}

// nodeRef is the involvedObject of the node's events. Upstream 1.37 adds the
// Node's UID once it knows it, so that `kubectl describe node` finds them.
func (a *Agent) nodeRef() *corev1.ObjectReference {
	a.mu.Lock()
	defer a.mu.Unlock()
	return &corev1.ObjectReference{APIVersion: "v1", Kind: "Node", Name: a.cfg.NodeName, UID: types.UID(a.uid)}
}

func (a *Agent) record(events []event) {
	if len(events) == 0 {
		return
	}
	ref := a.nodeRef()
	for _, e := range events {
		a.recorder.Event(ref, e.eventType, e.reason, e.message)
	}
}

// register creates or adopts the Node, retrying until it succeeds (true) or
// ctx ends (false).
func (a *Agent) register(ctx context.Context) bool {
	logger := klog.FromContext(ctx)
	step := 100 * time.Millisecond
	for {
		err := a.tryRegister(ctx)
		if err == nil {
			logger.Info("Successfully registered node")
			return true
		}
		logger.Error(err, "Unable to register node with API server, will retry", "after", step)
		t := a.cfg.Clock.NewTimer(step)
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-t.C():
		}
		step = min(2*step, maxRegisterBackoff)
	}
}

// tryRegister creates the node or, when it exists, reconciles the default
// labels, the attach-detach annotation and an empty pod CIDR on it
// (upstream's tryRegisterWithAPIServer). Its status is left to the first
// status sync, which follows at once.
func (a *Agent) tryRegister(ctx context.Context) error {
	logger := klog.FromContext(ctx)
	nodes := a.cfg.Client.CoreV1().Nodes()
	initial := a.initialNode(ctx)
	logger.Info("Attempting to register node")
	created, err := nodes.Create(ctx, initial, metav1.CreateOptions{})
	if err == nil {
		a.observeNode(created)
		a.lastReport = a.cfg.Clock.Now()
		a.reportedReady = isReady(&created.Status)
		a.record(a.pendingEvents)
		a.pendingEvents = nil
		return nil
	}
	a.pendingEvents = nil
	if !apierrors.IsAlreadyExists(err) && !apierrors.IsForbidden(err) {
		return fmt.Errorf("create node: %w", err)
	}
	// Forbidden: the client may not create nodes, but the node may exist.
	return retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		existing, err := nodes.Get(ctx, a.cfg.NodeName, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("get existing node: %w", err)
		}
		logger.Info("Node was previously registered")
		node := existing.DeepCopy()
		if reconcileExisting(initial, node) {
			if node, err = nodes.Update(ctx, node, metav1.UpdateOptions{}); err != nil {
				return fmt.Errorf("reconcile existing node: %w", err)
			}
		}
		a.observeNode(node)
		return nil
	})
}

// initialNode is the Node this agent would create (upstream's initialNode).
// Its status events wait in pendingEvents until the node is created.
func (a *Agent) initialNode(ctx context.Context) *corev1.Node {
	hostname := a.cfg.NodeName
	for _, addr := range a.cfg.Addresses {
		if addr.Type == corev1.NodeHostName {
			hostname = addr.Address
			break
		}
	}
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name: a.cfg.NodeName,
			Labels: map[string]string{
				corev1.LabelHostname:   hostname,
				corev1.LabelOSStable:   runtime.GOOS,
				corev1.LabelArchStable: runtime.GOARCH,
				betaOSLabel:            runtime.GOOS,
				betaArchLabel:          runtime.GOARCH,
			},
			Annotations: map[string]string{controllerManagedAttachAnnotation: "true"},
		},
	}
	for k, v := range a.cfg.Labels {
		node.Labels[k] = v
	}
	if len(a.cfg.Taints) > 0 {
		node.Spec.Taints = append([]corev1.Taint(nil), a.cfg.Taints...)
	}
	if a.cfg.PodCIDR != "" {
		node.Spec.PodCIDR = a.cfg.PodCIDR
		node.Spec.PodCIDRs = []string{a.cfg.PodCIDR}
	}
	a.pendingEvents = a.setStatus(node, a.observe(ctx))
	return node
}

// reconcileExisting brings an existing node in line with the initial one
// where registration owns it, and reports whether it changed.
func reconcileExisting(initial, existing *corev1.Node) bool {
	changed := false
	if existing.Labels == nil {
		existing.Labels = map[string]string{}
	}
	for _, k := range defaultLabelKeys {
		v, ok := initial.Labels[k]
		if !ok {
			continue
		}
		if existing.Labels[k] != v {
			existing.Labels[k] = v
			changed = true
		}
		if existing.Labels[k] == "" {
			delete(existing.Labels, k)
		}
	}
	if want := initial.Annotations[controllerManagedAttachAnnotation]; existing.Annotations[controllerManagedAttachAnnotation] != want {
		if existing.Annotations == nil {
			existing.Annotations = map[string]string{}
		}
		existing.Annotations[controllerManagedAttachAnnotation] = want
		changed = true
	}
	// The API lets a pod CIDR be set once, from empty.
	if initial.Spec.PodCIDR != "" && existing.Spec.PodCIDR == "" && len(existing.Spec.PodCIDRs) == 0 {
		existing.Spec.PodCIDR = initial.Spec.PodCIDR
		existing.Spec.PodCIDRs = initial.Spec.PodCIDRs
		changed = true
	}
	return changed
}

// runStatus syncs the status every StatusUpdateFrequency, and every
// readyPollInterval while the node has not been reported Ready yet but
// Ready says it is, until ctx ends.
func (a *Agent) runStatus(ctx context.Context) {
	logger := klog.FromContext(ctx)
	if err := a.syncStatus(ctx); err != nil {
		logger.Error(err, "Unable to update node status")
	}
	next := a.cfg.Clock.Now().Add(a.cfg.StatusUpdateFrequency)
	for {
		wait := next.Sub(a.cfg.Clock.Now())
		fast := !a.reportedReady && readyPollInterval < wait
		if fast {
			wait = readyPollInterval
		}
		t := a.cfg.Clock.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
		if fast && a.cfg.Clock.Now().Before(next) {
			// A node still waiting for a pod CIDR from the node IPAM
			// controller reads its Node on every poll: the pod network
			// waits on it (upstream's fastStatusUpdateOnce does the same).
			if a.cfg.Ready != nil && a.cfg.Ready() != nil && a.PodCIDR() != "" {
				continue
			}
		}
		if err := a.syncStatus(ctx); err != nil {
			logger.Error(err, "Unable to update node status")
		}
		next = a.cfg.Clock.Now().Add(a.cfg.StatusUpdateFrequency)
	}
}

// syncStatus writes the status if it changed or the report period has
// passed, retrying conflicts with a fresh read (upstream's updateNodeStatus).
func (a *Agent) syncStatus(ctx context.Context) error {
	logger := klog.FromContext(ctx)
	var err error
	for i := 0; i < statusUpdateRetry; i++ {
		if err = a.trySyncStatus(ctx); err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return err
		}
		logger.V(2).Info("Error updating node status, will retry", "err", err)
	}
	return fmt.Errorf("update node status: %d attempts failed, last: %w", statusUpdateRetry, err)
}

func (a *Agent) trySyncStatus(ctx context.Context) error {
	nodes := a.cfg.Client.CoreV1().Nodes()
	orig, err := nodes.Get(ctx, a.cfg.NodeName, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("get node %s: %w", a.cfg.NodeName, err)
	}
	a.observeNode(orig)
	node := orig.DeepCopy()
	events := a.setStatus(node, a.observe(ctx))
	now := a.cfg.Clock.Now()
	if !statusChanged(&orig.Status, &node.Status) && now.Sub(a.lastReport) < a.cfg.StatusReportFrequency {
		a.reportedReady = isReady(&orig.Status)
		return nil
	}
	updated, err := nodes.UpdateStatus(ctx, node, metav1.UpdateOptions{})
	if err != nil {
		return fmt.Errorf("update status of node %s: %w", a.cfg.NodeName, err)
	}
	a.lastReport = now
	a.reportedReady = isReady(&updated.Status)
	a.observeNode(updated)
	a.record(events)
	return nil
}

func isReady(s *corev1.NodeStatus) bool {
	c := readyCondition(s)
	return c != nil && c.Status == corev1.ConditionTrue
}
