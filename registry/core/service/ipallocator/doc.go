// Package ipallocator hands out service cluster IPs from the service CIDR
// (--service-cluster-ip-range).
//
// It behaves as upstream's allocator: the network address (and, for IPv4,
// the broadcast address) is never used; dynamic allocation prefers the upper
// part of the range and leaves the lower band — min(max(16, size/16), 256)
// addresses from the start, e.g. 10.96.0.1–10.96.1.0 of 10.96.0.0/12 — to
// clients that ask for an address. Reserved addresses (the kubernetes
// service's, cluster DNS's) are never handed out dynamically; they can only
// be asked for.
//
//	r, _ := ipallocator.New(cidr, kubernetesIP, dnsIP)
//	ip, err := r.AllocateNext() // e.g. 10.104.23.7
//	err = r.Allocate(dnsIP)      // nil; a second time ErrAllocated
//	r.Release(ip)
package ipallocator
