// Package tainttoleration is the TaintToleration plugin: it filters out
// nodes with a NoSchedule or NoExecute taint the pod does not tolerate, and
// scores down nodes by the PreferNoSchedule taints it does not tolerate, as
// in kube-scheduler.
package tainttoleration
