// Package schedulinggates is the SchedulingGates plugin: a pod with
// spec.schedulingGates stays out of the active queue until they are all
// removed, as in kube-scheduler.
package schedulinggates
