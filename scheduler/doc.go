// Package scheduler places pods on nodes as kube-scheduler does: it watches
// pods without a node and the nodes through shared informers, keeps them in
// a scheduling queue (queue), filters and scores the nodes of an immutable
// snapshot with plugins (framework, plugins/<name>), and writes the decision
// through pods/binding.
//
// The parts split as in Nomad's scheduler: framework.Framework reads only a
// framework.Snapshot and returns a node or a *framework.FitError, so a test
// or a benchmark drives whole scheduling passes without a server; the
// Scheduler around it owns the cache of nodes and assigned pods (with
// assumed pods, so a burst does not overcommit a node before the informer
// sees the binding), the queue, leader election and the writes (binding,
// events, the PodScheduled condition).
//
//	o := scheduler.NewOptions()
//	config, err := o.Config(restConfig)
//	s, err := scheduler.New(ctx, config)
//	err = s.Run(ctx) // until ctx is done
//
// `kubeshim server` runs it in-process unless --disable=scheduler;
// `kubeshim scheduler --kubeconfig FILE` runs it alone.
package scheduler
