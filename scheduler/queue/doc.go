// Package queue is the scheduling queue, kube-scheduler's PriorityQueue:
// an active heap ordered by pod priority then time, a backoff heap (1s
// doubling to 10s with each attempt), an unschedulable set whose pods are
// retried on the cluster events the rejecting plugins say may help (and
// after 5 minutes regardless), and a gated set for pods a PreEnqueue plugin
// (scheduling gates) holds back until they are updated.
package queue
