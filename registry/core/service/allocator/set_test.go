package allocator

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// drain takes offsets with AllocateNext until the set says it is full.
func drain(s *Set) []int64 {
	var got []int64
	for {
		offset, ok := s.AllocateNext()
		if !ok {
			slices.Sort(got)
			return got
		}
		got = append(got, offset)
	}
}

func seq(lo, hi int64, skip ...int64) []int64 {
	var out []int64
	for i := lo; i < hi; i++ {
		if !slices.Contains(skip, i) {
			out = append(out, i)
		}
	}
	return out
}

func TestAllocateNext(t *testing.T) {
	tests := []struct {
		name         string
		size, static int64
		reserved     []int64
		taken        []int64
		// wantUpper is what AllocateNext hands out before it touches the
		// lower band; wantLower what it hands out after.
		wantUpper, wantLower []int64
	}{{
		name: "no lower band", size: 8,
		wantUpper: seq(0, 8),
	}, {
		name: "upper band first", size: 40, static: 16,
		wantUpper: seq(16, 40), wantLower: seq(0, 16),
	}, {
		name: "reserved offsets are never handed out", size: 40, static: 16, reserved: []int64{1, 10, 30},
		wantUpper: seq(16, 40, 30), wantLower: seq(0, 16, 1, 10),
	}, {
		name: "taken offsets are skipped", size: 40, static: 16, taken: []int64{0, 20, 39},
		wantUpper: seq(16, 40, 20, 39), wantLower: seq(1, 16),
	}, {
		name: "static larger than size is clamped", size: 4, static: 16,
		wantLower: seq(0, 4),
	}, {
		name: "empty", size: 0,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := New(tc.size, tc.static)
			for _, r := range tc.reserved {
				s.Reserve(r)
			}
			for _, offset := range tc.taken {
				if !s.Allocate(offset) {
					t.Fatalf("Allocate(%d) = false", offset)
				}
			}
			var upper []int64
			for range tc.wantUpper {
				offset, ok := s.AllocateNext()
				if !ok {
					t.Fatalf("AllocateNext() full after %v", upper)
				}
				upper = append(upper, offset)
			}
			slices.Sort(upper)
			if diff := cmp.Diff(tc.wantUpper, upper); diff != "" {
				t.Errorf("upper band (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantLower, drain(s)); diff != "" {
				t.Errorf("lower band (-want +got):\n%s", diff)
			}
			// Reserved offsets can still be asked for.
			for _, r := range tc.reserved {
				if !s.Allocate(r) {
					t.Errorf("Allocate(reserved %d) = false", r)
				}
			}
		})
	}
}

func TestAllocateAndRelease(t *testing.T) {
	type step struct {
		do     string // allocate, release, has
		offset int64
		want   bool
	}
	tests := []struct {
		name  string
		steps []step
	}{{
		name: "allocate once",
		steps: []step{
			{"allocate", 3, true}, {"has", 3, true}, {"allocate", 3, false},
		},
	}, {
		name: "release frees",
		steps: []step{
			{"allocate", 3, true}, {"release", 3, false}, {"has", 3, false}, {"allocate", 3, true},
		},
	}, {
		name: "releasing a free offset does nothing",
		steps: []step{
			{"release", 4, false}, {"has", 4, false}, {"allocate", 4, true},
		},
	}, {
		name: "out of range",
		steps: []step{
			{"allocate", -1, false}, {"allocate", 10, false}, {"has", 10, false}, {"release", 10, false},
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := New(10, 2)
			for i, st := range tc.steps {
				var got bool
				switch st.do {
				case "allocate":
					got = s.Allocate(st.offset)
				case "release":
					s.Release(st.offset)
				case "has":
					got = s.Has(st.offset)
				}
				if got != st.want {
					t.Errorf("step %d: %s(%d) = %v, want %v", i, st.do, st.offset, got, st.want)
				}
			}
		})
	}
}

func TestPeek(t *testing.T) {
	s := New(4, 0)
	s.Allocate(0)
	s.Reserve(1)
	var got []int64
	skip := func(offset int64) bool { return slices.Contains(got, offset) }
	for {
		offset, ok := s.Peek(skip)
		if !ok {
			break
		}
		got = append(got, offset)
	}
	slices.Sort(got)
	if diff := cmp.Diff([]int64{2, 3}, got); diff != "" {
		t.Errorf("Peek (-want +got):\n%s", diff)
	}
	if s.Used() != 1 {
		t.Errorf("Used() = %d after Peek, want 1: Peek must take nothing", s.Used())
	}
}
