package ipallocator

import (
	"errors"
	"fmt"
	"math/big"
	"net"
	"slices"

	netutils "k8s.io/utils/net"

	"github.com/kubeshim/kubeshim/registry/core/service/allocator"
)

// Errors, with upstream's messages: clients and tests match them.
var (
	ErrFull      = errors.New("range is full")
	ErrAllocated = errors.New("provided IP is already allocated")
	// ErrMismatchedNetwork is an address outside the service CIDR.
	ErrMismatchedNetwork = errors.New("the provided network does not match the current range")
)

// ErrNotInRange is an address of the service CIDR that is not for services:
// its network or broadcast address.
type ErrNotInRange struct {
	IP         net.IP
	ValidRange string
}

func (e *ErrNotInRange) Error() string {
	return fmt.Sprintf("the provided IP (%v) is not in the valid range. The range of valid IPs is %s", e.IP, e.ValidRange)
}

// Range allocates the addresses of one CIDR. It is safe for concurrent use.
type Range struct {
	cidr *net.IPNet
	// base is the first usable address, the network address plus one.
	base *big.Int
	v4   bool
	set  *allocator.Set
}

// New returns an empty Range over cidr. reserved addresses outside cidr are
// ignored.
func New(cidr *net.IPNet, reserved ...net.IP) (*Range, error) {
	size := netutils.RangeSize(cidr)
	v4 := netutils.IsIPv4CIDR(cidr)
	usable := size - 1 // the network address
	if v4 {
		usable-- // the broadcast address
	}
	if usable <= 0 {
		return nil, fmt.Errorf("service IP range %s has no usable addresses", cidr)
	}
	base := netutils.BigForIP(cidr.IP)
	base.Add(base, big.NewInt(1))
	r := &Range{cidr: cidr, base: base, v4: v4, set: allocator.New(usable, staticBand(size))}
	for _, ip := range reserved {
		if offset, ok := r.offset(ip); ok {
			r.set.Reserve(offset)
		}
	}
	return r, nil
}

// staticBand is upstream's size of the lower band, kept for requested
// addresses: min(max(16, size/16), 256), none for ranges of 16 or fewer.
func staticBand(size int64) int64 {
	const least, most, step = 16, 256, 16
	if size <= least {
		return 0
	}
	return min(max(size/step, least), most)
}

// CIDR is the range's network.
func (r *Range) CIDR() *net.IPNet { return r.cidr }

// Allocate takes ip: ErrMismatchedNetwork when it is outside the range's
// CIDR, *ErrNotInRange when it is the network or broadcast address,
// ErrAllocated when it is taken.
func (r *Range) Allocate(ip net.IP) error {
	offset, err := r.check(ip)
	if err != nil {
		return err
	}
	if !r.set.Allocate(offset) {
		return ErrAllocated
	}
	return nil
}

// Check returns the error Allocate(ip) would return now, taking nothing.
func (r *Range) Check(ip net.IP) error {
	offset, err := r.check(ip)
	if err != nil {
		return err
	}
	if r.set.Has(offset) {
		return ErrAllocated
	}
	return nil
}

// AllocateNext takes a free address that is not reserved, or returns
// ErrFull.
func (r *Range) AllocateNext() (net.IP, error) {
	offset, ok := r.set.AllocateNext()
	if !ok {
		return nil, ErrFull
	}
	return r.ip(offset), nil
}

// Peek returns an address AllocateNext could take now other than exclude,
// taking nothing: the answer to a dry run.
func (r *Range) Peek(exclude ...net.IP) (net.IP, error) {
	offset, ok := r.set.Peek(func(offset int64) bool {
		return slices.ContainsFunc(exclude, r.ip(offset).Equal)
	})
	if !ok {
		return nil, ErrFull
	}
	return r.ip(offset), nil
}

// Release frees ip. Releasing a free address or one outside the range does
// nothing.
func (r *Range) Release(ip net.IP) {
	if offset, ok := r.offset(ip); ok {
		r.set.Release(offset)
	}
}

// Has reports whether ip is taken.
func (r *Range) Has(ip net.IP) bool {
	offset, ok := r.offset(ip)
	return ok && r.set.Has(offset)
}

// Used is the number of taken addresses.
func (r *Range) Used() int { return r.set.Used() }

// Free is the number of addresses left.
func (r *Range) Free() int64 { return r.set.Size() - int64(r.set.Used()) }

func (r *Range) check(ip net.IP) (int64, error) {
	if ip == nil || !r.cidr.Contains(ip) {
		return 0, ErrMismatchedNetwork
	}
	offset, ok := r.offset(ip)
	if !ok {
		return 0, &ErrNotInRange{IP: ip, ValidRange: r.cidr.String()}
	}
	return offset, nil
}

// offset is ip's place in the set, if ip is a usable address of the range.
func (r *Range) offset(ip net.IP) (int64, bool) {
	if ip == nil || !r.cidr.Contains(ip) {
		return 0, false
	}
	d := new(big.Int).Sub(netutils.BigForIP(ip), r.base)
	if !d.IsInt64() {
		return 0, false
	}
	offset := d.Int64()
	return offset, offset >= 0 && offset < r.set.Size()
}

func (r *Range) ip(offset int64) net.IP {
	ip := netutils.AddIPOffset(r.base, int(offset))
	if r.v4 {
		return ip.To4()
	}
	return ip
}
