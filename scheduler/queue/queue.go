package queue

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/kubeshim/kubeshim/scheduler/framework"
)

// kube-scheduler's queue timings.
const (
	DefaultInitialBackoff = 1 * time.Second
	DefaultMaxBackoff     = 10 * time.Second
	// DefaultMaxUnschedulableDuration is how long a pod waits in the
	// unschedulable set for an event before it is retried anyway.
	DefaultMaxUnschedulableDuration = 5 * time.Minute

	backoffFlushInterval       = 1 * time.Second
	unschedulableFlushInterval = 30 * time.Second
)

// ErrClosed is returned by Pop once the queue is closed.
var ErrClosed = errors.New("scheduling queue is closed")

// UnschedulableTimeout is the event that flushes pods left unschedulable
// for DefaultMaxUnschedulableDuration; it retries every pod.
var UnschedulableTimeout = framework.ClusterEvent{Resource: framework.WildCard, ActionType: framework.All, Label: "UnschedulableTimeout"}

// QueuedPodInfo is a pod in the queue with its scheduling history.
type QueuedPodInfo struct {
	Pod *corev1.Pod
	// Timestamp is when the pod was last added or sent back to the queue;
	// pods of equal priority go in this order, and backoff counts from it.
	Timestamp time.Time
	// InitialAttemptTimestamp is when the pod was first popped.
	InitialAttemptTimestamp time.Time
	// Attempts counts the scheduling passes the pod went through.
	Attempts int
	// UnschedulablePlugins rejected the pod in its last pass; only events
	// they care about move it out of the unschedulable set.
	UnschedulablePlugins sets.Set[string]
	// GatedBy is the PreEnqueue plugin holding the pod back, if any.
	GatedBy string

	key string
	// cycle is the scheduling cycle the pod was popped in.
	cycle int64
	// updated records a real update while the pod was being scheduled:
	// the pass saw the old pod, so it must not wait for an event.
	updated bool
}

// Options configure a Queue. Zero values take the defaults.
type Options struct {
	Clock                    clock.WithTicker
	InitialBackoff           time.Duration
	MaxBackoff               time.Duration
	MaxUnschedulableDuration time.Duration
	// PreEnqueue decides whether a pod may enter the active queue
	// (scheduling gates); nil admits every pod.
	PreEnqueue func(ctx context.Context, pod *corev1.Pod) *framework.Status
	// IsSchedulableAfter decides whether an event may help a pod rejected
	// by rejectors; nil means every event may.
	IsSchedulableAfter func(logger klog.Logger, pod *corev1.Pod, rejectors sets.Set[string], event framework.ClusterEvent, oldObj, newObj any) bool
}

// Queue is kube-scheduler's scheduling queue: pods ready to be tried
// (active, by priority then time), pods waiting out a backoff after a
// failure (backoff, by expiry), pods that fit nowhere waiting for a cluster
// event that may change that (unschedulable), pods held back by a
// PreEnqueue plugin (gated), and pods being scheduled now (in flight).
// A pod is in at most one of them. It is safe for concurrent use.
type Queue struct {
	opts Options

	mu            sync.Mutex
	cond          *sync.Cond
	active        *podHeap
	backoff       *podHeap
	unschedulable map[string]*QueuedPodInfo
	gated         map[string]*QueuedPodInfo
	inFlight      map[string]*QueuedPodInfo
	// schedulingCycle counts pops; moveRequestCycle is the cycle of the
	// last cluster event. A pod that fails after an event newer than its
	// pop goes to backoff, not unschedulable: the event may have been the
	// one it needed.
	schedulingCycle  int64
	moveRequestCycle int64
	closed           bool
}

// New returns an empty queue.
func New(opts Options) *Queue {
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if opts.InitialBackoff == 0 {
		opts.InitialBackoff = DefaultInitialBackoff
	}
	if opts.MaxBackoff == 0 {
		opts.MaxBackoff = DefaultMaxBackoff
	}
	if opts.MaxUnschedulableDuration == 0 {
		opts.MaxUnschedulableDuration = DefaultMaxUnschedulableDuration
	}
	q := &Queue{
		opts:          opts,
		unschedulable: map[string]*QueuedPodInfo{},
		gated:         map[string]*QueuedPodInfo{},
		inFlight:      map[string]*QueuedPodInfo{},
	}
	q.cond = sync.NewCond(&q.mu)
	q.active = newPodHeap(activeLess)
	q.backoff = newPodHeap(func(a, b *QueuedPodInfo) bool { return q.backoffExpiry(a).Before(q.backoffExpiry(b)) })
	return q
}

// activeLess is the PrioritySort plugin: higher priority first, then the
// pod that has waited longer.
func activeLess(a, b *QueuedPodInfo) bool {
	pa, pb := priority(a.Pod), priority(b.Pod)
	return pa > pb || pa == pb && a.Timestamp.Before(b.Timestamp)
}

func priority(pod *corev1.Pod) int32 {
	if pod.Spec.Priority != nil {
		return *pod.Spec.Priority
	}
	return 0
}

// Key is how the queue names a pod.
func Key(pod *corev1.Pod) string {
	k, _ := cache.MetaNamespaceKeyFunc(pod)
	return k
}

// Run flushes the backoff queue every second and the pods left
// unschedulable too long every 30 seconds, until ctx is done; then it
// closes the queue.
func (q *Queue) Run(ctx context.Context) {
	logger := klog.FromContext(ctx)
	backoff := q.opts.Clock.NewTicker(backoffFlushInterval)
	defer backoff.Stop()
	unschedulable := q.opts.Clock.NewTicker(unschedulableFlushInterval)
	defer unschedulable.Stop()
	for {
		select {
		case <-ctx.Done():
			q.Close()
			return
		case <-backoff.C():
			q.FlushBackoffCompleted(logger)
		case <-unschedulable.C():
			q.FlushUnschedulableLeftover(logger)
		}
	}
}

// Close wakes Pop, which then returns ErrClosed.
func (q *Queue) Close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	q.cond.Broadcast()
}

func (q *Queue) newInfo(pod *corev1.Pod) *QueuedPodInfo {
	return &QueuedPodInfo{Pod: pod, Timestamp: q.opts.Clock.Now(), key: Key(pod)}
}

// Add queues a new pod: active, or gated if a PreEnqueue plugin holds it.
func (q *Queue) Add(logger klog.Logger, pod *corev1.Pod) {
	q.mu.Lock()
	defer q.mu.Unlock()
	p := q.newInfo(pod)
	q.removeLocked(p.key)
	q.toActiveOrGatedLocked(logger, p)
}

// toActiveOrGatedLocked runs PreEnqueue and files the pod.
func (q *Queue) toActiveOrGatedLocked(logger klog.Logger, p *QueuedPodInfo) {
	if q.opts.PreEnqueue != nil {
		if s := q.opts.PreEnqueue(klog.NewContext(context.Background(), logger), p.Pod); !s.IsSuccess() {
			p.GatedBy = s.Plugin()
			q.gated[p.key] = p
			logger.V(5).Info("Pod held back from the active queue", "pod", klog.KObj(p.Pod), "plugin", s.Plugin(), "status", s.Message())
			return
		}
	}
	p.GatedBy = ""
	q.active.add(p)
	q.cond.Broadcast()
}

// Update takes a new version of a queued pod. A pod that fits nowhere is
// retried if it really changed (its spec or metadata, not its status): the
// change may make it fit. A gated pod is checked again.
func (q *Queue) Update(logger klog.Logger, oldPod, newPod *corev1.Pod) {
	q.mu.Lock()
	defer q.mu.Unlock()
	key := Key(newPod)
	if p := q.active.get(key); p != nil {
		p.Pod = newPod
		q.active.add(p)
		return
	}
	if p := q.backoff.get(key); p != nil {
		p.Pod = newPod
		q.backoff.add(p)
		return
	}
	if p, ok := q.gated[key]; ok {
		delete(q.gated, key)
		p.Pod = newPod
		q.toActiveOrGatedLocked(logger, p)
		return
	}
	if p, ok := q.unschedulable[key]; ok {
		p.Pod = newPod
		if oldPod != nil && !isPodUpdated(oldPod, newPod) {
			return
		}
		delete(q.unschedulable, key)
		q.requeueLocked(logger, p, "PodUpdate")
		return
	}
	if p, ok := q.inFlight[key]; ok {
		p.updated = p.updated || oldPod == nil || isPodUpdated(oldPod, newPod)
		return
	}
	q.toActiveOrGatedLocked(logger, q.newInfo(newPod))
}

// isPodUpdated reports a change other than status, resourceVersion,
// generation and managedFields: the scheduler's own status writes do not
// count.
func isPodUpdated(oldPod, newPod *corev1.Pod) bool {
	strip := func(p *corev1.Pod) *corev1.Pod {
		c := p.DeepCopy()
		c.ResourceVersion = ""
		c.Generation = 0
		c.ManagedFields = nil
		c.Status = corev1.PodStatus{}
		return c
	}
	return !reflect.DeepEqual(strip(oldPod), strip(newPod))
}

// Delete forgets a pod.
func (q *Queue) Delete(pod *corev1.Pod) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.removeLocked(Key(pod))
}

func (q *Queue) removeLocked(key string) {
	q.active.delete(key)
	q.backoff.delete(key)
	delete(q.unschedulable, key)
	delete(q.gated, key)
}

// Pop waits for a pod in the active queue and hands it out; the pod is in
// flight until Done. It returns ErrClosed once the queue is closed, and
// ctx's error once ctx is done.
func (q *Queue) Pop(ctx context.Context) (*QueuedPodInfo, error) {
	stop := context.AfterFunc(ctx, func() {
		q.mu.Lock()
		defer q.mu.Unlock()
		q.cond.Broadcast()
	})
	defer stop()
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.active.Len() == 0 {
		if q.closed {
			return nil, ErrClosed
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		q.cond.Wait()
	}
	p := q.active.pop()
	q.schedulingCycle++
	p.cycle = q.schedulingCycle
	p.Attempts++
	if p.InitialAttemptTimestamp.IsZero() {
		p.InitialAttemptTimestamp = q.opts.Clock.Now()
	}
	p.updated = false
	q.inFlight[p.key] = p
	return p, nil
}

// Done ends the pod's pass: call it whether the pod was bound or sent back
// with AddUnschedulableIfNotPresent.
func (q *Queue) Done(pod *corev1.Pod) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.inFlight, Key(pod))
}

// AddUnschedulableIfNotPresent sends back a pod whose pass failed. A pod
// rejected by plugins waits in the unschedulable set for an event; one that
// failed with an error, or saw an event or an update while it was being
// scheduled, waits out its backoff instead. The pod in p should be the
// latest version the caller knows.
func (q *Queue) AddUnschedulableIfNotPresent(logger klog.Logger, p *QueuedPodInfo) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.active.has(p.key) || q.backoff.has(p.key) || q.unschedulable[p.key] != nil || q.gated[p.key] != nil {
		return
	}
	updated := p.updated
	if f, ok := q.inFlight[p.key]; ok {
		updated = updated || f.updated
	}
	p.Timestamp = q.opts.Clock.Now()
	if len(p.UnschedulablePlugins) == 0 || updated || q.moveRequestCycle >= p.cycle {
		q.backoff.add(p)
		logger.V(5).Info("Pod sent to the backoff queue", "pod", klog.KObj(p.Pod), "attempts", p.Attempts)
		return
	}
	q.unschedulable[p.key] = p
	logger.V(5).Info("Pod sent to the unschedulable set", "pod", klog.KObj(p.Pod), "plugins", sets.List(p.UnschedulablePlugins))
}

// MoveAllToActiveOrBackoff retries the unschedulable pods that event may
// help, as the plugins that rejected them tell; oldObj and newObj are the
// event's objects (either may be nil).
func (q *Queue) MoveAllToActiveOrBackoff(logger klog.Logger, event framework.ClusterEvent, oldObj, newObj any) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.moveRequestCycle = q.schedulingCycle
	for key, p := range q.unschedulable {
		if q.opts.IsSchedulableAfter != nil && !q.opts.IsSchedulableAfter(logger, p.Pod, p.UnschedulablePlugins, event, oldObj, newObj) {
			continue
		}
		delete(q.unschedulable, key)
		q.requeueLocked(logger, p, event.String())
	}
}

// requeueLocked sends a pod leaving the unschedulable set to backoff if it
// is still backing off, else to active.
func (q *Queue) requeueLocked(logger klog.Logger, p *QueuedPodInfo, why string) {
	if q.isBackingOff(p) {
		q.backoff.add(p)
		logger.V(5).Info("Pod moved to the backoff queue", "pod", klog.KObj(p.Pod), "event", why)
		return
	}
	q.toActiveOrGatedLocked(logger, p)
	logger.V(5).Info("Pod moved to the active queue", "pod", klog.KObj(p.Pod), "event", why)
}

// FlushBackoffCompleted moves the pods whose backoff is over to active.
func (q *Queue) FlushBackoffCompleted(logger klog.Logger) {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.opts.Clock.Now()
	for {
		p := q.backoff.peek()
		if p == nil || q.backoffExpiry(p).After(now) {
			return
		}
		q.backoff.pop()
		q.toActiveOrGatedLocked(logger, p)
	}
}

// FlushUnschedulableLeftover retries the pods that waited longer than
// MaxUnschedulableDuration for an event.
func (q *Queue) FlushUnschedulableLeftover(logger klog.Logger) {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.opts.Clock.Now()
	for key, p := range q.unschedulable {
		if now.Sub(p.Timestamp) > q.opts.MaxUnschedulableDuration {
			delete(q.unschedulable, key)
			q.requeueLocked(logger, p, UnschedulableTimeout.String())
		}
	}
}

// backoffDuration doubles from InitialBackoff with each attempt, up to
// MaxBackoff.
func (q *Queue) backoffDuration(p *QueuedPodInfo) time.Duration {
	d := q.opts.InitialBackoff
	for i := 1; i < p.Attempts; i++ {
		if d > q.opts.MaxBackoff-d {
			return q.opts.MaxBackoff
		}
		d += d
	}
	return d
}

func (q *Queue) backoffExpiry(p *QueuedPodInfo) time.Time {
	return p.Timestamp.Add(q.backoffDuration(p))
}

func (q *Queue) isBackingOff(p *QueuedPodInfo) bool {
	return q.backoffExpiry(p).After(q.opts.Clock.Now())
}

// Counts is how many pods each part of the queue holds.
type Counts struct {
	Active, Backoff, Unschedulable, Gated, InFlight int
}

// Counts reports the queue's sizes.
func (q *Queue) Counts() Counts {
	q.mu.Lock()
	defer q.mu.Unlock()
	return Counts{Active: q.active.Len(), Backoff: q.backoff.Len(), Unschedulable: len(q.unschedulable), Gated: len(q.gated), InFlight: len(q.inFlight)}
}
