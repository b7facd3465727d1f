// Package scheduler holds integration tests of kubeshim's scheduler:
// schedulers started in the test process against a real in-process API
// server with its embedded etcd, nodes registered through the API (no
// agent), and pods placed, refused, requeued and bound as kube-scheduler
// would, with one or two (leader-elected) scheduler instances.
package scheduler
