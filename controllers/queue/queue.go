package queue

import (
	"context"
	"time"

	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
)

// SyncFunc reconciles one key. A positive requeueAfter asks for the key to
// come back after that long even on success (something is still settling);
// an error brings it back rate-limited.
type SyncFunc func(ctx context.Context, key string) (requeueAfter time.Duration, err error)

// Queue feeds keys to a SyncFunc.
type Queue struct {
	name  string
	sync  SyncFunc
	queue workqueue.TypedRateLimitingInterface[string]
}

// New returns a queue named after its controller.
func New(name string, sync SyncFunc) *Queue {
	return &Queue{
		name: name,
		sync: sync,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: name}),
	}
}

// Add enqueues a key; a key already waiting is not added twice.
func (q *Queue) Add(key string) { q.queue.Add(key) }

// Run waits for the informers to sync, then runs workers until ctx is done.
func (q *Queue) Run(ctx context.Context, workers int, synced ...cache.InformerSynced) {
	defer utilruntime.HandleCrash()
	defer q.queue.ShutDown()
	if !cache.WaitForNamedCacheSync(q.name, ctx.Done(), synced...) {
		return
	}
	for i := 0; i < workers; i++ {
		go wait.UntilWithContext(ctx, q.work, 0)
	}
	<-ctx.Done()
}

func (q *Queue) work(ctx context.Context) {
	for {
		key, quit := q.queue.Get()
		if quit {
			return
		}
		after, err := q.sync(ctx, key)
		switch {
		case err != nil:
			klog.FromContext(ctx).Error(err, "Sync failed", "controller", q.name, "key", key)
			q.queue.AddRateLimited(key)
		case after > 0:
			q.queue.Forget(key)
			q.queue.AddAfter(key, after)
		default:
			q.queue.Forget(key)
		}
		q.queue.Done(key)
	}
}
