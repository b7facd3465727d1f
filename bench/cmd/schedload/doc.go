// Command schedload measures a scheduler's throughput and latency on a
// running cluster whose nodes are up (simulated nodes: `kubeshim agent
// --simulate N`) and whose scheduler is not yet running. It
//
//  1. waits until --wait-nodes nodes are Ready;
//  2. creates --pods pods (pause image, small requests, no scheduler
//     running, so they all pend) with --workers parallel clients;
//  3. starts the scheduler, the command after "--", and times the drain:
//     from that exec to the watch seeing the last pod bound. The throughput
//     is pods over that time; the steady throughput leaves out the
//     scheduler's start (exec to first binding);
//  4. with the scheduler warm, creates --stream-pods more pods at
//     --stream-rate pods a second and times each from the start of its
//     create call to the watch seeing it bound (p50, p99, max): the
//     scheduling latency of a pod that arrives at a running scheduler;
//  5. stops the scheduler (SIGTERM, then SIGKILL after 30 s) and reports
//     the CPU time and peak RSS of its whole life.
//
// Bindings are timed by one informer on the test namespace, on this
// machine's clock. The results are printed as "key value" lines on stdout,
// for hack/bench-scheduler.sh; progress goes to stderr.
//
//	schedload --kubeconfig FILE --pods 10000 --wait-nodes 1000 -- \
//	    kube-scheduler --kubeconfig FILE --secure-port 0 --leader-elect=false
package main
