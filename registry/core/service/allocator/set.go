package allocator

import (
	"math/rand/v2"
	"sync"
)

// Set is the taken offsets of a range [0, size). It is safe for concurrent
// use.
type Set struct {
	size   int64
	static int64

	mu       sync.Mutex
	taken    map[int64]struct{}
	reserved map[int64]struct{}
}

// New returns an empty Set over [0, size) whose lower band, left to static
// requests, is [0, static). static is clamped to [0, size].
func New(size, static int64) *Set {
	size = max(size, 0)
	return &Set{
		size:     size,
		static:   min(max(static, 0), size),
		taken:    map[int64]struct{}{},
		reserved: map[int64]struct{}{},
	}
}

// Size is the number of offsets in the range.
func (s *Set) Size() int64 { return s.size }

// Reserve keeps offset out of dynamic allocation: Allocate can still take it.
func (s *Set) Reserve(offset int64) {
	if !s.contains(offset) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reserved[offset] = struct{}{}
}

// Allocate takes offset. It reports false when the offset is out of range
// or already taken.
func (s *Set) Allocate(offset int64) bool {
	if !s.contains(offset) {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.taken[offset]; ok {
		return false
	}
	s.taken[offset] = struct{}{}
	return true
}

// AllocateNext takes a free offset, from the upper band while it has one. It
// reports false when every offset that is not reserved is taken.
func (s *Set) AllocateNext() (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	offset, ok := s.next(nil)
	if ok {
		s.taken[offset] = struct{}{}
	}
	return offset, ok
}

// Peek returns an offset AllocateNext could take now, skipping those skip
// reports (may be nil), and takes nothing: a dry run's answer.
func (s *Set) Peek(skip func(offset int64) bool) (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.next(skip)
}

// Release frees offset. Releasing a free or out-of-range offset does
// nothing.
func (s *Set) Release(offset int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.taken, offset)
}

// Has reports whether offset is taken.
func (s *Set) Has(offset int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.taken[offset]
	return ok
}

// Used is the number of taken offsets.
func (s *Set) Used() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.taken)
}

func (s *Set) contains(offset int64) bool { return offset >= 0 && offset < s.size }

// next finds a free offset, upper band first. The caller holds s.mu.
func (s *Set) next(skip func(int64) bool) (int64, bool) {
	if int64(len(s.taken)) >= s.size {
		return 0, false
	}
	free := func(offset int64) bool {
		if _, ok := s.taken[offset]; ok {
			return false
		}
		if _, ok := s.reserved[offset]; ok {
			return false
		}
		return skip == nil || !skip(offset)
	}
	if offset, ok := scan(s.static, s.size, free); ok {
		return offset, true
	}
	return scan(0, s.static, free)
}

// scan looks for a free offset in [lo, hi), starting at a random one and
// wrapping around, so that values spread over the band.
func scan(lo, hi int64, free func(int64) bool) (int64, bool) {
	n := hi - lo
	if n <= 0 {
		return 0, false
	}
	start := rand.Int64N(n)
	for i := range n {
		if offset := lo + (start+i)%n; free(offset) {
			return offset, true
		}
	}
	return 0, false
}
