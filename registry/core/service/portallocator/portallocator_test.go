package portallocator

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	utilnet "k8s.io/apimachinery/pkg/util/net"
)

var defaultRange = utilnet.PortRange{Base: 30000, Size: 2768}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestAllocate(t *testing.T) {
	tests := []struct {
		name  string
		ports []int
		want  []string
	}{{
		name:  "in range",
		ports: []int{30000, 30080, 32767},
		want:  []string{"", "", ""},
	}, {
		name:  "twice",
		ports: []int{30080, 30080},
		want:  []string{"", "provided port is already allocated"},
	}, {
		name:  "out of range",
		ports: []int{29999, 32768, 80},
		want: []string{
			"provided port is not in the valid range. The range of valid ports is 30000-32767",
			"provided port is not in the valid range. The range of valid ports is 30000-32767",
			"provided port is not in the valid range. The range of valid ports is 30000-32767",
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := New(defaultRange)
			if err != nil {
				t.Fatal(err)
			}
			var got, checked []string
			for _, p := range tc.ports {
				checked = append(checked, errString(r.Check(p)))
				got = append(got, errString(r.Allocate(p)))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Allocate errors (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want, checked); diff != "" {
				t.Errorf("Check errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAllocateNext(t *testing.T) {
	tests := []struct {
		name        string
		ports       utilnet.PortRange
		n           int
		first, last int
		full        bool
	}{{
		name:  "default range leaves its first 86 ports",
		ports: defaultRange,
		n:     2768 - 86, first: 30086, last: 32767,
	}, {
		name:  "then falls back to them",
		ports: defaultRange,
		n:     2768, first: 30000, last: 32767, full: true,
	}, {
		name:  "a large range leaves at most 128",
		ports: utilnet.PortRange{Base: 20000, Size: 10000},
		n:     10000 - 128, first: 20128, last: 29999,
	}, {
		name:  "a small range leaves none",
		ports: utilnet.PortRange{Base: 30000, Size: 10},
		n:     10, first: 30000, last: 30009, full: true,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := New(tc.ports)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[int]bool{}
			for range tc.n {
				p, err := r.AllocateNext()
				if err != nil {
					t.Fatalf("AllocateNext() after %d: %v", len(seen), err)
				}
				if p < tc.first || p > tc.last || seen[p] {
					t.Errorf("AllocateNext() = %d, want a new port in %d-%d", p, tc.first, tc.last)
				}
				seen[p] = true
			}
			if tc.full {
				p, err := r.AllocateNext()
				if diff := cmp.Diff(ErrFull.Error(), errString(err)); diff != "" {
					t.Errorf("AllocateNext() = %d, error (-want +got):\n%s", p, diff)
				}
				if r.Free() != 0 {
					t.Errorf("Free() = %d, want 0", r.Free())
				}
			}
		})
	}
}

func TestReleaseAndPeek(t *testing.T) {
	r, err := New(utilnet.PortRange{Base: 30000, Size: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Allocate(30000); err != nil {
		t.Fatal(err)
	}
	p, err := r.Peek(30001)
	if err != nil || p != 30002 {
		t.Errorf("Peek(30001) = %d, %v; want 30002", p, err)
	}
	if r.Used() != 1 {
		t.Errorf("Used() = %d after Peek, want 1", r.Used())
	}
	r.Release(30000)
	r.Release(30000) // twice: nothing
	r.Release(80)    // outside: nothing
	if r.Has(30000) || r.Used() != 0 {
		t.Errorf("after Release: Has(30000) = %v, Used() = %d; want false, 0", r.Has(30000), r.Used())
	}
}

func TestNewEmpty(t *testing.T) {
	if _, err := New(utilnet.PortRange{}); err == nil {
		t.Error("New(empty range) succeeded")
	}
}
