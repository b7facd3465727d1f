// Package network gives pods their network through CNI (libcni and the
// standard plugins: bridge with host-local IPAM on the node's pod CIDR,
// portmap for hostPorts, loopback), and keeps the host safe: the cluster
// and service CIDRs are routed to a sink device so no packet for a cluster
// address leaves the host, and pods' traffic is not forwarded beyond it.
package network
