// Package servicelb is kubeshim's built-in service load balancer, after
// k3s's servicelb: a LoadBalancer Service without a loadBalancerClass gets
// the InternalIPs of the cluster's ready nodes as its
// status.loadBalancer.ingress, and every node's proxy then serves those
// addresses at the service's ports the way it serves external IPs.
//
// One writer at a time: the controller runs only while it holds the Lease
// kube-system/kubeshim-servicelb. Each proxy writing when the status is
// empty would be simpler, but the first writer would then pin its own IPs
// for good (the status is never empty again), so a node that left would
// keep receiving the service's traffic and a node that joined would never
// be added; and writers disagreeing on the node list would flap the
// status. The lease holder watches all nodes and keeps the list current.
package servicelb
