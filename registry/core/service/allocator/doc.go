// Package allocator records which offsets of a range [0, size) are taken:
// the state behind both service allocators, cluster IPs (ipallocator) and
// node ports (portallocator), which map their values to offsets.
//
// As upstream's allocators do (KEP-3070, KEP-3668), a Set splits its range in
// two bands. Dynamic allocation picks a random free offset in the upper band
// [static, size) and falls back to the lower band [0, static) only when the
// upper band is full, so that values clients ask for by number (the
// kubernetes service's IP, cluster DNS's, a well-known node port) rarely
// collide with values handed out at random. Reserved offsets are never handed
// out dynamically at all; they can only be asked for.
//
// A Set lives in memory and is guarded by a mutex: one API server owns it
// and rebuilds it from the stored objects when it starts.
package allocator
