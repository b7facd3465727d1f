// Package nodeunschedulable is the NodeUnschedulable filter: a cordoned node
// (spec.unschedulable) takes only pods that tolerate the
// node.kubernetes.io/unschedulable:NoSchedule taint, as in kube-scheduler.
package nodeunschedulable
