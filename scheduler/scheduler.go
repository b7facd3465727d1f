package scheduler

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/informers"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/scheduler/framework"
	"github.com/kubeshim/kubeshim/scheduler/plugins"
	"github.com/kubeshim/kubeshim/scheduler/queue"
)

// Config is what a Scheduler is built from; Options.Config makes one.
type Config struct {
	// Client reads pods and nodes and writes bindings and pod status.
	Client kubernetes.Interface
	// EventClient writes events; nil means Client.
	EventClient kubernetes.Interface
	// SchedulerName is the spec.schedulerName of the pods to schedule.
	SchedulerName string
	// Profile configures the framework; its SchedulerName is SchedulerName,
	// empty Plugins mean plugins.DefaultPlugins().
	Profile framework.Profile
	// Registry builds the plugins; nil means plugins.NewRegistry().
	Registry framework.Registry
	// LeaderElection, if set, has the scheduler schedule only while it
	// holds the lock.
	LeaderElection *LeaderElection
	// Binder writes the decisions; nil means pods/binding through Client.
	Binder Binder
	// BindParallelism caps the bindings in flight (0 means
	// DefaultBindParallelism). The scheduling loop waits for a free slot:
	// thousands of concurrent bindings only overrun the API server's
	// in-flight limits and the client's connections.
	BindParallelism int
}

// DefaultBindParallelism is the default cap on bindings in flight. When
// the API server is saturated (it shares the machine with everything else
// in hack/bench-scheduler.sh), throughput is bindings in flight over their
// latency, and the server serves its clients in proportion to their
// requests in flight: 16 gave about 60% of kube-scheduler's throughput
// (which caps nothing but its 500 QPS), 64 about 95%, 256 about 117%, with
// no 429s. The server's default limit is 200 mutating requests in flight;
// beyond it client-go retries.
const DefaultBindParallelism = 256

// LeaderElection configures the Lease the scheduler must hold.
type LeaderElection struct {
	Lock                                      resourcelock.Interface
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
}

// Binder is where a scheduling decision goes: the one write the
// scheduling core makes.
type Binder interface {
	Bind(ctx context.Context, pod *corev1.Pod, node string) error
}

// apiBinder posts pods/binding, as kube-scheduler's DefaultBinder.
type apiBinder struct{ client kubernetes.Interface }

func (b apiBinder) Bind(ctx context.Context, pod *corev1.Pod, node string) error {
	binding := &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID},
		Target:     corev1.ObjectReference{Kind: "Node", Name: node},
	}
	return b.client.CoreV1().Pods(pod.Namespace).Bind(ctx, binding, metav1.CreateOptions{})
}

// Scheduler places the pods of one scheduler name.
type Scheduler struct {
	// handlersSynced report the event handlers have seen the informers'
	// initial lists.
	handlersSynced []cache.InformerSynced
	client         kubernetes.Interface
	schedulerName  string
	informers      informers.SharedInformerFactory
	podLister      corelisters.PodLister
	cache          *clusterCache
	nominator      *nominator
	queue          *queue.Queue
	framework      *framework.Framework
	binder         Binder
	broadcaster    events.EventBroadcasterAdapter
	recorder       events.EventRecorder
	leaderElection *LeaderElection

	// bindSlots holds a token per binding in flight.
	bindSlots chan struct{}
	// snapshot is only touched by the scheduling goroutine.
	snapshot *framework.Snapshot
	// writes tracks bindings and status updates in flight, so Run returns
	// only once they are done.
	writes sync.WaitGroup
	// leading is set while the scheduling loop runs.
	mu      sync.Mutex
	leading bool
}

type handle struct {
	informers informers.SharedInformerFactory
	client    kubernetes.Interface
}

func (h handle) SharedInformerFactory() informers.SharedInformerFactory { return h.informers }

func (h handle) ClientSet() kubernetes.Interface { return h.client }

// New builds a scheduler; Run starts it.
func New(ctx context.Context, c *Config) (*Scheduler, error) {
	if c.Client == nil {
		return nil, errors.New("scheduler config has no client")
	}
	name := cmp.Or(c.SchedulerName, corev1.DefaultSchedulerName)
	profile := c.Profile
	profile.SchedulerName = name
	if len(profile.Plugins) == 0 {
		profile.Plugins = plugins.DefaultPlugins()
	}
	registry := c.Registry
	if registry == nil {
		registry = plugins.NewRegistry()
	}
	eventClient := c.EventClient
	if eventClient == nil {
		eventClient = c.Client
	}
	factory := informers.NewSharedInformerFactory(c.Client, 0)
	// Pods that are done hold nothing and need nothing: leave them out,
	// as kube-scheduler does.
	factory.InformerFor(&corev1.Pod{}, func(client kubernetes.Interface, resync time.Duration) cache.SharedIndexInformer {
		selector := fields.ParseSelectorOrDie("status.phase!=" + string(corev1.PodSucceeded) + ",status.phase!=" + string(corev1.PodFailed))
		return coreinformers.NewFilteredPodInformer(client, metav1.NamespaceAll, resync, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc},
			func(o *metav1.ListOptions) { o.FieldSelector = selector.String() })
	})
	fw, err := framework.New(ctx, registry, profile, handle{informers: factory, client: c.Client})
	if err != nil {
		return nil, fmt.Errorf("scheduler framework: %w", err)
	}
	binder := c.Binder
	if binder == nil {
		binder = apiBinder{c.Client}
	}
	broadcaster := events.NewEventBroadcasterAdapterWithContext(ctx, eventClient)
	s := &Scheduler{
		client:         c.Client,
		schedulerName:  name,
		informers:      factory,
		podLister:      factory.Core().V1().Pods().Lister(),
		cache:          newClusterCache(),
		nominator:      newNominator(),
		framework:      fw,
		binder:         binder,
		broadcaster:    broadcaster,
		recorder:       broadcaster.NewRecorder(name),
		leaderElection: c.LeaderElection,
		bindSlots:      make(chan struct{}, cmp.Or(c.BindParallelism, DefaultBindParallelism)),
	}
	fw.SetNominator(s.nominator)
	s.queue = queue.New(queue.Options{PreEnqueue: fw.RunPreEnqueuePlugins, IsSchedulableAfter: fw.IsSchedulableAfter})
	if err := s.addEventHandlers(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Run watches the cluster and schedules until ctx is done. With leader
// election, it schedules only while it holds the lease; a term that ends
// (the lease lost) stops scheduling and the scheduler campaigns again,
// keeping its caches warm meanwhile. On return every binding and status
// write it started is done.
func (s *Scheduler) Run(ctx context.Context) error {
	logger := klog.FromContext(ctx)
	defer s.writes.Wait()
	s.broadcaster.StartRecordingToSink(ctx.Done())
	defer s.broadcaster.Shutdown()
	s.informers.Start(ctx.Done())
	defer s.informers.Shutdown()
	for typ, ok := range s.informers.WaitForCacheSync(ctx.Done()) {
		if !ok {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("scheduler: %v informer did not sync", typ)
		}
	}
	if !cache.WaitForCacheSync(ctx.Done(), s.handlersSynced...) {
		if ctx.Err() != nil {
			return nil
		}
		return errors.New("scheduler: event handlers did not sync")
	}
	go s.queue.Run(ctx)
	logger.Info("Starting scheduler", "schedulerName", s.schedulerName, "leaderElection", s.leaderElection != nil)
	if s.leaderElection == nil {
		s.scheduleLoop(ctx)
		return nil
	}
	le := s.leaderElection
	for ctx.Err() == nil {
		var term sync.WaitGroup
		elector, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
			Lock:          le.Lock,
			LeaseDuration: le.LeaseDuration,
			RenewDeadline: le.RenewDeadline,
			RetryPeriod:   le.RetryPeriod,
			// A scheduler that stops hands the lease over at once
			// rather than after LeaseDuration.
			ReleaseOnCancel: true,
			Name:            s.schedulerName,
			Callbacks: leaderelection.LeaderCallbacks{
				OnStartedLeading: func(ctx context.Context) {
					term.Add(1)
					defer term.Done()
					if ctx.Err() != nil {
						return // the term ended before it began
					}
					logger.Info("Leading: scheduling", "identity", le.Lock.Identity())
					s.setLeading(true)
					defer s.setLeading(false)
					s.scheduleLoop(ctx)
				},
				OnStoppedLeading: func() {
					logger.Info("Not leading: scheduling stopped", "identity", le.Lock.Identity())
				},
			},
		})
		if err != nil {
			return fmt.Errorf("leader election: %w", err)
		}
		elector.Run(ctx)
		// Run returns when the term ends; the loop must be out of it
		// before another term may start.
		term.Wait()
	}
	return nil
}

func (s *Scheduler) setLeading(v bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.leading = v
}

// Leading reports whether the scheduler is scheduling now (always, without
// leader election, once Run started).
func (s *Scheduler) Leading() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.leading
}

// scheduleLoop schedules one pod after the other until ctx is done.
func (s *Scheduler) scheduleLoop(ctx context.Context) {
	if s.leaderElection == nil {
		s.setLeading(true)
		defer s.setLeading(false)
	}
	for {
		p, err := s.queue.Pop(ctx)
		if err != nil {
			return
		}
		s.scheduleOne(ctx, p)
	}
}
