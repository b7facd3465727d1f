// Package priority is the Priority admission plugin, as upstream's: a pod
// created with spec.priorityClassName gets that PriorityClass's value in
// spec.priority and its preemption policy in spec.preemptionPolicy; a pod
// without one gets the globalDefault class's (and its name), or priority 0
// and PreemptLowerPriority when there is none. A pod naming a missing class,
// or setting a priority or preemption policy other than its class's, is
// refused. On updates a pod keeps what it was admitted with.
//
// It also refuses a second globalDefault PriorityClass.
//
// As upstream since 1.17, the plugin does not confine the system classes
// (system-node-critical, system-cluster-critical) to kube-system: an
// administrator who wants that limits them with ResourceQuotas scoped by
// PriorityClass.
package priority
