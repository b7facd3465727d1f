package controllers

import (
	"context"
	"fmt"
	"sync"
	"time"

	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/klog/v2"
)

// LeaderElection configures the Lease the controllers must hold.
type LeaderElection struct {
	Lock                                      resourcelock.Interface
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
	// OnLeading, if set, is told when a term starts (true) and ends
	// (false); tests watch failover through it.
	OnLeading func(bool)
}

// RunLeaderElected runs the controllers only while le's Lease is held, so
// that several `kubeshim controllers` (or servers) can run for one cluster
// and exactly one reconciles. Without le it is Run.
//
// kube-controller-manager exits when it loses its lease and lets its
// supervisor restart it; kubeshim often runs the controllers inside the API
// server, which must not exit for that, so a lost term stops the
// controllers and the process campaigns again. Each term starts the
// controllers afresh (new informers, empty queues): what a term knows is
// rebuilt from the API, the controllers being level-triggered.
func RunLeaderElected(ctx context.Context, c Config, le *LeaderElection) error {
	if le == nil {
		return Run(ctx, c)
	}
	logger := klog.FromContext(ctx)
	for ctx.Err() == nil {
		var term sync.WaitGroup
		var runErr error
		elector, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
			Lock:          le.Lock,
			LeaseDuration: le.LeaseDuration,
			RenewDeadline: le.RenewDeadline,
			RetryPeriod:   le.RetryPeriod,
			// Controllers that stop hand the lease over at once rather
			// than after LeaseDuration.
			ReleaseOnCancel: true,
			Name:            "kubeshim-controllers",
			Callbacks: leaderelection.LeaderCallbacks{
				OnStartedLeading: func(ctx context.Context) {
					term.Add(1)
					defer term.Done()
					if ctx.Err() != nil {
						return // the term ended before it began
					}
					logger.Info("Leading: controllers started", "identity", le.Lock.Identity())
					if le.OnLeading != nil {
						le.OnLeading(true)
						defer le.OnLeading(false)
					}
					runErr = Run(ctx, c)
				},
				OnStoppedLeading: func() {
					logger.Info("Not leading: controllers stopped", "identity", le.Lock.Identity())
				},
			},
		})
		if err != nil {
			return fmt.Errorf("leader election: %w", err)
		}
		elector.Run(ctx)
		// Run returns when the term ends; the controllers must be
		// stopped before another term may start them again.
		term.Wait()
		if runErr != nil {
			return runErr
		}
	}
	return nil
}
