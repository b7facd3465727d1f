// Package portallocator hands out service node ports from
// --service-node-port-range.
//
// It behaves as upstream's allocator: dynamic allocation prefers the upper
// part of the range and leaves the lower band — min(max(16, size/32), 128)
// ports from the start, 30000–30085 of 30000-32767 — to clients that ask for
// a port.
//
//	r, _ := portallocator.New(utilnet.PortRange{Base: 30000, Size: 2768})
//	port, err := r.AllocateNext() // e.g. 31412
//	err = r.Allocate(30080)       // nil; a second time ErrAllocated
//	r.Release(port)
package portallocator
