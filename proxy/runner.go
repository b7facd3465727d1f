package proxy

import (
	"context"
	"time"

	"k8s.io/utils/clock"
)

// runner calls a sync function when kicked, at most once per minInterval
// (kicks in between are coalesced into one later run), at least once per
// maxInterval (a periodic run), and again after a failure, backing off
// from minInterval up to maxInterval.
type runner struct {
	clock                    clock.Clock
	minInterval, maxInterval time.Duration
	kicks                    chan struct{}
	// parked, when set (tests), is told where the loop waits: "idle" for
	// a kick, a retry or the periodic run; "cooling" for the min interval.
	parked func(state string)
}

func newRunner(c clock.Clock, minInterval, maxInterval time.Duration) *runner {
	return &runner{clock: c, minInterval: minInterval, maxInterval: maxInterval, kicks: make(chan struct{}, 1)}
}

// Kick asks for a run. It never blocks: a kick already pending covers it.
func (r *runner) Kick() {
	select {
	case r.kicks <- struct{}{}:
	default:
	}
}

// Loop runs until ctx ends. sync is told whether the run is a periodic one
// (no kick asked for it).
func (r *runner) Loop(ctx context.Context, sync func(ctx context.Context, periodic bool) error) {
	var last time.Time
	periodic := r.clock.NewTimer(r.maxInterval)
	defer periodic.Stop()
	var retry clock.Timer
	var retryC <-chan time.Time
	backoff := r.minInterval
	for {
		isPeriodic := false
		if r.parked != nil {
			r.parked("idle")
		}
		select {
		case <-ctx.Done():
			return
		case <-r.kicks:
		case <-retryC:
		case <-periodic.C():
			isPeriodic = true
		}
		if !last.IsZero() {
			if wait := last.Add(r.minInterval).Sub(r.clock.Now()); wait > 0 {
				after := r.clock.After(wait)
				if r.parked != nil {
					r.parked("cooling")
				}
				select {
				case <-ctx.Done():
					return
				case <-after:
				}
			}
		}
		// This run reads the state after every kick so far.
		select {
		case <-r.kicks:
			isPeriodic = false
		default:
		}
		last = r.clock.Now()
		err := sync(ctx, isPeriodic)
		if !periodic.Stop() {
			select { // drain a fire that raced the run
			case <-periodic.C():
			default:
			}
		}
		periodic.Reset(r.maxInterval)
		if retry != nil {
			retry.Stop()
			retry, retryC = nil, nil
		}
		if err != nil {
			retry = r.clock.NewTimer(backoff)
			retryC = retry.C()
			backoff = min(2*backoff, r.maxInterval)
		} else {
			backoff = r.minInterval
		}
	}
}
