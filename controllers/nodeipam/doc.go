// Package nodeipam gives every Node a pod subnet, as upstream's node IPAM
// controller does with its range allocator (--allocate-node-cidrs with
// --cidr-allocator-type=RangeAllocator).
//
// The cluster CIDRs (Options.ClusterCIDRs, upstream's --cluster-cidr,
// default 10.244.0.0/16; one IPv4 and one IPv6 range for dual stack) are cut
// into node subnets of Options.NodeMaskSizeIPv4 (/24) or
// Options.NodeMaskSizeIPv6 (/64) bits. A node without spec.podCIDRs gets
// the next free subnet of each range, written to spec.podCIDR and
// spec.podCIDRs; a node that has them (set by its agent's --pod-cidr, or by
// an earlier run) keeps them and they count as used. The allocator's
// bitmap lives in memory only: at start it is rebuilt from the nodes that
// exist before any node is given a subnet, and a deleted node's subnets are
// released (unless another node claims the same one). Subnets are handed
// out round-robin, so a released subnet is not reused at once; on a new
// cluster the first node gets the first subnet (10.244.0.0/24).
//
// When a range has no subnet left the node gets a CIDRNotAvailable event
// and is retried with back-off.
package nodeipam
