package portallocator

import (
	"errors"
	"fmt"
	"slices"

	utilnet "k8s.io/apimachinery/pkg/util/net"

	"github.com/kubeshim/kubeshim/registry/core/service/allocator"
)

// Errors, with upstream's messages: clients and tests match them.
var (
	ErrFull      = errors.New("range is full")
	ErrAllocated = errors.New("provided port is already allocated")
)

// ErrNotInRange is a port outside the node port range.
type ErrNotInRange struct {
	ValidPorts string
}

func (e *ErrNotInRange) Error() string {
	return fmt.Sprintf("provided port is not in the valid range. The range of valid ports is %s", e.ValidPorts)
}

// Range allocates the ports of one port range. It is safe for concurrent
// use.
type Range struct {
	ports utilnet.PortRange
	set   *allocator.Set
}

// New returns an empty Range over ports.
func New(ports utilnet.PortRange) (*Range, error) {
	if ports.Size <= 0 {
		return nil, fmt.Errorf("node port range %q is empty", ports.String())
	}
	return &Range{ports: ports, set: allocator.New(int64(ports.Size), staticBand(ports.Size))}, nil
}

// staticBand is upstream's size of the lower band, kept for requested ports:
// min(max(16, size/32), 128), none for ranges of 16 or fewer.
func staticBand(size int) int64 {
	const least, most, step = 16, 128, 32
	if size <= least {
		return 0
	}
	return int64(min(max(size/step, least), most))
}

// PortRange is the range's ports.
func (r *Range) PortRange() utilnet.PortRange { return r.ports }

// Allocate takes port: *ErrNotInRange when it is outside the range,
// ErrAllocated when it is taken.
func (r *Range) Allocate(port int) error {
	if !r.ports.Contains(port) {
		return &ErrNotInRange{ValidPorts: r.ports.String()}
	}
	if !r.set.Allocate(r.offset(port)) {
		return ErrAllocated
	}
	return nil
}

// Check returns the error Allocate(port) would return now, taking nothing.
func (r *Range) Check(port int) error {
	if !r.ports.Contains(port) {
		return &ErrNotInRange{ValidPorts: r.ports.String()}
	}
	if r.set.Has(r.offset(port)) {
		return ErrAllocated
	}
	return nil
}

// AllocateNext takes a free port, or returns ErrFull.
func (r *Range) AllocateNext() (int, error) {
	offset, ok := r.set.AllocateNext()
	if !ok {
		return 0, ErrFull
	}
	return r.ports.Base + int(offset), nil
}

// Peek returns a port AllocateNext could take now other than exclude,
// taking nothing: the answer to a dry run.
func (r *Range) Peek(exclude ...int) (int, error) {
	offset, ok := r.set.Peek(func(offset int64) bool {
		return slices.Contains(exclude, r.ports.Base+int(offset))
	})
	if !ok {
		return 0, ErrFull
	}
	return r.ports.Base + int(offset), nil
}

// Release frees port. Releasing a free port or one outside the range does
// nothing.
func (r *Range) Release(port int) {
	if r.ports.Contains(port) {
		r.set.Release(r.offset(port))
	}
}

// Has reports whether port is taken.
func (r *Range) Has(port int) bool {
	return r.ports.Contains(port) && r.set.Has(r.offset(port))
}

// Used is the number of taken ports.
func (r *Range) Used() int { return r.set.Used() }

// Free is the number of ports left.
func (r *Range) Free() int { return r.ports.Size - r.set.Used() }

func (r *Range) offset(port int) int64 { return int64(port - r.ports.Base) }
