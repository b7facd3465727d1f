package volumebinding

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	storagelisters "k8s.io/client-go/listers/storage/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/scheduler/framework"
)

const (
	// Name is the plugin's name in the registry.
	Name = "VolumeBinding"
	// DefaultBindTimeout is how long PreBind waits for the claims to be
	// bound: kube-scheduler's bindTimeoutSeconds default.
	DefaultBindTimeout = 600 * time.Second

	stateKey framework.StateKey = Name
	// recheckInterval bounds how long PreBind goes without looking, should
	// an informer event it needs not wake it (a node relabelled, say).
	recheckInterval = time.Second
)

// VolumeBinding places pods where their claims can be bound and binds them
// before the pod; see the package documentation.
type VolumeBinding struct {
	client      kubernetes.Interface
	pvcs        *assumeCache[*corev1.PersistentVolumeClaim]
	pvs         *assumeCache[*corev1.PersistentVolume]
	pvLister    corelisters.PersistentVolumeLister
	classes     storagelisters.StorageClassLister
	pods        corelisters.PodLister
	nodes       corelisters.NodeLister
	bindTimeout time.Duration
	// changed wakes PreBind's waits when a claim, volume or pod changes.
	changed *notifier
}

var (
	_ framework.PreFilterPlugin   = &VolumeBinding{}
	_ framework.FilterPlugin      = &VolumeBinding{}
	_ framework.ReservePlugin     = &VolumeBinding{}
	_ framework.PreBindPlugin     = &VolumeBinding{}
	_ framework.EnqueueExtensions = &VolumeBinding{}
)

// New builds the plugin on the handle's informers; it writes through the
// handle's client if it is a framework.ClientHandle. Without a handle (in
// tests) it skips pods without claims and errs on the others.
func New(h framework.Handle) (framework.Plugin, error) {
	pl := &VolumeBinding{bindTimeout: DefaultBindTimeout, changed: &notifier{}}
	if h == nil || h.SharedInformerFactory() == nil {
		return pl, nil
	}
	if ch, ok := h.(framework.ClientHandle); ok {
		pl.client = ch.ClientSet()
	}
	f := h.SharedInformerFactory()
	pvcInformer := f.Core().V1().PersistentVolumeClaims()
	pvInformer := f.Core().V1().PersistentVolumes()
	podInformer := f.Core().V1().Pods()
	pvcLister, pvLister := pvcInformer.Lister(), pvInformer.Lister()
	pl.pvcs = newAssumeCache(func(key string) (*corev1.PersistentVolumeClaim, error) {
		ns, name, _ := strings.Cut(key, "/")
		return pvcLister.PersistentVolumeClaims(ns).Get(name)
	})
	pl.pvs = newAssumeCache(pvLister.Get)
	pl.pvLister = pvLister
	pl.classes = f.Storage().V1().StorageClasses().Lister()
	pl.pods = podInformer.Lister()
	pl.nodes = f.Core().V1().Nodes().Lister()
	wake := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { pl.changed.notify() },
		UpdateFunc: func(any, any) { pl.changed.notify() },
		DeleteFunc: func(any) { pl.changed.notify() },
	}
	for _, inf := range []cache.SharedIndexInformer{pvcInformer.Informer(), pvInformer.Informer()} {
		if _, err := inf.AddEventHandler(wake); err != nil {
			return nil, fmt.Errorf("volume binding event handler: %w", err)
		}
	}
	if _, err := podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{DeleteFunc: func(any) { pl.changed.notify() }}); err != nil {
		return nil, fmt.Errorf("volume binding event handler: %w", err)
	}
	return pl, nil
}

// Name returns the plugin's name.
func (*VolumeBinding) Name() string { return Name }

// stateData is what PreFilter finds, Filter adds to per node, and Reserve
// and PreBind use. It is shared by the cycle state's clones; Filter runs
// concurrently, hence the lock.
type stateData struct {
	claims *podClaims

	mu     sync.Mutex
	byNode map[string]*podVolumes
	// allBound is set by Reserve when the pod's claims need nothing more.
	allBound bool
}

func getState(state *framework.CycleState) (*stateData, error) {
	v, err := state.Read(stateKey)
	if err != nil {
		return nil, err
	}
	d, ok := v.(*stateData)
	if !ok {
		return nil, fmt.Errorf("%q in cycle state is a %T", stateKey, v)
	}
	return d, nil
}

// PreFilter skips pods without claims, rejects pods whose claims cannot be
// used or wait for the PV controller, and records the claims for Filter.
func (pl *VolumeBinding) PreFilter(_ context.Context, state *framework.CycleState, pod *corev1.Pod, _ []*framework.NodeInfo) (*framework.PreFilterResult, *framework.Status) {
	has, err := pl.checkClaims(pod)
	if err != nil {
		return nil, framework.NewStatus(framework.UnschedulableAndUnresolvable, err.Error())
	}
	if !has {
		state.Write(stateKey, &stateData{allBound: true})
		return nil, framework.NewStatus(framework.Skip)
	}
	claims, err := pl.podClaims(pod)
	if err != nil {
		return nil, framework.AsStatus(err)
	}
	if len(claims.unboundImmediate) > 0 {
		// The pod is retried when the PV controller binds them.
		return nil, framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonUnboundImmediate)
	}
	state.Write(stateKey, &stateData{claims: claims, byNode: map[string]*podVolumes{}})
	return nil, nil
}

// Filter checks the node can take the pod's claims and remembers what it
// would take there.
func (pl *VolumeBinding) Filter(ctx context.Context, state *framework.CycleState, pod *corev1.Pod, nodeInfo *framework.NodeInfo) *framework.Status {
	d, err := getState(state)
	if err != nil {
		return framework.AsStatus(err)
	}
	node := nodeInfo.Node()
	vols, reasons, err := pl.findPodVolumes(klog.FromContext(ctx), pod, d.claims, node)
	if err != nil {
		return framework.AsStatus(err)
	}
	if len(reasons) > 0 {
		// Only other volumes or labels help, not preemption.
		return framework.NewStatus(framework.UnschedulableAndUnresolvable, reasons...)
	}
	d.mu.Lock()
	d.byNode[node.Name] = vols
	d.mu.Unlock()
	return nil
}

// Reserve assumes the node's volumes for the pod.
func (pl *VolumeBinding) Reserve(ctx context.Context, state *framework.CycleState, pod *corev1.Pod, nodeName string) *framework.Status {
	d, err := getState(state)
	if err != nil {
		return framework.AsStatus(err)
	}
	// One node is reserved per cycle: no lock needed.
	vols, ok := d.byNode[nodeName]
	if !ok {
		d.allBound = true
		return nil
	}
	assumed, allBound, err := pl.assume(pod, nodeName, vols)
	if err != nil {
		return framework.AsStatus(err)
	}
	klog.FromContext(ctx).V(4).Info("Assumed pod volumes", "pod", klog.KObj(pod), "node", nodeName, "allBound", allBound)
	d.byNode[nodeName] = assumed
	d.allBound = allBound
	return nil
}

// Unreserve forgets what Reserve assumed; the API writes PreBind made stay.
func (pl *VolumeBinding) Unreserve(_ context.Context, state *framework.CycleState, _ *corev1.Pod, nodeName string) {
	d, err := getState(state)
	if err != nil {
		return
	}
	if vols, ok := d.byNode[nodeName]; ok {
		pl.revert(vols)
	}
}

// PreBindPreFlight: work only when Reserve left claims to bind.
func (pl *VolumeBinding) PreBindPreFlight(_ context.Context, state *framework.CycleState, _ *corev1.Pod, nodeName string) *framework.Status {
	d, err := getState(state)
	if err != nil {
		return framework.AsStatus(err)
	}
	if d.allBound {
		return framework.NewStatus(framework.Skip)
	}
	if _, ok := d.byNode[nodeName]; !ok {
		return framework.AsStatus(fmt.Errorf("no pod volume found for node %q", nodeName))
	}
	return nil
}

// PreBind writes the bindings and waits until the claims are bound, the
// binding fails, or the bind timeout passes.
func (pl *VolumeBinding) PreBind(ctx context.Context, state *framework.CycleState, pod *corev1.Pod, nodeName string) *framework.Status {
	d, err := getState(state)
	if err != nil {
		return framework.AsStatus(err)
	}
	if d.allBound {
		return nil
	}
	vols, ok := d.byNode[nodeName]
	if !ok {
		return framework.AsStatus(fmt.Errorf("no pod volume found for node %q", nodeName))
	}
	if pl.client == nil {
		return framework.AsStatus(errors.New("VolumeBinding has no API client"))
	}
	logger := klog.FromContext(ctx)
	if err := pl.bindAPIUpdate(ctx, pod, vols); err != nil {
		logger.V(5).Info("Failed to bind volumes for pod", "pod", klog.KObj(pod), "err", err)
		return framework.AsStatus(err)
	}
	if err := pl.waitBound(ctx, pod, vols); err != nil {
		logger.V(5).Info("Failed to bind volumes for pod", "pod", klog.KObj(pod), "err", err)
		return framework.AsStatus(fmt.Errorf("binding volumes: %w", err))
	}
	logger.V(5).Info("Success binding volumes for pod", "pod", klog.KObj(pod))
	return nil
}

// waitBound waits, woken by the informers, until checkBindings says yes or
// fails, or the bind timeout passes.
func (pl *VolumeBinding) waitBound(ctx context.Context, pod *corev1.Pod, vols *podVolumes) error {
	ctx, cancel := context.WithTimeout(ctx, pl.bindTimeout)
	defer cancel()
	recheck := time.NewTicker(recheckInterval)
	defer recheck.Stop()
	for {
		// Taken before looking, so that a change while looking is not
		// missed.
		changed := pl.changed.wait()
		done, err := pl.checkBindings(pod, vols)
		if err != nil || done {
			return err
		}
		select {
		case <-changed:
		case <-recheck.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// EventsToRegister: claims and volumes that appear or change, classes that
// appear or change their allowed topologies, nodes that appear or are
// relabelled (volume node affinity, allowed topologies).
func (pl *VolumeBinding) EventsToRegister(context.Context) []framework.ClusterEventWithHint {
	return []framework.ClusterEventWithHint{
		{Event: framework.ClusterEvent{Resource: framework.StorageClass, ActionType: framework.Add | framework.Update}, QueueingHintFn: isSchedulableAfterStorageClassChange},
		{Event: framework.ClusterEvent{Resource: framework.PersistentVolumeClaim, ActionType: framework.Add | framework.Update}, QueueingHintFn: isSchedulableAfterClaimChange},
		{Event: framework.ClusterEvent{Resource: framework.PersistentVolume, ActionType: framework.Add | framework.Update}},
		{Event: framework.ClusterEvent{Resource: framework.Node, ActionType: framework.Add | framework.UpdateNodeLabel}},
	}
}

// isSchedulableAfterClaimChange: only a claim the pod uses.
func isSchedulableAfterClaimChange(logger klog.Logger, pod *corev1.Pod, _, newObj any) (framework.QueueingHint, error) {
	pvc, ok := newObj.(*corev1.PersistentVolumeClaim)
	if !ok {
		return framework.Queue, fmt.Errorf("expected a PersistentVolumeClaim, got %T", newObj)
	}
	if pvc.Namespace != pod.Namespace {
		return framework.QueueSkip, nil
	}
	for i := range pod.Spec.Volumes {
		if name, _ := claimName(pod, &pod.Spec.Volumes[i]); name == pvc.Name {
			logger.V(5).Info("PersistentVolumeClaim the pod requires was created or updated", "pod", klog.KObj(pod), "PVC", klog.KObj(pvc))
			return framework.Queue, nil
		}
	}
	return framework.QueueSkip, nil
}

// isSchedulableAfterStorageClassChange: any new class; an update only if
// its allowed topologies changed (its binding mode cannot change).
func isSchedulableAfterStorageClassChange(_ klog.Logger, _ *corev1.Pod, oldObj, newObj any) (framework.QueueingHint, error) {
	newClass, ok := newObj.(*storagev1.StorageClass)
	if !ok {
		return framework.Queue, fmt.Errorf("expected a StorageClass, got %T", newObj)
	}
	oldClass, _ := oldObj.(*storagev1.StorageClass)
	if oldClass == nil || !reflect.DeepEqual(oldClass.AllowedTopologies, newClass.AllowedTopologies) {
		return framework.Queue, nil
	}
	return framework.QueueSkip, nil
}

// notifier wakes every waiter at each notify.
type notifier struct {
	mu sync.Mutex
	ch chan struct{}
}

// wait returns a channel closed at the next notify.
func (n *notifier) wait() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ch == nil {
		n.ch = make(chan struct{})
	}
	return n.ch
}

func (n *notifier) notify() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ch != nil {
		close(n.ch)
		n.ch = nil
	}
}
